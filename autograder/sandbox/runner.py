"""The grader's side: feed the worker its plan, watch it, and read its results back.

The parent never imports student code and never unpickles; everything it reads from the worker is
size-capped and re-validated (`frames`, `wire.decode`). A worker that dies or overruns its time
costs only the step it was running: a fresh worker re-runs the Exec steps that succeeded and
carries on. Starting and ending the worker's process is `processes`'s.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import selectors
import tempfile
import time
from collections.abc import Sequence
from functools import lru_cache

from autograder.sandbox import wire, zygote
from autograder.sandbox.frames import (
    DONE,
    REPORT,
    STARTED,
    FrameReader,
    Payload,
    ProtocolError,
    read_report,
    read_result,
)
from autograder.sandbox.limits import (
    DEFAULT_LIMITS,
    ERROR_CHARS,
    OUTPUT_READ_BYTES,
    OUTPUT_READS,
    PLAN_CAPS,
    REPORT_BYTES,
    REPORT_SESSION_SECONDS,
    GiB,
    Limits,
    MiB,
)
from autograder.sandbox.processes import (
    ForkedWorker,
    SpawnedWorker,
    death,
    make_scratch,
    remove_scratch,
)
from autograder.sandbox.steps import Call, Exec, Fetch, Step, StepResult

_NOT_RUN = "not run: the grading time budget was used up"


def _plan_step(step: Step) -> list:
    if isinstance(step, Exec):
        return ["exec", step.label, step.source]
    if isinstance(step, Call):
        return ["call", step.label, step.function, tuple(step.args), dict(step.kwargs)]
    return ["fetch", step.label, step.name]


def _clipped(error: str) -> str:
    """An error sentence as a result may hold it."""
    return error[:ERROR_CHARS]


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
        self.caps = limits.caps
        self.outcome = _Outcome({}, None)
        self.process: ForkedWorker | SpawnedWorker | None = None
        self.raw = bytearray()  # fd 1 and 2 of the running step, read only if the step dies
        self.started: float | None = None  # when the running step started
        self.step_deadline = 0.0  # when the running step (or the start-up) times out

    def run(self) -> _Outcome:
        zygote.undumpable_grader()
        for forked in (True, False) if zygote.enabled() else (False,):
            scratch = make_scratch()
            try:
                self._run_in(scratch, forked)
                break
            except zygote.ZygoteError:  # raised only before the worker's first frame
                continue
            finally:
                remove_scratch(scratch)
        return self.outcome

    def _run_in(self, scratch: str, forked: bool) -> None:
        plan = {"scratch": scratch, "limits": dataclasses.asdict(self.limits),
                "steps": [_plan_step(step) for step in self.plan]}
        with tempfile.TemporaryFile() as plan_file:
            plan_file.write(wire.encode(plan, PLAN_CAPS))
            plan_file.seek(0)
            progress_r, progress_w = os.pipe()
            output_r, output_w = os.pipe()
            try:
                fds = (progress_w, output_w, plan_file.fileno())
                self.process = (ForkedWorker(fds, scratch, self.limits.startup_seconds) if forked
                                else SpawnedWorker(fds, scratch))
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
            complete = (len(self.outcome.results) == len(self.plan)
                        and self.outcome.report is not None)
            # A worker that stopped early gets a moment to exit by itself: its status says why.
            returncode = self.process.end(grace=stop is None and not complete)
            ended = True
            self._read_output(output_r)
            if not complete:
                self._fail(stop or death(returncode, self.limits))
        finally:
            if not ended:  # the grader itself failed while watching: the worker goes too
                with contextlib.suppress(Exception):
                    self.process.end(grace=False)
            os.close(progress_r)
            os.close(output_r)

    def _watch(self, progress_r: int, output_r: int) -> str | None:
        """Read frames until the plan is done or the worker stops; return why it was stopped."""
        os.set_blocking(progress_r, False)
        os.set_blocking(output_r, False)
        progress = io.FileIO(progress_r, closefd=False)  # readinto: straight into a frame's buffer
        frames = FrameReader(progress, self.caps, self._check_header,
                             lambda kind, position, payload: self._handle_frame(
                                 kind, position, payload, output_r))
        selector = selectors.DefaultSelector()
        selector.register(progress_r, selectors.EVENT_READ)
        selector.register(output_r, selectors.EVENT_READ)
        self.step_deadline = time.monotonic() + self.limits.startup_seconds
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
                        if not frames.receive():
                            return None
                    except ProtocolError as error:
                        detail = f" ({error})" if str(error) else ""
                        return ("the worker sent a malformed message while running this "
                                f"step{detail}")
                    except _TooLarge as error:
                        return str(error)
        return None

    def _check_header(self, kind: bytes, position: int, length: int) -> None:
        """Refuse a frame from its header alone: its kind, its place in the plan, its length."""
        pending = len(self.outcome.results)
        if kind == DONE and position == pending - 1:
            # A second result for the step just done: that step wrote the first one itself.
            del self.outcome.results[position]
            raise ProtocolError("a second result for this step")
        if kind == REPORT:
            valid = self.outcome.report is None and length <= REPORT_BYTES
        elif kind == STARTED:
            valid = position == pending and self.started is None and length == 0
        elif kind == DONE:
            valid = (position == pending and self.started is not None
                     and wire.PREFIX.size <= length <= self.caps.message_bytes)
            if valid and length > self.results_left[0]:
                raise _TooLarge(f"the returned values are too large to grade (this run's results"
                                f" together may take {self.limits.results_bytes // MiB} MiB)")
            if valid:
                self.results_left[0] -= length
        else:
            valid = False
        if not valid:
            raise ProtocolError

    def _handle_frame(self, kind: bytes, position: int, payload: Payload, output_r: int) -> None:
        now = time.monotonic()
        if kind == REPORT:
            self.outcome.report = read_report(payload)
            if self.outcome.report.get("network") == "on":
                self.process.keep_namespace()
        elif kind == STARTED:
            self.started = now
            self.step_deadline = now + self.limits.step_seconds
        else:
            self._read_output(output_r)
            self.outcome.results[position] = self._result(position, payload, now)
            self.started, self.raw = None, bytearray()
            self.step_deadline = now + self.limits.step_seconds

    def _result(self, position: int, payload: Payload, now: float) -> StepResult:
        label, seconds = self.plan[position].label, now - self.started
        try:
            ok, value, error, output = read_result(payload, self.caps)
        except wire.WireError as exc:
            return StepResult(label, False, error=f"the result could not be read back ({exc})",
                              seconds=seconds, output=self._spend(self._raw_text()))
        output = self._spend(output)
        if ok:
            return StepResult(label, True, value, seconds=seconds, output=output)
        error = _clipped(error or "failed")
        if error.startswith("MemoryError"):
            gib = self.limits.memory_bytes / GiB
            error = _clipped(f"ran out of memory (the limit is {gib:g} GiB): {error}")
        return StepResult(label, False, error=error, seconds=seconds, output=output)

    def _read_output(self, output_r: int) -> None:
        """Drain what reached fd 1 and 2, keeping at most `output_bytes` since the last step.

        At most `OUTPUT_READS` reads a call: a worker writing without end (or a process that
        escaped with the pipe) cannot keep the parent from its deadlines.
        """
        for _ in range(OUTPUT_READS):
            try:
                chunk = os.read(output_r, OUTPUT_READ_BYTES)
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

    def _fail(self, reason: str) -> None:
        position = len(self.outcome.results)
        if self.outcome.report is None:
            last_line = self._raw_text().strip().splitlines()[-1:] or [""]
            reason = _clipped(f"the grading worker could not start: {last_line[0]}")
        self.outcome.failed_at, self.outcome.failure = position, reason
        self.outcome.output = self._spend(self._raw_text())
        self.outcome.seconds = time.monotonic() - self.started if self.started else 0.0


def _skip_group(steps: list[Step], results: list[StepResult | None], failed: int) -> None:
    """After a call kills or stalls the worker, the later calls of its group are not run."""
    group = getattr(steps[failed], "group", "")
    if not group:
        return
    reason = _clipped(f"not run: an earlier call of this function failed ({results[failed].error})")
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
                                                              error=_clipped(reason))
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
    outcome = _Session([], DEFAULT_LIMITS, time.monotonic() + REPORT_SESSION_SECONDS, [0]).run()
    return tuple((outcome.report or {"worker": f"off: {outcome.failure}"}).items())


def isolation_report() -> dict[str, str]:
    """Which isolation layers this machine provides: layer -> "on" / "off: <why>" (cached)."""
    return dict(_cached_report(tuple(os.environ.get(name) for name in zygote.SETTINGS)))
