"""A pre-started worker template: one process that has imported NumPy and forks each worker.

Starting Python and importing NumPy costs most of an empty worker session (about 70 ms of CPU
here); a fork of a process that has done it once costs about one. So each grading process keeps
a *zygote*: a process started exactly like a worker (`runner`'s scrubbed environment, undumpable
from its first line, its own session), that imports what every worker imports and then waits.
It holds nothing of the grader's: no course file, no hidden case, no score, only the modules.

For each session the grader sends it, over a private socket pair, the session's descriptors
(progress pipe, output pipe, plan file), its scratch dir and its environment; the zygote forks,
and the child becomes the worker exactly as a freshly started one would (`worker.serve`): new
session, stdin from /dev/null, fd 1 and 2 on the output pipe, then every lockdown layer, which
therefore applies after the fork, per worker, as before. The zygote itself never runs a step.

The zygote stays the worker's parent: it kills the worker's process group and reaps it only
when the grader asks (`end`), so the group id stays the worker's until then, and it passes up
the exit status the grader reads crashes and CPU kills from. A zygote that dies, hangs or
answers nonsense is killed and replaced; the session falls back to starting a worker process.
"""

from __future__ import annotations

import array
import contextlib
import functools
import json
import os
import queue
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

from autograder.sandbox import namespaces
from autograder.sandbox.landlock import ABI_VARIABLE
from autograder.sandbox.policy import REQUIRE_VARIABLE

_ROOT = str(Path(__file__).resolve().parents[2])
#: Undumpable first of all (PR_SET_DUMPABLE = 4): while it starts, a worker of the same uid on a
#: host without namespaces could otherwise open its /proc/<pid>/mem.
_START = ("import ctypes; ctypes.CDLL(None).prctl(4, 0, 0, 0, 0); import sys; "
          f"sys.path.insert(0, {_ROOT!r}); ")
_WORKER_BOOT = _START + "from autograder.sandbox.worker import main; main()"
_ZYGOTE_BOOT = _START + "from autograder.sandbox.zygote import serve; serve(int(sys.argv[1]))"
#: The grader's settings that reach the worker through its otherwise scrubbed environment.
SETTINGS = (ABI_VARIABLE, REQUIRE_VARIABLE)
#: Set to 0 to start every worker as a new process (the fallback path), e.g. to compare both.
ZYGOTE_VARIABLE = "AUTOGRADER_ZYGOTE"
_MESSAGE_BYTES = 1 << 16
_FDS = 3  # progress pipe, output pipe, plan file
_PR_SET_PDEATHSIG = 1
_REPLY_SECONDS = 5.0  # for `end`: the zygote only kills and reaps
_GRACE_SECONDS = 1.0  # a worker that closed its pipe exits by itself within this
_IDLE = 2  # zygotes kept per grading process (one per thread that grades at a time)


def _python(boot: str) -> list[str]:
    # Like `python -I`, but keeping our own (scrubbed) environment so PYTHONHASHSEED applies.
    safe_path = ["-P"] if sys.version_info >= (3, 11) else []
    return [sys.executable, "-s", "-B", *safe_path, "-c", boot]


def worker_command(progress_fd: int, plan_fd: int) -> list[str]:
    """A worker started as a process of its own."""
    return [*_python(_WORKER_BOOT), str(progress_fd), str(plan_fd)]


def environment(scratch: str) -> dict[str, str]:
    """A worker's whole environment: nothing of the grader's but `SETTINGS`."""
    return {
        "PATH": "/usr/bin:/bin", "HOME": scratch, "TMPDIR": scratch, "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg",
        **{name: os.environ[name] for name in SETTINGS if os.environ.get(name)},
    }


@functools.cache
def undumpable_grader() -> None:
    """The grading process becomes undumpable before its first worker or zygote: a worker that
    keeps the grader's uid (no user namespace, no Landlock) may then not open its
    /proc/<pid>/mem or environ, where scores and secrets live."""
    namespaces.set_dumpable(False)


