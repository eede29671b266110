"""The grader's side: spawn the worker, feed it the plan, watch it, and read its results back.

The parent never imports student code and never unpickles; everything it reads from the worker is
size-capped and re-validated by `wire.decode`. A worker that dies or overruns its time costs only the
step it was running: a fresh worker re-runs the Exec steps that succeeded and carries on.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import mmap
import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from functools import lru_cache

from autograder.sandbox import wire, zygote
from autograder.sandbox.steps import Call, Exec, Fetch, Limits, Step, StepResult
from autograder.sandbox.wire import FRAME

_REPORT_BYTES = 64 * 1024
_CHUNK = 1 << 20
_STAGE_BYTES = 64 * 1024  # one read of the progress pipe, for frames smaller than this
_DRAIN_READS = 16  # more than a pipe holds (at most 1 MiB unprivileged)
_CRASH_SIGNALS = {signal.SIGSEGV: "a segmentation fault", signal.SIGBUS: "a bus error",
                  signal.SIGABRT: "an abort"}
_NOT_RUN = "not run: the grading time budget was used up"
DEFAULT_LIMITS = Limits()


class _Spawned:
    """A worker started as a new process (no zygote on this host, or it failed)."""

    def __init__(self, fds: tuple[int, int, int], scratch: str):
        progress_w, output_w, plan_fd = fds
        self.process = subprocess.Popen(
            zygote.worker_command(progress_w, plan_fd), stdin=subprocess.DEVNULL, stdout=output_w,
            stderr=output_w, pass_fds=(progress_w, plan_fd), cwd=scratch,
            env=zygote.environment(scratch), start_new_session=True)
        self.pid = self.process.pid

    def end(self, grace: bool) -> int:
        self.process.returncode = zygote.end_process(self.pid, grace)
        return self.process.returncode


class _Forked:
    """A worker forked by a zygote, which reaps it."""

    def __init__(self, fds: tuple[int, int, int], scratch: str, seconds: float):
        """Raises ZygoteError when no zygote starts the worker: the session then starts over
        (new pipes, new scratch dir) without one, as a half-started fork may hold these."""
        try:
            self.zygote = zygote.acquire()
        except OSError as exc:
            raise zygote.ZygoteError(f"the zygote could not be started ({exc})") from None
        self.pid = self.zygote.start(fds, scratch, zygote.environment(scratch), seconds)

    def end(self, grace: bool) -> int:
        try:
            code = self.zygote.end(grace)
        except zygote.ZygoteError:  # it died or hung: the worker is ours to kill (best effort)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            return -signal.SIGKILL
        zygote.release(self.zygote)
        return code




def _make_scratch() -> str:
    return tempfile.mkdtemp(prefix="autograder-sandbox-")  # the worker gives it to its own uid


def _remove_scratch(scratch: str) -> None:
    """Remove the scratch tree even if the student chmodded it; the worker is dead by now."""
    os.chmod(scratch, 0o700)
    for top, dirs, _ in os.walk(scratch):
        for name in dirs:
            path = os.path.join(top, name)
            if not os.path.islink(path):
                os.chmod(path, 0o700)
    shutil.rmtree(scratch, ignore_errors=True)


def _plan_step(step: Step) -> list:
    if isinstance(step, Exec):
        return ["exec", step.label, step.source]
    if isinstance(step, Call):
        return ["call", step.label, step.function, tuple(step.args), dict(step.kwargs)]
    return ["fetch", step.label, step.name]


def _death(returncode: int, limits: Limits) -> str:
    if returncode == -signal.SIGXCPU:
        return f"used up its CPU time limit ({limits.cpu_seconds} s)"
    if returncode == -signal.SIGKILL:
        return "the process was killed (it used up its CPU time or memory)"
    if -returncode in _CRASH_SIGNALS:
        return (f"the process crashed with {_CRASH_SIGNALS[-returncode]} while running this step"
                " (often a runaway recursion or running out of memory)")
    if returncode < 0:
        return f"the process was killed by {signal.Signals(-returncode).name} while running this step"
    return "the process exited (os._exit / crash) while running this step"


class _ProtocolError(Exception):
    pass


class _TooLarge(Exception):
    """A result over what the run may still hold: the step fails with this sentence."""


@dataclasses.dataclass
class _Outcome:
    results: dict[int, StepResult]  # by position in the plan
    report: dict[str, str] | None
    failed_at: int | None = None  # plan position of the step the worker died in, if any
    failure: str = ""
    output: str = ""
    seconds: float = 0.0


class _Session:
    """One worker process running `plan` (a list of steps); kills its process group at the end."""

    def __init__(self, plan: list[Step], limits: Limits, deadline: float, output_left: list[int],
                 results_left: list[int] | None = None):
        self.plan, self.limits, self.deadline = plan, limits, deadline
        self.output_left = output_left  # shared over sessions: printed output kept per run
        # shared over sessions: the bytes of results a run may still hold (each is at most
        # `result_bytes`; together they are kept until judging)
        self.results_left = results_left if results_left is not None else [limits.results_bytes]
        self.caps = wire.Caps(limits.max_depth, limits.max_nodes, limits.max_arrays,
                              limits.result_bytes)
        self.outcome = _Outcome({}, None)
        self.raw = bytearray()  # fd 1 and 2 of the running step, read only if the step dies
        self.started: float | None = None
        self.header: tuple[bytes, int, int] | None = None  # of the frame being read
        self.namespace: str | None = None
        self.namespace_fd: int | None = None  # keeps the namespace (and its id) alive until swept
        self.stage = memoryview(bytearray(_STAGE_BYTES))

    def run(self) -> _Outcome:
        zygote.undumpable_grader()
        for forked in (True, False) if zygote.enabled() else (False,):
            scratch = _make_scratch()
            try:
                self._run_in(scratch, forked)
                break
            except zygote.ZygoteError:  # raised only before the worker's first frame
                continue
            finally:
                _remove_scratch(scratch)
        return self.outcome

    def _run_in(self, scratch: str, forked: bool) -> None:
        plan = {"scratch": scratch, "limits": dataclasses.asdict(self.limits),
                "steps": [_plan_step(step) for step in self.plan]}
        with tempfile.TemporaryFile() as plan_file:
            plan_file.write(wire.encode(plan, wire.Caps(depth=64, bytes=1 << 40, nodes=1 << 40,
                                                        arrays=1 << 20)))
            plan_file.seek(0)
            progress_r, progress_w = os.pipe()
            output_r, output_w = os.pipe()
            try:
                fds = (progress_w, output_w, plan_file.fileno())
                self.process = (_Forked(fds, scratch, self.limits.startup_seconds) if forked
                                else _Spawned(fds, scratch))
            except BaseException:
                os.close(progress_r)
                os.close(output_r)
                raise
            finally:
                os.close(progress_w)
                os.close(output_w)
        ended = False
        try:
            stop = self._watch(progress_r, output_r)
            complete = len(self.outcome.results) == len(self.plan) and self.outcome.report is not None
            # A worker that stopped early gets a moment to exit by itself: its status says why.
            returncode = self._end_process(grace=stop is None and not complete)
            ended = True
            self._read_output(output_r)
            if not complete:
                self._fail(stop or _death(returncode, self.limits))
        finally:
            if not ended:  # the grader itself failed while watching: the worker goes too
                with contextlib.suppress(Exception):
                    self._end_process(grace=False)
            os.close(progress_r)
            os.close(output_r)

    def _watch(self, progress_r: int, output_r: int) -> str | None:
        """Read frames until the plan is done or the worker stops; return why it was stopped."""
        os.set_blocking(progress_r, False)
        os.set_blocking(output_r, False)
        progress = io.FileIO(progress_r, closefd=False)  # readinto: straight into a frame's buffer
        selector = selectors.DefaultSelector()
        selector.register(progress_r, selectors.EVENT_READ)
        selector.register(output_r, selectors.EVENT_READ)
        self.step_deadline = time.monotonic() + self.limits.startup_seconds
        self._expect("header", bytearray(FRAME.size))
        with selector:
            while len(self.outcome.results) < len(self.plan) or self.outcome.report is None:
                now = time.monotonic()
                if now >= self.deadline:
                    return (f"stopped: the grading time budget ({self.limits.total_seconds:g} s)"
                            " ran out during this step")
                if now >= self.step_deadline:
                    return f"timed out after {self.limits.step_seconds:g} s"
                for key, _ in selector.select(min(self.deadline, self.step_deadline) - now):
                    if key.fd == output_r:
                        self._read_output(output_r)
                        continue
                    try:
                        if not self._receive(progress, output_r):
                            return None
                    except _ProtocolError as error:
                        detail = f" ({error})" if str(error) else ""
                        return f"the worker sent a malformed message while running this step{detail}"
                    except _TooLarge as error:
                        return str(error)
        return None

    def _expect(self, reading: str, buffer: bytearray | mmap.mmap, filled: int = 0) -> None:
        self.reading, self.part, self.filled = reading, memoryview(buffer), filled

    def _receive(self, progress: io.FileIO, output_r: int) -> bool:
        """Read what the pipe holds into the parts of the frames being read; False at end of file.

        A large part is read straight into its own buffer; anything else through a small staging
        buffer, so that one read takes the several small frames a step sends (start, done):
        each part is still filled, and checked, before the next one is made.
        """
        if len(self.part) - self.filled > _STAGE_BYTES:
            count = progress.readinto(self.part[self.filled:])
            if not count:
                return count is None  # None: nothing to read after all; 0: end of file
            self.filled += count
            if self.filled == len(self.part):
                self._part_read(output_r)
            return True
        count = progress.readinto(self.stage)
        if not count:
            return count is None
        offset = 0
        while offset < count:
            take = min(len(self.part) - self.filled, count - offset)
            self.part[self.filled:self.filled + take] = self.stage[offset:offset + take]
            self.filled += take
            offset += take
            if self.filled == len(self.part):
                self._part_read(output_r)
        return True

    def _part_read(self, output_r: int) -> None:
        """A frame is read in parts, each into a buffer of exactly its size: the header, then for
        a result the message's prefix, then the rest. Each part is checked before the next one
        is read, so a forged length or tree size is refused before the parent holds its bytes."""
        if self.reading == "header":
            self.header = FRAME.unpack(self.part)
            self._check_header(*self.header)
            kind, _, length = self.header
            if kind == b"D":
                self._expect("prefix", bytearray(wire.PREFIX.size))
                return
            if length:
                self._expect("payload", bytearray(length))
                return
        elif self.reading == "prefix":
            try:
                wire.check_prefix(self.part, self.caps)
            except wire.WireError as error:
                raise _ProtocolError(error) from None
            # The pages of an anonymous map take memory only once written: a length that is a
            # lie costs nothing the worker does not send.
            payload = mmap.mmap(-1, self.header[2])
            payload[: wire.PREFIX.size] = self.part
            self._expect("payload", payload, wire.PREFIX.size)
            if self.filled < len(self.part):
                return
        payload = self.part.obj if self.reading == "payload" else b""
        self._expect("header", bytearray(FRAME.size))
        kind, position, _ = self.header
        self._handle_frame(kind, position, payload, output_r)

    def _check_header(self, kind: bytes, position: int, length: int) -> None:
        """Refuse a frame from its header alone: its kind, its place in the plan, its length."""
        pending = len(self.outcome.results)
        if kind == b"D" and position == pending - 1:
            # A second result for the step just done: that step wrote the first one itself.
            del self.outcome.results[position]
            raise _ProtocolError("a second result for this step")
        if kind == b"I":
            valid = self.outcome.report is None and length <= _REPORT_BYTES
        elif kind == b"S":
            valid = position == pending and self.started is None and length == 0
        elif kind == b"D":
            valid = (position == pending and self.started is not None
                     and wire.PREFIX.size <= length <= self.caps.message_bytes)
            if valid and length > self.results_left[0]:
                raise _TooLarge(f"the returned values are too large to grade (this run's results"
                                f" together may take {self.limits.results_bytes >> 20} MiB)")
            if valid:
                self.results_left[0] -= length
        else:
            valid = False
        if not valid:
            raise _ProtocolError

    def _handle_frame(self, kind: bytes, position: int, payload: bytes | bytearray | mmap.mmap,
                      output_r: int) -> None:
        now = time.monotonic()
        if kind == b"I":
            self.outcome.report = _read_report(payload)
            if self.outcome.report.get("network") == "on":
                self.namespace, self.namespace_fd = _network_namespace(self.process.pid)
        elif kind == b"S":
            self.started = now
            self.step_deadline = now + self.limits.step_seconds
        else:
            self._read_output(output_r)
            self.outcome.results[position] = self._result(position, payload, now)
            self.started, self.raw = None, bytearray()
            self.step_deadline = now + self.limits.step_seconds

    def _result(self, position: int, payload: mmap.mmap, now: float) -> StepResult:
        label, seconds = self.plan[position].label, now - self.started
        try:
            message = wire.decode(payload, self.caps)
            if type(message) is not dict or set(message) != {"ok", "value", "error", "output"}:
                raise wire.WireError("malformed result")
            ok, value, error, output = (message[k] for k in ("ok", "value", "error", "output"))
            if type(ok) is not bool or type(output) is not str:
                raise wire.WireError("malformed result")
            if not (error is None or type(error) is str):
                raise wire.WireError("malformed error")
        except wire.WireError as exc:
            return StepResult(label, False, error=f"the result could not be read back ({exc})",
                              seconds=seconds, output=self._spend(self._raw_text()))
        output = self._spend(output)
        if ok:
            return StepResult(label, True, value, seconds=seconds, output=output)
        error = (error or "failed")[:300]
        if error.startswith("MemoryError"):
            gib = self.limits.memory_bytes / (1 << 30)
            error = f"ran out of memory (the limit is {gib:g} GiB): {error}"[:300]
        return StepResult(label, False, error=error, seconds=seconds, output=output)

    def _read_output(self, output_r: int) -> None:
        """Drain what reached fd 1 and 2, keeping at most `output_bytes` since the last step.

        At most `_DRAIN_READS` reads a call: a worker writing without end (or a process that
        escaped with the pipe) cannot keep the parent from its deadlines.
        """
        for _ in range(_DRAIN_READS):
            try:
                chunk = os.read(output_r, _CHUNK)
            except BlockingIOError:
                return
            if not chunk:
                return
            self.raw += chunk[: max(self.limits.output_bytes - len(self.raw), 0)]

    def _raw_text(self) -> str:
        return self.raw.decode("utf-8", "replace")

    def _spend(self, output: str) -> str:
        """Keep `output` within what is left of the run's output budget."""
        kept = output[: max(self.output_left[0], 0)]
        self.output_left[0] -= len(kept)
        return kept if len(kept) == len(output) else kept + "\n[output truncated]"

    def _end_process(self, grace: bool) -> int:
        """SIGKILL the whole process group, then reap (a zombie leader keeps the group id ours),
        and sweep the worker's network namespace; the worker's returncode."""
        returncode = self.process.end(grace)
        if self.namespace:
            _kill_namespace(self.namespace)
        if self.namespace_fd is not None:
            os.close(self.namespace_fd)
            self.namespace_fd = None
        return returncode

    def _fail(self, reason: str) -> None:
        position = len(self.outcome.results)
        if self.outcome.report is None:
            last_line = self._raw_text().strip().splitlines()[-1:] or [""]
            reason = f"the grading worker could not start: {last_line[0]}"[:300]
        self.outcome.failed_at, self.outcome.failure = position, reason
        self.outcome.output = self._spend(self._raw_text())
        self.outcome.seconds = time.monotonic() - self.started if self.started else 0.0


