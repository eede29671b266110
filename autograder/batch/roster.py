"""Which submissions a round holds and where their results go; nothing here grades.

A submission is graded when its ``results.json`` exists and is newer than every file of the
submission, so a second run (after an interruption, or when a few students resubmit) grades only
what is new. Files are written atomically (temp file + ``os.replace``): a batch killed at any
moment leaves either the old file or the new one, never half of one.

Everything under ``submitted/<student>/`` came from a student and is read as hostile bytes
(:mod:`autograder.safe_files`): no link is followed, only regular files are read, reads are
bounded. A student folder that is a link is skipped with a warning (what it holds cannot be
looked at without following it); a ``submitted/<student>/<id>`` that is a link, a FIFO, ... is
listed, and grading gives it 0 with a message, so every real student gets a row.

The notebook copied to ``autograded/`` for formgrader and ``nbgrader generate_feedback`` is
rebuilt from the student's cells, not copied: formgrader renders it in the instructor's Jupyter
origin, where a stored ``<script>`` would run with the instructor's rights. The copy keeps no
outputs, attachments or raw cell text; markdown shows as its text (HTML and link brackets as
entities, so no script, image or ``javascript:`` link); notebook metadata is the source
notebook's kernel and language; a cell keeps nbgrader metadata only when the instructor's source
notebook has its grade_id, and then the source's (no forged points, no student-made grade cells).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from autograder import course, results, safe_files, untrusted
from autograder.submission import MAX_DEPTH, MAX_ENTRIES, Notebook, SubmissionError, read_notebook

RESULTS = "results.json"
#: nbgrader collect writes one line: ``2025-03-01 09:30:00.000000 UTC``.
MAX_TIMESTAMP_BYTES = 256
_CELL_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # nbformat 4.5; also safe in an HTML attribute
log = logging.getLogger(__name__)


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
    fresh: bool = False  # fresh hidden cases, not the student's seed from the course secret


def students(submitted: Path, assignment: str) -> list[str]:
    """Students with an entry ``submitted/<student>/<assignment>`` (a folder, or else), sorted.

    Student folders that are links are skipped with a warning; an ``<assignment>`` entry that is
    not a folder is listed (its grading says what is wrong).
    """
    if not submitted.is_dir():
        return []
    found = []
    with os.scandir(submitted) as entries:
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_symlink():
                log.warning("skipped %s: it is a link, and links are not followed",
                            safe_files.shown(entry.path))
            elif entry.is_dir(follow_symlinks=False) and os.path.lexists(
                os.path.join(entry.path, assignment)
            ):
                found.append(entry.name)
    return sorted(found)


def newest_mtime(folder: Path) -> int:
    """The latest modification time (ns) of the folder and anything in it; links are not followed.

    A folder holding more than MAX_ENTRIES entries counts as changed now (it is graded again on
    every run, which costs little: grading looks at the same number of entries).
    """
    try:
        fd, status = safe_files.open_path(folder)
    except safe_files.Refused:  # a link, FIFO, ...: its own time
        return folder.lstat().st_mtime_ns
    try:
        if not stat.S_ISDIR(status.st_mode):
            return status.st_mtime_ns
        entries = safe_files.scan(fd, MAX_ENTRIES, MAX_DEPTH)
    except safe_files.TooManyEntries:
        return time.time_ns()
    finally:
        os.close(fd)
    return max([status.st_mtime_ns, *(entry.mtime_ns for entry in entries)])


def is_graded(job: Job) -> bool:
    try:
        return job.results.stat().st_mtime_ns > newest_mtime(job.submission)
    except OSError:
        return False


def read_timestamp(folder: Path) -> str | None:
    """The submission time nbgrader's collect wrote in ``folder/timestamp.txt``, if it parses.

    Read like any file of a submission: neither the folder nor the file through a link, a
    regular file only, at most MAX_TIMESTAMP_BYTES.
    """
    from nbgrader.utils import parse_utc

    try:
        file, status = safe_files.open_in(folder, "timestamp.txt")
        try:
            if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_TIMESTAMP_BYTES:
                return None
            text = safe_files.read_at_most(file, MAX_TIMESTAMP_BYTES).decode("utf-8").strip()
        finally:
            os.close(file)
        parse_utc(text)
    except (safe_files.Refused, safe_files.TooLarge, OSError, ValueError, TypeError, OverflowError):
        return None
    return text or None


def read_results(path: Path) -> dict | None:
    """A results.json written by us, or None when missing or unreadable (`results.read_results`:
    no link, a regular file, bounded)."""
    try:
        return results.read_results(path)
    except results.Unreadable:
        return None


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
    from autograder.results import to_json

    write_atomically(job.results, to_json(results))


def copy_notebook(job: Job) -> None:
    """Put a safe copy of the student's notebook beside results.json, as nbgrader autograde does."""
    write_copy(job, notebook_copy(job))