class ZygoteError(Exception):
    """The zygote could not start a worker (dead, hung, or refused): start one directly."""


# --- The zygote's side --------------------------------------------------------------------


def serve(control_fd: int) -> None:
    """The zygote's loop: one request at a time, until the grader closes its end of the socket."""
    import ctypes

    ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # dies with the grading process
    control = socket.socket(fileno=control_fd)
    from autograder.sandbox import worker

    worker.prepare()  # the imports and the look-ups every worker would make
    import gc

    gc.freeze()  # a forked worker's collections then skip (and do not copy) the template's objects
    while True:
        request, fds = _receive(control)
        if request is None:
            os._exit(0)
        request["zygote"] = os.getpid()
        pid = os.fork()
        if pid == 0:
            _become_worker(control, request, fds)
        for fd in fds:
            os.close(fd)
        control.send(json.dumps({"pid": pid}).encode())
        reply, _ = _receive(control)
        code = end_process(pid, bool(reply and reply.get("grace")))
        if reply is None:
            os._exit(0)
        control.send(json.dumps({"returncode": code}).encode())


def _receive(control: socket.socket) -> tuple[dict | None, list[int]]:
    fds = array.array("i")
    data, ancillary, _, _ = control.recvmsg(_MESSAGE_BYTES, socket.CMSG_SPACE(_FDS * fds.itemsize))
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
    return (json.loads(data) if data else None), list(fds)


def _become_worker(control: socket.socket, request: dict, fds: list[int]) -> None:
    """In the forked child: the process a worker's Popen would have made, then the worker."""
    code = 1
    try:
        import ctypes

        # Dies with the zygote: a zygote killed mid-start takes its half-started worker along.
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != request["zygote"]:
            return
        control.close()
        progress_fd, output_fd, plan_fd = fds
        os.setsid()
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        for fd in (null, output_fd):
            if fd > 2:
                os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv[1:] = [str(progress_fd), str(plan_fd)]  # as a worker started on its own has
        if "numpy.random" in sys.modules:  # the zygote never draws, but each worker reseeds
            sys.modules["numpy.random"].seed()
        from autograder.sandbox import worker

        worker.serve(progress_fd, plan_fd)  # ends the process itself
    except BaseException:  # noqa: BLE001 - the grader reads the last line as why
        import traceback

        with contextlib.suppress(BaseException):
            traceback.print_exc()
    finally:
        os._exit(code)


def end_process(pid: int, grace: bool) -> int:
    """SIGKILL the process group of `pid` (after a grace period if asked), reap `pid`, and
    return its status as `subprocess.Popen.returncode` gives it (-N: killed by signal N).

    The caller must be the parent of `pid`: the unreaped child keeps the group id from reuse.
    """
    if grace:
        _await_exit(pid, _GRACE_SECONDS)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _await_exit(pid: int, seconds: float) -> None:
    """Wait until the child `pid` has exited (not reaping it), for at most `seconds`."""
    try:
        handle = os.pidfd_open(pid)
    except (AttributeError, OSError):  # before Linux 5.3: poll waitid
        give_up = time.monotonic() + seconds
        while time.monotonic() < give_up and not os.waitid(
                os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT):
            time.sleep(0.002)
        return
    try:
        select.select([handle], [], [], seconds)
    finally:
        os.close(handle)


# --- The grader's side --------------------------------------------------------------------


class _LastingThread:
    """One daemon thread of this process that zygotes are started from; it lives as long as the
    process does.

    A child's parent-death signal follows the *thread* that started it (prctl(2)): a zygote
    started by a grading pool's thread was killed when that thread ended, taking along a worker
    it had just forked for another thread (which then "could not start", without a report). Not
    a `ThreadPoolExecutor`: Python shuts those down when the main thread ends, while other
    threads may still be grading.
    """

    def __init__(self) -> None:
        self.owner = os.getpid()
        self.requests: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._serve, name="zygote-starter", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            start, future = self.requests.get()
            try:
                future.set_result(start())
            except BaseException as exc:  # noqa: BLE001 - handed to the thread that asked
                future.set_exception(exc)

    def run(self, start: Callable[[], subprocess.Popen]) -> subprocess.Popen:
        future: Future = Future()
        self.requests.put((start, future))
        return future.result()


