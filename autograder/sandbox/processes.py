"""The worker's process, seen from the grader: its start, its scratch dir, its end, and what its
exit status says.

A worker is forked by a zygote (`ForkedWorker`) or, where none starts, spawned as a process of
its own (`SpawnedWorker`). Ending one SIGKILLs its whole process group, reaps it (a zombie
leader keeps the group id ours until then), and sweeps its network namespace, which every
process it ever started inherits, setsid daemons included.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time

from autograder.sandbox import zygote
from autograder.sandbox.limits import Limits

_CRASH_SIGNALS = {signal.SIGSEGV: "a segmentation fault", signal.SIGBUS: "a bus error",
                  signal.SIGABRT: "an abort"}
#: Sweeps of a network namespace, and the pause between two: a process forking as it is
#: killed leaves a child for the next sweep.
_SWEEPS = 10
_SWEEP_PAUSE_SECONDS = 0.01


class _Worker:
    """What both kinds of worker share: its network namespace, kept until it is swept."""

    pid: int

    def __init__(self) -> None:
        self.namespace: str | None = None
        self.namespace_fd: int | None = None  # keeps the namespace (and its id) alive until swept

    def keep_namespace(self) -> None:
        """Hold on to the worker's own network namespace (its report says network is on)."""
        self.namespace, self.namespace_fd = _network_namespace(self.pid)

    def end(self, grace: bool) -> int:
        """SIGKILL the whole process group, reap, sweep the namespace; the worker's returncode."""
        returncode = self._end(grace)
        if self.namespace:
            _kill_namespace(self.namespace)
        if self.namespace_fd is not None:
            os.close(self.namespace_fd)
            self.namespace_fd = None
        return returncode

    def _end(self, grace: bool) -> int:
        raise NotImplementedError


class SpawnedWorker(_Worker):
    """A worker started as a new process (no zygote on this host, or it failed)."""

    def __init__(self, fds: tuple[int, int, int], scratch: str):
        super().__init__()
        progress_w, output_w, plan_fd = fds
        self.process = subprocess.Popen(
            zygote.worker_command(progress_w, plan_fd), stdin=subprocess.DEVNULL, stdout=output_w,
            stderr=output_w, pass_fds=(progress_w, plan_fd), cwd=scratch,
            env=zygote.environment(scratch), start_new_session=True)
        self.pid = self.process.pid

    def _end(self, grace: bool) -> int:
        self.process.returncode = zygote.end_process(self.pid, grace)
        return self.process.returncode


class ForkedWorker(_Worker):
    """A worker forked by a zygote, which reaps it."""

    def __init__(self, fds: tuple[int, int, int], scratch: str, seconds: float):
        """Raises ZygoteError when no zygote starts the worker: the session then starts over
        (new pipes, new scratch dir) without one, as a half-started fork may hold these."""
        super().__init__()
        try:
            self.zygote = zygote.acquire()
        except OSError as exc:
            raise zygote.ZygoteError(f"the zygote could not be started ({exc})") from None
        self.pid = self.zygote.start(fds, scratch, zygote.environment(scratch), seconds)

    def _end(self, grace: bool) -> int:
        try:
            code = self.zygote.end(grace)
        except zygote.ZygoteError:  # it died or hung: the worker is ours to kill (best effort)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            return -signal.SIGKILL
        zygote.release(self.zygote)
        return code


def make_scratch() -> str:
    return tempfile.mkdtemp(prefix="autograder-sandbox-")  # the worker gives it to its own uid


def remove_scratch(scratch: str) -> None:
    """Remove the scratch tree even if the student chmodded it; the worker is dead by now."""
    os.chmod(scratch, 0o700)
    for top, dirs, _ in os.walk(scratch):
        for name in dirs:
            path = os.path.join(top, name)
            if not os.path.islink(path):
                os.chmod(path, 0o700)
    shutil.rmtree(scratch, ignore_errors=True)


def death(returncode: int, limits: Limits) -> str:
    """Why the worker stopped, from its returncode: the sentence for the step it was running."""
    if returncode == -signal.SIGXCPU:
        return f"used up its CPU time limit ({limits.cpu_seconds} s)"
    if returncode == -signal.SIGKILL:
        return "the process was killed (it used up its CPU time or memory)"
    if -returncode in _CRASH_SIGNALS:
        return (f"the process crashed with {_CRASH_SIGNALS[-returncode]} while running this step"
                " (often a runaway recursion or running out of memory)")
    if returncode < 0:
        return (f"the process was killed by {signal.Signals(-returncode).name} "
                "while running this step")
    return "the process exited (os._exit / crash) while running this step"


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
    """SIGKILL every process left in the worker's network namespace (setsid daemons escape
    killpg)."""
    for _ in range(_SWEEPS):
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
        time.sleep(_SWEEP_PAUSE_SECONDS)
