"""Which submissions a round holds and where their results go; nothing here grades.

A submission is graded when its ``results.json`` exists and is newer than every file of the
submission, so a second run (after an interruption, or when a few students resubmit) grades only
what is new. Files are written atomically (temp file + ``os.replace``): a batch killed at any
moment leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

RESULTS = "results.json"
#: The student's notebook is copied to autograded/ for formgrader and generate_feedback up to this size.
MAX_NOTEBOOK_BYTES = 20 * 2**20


@dataclass(frozen=True)
class Job:
    """One student's submission of one assignment, and what grading it needs."""

    student: str
    assignment: str
    submission: Path  # submitted/<student>/<assignment>/
    results: Path  # autograded/<student>/<assignment>/results.json
    course_root: Path
    is_quiz: bool
    points: dict[str, float]  # graded name -> max score (for a row when the grader fails)


def students(submitted: Path, assignment: str) -> list[str]:
    """Students with a folder ``submitted/<student>/<assignment>/``, sorted."""
    if not submitted.is_dir():
        return []
    return sorted(
        entry.name
        for entry in submitted.iterdir()
        if not entry.name.startswith(".") and (entry / assignment).is_dir()
    )


def newest_mtime(folder: Path) -> int:
    """The latest modification time (ns) of the folder and anything in it; links are not followed."""
    newest = folder.lstat().st_mtime_ns
    for parent, dirs, files in os.walk(folder):
        for name in (*dirs, *files):
            newest = max(newest, os.lstat(os.path.join(parent, name)).st_mtime_ns)
    return newest


def is_graded(job: Job) -> bool:
    try:
        return job.results.stat().st_mtime_ns > newest_mtime(job.submission)
    except OSError:
        return False


def read_results(path: Path) -> dict | None:
    """A results.json written by us, or None when missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("tests"), list) else None


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_results(job: Job, results: dict) -> None:
    write_atomically(
        job.results, (json.dumps(results, indent=2, ensure_ascii=False) + "\n").encode()
    )


def copy_notebook(job: Job) -> None:
    """Put the student's notebook beside results.json, as ``nbgrader autograde`` does.

    Only a readable notebook in a regular file (never a symbolic link, which could point at the gradebook or the
    instructor's source) of a sane size is copied; formgrader shows it with our grades.
    """
    source = job.submission / f"{job.assignment}.ipynb"
    try:
        handle = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return
    with os.fdopen(handle, "rb") as file:
        status = os.fstat(file.fileno())
        if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_NOTEBOOK_BYTES:
            return
        data = file.read(MAX_NOTEBOOK_BYTES + 1)
    copy = job.results.parent / source.name
    if _is_notebook(data):
        write_atomically(copy, data)
    else:  # nbgrader generate_feedback would stop at it; the student's results.json says why
        copy.unlink(missing_ok=True)


def _is_notebook(data: bytes) -> bool:
    try:
        notebook = json.loads(data)
    except ValueError:
        return False
    return isinstance(notebook, dict) and isinstance(notebook.get("cells"), list)