def _network_namespace(pid: int) -> tuple[str | None, int | None]:
    """The worker's private network namespace, which every process it ever starts inherits.

    Returns its id and an open descriptor on it: while the descriptor is open the namespace
    lives on, so its id cannot be handed to a concurrent grading's new worker before the sweep.
    """
    try:
        fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None, None
    try:
        namespace = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        os.close(fd)
        return None, None
    if namespace == os.readlink("/proc/self/ns/net"):
        os.close(fd)
        return None, None
    return namespace, fd


def _kill_namespace(namespace: str) -> None:
    """SIGKILL every process left in the worker's network namespace (setsid daemons escape killpg)."""
    for _ in range(10):
        found = False
        for entry in os.listdir("/proc"):
            try:
                if entry.isdigit() and os.readlink(f"/proc/{entry}/ns/net") == namespace:
                    os.kill(int(entry), signal.SIGKILL)
                    found = True
            except OSError:
                continue
        if not found:
            return
        time.sleep(0.01)


def _read_report(payload: bytes) -> dict[str, str]:
    try:
        report = json.loads(payload.decode())
    except (ValueError, RecursionError):
        raise _ProtocolError from None
    if type(report) is not dict or not all(type(k) is str and type(v) is str
                                           for k, v in report.items()):
        raise _ProtocolError
    return {"environment": "on", **{k[:100]: v[:300] for k, v in report.items()}}