_starter_lock = threading.Lock()
_starter: _LastingThread | None = None


def _lasting_thread() -> _LastingThread:
    global _starter
    with _starter_lock:
        if _starter is None or _starter.owner != os.getpid():  # a forked child has no such thread
            _starter = _LastingThread()
        return _starter


class Zygote:
    """The grader's handle on one zygote process."""

    def __init__(self):
        undumpable_grader()
        self.owner = os.getpid()
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.process = _lasting_thread().run(functools.partial(
                subprocess.Popen, [*_python(_ZYGOTE_BOOT), str(theirs.fileno())],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),), cwd="/", env=environment("/nonexistent"),
                start_new_session=True))
        except RuntimeError as exc:  # no thread can be started (interpreter shutting down, ...)
            self.control.close()
            raise OSError(f"no thread to start the zygote from ({exc})") from None
        except BaseException:
            self.control.close()
            raise
        finally:
            theirs.close()
        self.busy = False

    @property
    def alive(self) -> bool:
        return self.owner == os.getpid() and self.process.poll() is None and not self.busy

    def start(self, fds: tuple[int, int, int], cwd: str, environment: dict[str, str],
              seconds: float) -> int:
        """Fork a worker on these descriptors; its pid. The first call also waits for the
        zygote's imports (at most `seconds`)."""
        self.busy = True
        request = json.dumps({"cwd": cwd, "env": environment}).encode()
        self._call(lambda: self.control.sendmsg(
            [request], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))]))
        return self._reply("pid", seconds)

    def end(self, grace: bool) -> int:
        """Kill the worker's process group and reap it; its returncode."""
        self._call(lambda: self.control.send(json.dumps({"grace": grace}).encode()))
        code = self._reply("returncode", _REPLY_SECONDS + (_GRACE_SECONDS if grace else 0.0))
        self.busy = False
        return code

    def _call(self, send) -> None:
        try:
            send()
        except OSError as exc:
            self.close()
            raise ZygoteError(f"the zygote is gone ({exc})") from None

    def _reply(self, key: str, seconds: float) -> int:
        ready, _, _ = select.select([self.control], [], [], seconds)
        try:
            data = self.control.recv(_MESSAGE_BYTES) if ready else b""
            value = json.loads(data)[key] if data else None
        except (OSError, ValueError, TypeError, KeyError):
            value = None
        if type(value) is not int:
            self.close()
            raise ZygoteError("the zygote did not answer" if not ready else "the zygote is gone")
        return value

    def close(self) -> None:
        """Kill the zygote and reap it (a worker it forked is then the session's to kill)."""
        self.busy = True
        self.control.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


_lock = threading.Lock()
_idle: list[Zygote] = []


def enabled() -> bool:
    return os.environ.get(ZYGOTE_VARIABLE, "1") != "0" and sys.platform.startswith("linux")


def acquire() -> Zygote:
    """An idle zygote of this process, or a new one (raises OSError if it cannot be started)."""
    with _lock:
        while _idle:
            zygote = _idle.pop()
            if zygote.alive:
                return zygote
            if zygote.owner == os.getpid():
                zygote.close()
    return Zygote()


def release(zygote: Zygote) -> None:
    """Keep a zygote that finished its session cleanly for the next one."""
    with _lock:
        if zygote.alive and len(_idle) < _IDLE:
            _idle.append(zygote)
            return
    if zygote.owner == os.getpid() and zygote.process.poll() is None:
        zygote.close()


def prestart() -> None:
    """Start this process's zygote now, so its imports overlap the caller's own work."""
    if not enabled():
        return
    with contextlib.suppress(OSError):
        release(acquire())
