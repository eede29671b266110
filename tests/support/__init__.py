"""Helpers the tests share (not tests themselves; no test module imports another): ``grading``
(submissions, the graded names and the CLI), ``contract`` (CONTRACT's graded names, by hand),
``alternatives`` (right answers written unlike the reference), ``feedback`` (a graded course and
chromium), ``stats`` (a graded course for the statistics), ``batch`` (a released course),
``gradescope`` (the autograder zip, run as Gradescope runs it), ``sandbox_levels`` (hosts with
fewer isolation layers), ``unprivileged`` (the unprivileged test user and its launchers)."""

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path


def built_once(tmp_path_factory, name: str, build: Callable[[Path], None],
               marker: str = "done") -> Path:
    """``shared/name``, built by ``build(folder)`` once per test session: the xdist workers
    share it (the first takes a file lock and builds; the others wait, then find ``marker``)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    shared = tmp_path_factory.getbasetemp().parent if worker else tmp_path_factory.getbasetemp()
    folder = shared / name
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / marker).exists():
            shutil.rmtree(folder, ignore_errors=True)
            build(folder)
            if marker == "done":
                (folder / marker).touch()
    return folder
