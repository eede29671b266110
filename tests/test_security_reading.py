"""Reading a submission as hostile bytes: the grading process (root, outside every sandbox layer)
never follows a link, reads only regular files, reads a bounded amount, and scans a bounded
number of entries; the notebook copied for formgrader carries nothing that could run there.

Every hostile input is built here in a temporary folder: links at every level, FIFOs, sockets,
devices, sparse files, hostile names, huge folders and notebooks, stored scripts.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import stat
import time
import tracemalloc
from pathlib import Path

import nbformat
import pytest
from support.gradescope import VENV_BIN, build, results_of, run_autograder, unpack
from support.grading import (
    COURSE,
    OPTIMIZATION_NAMES,
    cell_of,
    clone,
    read_results,
    run_cli,
    source_notebook,
    write_notebook,
)

from autograder import grading, safe_files, submission
from autograder.batch import roster
from autograder.submission import MAX_ENTRIES, SubmissionError, load

SOURCE = COURSE / "source" / "optimization" / "optimization.ipynb"
#: A line of the instructor's solution that a student's results must never quote.
SOLUTION_LINE = "### BEGIN SOLUTION"
GIB = 2**30


@pytest.fixture(scope="module")
def completed():
    """The instructor's completed notebook, as a student would submit it."""
    return source_notebook("optimization")


def refused(path: Path, *words: str) -> str:
    """Grade ``path``: every name gets 0 and the same message, which holds ``words``."""
    started = time.monotonic()
    report = grading.grade(path, "optimization", seed=1)
    assert time.monotonic() - started < 5
    assert report.score == 0 and [r.name for r in report.results] == OPTIMIZATION_NAMES
    message = report.results[0].output
    assert all(result.output == message for result in report.results)
    assert all(word in message for word in words), message
    assert SOLUTION_LINE not in message
    return message


def grade_cli(path: Path, tmp_path: Path, timeout: float = 60) -> dict:
    out = tmp_path / "results.json"
    process = run_cli("grade", str(path), "--assignment", "optimization", "--results", str(out),
                      "-q", timeout=timeout)
    assert process.returncode == 0, process.stderr
    return read_results(out)


# ---------------------------------------------------------------------------------------------
# Links, at every level: never followed, the target's content and points never show


def test_a_notebook_linked_to_the_instructors_source_scores_zero_not_fifteen(tmp_path):
    link = tmp_path / "optimization.ipynb"
    link.symlink_to(SOURCE)
    results = grade_cli(link, tmp_path)
    assert results["score"] == 0
    assert "optimization.ipynb is a link: submit the file itself" in results["tests"][0]["output"]
    assert SOLUTION_LINE not in json.dumps(results)


def test_a_submission_folder_that_is_a_link_is_refused(tmp_path):
    (tmp_path / "submitted" / "mallory").mkdir(parents=True)
    folder = tmp_path / "submitted" / "mallory" / "optimization"
    folder.symlink_to(SOURCE.parent, target_is_directory=True)
    refused(folder, "optimization is a link")


def test_a_linked_notebook_inside_the_folder_is_refused(tmp_path):
    folder = tmp_path / "optimization"
    folder.mkdir()
    (folder / "optimization.ipynb").symlink_to(SOURCE)
    refused(folder, "optimization.ipynb is a link")


def test_a_linked_folder_inside_the_submission_is_never_entered(tmp_path):
    folder = tmp_path / "submission"
    (folder / "repo").mkdir(parents=True)
    (folder / "repo" / "notebooks").symlink_to(SOURCE.parent, target_is_directory=True)
    (folder / "elsewhere").symlink_to(COURSE.parent / "reference", target_is_directory=True)
    refused(folder, "holds no notebook", "is a link: links are not followed")


