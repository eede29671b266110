"""A course with a gradebook, and submissions: what the batch tests share (test_batch and the
batch's security, Dask, LMS and statistics tests). Every course is a copy in a temporary folder
whose gradebook was made by ``nbgrader generate_assignment``; the repository is never modified."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from rich.console import Console

from autograder.batch.gradebook import course_directory
from autograder.batch.run import run_batch
from autograder.batch.spec import spec_for
from support import built_once
from support.grading import completed

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "COLUMNS": "200"}
ASSIGNMENT = "optimization"
#: The classic momentum mistake (no (1 - beta)): costs points in update_parameters_with_momentum
#: only.
MOMENTUM_MISTAKE = ("+ (1 - beta) * grads", "+ grads")
FULL_MARKS = 15.0


# ---------------------------------------------------------------------------------------------
# A course with a gradebook, and submissions


def _generate_all(repo: Path) -> None:
    shutil.copytree(REPO / "quizzes", repo / "quizzes")
    shutil.copytree(
        REPO / "assignments",
        repo / "assignments",
        ignore=shutil.ignore_patterns(
            "release", "submitted", "autograded", "feedback", "gradebook.db", "*.log"
        ),
    )
    done = subprocess.run(
        [str(BIN / "nbgrader"), "generate_assignment", "*", "--force"],
        cwd=repo / "assignments", env=ENV, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="session")
def released(tmp_path_factory) -> Path:
    """One generated course per test session, shared by the xdist workers (nbgrader is slow to
    start)."""
    return built_once(tmp_path_factory, "batch-template", _generate_all)


@pytest.fixture
def course(released, tmp_path) -> Path:
    """A fresh copy of the generated course; quizzes/ beside it, as in the repository."""
    shutil.copytree(released / "quizzes", tmp_path / "quizzes")
    shutil.copytree(released / "assignments", tmp_path / "assignments", symlinks=True)
    return tmp_path / "assignments"


def _source(course: Path, assignment: str = ASSIGNMENT) -> nbformat.NotebookNode:
    source = nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    return completed(source)  # as a student who solved it all submits it: no solution markers


def _with_mistake(course: Path) -> nbformat.NotebookNode:
    notebook = _source(course)
    for cell in notebook.cells:
        cell.source = cell.source.replace(*MOMENTUM_MISTAKE)
    assert notebook != _source(course), "the mistake no longer matches the source notebook"
    return notebook


def _with_exit_in(course: Path, grade_id: str) -> nbformat.NotebookNode:
    notebook = _source(course)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = "import os\nos._exit(1)\n" + cell.source
    return notebook


def _submit(course: Path, student: str, notebook: nbformat.NotebookNode | bytes,
            assignment: str = ASSIGNMENT) -> Path:
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{assignment}.ipynb"
    if isinstance(notebook, bytes):
        path.write_bytes(notebook)
    else:
        nbformat.write(notebook, path)
    return path


def _results_path(course: Path, student: str, assignment: str = ASSIGNMENT) -> Path:
    return course / "autograded" / student / assignment / "results.json"


def _results(course: Path, student: str, assignment: str = ASSIGNMENT) -> dict:
    return json.loads(_results_path(course, student, assignment).read_text())


def _per_name(results: dict) -> dict[str, float]:
    return {test["name"]: test["score"] for test in results["tests"]}


def _autograder(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "autograder"), *args],
        env=ENV, capture_output=True, text=True, timeout=timeout, check=False,
    )


def _batch(course: Path, assignment: str = ASSIGNMENT, force: bool = False, **kwargs):
    spec = spec_for(assignment, course)
    console = Console(file=open(os.devnull, "w"))  # noqa: SIM115 -- closed with the test process
    return run_batch(spec, course_directory(course), [], 2, force, console, **kwargs)


def _gradebook(course: Path) -> Gradebook:
    return Gradebook(course_directory(course).db_url, "optinit")