def _skip_group(steps: list[Step], results: list[StepResult | None], failed: int) -> None:
    """After a call kills or stalls the worker, the later calls of its group are not run."""
    group = getattr(steps[failed], "group", "")
    if not group:
        return
    reason = f"not run: an earlier call of this function failed ({results[failed].error})"[:300]
    for index in range(failed + 1, len(steps)):
        if getattr(steps[index], "group", "") == group and results[index] is None:
            results[index] = StepResult(steps[index].label, False, error=reason)


def run_steps(steps: Sequence[Exec | Call | Fetch],
              limits: Limits = DEFAULT_LIMITS) -> tuple[list[StepResult], dict[str, str]]:
    """Run the steps in a locked-down worker; one result per step, plus the isolation report."""
    steps = list(steps)
    if not all(isinstance(step, (Exec, Call, Fetch)) for step in steps):
        raise TypeError("steps must be Exec, Call or Fetch")
    results: list[StepResult | None] = [None] * len(steps)
    report: dict[str, str] | None = None
    deadline = time.monotonic() + limits.total_seconds
    output_left, results_left = [limits.output_bytes], [limits.results_bytes]
    first = 0
    while first < len(steps) and time.monotonic() < deadline:
        pending = [i for i in range(first, len(steps)) if results[i] is None]
        if not pending:
            break
        replays = [i for i in range(first) if isinstance(steps[i], Exec) and results[i].ok]
        indices = replays + pending
        outcome = _Session([steps[i] for i in indices], limits, deadline, output_left,
                           results_left).run()
        report = report or outcome.report
        for position, result in outcome.results.items():
            if position >= len(replays):
                results[indices[position]] = result
        if outcome.failed_at is None:
            break
        if outcome.report is None or outcome.failed_at < len(replays):
            reason = outcome.failure if outcome.report is None else (
                "not run: after a crash, re-running the earlier code failed: " + outcome.failure)
            for index in range(first, len(steps)):
                results[index] = results[index] or StepResult(steps[index].label, False,
                                                              error=reason[:300])
            break
        failed = indices[outcome.failed_at]
        results[failed] = StepResult(steps[failed].label, False, error=outcome.failure,
                                     seconds=outcome.seconds, output=outcome.output)
        _skip_group(steps, results, failed)
        first = failed + 1
    final = [result or StepResult(step.label, False, error=_NOT_RUN)
             for step, result in zip(steps, results)]
    return final, report or {"worker": "off: no worker was started"}


@lru_cache(maxsize=8)
def _cached_report(settings: tuple[str | None, ...]) -> tuple[tuple[str, str], ...]:
    outcome = _Session([], DEFAULT_LIMITS, time.monotonic() + 30.0, [0]).run()
    return tuple((outcome.report or {"worker": f"off: {outcome.failure}"}).items())


def isolation_report() -> dict[str, str]:
    """Which isolation layers this machine provides: layer -> "on" / "off: <why>" (cached)."""
    return dict(_cached_report(tuple(os.environ.get(name) for name in zygote.SETTINGS)))