def test_a_link_in_the_middle_of_a_path_is_refused_when_opened(tmp_path):
    (tmp_path / "repo").symlink_to(SOURCE.parent, target_is_directory=True)
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with pytest.raises(safe_files.Refused, match="repo is a link"):
            safe_files.open_inside(fd, ("repo", "optimization.ipynb"))
    finally:
        os.close(fd)


def test_a_notebook_reached_through_links_is_refused_even_when_named_exactly(tmp_path):
    """A link named like the assignment wins the pick and is refused, never read."""
    folder = tmp_path / "optimization"
    folder.mkdir()
    (folder / "optimization.ipynb").symlink_to("/dev/zero")
    (folder / "mine.ipynb").write_text("{}")
    refused(folder, "optimization.ipynb is a link")


# ---------------------------------------------------------------------------------------------
# Files that are not regular files: refused at once, never opened for reading


def test_a_fifo_given_on_the_command_line_gets_zero_at_once(tmp_path):
    fifo = tmp_path / "optimization.ipynb"
    os.mkfifo(fifo)
    started = time.monotonic()
    results = grade_cli(fifo, tmp_path, timeout=20)
    assert time.monotonic() - started < 5
    assert results["score"] == 0 and "is a named pipe (FIFO)" in results["tests"][0]["output"]


def test_a_fifo_in_a_folder_gets_zero_at_once(tmp_path):
    os.mkfifo(tmp_path / "optimization.ipynb")
    refused(tmp_path, "optimization.ipynb is a named pipe")


def test_a_fifo_that_would_be_the_only_notebook_gets_zero_at_once(tmp_path):
    os.mkfifo(tmp_path / "answers.ipynb")
    refused(tmp_path, "answers.ipynb is a named pipe")