def notebook_copy(job: Job) -> bytes | None:
    """The bytes of the safe copy of the student's notebook (see `copy_notebook`), or None.

    The copy is rebuilt from the cells (see the module's docstring); a notebook that cannot be
    read safely (a link, not a notebook, too big) gets no copy, and its results.json says why.
    Built in the grading process; only the main process writes it (`write_copy`).
    """
    try:
        notebook = read_notebook(job.submission, f"{job.assignment}.ipynb")
    except SubmissionError:  # nbgrader generate_feedback would stop at it
        return None
    source = _source_cells(course.source_notebook(job.course_root, job.assignment))
    text = json.dumps(_safe_copy(notebook, source, job.assignment), indent=1, ensure_ascii=False)
    return (text + "\n").encode("utf-8", "replace")  # a lone surrogate: "?"


def write_copy(job: Job, data: bytes | None) -> None:
    """Write the notebook copy beside results.json; None removes an older one."""
    copy = job.results.parent / f"{job.assignment}.ipynb"
    if data is None:
        copy.unlink(missing_ok=True)
    else:
        write_atomically(copy, data)


def _safe_copy(notebook: Notebook, source: _Source, assignment: str) -> dict:
    """An nbformat 4.5 notebook of the student's cells that formgrader can render harmlessly."""
    last = {cell.grade_id: index for index, cell in enumerate(notebook.cells) if cell.grade_id}
    cells, ids = [], set()
    for index, cell in enumerate(notebook.cells):
        instructor = source.cells.get(cell.grade_id) if last.get(cell.grade_id) == index else None
        keep = instructor is not None and instructor[0] == cell.cell_type
        copied = {"cell_type": cell.cell_type, "id": _unique_id(cell.cell_id, index, ids),
                  "metadata": {"nbgrader": instructor[1]} if keep else {}}
        text = instructor[2] if keep and instructor[1].get("locked") else cell.source
        if cell.cell_type == "code":  # a locked cell shows the instructor's text, as in nbgrader
            copied |= {"execution_count": None, "outputs": [], "source": text}
        elif cell.cell_type == "markdown":
            copied["source"] = untrusted.markdown_text(text)
        else:  # raw: nbconvert passes its text into the HTML untouched
            copied["source"] = ""
        cells.append(copied)
    metadata = {**source.metadata, "autograder": {"assignment": assignment}}
    return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}


def _unique_id(cell_id: str | None, index: int, ids: set[str]) -> str:
    """The cell's id if nbformat allows it and it is new, else a new one; added to ``ids``."""
    base = cell_id if cell_id and _CELL_ID.fullmatch(cell_id) else f"cell-{index}"
    unique, count = base, 0
    while unique in ids:
        count += 1
        unique = f"{base[:48]}-{count}"
    ids.add(unique)
    return unique


def _no_hidden_tests(text: str) -> str:
    """A locked cell's text without nbgrader's hidden tests (the copy goes back to students)."""
    kept, hidden = [], False
    for line in text.splitlines(keepends=True):
        marker = line.strip()
        if marker in ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"):
            hidden = marker.startswith("### BEGIN")
        elif not hidden:
            kept.append(line)
    return "".join(kept)


@dataclass(frozen=True)
class _Source:
    cells: dict[str, tuple[str, dict, str]]  # grade_id -> (cell type, nbgrader metadata, text)
    metadata: dict  # kernelspec and language_info


def _source_cells(path: Path) -> _Source:
    try:
        status = path.stat()
    except OSError:
        return _Source({}, {})
    return _read_source(path, status.st_mtime_ns, status.st_size)


@functools.lru_cache(maxsize=8)
def _read_source(path: Path, mtime_ns: int, size: int) -> _Source:
    """The instructor's source notebook (trusted), read once per version of the file."""
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return _Source({}, {})
    cells = {}
    for cell in notebook.get("cells", []):
        nbgrader = cell.get("metadata", {}).get("nbgrader")
        if isinstance(nbgrader, dict) and isinstance(nbgrader.get("grade_id"), str):
            text = cell.get("source", "")
            text = "".join(text) if isinstance(text, list) else str(text)
            cells[nbgrader["grade_id"]] = (cell.get("cell_type"), nbgrader, _no_hidden_tests(text))
    metadata = {key: notebook["metadata"][key] for key in ("kernelspec", "language_info")
                if key in notebook.get("metadata", {})}
    return _Source(cells, metadata)
