"""The local pool of grading processes, ready before the first submission arrives.

The processes fork from a fork server that has imported the grader (`PRELOAD`), so a new pool,
after a crash, starts in milliseconds. `warm_up` starts that server at once, before the batch's
main process imports nbgrader (0.7 s), so the two overlap. Each grading process dies with the
batch, leaves Ctrl-C to it, uses one BLAS thread, and starts its worker template
(`sandbox.zygote`) as soon as it exists.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor

import threadpoolctl

from autograder.sandbox import zygote

#: Imported once by the fork server, so every pool worker starts with the grader loaded.
PRELOAD = ["autograder.startup", "autograder.batch.grader", "autograder.grading",
           "autograder.quiz.grade", "autograder.results"]
_PR_SET_PDEATHSIG = 1


def _context():
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def warm_up() -> None:
    """Start the fork server now (it imports `PRELOAD` while the caller goes on)."""
    from multiprocessing import forkserver

    _context()
    forkserver.ensure_running()


def pool(workers: int) -> ProcessPoolExecutor:
    """`workers` grading processes, with the grader's settings of this moment (the fork server
    may have started before ``--require-isolation`` set them)."""
    settings = {name: os.environ.get(name) for name in zygote.SETTINGS}
    return ProcessPoolExecutor(workers, mp_context=_context(), initializer=prepare_worker,
                               initargs=(settings,))


def prepare_worker(settings: dict[str, str | None]) -> None:
    """Pool initializer: die with the batch (a killed batch leaves no orphans), leave Ctrl-C to
    it, use one BLAS thread (N grading processes on N cores: more threads only thrash), and
    start the worker template (`sandbox.zygote`) while the first job is on its way."""
    for name, value in settings.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
    threadpoolctl.threadpool_limits(1)
    zygote.prestart()