def test_a_socket_gets_zero(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # AF_UNIX paths are short: bind a relative name
    with socket.socket(socket.AF_UNIX) as server:
        server.bind("optimization.ipynb")
        refused(tmp_path / "optimization.ipynb", "is a socket")


def test_a_device_gets_zero_and_is_never_read(tmp_path):
    refused(Path("/dev/zero"), "zero is a device")
    device = tmp_path / "optimization.ipynb"
    try:
        os.mknod(device, stat.S_IFCHR | 0o600, os.makedev(1, 5))  # /dev/zero's numbers
    except PermissionError:
        pytest.skip("mknod needs root (CAP_MKNOD)")
    refused(device, "optimization.ipynb is a device")
    refused(tmp_path, "optimization.ipynb is a device")


# ---------------------------------------------------------------------------------------------
# Sizes: checked before reading, reads bounded


def bytes_read() -> int:
    """Bytes this process has read so far (by any means: os.read, io, mmap faults excepted)."""
    io = Path("/proc/self/io")
    if not io.exists():
        pytest.skip("needs Linux's /proc/self/io")
    return int(io.read_text().split("rchar:")[1].split()[0])


def test_a_one_gib_sparse_notebook_is_refused_without_being_read(tmp_path):
    path = tmp_path / "optimization.ipynb"
    with path.open("wb") as file:
        file.truncate(GIB)
    before = bytes_read()
    refused(path, "1024 MB, over the 256 MB limit", "clear all outputs")
    assert bytes_read() - before < 2**20  # the instructor's points notebook, not the 1 GiB


def test_a_read_never_goes_past_its_limit_whatever_the_file_says():
    limit = 3 * 2**20 + 7
    fd = os.open("/dev/zero", os.O_RDONLY)  # fstat says 0 bytes; it never ends
    try:
        before = bytes_read()
        with pytest.raises(safe_files.TooLarge):
            safe_files.read_at_most(fd, limit)
        assert limit < bytes_read() - before <= limit + 4096  # + reading /proc/self/io
        reader, before = safe_files.BoundedReader(fd, limit), bytes_read()
        with pytest.raises(safe_files.TooLarge):
            while reader.read(65536):
                pass
        assert limit < bytes_read() - before <= limit + 4096  # + reading /proc/self/io
    finally:
        os.close(fd)


def _outputs_notebook(notebook, megabytes: int) -> dict:
    """``notebook`` with about ``megabytes`` MB of stored plots and logs spread over its cells."""
    edited = clone(notebook)
    code = [cell for cell in edited.cells if cell.cell_type == "code"]
    picture = "iVBORw0KGgo" * (2**20 // 11)  # ~1 MB of base64, one string, as Jupyter stores a PNG
    log_lines = [f"epoch {i}: cost 0.{i:06d}\n" for i in range(40_000)]  # ~1 MB of short lines
    for index in range(megabytes // 2):
        code[index % len(code)].outputs += [
            {"output_type": "display_data", "metadata": {},
             "data": {"image/png": picture, "text/plain": ["<Figure>"]}},
            {"output_type": "stream", "name": "stdout", "text": log_lines},
        ]
    return edited


def test_a_60_mb_notebook_of_outputs_around_a_solution_gets_full_marks(completed, tmp_path):
    path = tmp_path / "optimization.ipynb"
    path.write_text(json.dumps(_outputs_notebook(completed, 60)))
    assert path.stat().st_size > 60 * 10**6
    tracemalloc.start()
    try:
        cells = load(path, "optimization").cells
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20  # the outputs were never kept: about one picture at a time
    assert len(cells) == sum(cell.cell_type == "code" for cell in completed.cells)
    report = grading.grade(path, "optimization", seed=2)
    assert report.score == report.max_score == 15


@pytest.mark.parametrize(("limit", "value", "notebook", "words"), [
    ("MAX_VALUE_BYTES", 2**20, {"cells": [], "pad": "x" * (3 * 2**20)}, "one value"),
    ("MAX_JSON_VALUES", 1000, {"cells": [], "pad": [0] * 2000}, "more than 1,000 JSON values"),
    ("MAX_CELLS", 10, {"cells": [{}] * 11}, "more than 10 cells"),
    ("MAX_CODE_BYTES", 1000, {"cells": [{"cell_type": "code", "source": "x = 1\n" * 200}]},
     "code cells of optimization.ipynb hold"),
])
def test_each_notebook_limit_gives_its_message(tmp_path, monkeypatch, limit, value, notebook,
                                              words):
    monkeypatch.setattr(submission, limit, value)
    path = tmp_path / "optimization.ipynb"
    path.write_text(json.dumps({**notebook, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    with pytest.raises(SubmissionError, match=words):
        load(path, "optimization")
    monkeypatch.setattr(submission, limit, 10 * value)
    assert load(path, "optimization").kind == "notebook"


def test_a_folder_of_100000_entries_gets_a_message_in_bounded_time(tmp_path):
    folder = tmp_path / "flood"
    folder.mkdir()
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:  # hard links: entries like any file, made several times faster than files
        for index in range(100_000):
            if index % 50_000 == 0:  # ext4 allows 65,000 links to one file
                first = f"f{index}"
                os.close(os.open(first, os.O_CREAT | os.O_WRONLY, 0o600, dir_fd=fd))
            else:
                os.link(first, f"f{index}", src_dir_fd=fd, dst_dir_fd=fd)
    finally:
        os.close(fd)
    started = time.monotonic()
    message = refused(folder, f"more than {MAX_ENTRIES:,} files and folders")
    assert time.monotonic() - started < 2, message  # MAX_ENTRIES looked at, not 100,000
    started = time.monotonic()
    assert roster.newest_mtime(folder) >= time.time_ns() - 10**9  # too many to look at: "changed"
    assert time.monotonic() - started < 2

    write_notebook(source_notebook("optimization"), folder / "optimization.ipynb")
    assert load(folder, "optimization").path == folder / "optimization.ipynb"  # named: no scan


# ---------------------------------------------------------------------------------------------
# Picking the notebook in a folder, at any depth, whatever the names


def test_a_notebook_deep_in_a_repository_is_picked_by_name_the_shallowest_first(tmp_path):
    for where in ("repo/week2/optimization.ipynb", "repo/week2/old/optimization.ipynb",
                  "repo/.ipynb_checkpoints/optimization.ipynb", "repo/scratch.ipynb"):
        write_notebook(nbformat.v4.new_notebook(), tmp_path / where)
    assert load(tmp_path, "optimization").path == tmp_path / "repo/week2/optimization.ipynb"


def test_a_notebook_tagged_with_the_assignment_is_picked_among_others(tmp_path):
    tags = {"a.ipynb": "initialization", "b.ipynb": "optimization", "c.ipynb": None}
    for name, tag in tags.items():
        notebook = nbformat.v4.new_notebook()
        if tag:
            notebook.metadata["autograder"] = {"assignment": tag}
        write_notebook(notebook, tmp_path / "work" / name)
    assert load(tmp_path, "optimization").path == tmp_path / "work" / "b.ipynb"


def test_checkpoints_and_dot_files_are_never_picked(tmp_path):
    for where in (".ipynb_checkpoints/x-checkpoint.ipynb", "__MACOSX/._mine.ipynb", ".x.ipynb"):
        write_notebook(nbformat.v4.new_notebook(), tmp_path / where)
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "mine.py").write_text("x = 1\n")
    assert load(tmp_path, "optimization").path == tmp_path / "repo" / "mine.py"


def test_names_with_newlines_controls_and_undecodable_bytes_are_shown_safely(tmp_path):
    folder = tmp_path / "submission"
    folder.mkdir()
    hostile = ["opti\nmization.ipynb", "red\x1b[31m\u202e.ipynb"]
    for name in hostile:
        (folder / name).write_text("{}")
    os.close(os.open(os.fsencode(folder) + b"/caf\xe9.ipynb", os.O_CREAT | os.O_WRONLY, 0o600))
    with pytest.raises(SubmissionError) as error:
        load(folder, "optimization")
    message = str(error.value)
    assert "several notebooks" in message
    assert message.isprintable() and message.encode("utf-8")  # no control, bidi or lone surrogate
    for escaped in ("'opti\\nmization.ipynb'", "\\x1b[31m\\u202e", "\\udce9"):
        assert escaped in message


def test_the_only_notebook_is_graded_whatever_its_name(completed, tmp_path):
    folder = tmp_path / "submission" / "my repo\n"
    write_notebook(clone(completed), folder / "final\x07 version\n.ipynb")
    report = grading.grade(tmp_path / "submission", "optimization", seed=3)
    assert report.score == report.max_score == 15


# ---------------------------------------------------------------------------------------------
# Gradescope: the whole submission folder goes to `autograder grade`


@pytest.fixture(scope="module")
def gradescope_bundle(tmp_path_factory) -> Path:
    return build("optimization", tmp_path_factory.mktemp("zip") / "autograder.zip")


def test_gradescope_never_follows_a_link_out_of_the_submission(gradescope_bundle, tmp_path):
    root = unpack(gradescope_bundle, tmp_path)
    submission = root / "submission"
    (submission / "repo").mkdir(parents=True)
    (submission / "repo" / "linked").symlink_to(root / "source" / "assignments" / "source")
    (submission / "optimization.ipynb").symlink_to(SOURCE)
    done = run_autograder(root, f"{VENV_BIN}:{os.defpath}")
    assert done.returncode == 0, done.stderr
    results = results_of(root)
    assert results["score"] == 0 and "optimization.ipynb is a link" in results["output"]
    assert SOLUTION_LINE not in json.dumps(results)


def test_gradescope_never_enters_a_linked_folder(gradescope_bundle, tmp_path):
    root = unpack(gradescope_bundle, tmp_path)
    (root / "submission" / "repo").mkdir(parents=True)
    (root / "submission" / "repo" / "work").symlink_to(SOURCE.parent, target_is_directory=True)
    run_autograder(root, f"{VENV_BIN}:{os.defpath}")
    results = results_of(root)
    assert results["score"] == 0
    assert "repo/work is a link: links are not followed" in results["output"]


def test_gradescope_grades_a_deep_notebook_named_with_a_newline(gradescope_bundle, completed,
                                                                tmp_path):
    root = unpack(gradescope_bundle, tmp_path)
    write_notebook(clone(completed), root / "submission" / "repo" / "my\nwork.ipynb")
    (root / "submission" / "repo" / "README.md").write_text("mine")
    run_autograder(root, f"{VENV_BIN}:{os.defpath}")
    assert results_of(root)["score"] == 15


# ---------------------------------------------------------------------------------------------
# The batch: submitted/<student>/<id>, timestamp.txt, the copy for formgrader


def test_a_student_folder_that_is_a_link_is_skipped_with_a_warning(tmp_path, caplog):
    submitted = tmp_path / "submitted"
    (submitted / "ada" / "optimization").mkdir(parents=True)
    (tmp_path / "elsewhere" / "optimization").mkdir(parents=True)
    (submitted / "mallory").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (submitted / "trudy").mkdir()
    (submitted / "trudy" / "optimization").symlink_to(SOURCE.parent, target_is_directory=True)
    with caplog.at_level(logging.WARNING):
        assert roster.students(submitted, "optimization") == ["ada", "trudy"]
    assert "mallory" in caplog.text and "is a link" in caplog.text
    refused(submitted / "trudy" / "optimization", "optimization is a link")


def test_newest_mtime_never_looks_through_a_link(tmp_path):
    target = tmp_path / "target"
    target.mkdir()
    (target / "new.ipynb").write_text("{}")
    os.utime(target / "new.ipynb", ns=(4 * 10**18, 4 * 10**18))
    link = tmp_path / "link"
    link.symlink_to(target, target_is_directory=True)
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "inner").symlink_to(target, target_is_directory=True)
    assert roster.newest_mtime(link) == link.lstat().st_mtime_ns
    assert roster.newest_mtime(folder) < 4 * 10**18


def test_timestamp_is_read_only_from_a_small_regular_file(tmp_path):
    folder = tmp_path / "optimization"
    folder.mkdir()
    stamp = folder / "timestamp.txt"
    stamp.write_text("2025-03-01 09:30:00.000000 UTC\n")
    assert roster.read_timestamp(folder) == "2025-03-01 09:30:00.000000 UTC"
    stamp.unlink()
    secret = tmp_path / "secret.txt"
    secret.write_text("2031-01-01 00:00:00.000000 UTC")
    stamp.symlink_to(secret)
    assert roster.read_timestamp(folder) is None
    stamp.unlink()
    os.mkfifo(stamp)
    started = time.monotonic()
    assert roster.read_timestamp(folder) is None
    assert time.monotonic() - started < 1
    stamp.unlink()
    with stamp.open("wb") as file:
        file.truncate(GIB)
    assert roster.read_timestamp(folder) is None
    linked = tmp_path / "linked"
    linked.symlink_to(folder, target_is_directory=True)
    stamp.unlink()
    stamp.write_text("2025-03-01 09:30:00.000000 UTC\n")
    assert roster.read_timestamp(linked) is None


def _job(tmp_path: Path, notebook: dict | None) -> roster.Job:
    submission = tmp_path / "submitted" / "ada" / "optimization"
    submission.mkdir(parents=True)
    if notebook is not None:
        (submission / "optimization.ipynb").write_text(json.dumps(notebook))
    results = tmp_path / "autograded" / "ada" / "optimization" / roster.RESULTS
    return roster.Job("ada", "optimization", submission, results, COURSE, False, {})


SCRIPT = "<script>alert(document.cookie)</script>"


def _hostile(completed) -> dict:
    """The completed notebook with stored scripts everywhere formgrader would render them."""
    edited = clone(completed)
    code = cell_of(edited, "update_lr")
    code.outputs = [
        {"output_type": "display_data", "data": {"text/html": [SCRIPT]}, "metadata": {}},
        {"output_type": "execute_result", "execution_count": 7, "data": {"text/html": SCRIPT},
         "metadata": {}},
    ]
    code.execution_count = 7
    code.metadata["nbgrader"]["points"] = 100  # forged
    test = cell_of(edited, "test_update_lr")
    test.metadata["nbgrader"]["points"] = 100
    edited.cells += [
        {"cell_type": "markdown", "id": 'x"><script>', "metadata": {},
         "source": f"# Mine\n{SCRIPT}\n<img src=x onerror=alert(1)> [see](javascript:alert(2))",
         "attachments": {"a.png": {"image/png": "iVBORw0KGgo="}}},
        {"cell_type": "raw", "id": "raw-1", "metadata": {"format": "text/html"}, "source": SCRIPT},
        {"cell_type": "code", "id": "forged", "execution_count": None, "outputs": [],
         "source": "x = 1", "metadata": {"nbgrader": {
             "grade": True, "grade_id": "test_bonus", "points": 50, "solution": False,
             "locked": True, "schema_version": 3}}},
    ]
    edited.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"x": SCRIPT}}
    edited.metadata["title"] = SCRIPT
    return edited


def test_the_formgrader_copy_carries_no_outputs_scripts_or_forged_grades(completed, tmp_path):
    job = _job(tmp_path, _hostile(completed))
    roster.copy_notebook(job)
    copy_path = job.results.parent / "optimization.ipynb"
    text = copy_path.read_text()
    assert "<script" not in text and "<img" not in text and "iVBORw0KGgo" not in text
    copy = nbformat.reads(text, as_version=4)
    nbformat.validate(copy)
    assert set(copy.metadata) == {"kernelspec", "language_info", "autograder"}
    code = [cell for cell in copy.cells if cell.cell_type == "code"]
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)
    assert all(cell.source == "" for cell in copy.cells if cell.cell_type == "raw")
    assert all("attachments" not in cell for cell in copy.cells)
    assert copy.cells[-3].source.startswith("# Mine\n&lt;script&gt;alert(document.cookie)&lt;")
    source = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"] for c in completed.cells
              if "nbgrader" in c.metadata}
    copied = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"] for c in copy.cells
              if "nbgrader" in c.metadata}
    assert copied == source  # points from the source, the forged grade cell gone
    assert len({cell.id for cell in copy.cells}) == len(copy.cells)


