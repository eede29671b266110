"""Attacks on the grader's boundary (issue 9), written by a hostile student.

Each test builds one attack in a temporary folder. The ones marked "ATTACK (closed)" failed
while their hole was open (the docstring says how the attack worked and what closed it); the
others were already blocked when written. All are kept as regression tests.

Threat model: the student controls the bytes, names and layout of what they submit (a
notebook, a folder, a GitHub repository, an nbgrader exchange folder on a shared JupyterHub
host), and everything their code does inside the worker. The grading process runs as root.
"""

from __future__ import annotations

import inspect
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from support.grading import (
    COURSE,
    REPO,
    cell_of,
    clone,
    run_cli,
    source_notebook,
    write_notebook,
)

from autograder import course, grading
from autograder.batch import roster
from autograder.packaging.workflow import workflow_text
from autograder.submission import SubmissionError, load

BIN = Path(sys.executable).parent
SOURCE = COURSE / "source" / "optimization" / "optimization.ipynb"
SOLUTION_MARKER = "### BEGIN SOLUTION"


def _grader_checkout(runner_temp: Path) -> Path:
    """What the workflow clones into $RUNNER_TEMP/grader: the course (sources with solutions)."""
    grader = runner_temp / "grader"
    shutil.copytree(REPO / "assignments", grader / "assignments",
                    ignore=shutil.ignore_patterns("release", "submitted", "autograded", "feedback",
                                                  "gradebook.db", "*.log", "__pycache__"))
    shutil.copytree(REPO / "quizzes", grader / "quizzes")
    return grader


def _workflow_steps(assignment: str, notebook: str) -> dict[str, dict]:
    (job,) = yaml.safe_load(workflow_text(assignment, notebook))["jobs"].values()
    return {step["name"]: step for step in job["steps"]}


