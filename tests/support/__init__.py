"""Helpers the tests share (not tests themselves): ``grading`` (submissions and the CLI),
``feedback`` (a graded course and chromium), ``stats`` (a graded course for the statistics),
``sandbox_levels`` (hosts with fewer isolation layers)."""

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