def test_the_formgrader_copy_renders_as_text_in_html(completed, tmp_path):
    from nbconvert import HTMLExporter

    job = _job(tmp_path, _hostile(completed))
    roster.copy_notebook(job)
    page, _ = HTMLExporter().from_filename(str(job.results.parent / "optimization.ipynb"))
    assert "alert(document.cookie)" in page  # the student's text is shown ...
    assert SCRIPT not in page and "<img src=x" not in page  # ... and never runs
    assert 'href="javascript:' not in page


def test_no_copy_for_a_linked_notebook_and_a_stale_copy_is_removed(completed, tmp_path):
    job = _job(tmp_path, clone(completed))
    roster.copy_notebook(job)
    copy_path = job.results.parent / "optimization.ipynb"
    assert copy_path.is_file()
    (job.submission / "optimization.ipynb").unlink()
    (job.submission / "optimization.ipynb").symlink_to(SOURCE)
    roster.copy_notebook(job)
    assert not copy_path.exists()


def test_the_copy_of_a_huge_outputs_notebook_is_small(completed, tmp_path):
    job = _job(tmp_path, _outputs_notebook(completed, 20))
    roster.copy_notebook(job)
    assert (job.results.parent / "optimization.ipynb").stat().st_size < 2 * SOURCE.stat().st_size