def _run_step(step: dict, workspace: Path, runner_temp: Path, timeout: float = 120):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
           "RUNNER_TEMP": str(runner_temp), "PYTHONWARNINGS": "ignore",
           "GITHUB_STEP_SUMMARY": str(runner_temp / "step_summary.md"),
           "GITHUB_OUTPUT": str(runner_temp / "step_output.txt"), "GITHUB_ACTOR": "mallory"}
    return subprocess.run(["bash", "-e", "-c", step["run"]], cwd=workspace, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


# ---------------------------------------------------------------------------------------------
# GitHub Actions: the student's repository is the working directory of every step


def test_github_a_committed_symlinked_folder_does_not_lead_to_the_instructors_source(tmp_path):
    """ATTACK (closed): full marks on GitHub without writing a line, for a notebook in a folder.

    ``autograder ci init --notebook notebooks/optimization.ipynb`` makes the Grade step run
    ``autograder grade notebooks/optimization.ipynb``. ``safe_files.open_path`` trusts every
    folder above the last component, but on GitHub those folders come from the student's
    repository: git stores symbolic links, so the student commits ``notebooks`` as a link to
    ``/home/runner/work/_temp/grader/assignments/source/optimization`` (RUNNER_TEMP is the same
    on every hosted runner) and the grader reads the instructor's source notebook, solutions
    included, as a regular file: 15/15. No workflow edit is needed, so nothing looks modified.

    Fix: for a relative SUBMISSION, open every component from the working directory with
    ``safe_files.open_inside`` (no link at any depth below the cwd), or give ``grade`` a
    ``--root DIR`` (the workflow passes ``$GITHUB_WORKSPACE``) below which no link is followed.
    """
    workspace, runner_temp = tmp_path / "workspace", tmp_path / "runner"
    workspace.mkdir()
    grader = _grader_checkout(runner_temp)
    (workspace / "notebooks").symlink_to(grader / "assignments" / "source" / "optimization")
    steps = _workflow_steps("optimization", "notebooks/optimization.ipynb")
    done = _run_step(steps["Grade"], workspace, runner_temp)
    assert done.returncode == 0, done.stderr
    results = json.loads((runner_temp / "results.json").read_text())
    assert results["score"] == 0, (
        f"graded the instructor's source through a committed link: {results['score']}/"
        f"{results['max_score']}")


def test_github_install_step_does_not_run_a_pip_package_committed_by_the_student(tmp_path):
    """ATTACK (closed): the student's code runs outside every sandbox layer, in the job itself.

    The "Install the grader" step runs ``python -m pip install ...`` with the student's checkout
    as the working directory, and ``python -m`` puts the working directory first on sys.path:
    a committed ``pip/__main__.py`` runs instead of pip, before grading, with the private
    grader bundle (reference code, quiz keys, hidden-case generators) readable and writable in
    ``$RUNNER_TEMP/grader``: it can print the key or patch the grader to give full marks, and
    the workflow file stays untouched (GitHub Classroom sees no modified workflow).

    Fix: run every Python of the workflow with ``-P`` (Python 3.11+, the workflow pins 3.11)
    or ``-I``, or ``cd "$RUNNER_TEMP"`` before it (``working-directory: ${{ runner.temp }}``
    on the install and grade steps), so nothing of the checkout is importable.
    """
    workspace, runner_temp = tmp_path / "workspace", tmp_path / "runner"
    (workspace / "pip").mkdir(parents=True)
    (runner_temp / "grader").mkdir(parents=True)  # an empty "bundle": a real pip fails fast on it
    marker = tmp_path / "student_code_ran"
    (workspace / "pip" / "__init__.py").write_text("")
    (workspace / "pip" / "__main__.py").write_text(
        f"import pathlib\npathlib.Path({str(marker)!r}).write_text('outside the sandbox')\n")
    steps = _workflow_steps("optimization", "optimization.ipynb")
    _run_step(steps["Install the grader"], workspace, runner_temp, timeout=120)
    assert not marker.exists(), "the student's pip/__main__.py ran in the Install step"


# ---------------------------------------------------------------------------------------------
# nbgrader's exchange on a shared JupyterHub host


def test_nbgrader_collect_of_a_linked_notebook_does_not_earn_the_instructors_marks(tmp_path):
    """ATTACK (works, through nbgrader): full marks on a shared JupyterHub host.

    The exchange's inbound folder is writable by every student, so a student makes their own
    ``inbound/alice+optimization+<time>/`` by hand and puts in it ``optimization.ipynb`` as a
    symbolic link to the instructor's source notebook (the instructor can read it; the student
    need not). ``nbgrader collect``, run by the instructor, copies with
    ``shutil.copytree(src, dest)`` (symlinks=False: links are followed), so
    ``submitted/alice/optimization/optimization.ipynb`` becomes a regular file holding the
    solutions, and every check of safe_files passes: 15/15. (Linux's protected_symlinks does
    not help: the link is in the student's own folder, not in the sticky inbound folder.)
    Hard links are not the threat here: protected_hardlinks (on by default) only lets a student
    hard-link a file they may read and write, and nbgrader collect copies them anyway; git,
    Gradescope's zip upload and nbgrader submit cannot produce one in a submission.

    Fix: the grader cannot see the link any more, but it can see what it read: nbgrader's
    release strips the ``### BEGIN SOLUTION`` / ``### END SOLUTION`` markers, so a solution
    cell that still holds them (or whose text equals the source's solution cell) is the
    instructor's notebook: grade it 0 with a message and a warning for the instructor.
    Document that ``nbgrader collect`` follows links (or ship a collect that refuses them).
    """
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange.default.collect import ExchangeCollect

    assert "copytree(src, dest," in inspect.getsource(ExchangeCollect.do_copy)  # nbgrader's copy
    inbound = (tmp_path / "exchange" / "optinit" / "inbound"
               / "alice+optimization+2025-03-01 09:30:00.000000 UTC")
    inbound.mkdir(parents=True)
    (inbound / "optimization.ipynb").symlink_to(SOURCE)
    (inbound / "timestamp.txt").write_text("2025-03-01 09:30:00.000000 UTC")
    course = tmp_path / "course"
    submitted = course / "submitted" / "alice" / "optimization"
    collect = ExchangeCollect(coursedir=CourseDirectory(root=str(course)))
    collect.do_copy(str(inbound), str(submitted))
    assert not (submitted / "optimization.ipynb").is_symlink()  # what nbgrader leaves us

    report = grading.grade(submitted, "optimization", seed=1)
    assert report.score == 0, (
        "the instructor's source, copied by nbgrader collect, scored "
        f"{report.score}/{report.max_score}")


# ---------------------------------------------------------------------------------------------
# Notebook JSON the streaming parser meets


def _source_json() -> dict:
    """The instructor's notebook as a student who solved it submits it (no solution markers)."""
    notebook = json.loads(SOURCE.read_text())
    for cell in notebook["cells"]:
        cell["source"] = course.without_markers("".join(cell["source"]))
    return notebook


@pytest.mark.parametrize("literal", [
    b"1e999999999999999999999", b"-1E-999999999999999999999", b"0e99999999999999999999",
])
def test_a_number_with_a_huge_exponent_is_read_not_a_crash(tmp_path, literal):
    """ATTACK (closed): one number crashed ``autograder grade``; no results.json was written.

    ijson's yajl2_c backend turns every JSON number into a ``decimal.Decimal``, even in the
    outputs that are skipped; an exponent past Decimal's range raises
    ``decimal.InvalidOperation`` (an ArithmeticError, not the ValueError / JSONError /
    SystemError ``submission._notebook`` catches). The grade command dies with a traceback,
    exit 1, and no results.json (Gradescope then shows "the autograder stopped"; the GitHub
    Report step fails; the contract says a result is always written).

    Fix: catch ``ArithmeticError`` (``decimal.DecimalException``) beside ValueError in
    ``submission._notebook``, or parse with ``ijson.basic_parse_coro(found, use_float=True)``
    so numbers become floats (then 1e999... is inf and skipped like any value).
    """
    notebook = tmp_path / "optimization.ipynb"
    text = json.dumps(_source_json()).encode()
    notebook.write_bytes(text.replace(b'"nbformat": 4', b'"nbformat": 4, "x": ' + literal, 1))
    try:  # numbers are read as floats: an overflow is damaged JSON, an underflow is 0.0
        cells = load(notebook, "optimization").cells
    except SubmissionError as error:
        assert "damaged" in str(error)
    else:
        assert any(cell.grade_id == "update_lr" for cell in cells)


def test_a_number_with_a_huge_exponent_still_gets_a_results_json(tmp_path):
    """The same attack through the command line: exit 0 and a results.json with 0 points."""
    nb = _source_json()
    nb["cells"][0].setdefault("metadata", {})["x"] = 0  # placeholder replaced below
    text = json.dumps(nb).replace('"x": 0', '"x": 1e999999999999999999999', 1)
    notebook = tmp_path / "optimization.ipynb"
    notebook.write_text(text)
    out = tmp_path / "results.json"
    done = run_cli("grade", str(notebook), "--assignment", "optimization", "--results", str(out),
                   "-q")
    assert done.returncode == 0 and out.is_file(), done.stderr[-400:]
    assert json.loads(out.read_text())["score"] == 0


def test_an_nbformat3_notebook_costs_the_parent_no_more_than_a_v4_one(tmp_path):
    """ATTACK (closed): a CPU sink in the root parent, outside every timeout.

    A notebook with ``worksheets`` (nbformat 3) is read whole and handed to
    ``nbformat.reads``, which converts and validates it with jsonschema: about 2 s per MiB of
    tiny outputs, so a 20 MiB file (MAX_BYTES) costs the parent about 40 s of CPU before any
    limit is checked, against well under a second for a 256 MiB nbformat 4 notebook. Outputs
    are never needed: the worker runs only code.

    Fix: stream nbformat 3 too (``worksheets[].cells[]``, ``input`` instead of ``source``,
    outputs skipped) with the same parser, or cap it much lower (1 MiB) before nbformat sees
    it, or call ``nbformat.v3.reads`` + ``nbformat.v4.upgrade`` without validation after
    dropping outputs.
    """
    import nbformat  # noqa: F401 -- imported once before timing: its import is not the attack

    outputs = [{"output_type": "stream", "stream": "stdout", "text": ""}] * 75_000
    cell = {"cell_type": "code", "input": "x = 1", "language": "python", "outputs": outputs,
            "metadata": {}}
    notebook = {"nbformat": 3, "nbformat_minor": 0, "metadata": {},
                "worksheets": [{"cells": [cell], "metadata": {}}]}
    path = tmp_path / "optimization.ipynb"
    path.write_text(json.dumps(notebook, separators=(",", ":")))
    assert path.stat().st_size < 4 * 2**20
    started = time.monotonic()
    try:
        load(path, "optimization")
    except SubmissionError:
        pass
    seconds = time.monotonic() - started
    assert seconds < 1.5, (
        f"{path.stat().st_size / 2**20:.1f} MiB of nbformat 3 took {seconds:.1f} s")


@pytest.mark.parametrize("name, data, words", [
    ("bom", b"\xef\xbb\xbf" + json.dumps({"cells": [], "metadata": {}}).encode(), "damaged"),
    ("utf16", json.dumps({"cells": [], "metadata": {}}).encode("utf-16"), "UTF-8"),
    ("nan", b'{"cells": [], "metadata": {}, "nbformat": NaN}', "damaged"),
    ("infinity", b'{"cells": [], "metadata": {}, "nbformat": -Infinity}', "damaged"),
    ("long_integer", b'{"cells": [], "nbformat": ' + b"9" * 100_000 + b"}", "damaged"),
    ("bad_utf8_in_a_string", b'{"cells": [], "x": "\xff\xfe"}', "UTF-8"),
    ("trailing_value", b'{"cells": [], "metadata": {}} {}', "damaged"),
    ("cells_twice_last_not_a_list", b'{"cells": [], "cells": 5}', "not a Jupyter notebook"),
    ("comment", b'/* x */ {"cells": []}', "damaged"),
])
def test_hostile_json_gets_a_message(tmp_path, name, data, words):
    """BLOCKED: BOM, UTF-16, NaN/Infinity, 100,000-digit integers, invalid UTF-8 inside a
    string, a second value, ``cells`` twice (the last wins, as json.loads), comments."""
    path = tmp_path / f"{name}.ipynb"
    path.write_bytes(data)
    with pytest.raises(SubmissionError, match=words):
        load(path, "optimization")


def test_deep_nesting_and_escaped_surrogates_are_parsed_without_recursion(tmp_path):
    """BLOCKED: 100,000 nested arrays in the metadata (ijson's events are flat, ``skip`` is a
    loop), lone-surrogate and NUL escapes in strings: cells or a message, never a crash."""
    deep = b'{"cells": [], "metadata": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    (tmp_path / "deep.ipynb").write_bytes(deep)
    assert load(tmp_path / "deep.ipynb", "optimization").cells == []
    text = json.dumps(_source_json()).replace(
        '"nbformat": 4', '"nbformat": 4, "x": "\\ud800\\u0000"', 1)
    (tmp_path / "surrogate.ipynb").write_text(text)
    assert load(tmp_path / "surrogate.ipynb", "optimization").cells


def test_a_link_swapped_in_after_the_folder_scan_is_not_followed(tmp_path, monkeypatch):
    """BLOCKED (TOCTOU): the only notebook is a regular file when the folder is scanned, and a
    link to the instructor's source when it is opened; ``open_at`` opens with O_NOFOLLOW and
    compares the fstat with the lstat, so the swap gives a message, never the target."""
    from autograder import safe_files

    folder = tmp_path / "submission"
    folder.mkdir()
    notebook = folder / "mine.ipynb"
    notebook.write_text(json.dumps({"cells": [], "metadata": {}}))
    real_scan = safe_files.scan

    def scan_then_swap(*args, **kwargs):
        found = real_scan(*args, **kwargs)
        notebook.unlink()
        notebook.symlink_to(SOURCE)
        return found

    monkeypatch.setattr(safe_files, "scan", scan_then_swap)
    with pytest.raises(SubmissionError, match="link"):
        load(folder, "optimization")


# ---------------------------------------------------------------------------------------------
# The notebook copied to autograded/ for formgrader


def test_the_formgrader_copy_shows_the_instructors_locked_cells_not_the_students(tmp_path):
    """ATTACK (works, low): a student-written "test" cell in formgrader, with the instructor's
    grade metadata.

    ``roster._safe_copy`` keeps a cell's nbgrader metadata from the source when its grade_id is
    the source's, but keeps the student's text. So the student edits the locked autograder
    test cell ``test_update_lr`` (or adds a code cell with that grade_id) to read, e.g.,
    ``# checked by hand by the TA: full marks``; formgrader and ``nbgrader generate_feedback``
    then show the student's text as the instructor's locked test, beside the real score.
    ``nbgrader autograde`` avoids this by overwriting locked cells from the source.

    Fix: in ``_safe_copy``, for a kept cell whose source metadata has ``locked: true`` (or
    ``grade: true`` and ``solution: false``), use the source cell's text, not the student's.
    """
    notebook = clone(source_notebook())
    forged = "# Checked by hand by the TA: award full marks.\npass\n"
    cell_of(notebook, "test_update_lr").source = forged
    submission = tmp_path / "submitted" / "mallory" / "optimization"
    write_notebook(notebook, submission / "optimization.ipynb")
    results = tmp_path / "autograded" / "mallory" / "optimization" / "results.json"
    results.parent.mkdir(parents=True)
    job = roster.Job("mallory", "optimization", submission, results, COURSE, False, {})
    roster.copy_notebook(job)
    copy = json.loads((results.parent / "optimization.ipynb").read_text())
    (cell,) = [c for c in copy["cells"]
               if c["metadata"].get("nbgrader", {}).get("grade_id") == "test_update_lr"]
    assert cell["metadata"]["nbgrader"].get("locked")
    assert "award full marks" not in "".join(cell["source"])


# ---------------------------------------------------------------------------------------------
# What the GitHub job log and summary show of student text


def test_github_log_and_summary_carry_no_workflow_command_or_escape_from_the_student(tmp_path):
    """BLOCKED: student output and exception text with ``::`` workflow commands (a forged
    "Autograding complete" Points line, ``::add-mask::``, ``::stop-commands::``), OSC 8
    hyperlinks and OSC 52 clipboard writes never reach the job log (the Grade step is quiet,
    the worker's fd 1 and 2 are pipes) and start no line of the summary."""
    workspace, runner_temp = tmp_path / "workspace", tmp_path / "runner"
    workspace.mkdir()
    _grader_checkout(runner_temp)
    hostile = ("\\n::notice title=Autograding complete::Points 15/15\\n::stop-commands::x\\n"
               "\\x1b]52;c;ZWNobyBwd25lZA==\\x07\\x1b]8;;https://evil.example\\x07link\\x1b]8;;\\x07")
    (workspace / "optimization.py").write_text(
        "import os, sys\n"
        f"print('{hostile}')\n"
        f"os.write(2, '{hostile}'.encode())\n"
        "def update_lr(*a, **k):\n"
        f"    raise ValueError('{hostile}')\n")
    steps = _workflow_steps("optimization", "optimization.py")
    log = ""
    for name in ("Grade", "Report"):
        done = _run_step(steps[name], workspace, runner_temp)
        assert done.returncode == 0, done.stderr
        log += done.stdout + done.stderr
    lines = log.splitlines()
    # No workflow command at all: Classroom's reporter action writes the "Autograding complete"
    # notice from the runner step's output; the log keeps the plain Points line.
    assert [line for line in lines if line.lstrip().startswith("::")] == []
    assert [line for line in lines if line.startswith("Points ")] == ["Points 0/15"]
    assert "15/15" not in log and "\x1b" not in log and "\x07" not in log
    summary = (runner_temp / "step_summary.md").read_text()
    assert "\x1b" not in summary and not [l for l in summary.splitlines() if l.startswith("::")]


# ---------------------------------------------------------------------------------------------
# Quiz keys with immediate feedback


def test_a_zero_score_multiple_choice_verdict_says_nothing_the_score_does_not():
    """ATTACK (works, low): the verdict of a 0-point multiple choice tells whether a pick is right.

    With ``explanations: immediately``, one right and one wrong pick score 0 with "No credit:
    your wrong picks cancel your right ones.", two wrong picks score 0 with "Incorrect.": the
    verdict tells the student that one of the two letters is in the key, which the score (0
    both times) does not. Each resubmission of pairs halves the candidates faster than the
    score alone allows.

    Fix: with immediate explanations, say the same thing for every 0-point multiple choice
    ("No credit.") and keep "your wrong picks cancel your right ones" for after the due date.
    """
    from autograder.quiz import load_quiz, score_item
    from autograder.quiz.bank import MULTIPLE

    quiz = load_quiz(REPO / "quizzes" / "optimization_quiz.yaml")
    assert quiz.explanations == "immediately"
    item = next(i for i in quiz.items if i.type == MULTIPLE
                and len([x for x in i.letters if x not in i.answer]) >= 2)
    wrong = [letter for letter in item.letters if letter not in item.answer]
    one_right = score_item(item, [item.answer[0], wrong[0]], quiz)
    none_right = score_item(item, wrong[:2], quiz)
    assert one_right.score == none_right.score == 0
    assert one_right.feedback == none_right.feedback
