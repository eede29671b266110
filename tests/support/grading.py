"""Shared helpers of the end-to-end grading tests (tests/test_grading_*.py); holds no tests.

Submissions are built as text in temporary folders: the reference optimizers' source, explicit
initializers, and the instructor's source notebooks edited with nbformat.
"""

from __future__ import annotations

import copy
import inspect
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import numpy as np

import reference.optimizers
from autograder import course
from autograder.grading import Report

REPO = Path(__file__).resolve().parents[2]
COURSE = REPO / "assignments"


def graded_names(assignment_id: str) -> list[str]:
    """The graded names of an assignment or a quiz, in order: the package's own list (the one
    the grader reports), not a copy of it."""
    return course.assignment(assignment_id, COURSE).names()


OPTIMIZATION_NAMES = graded_names("optimization")
INITIALIZATION_NAMES = graded_names("initialization")
#: Gradescope keeps the file small: outputs are clipped; a flood must not make it big.
SMALL_RESULTS_BYTES = 200_000

OPTIMIZERS_SOURCE = inspect.getsource(reference.optimizers)


def drawing_initializer(name: str, expression: str) -> str:
    """An initializer ``name`` whose W[l] is ``expression`` of n_in, n_out (a student's line)."""
    return f'''
def {name}(layers_dims):
    parameters = {{}}
    for l in range(1, len(layers_dims)):
        n_in, n_out = layers_dims[l - 1], layers_dims[l]
        parameters["W" + str(l)] = {expression}
        parameters["b" + str(l)] = np.zeros((n_out, 1))
    return parameters
'''


#: Honest initializers written the way a student would (np.random.randn, explicit loops).
INITIALIZERS_SOURCE = "\nimport numpy as np\n\n" + "\n".join(
    drawing_initializer(name, expression) for name, expression in [
        ("initialize_parameters_zeros", "np.zeros((n_out, n_in))"),
        ("initialize_parameters_random", "np.random.randn(n_out, n_in) * 10"),
        ("initialize_parameters_xavier", "np.random.randn(n_out, n_in) * np.sqrt(1 / n_in)"),
        ("initialize_parameters_he", "np.random.randn(n_out, n_in) * np.sqrt(2 / n_in)"),
    ]) + '''

def activation_variances(X, parameters, activation):
    g = {"linear": lambda z: z, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}[activation]
    a, out = X, []
    for l in range(1, len(parameters) // 2 + 1):
        a = g(parameters["W" + str(l)] @ a + parameters["b" + str(l)])
        out.append(np.var(a))
    return np.array(out)
'''


def optimizers_with(extra: str) -> str:
    """The reference optimizers, then ``extra`` (later definitions replace earlier ones)."""
    return OPTIMIZERS_SOURCE + "\n\n" + textwrap.dedent(extra).strip() + "\n"


def initializers_with(extra: str) -> str:
    return INITIALIZERS_SOURCE + "\n\n" + textwrap.dedent(extra).strip() + "\n"


def answers_module(answers: dict) -> str:
    """A quiz submission: a .py binding each item id to its answer."""
    return "".join(f"{name} = {value!r}\n" for name, value in answers.items())


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def by_name(report: Report) -> dict:
    return {result.name: result for result in report.results}


def full_marks(result) -> bool:
    return result.max_score > 0 and result.score == result.max_score


# ---------------------------------------------------------------------------------------------
# Notebooks: the instructor's source, edited


def source_notebook(assignment: str = "optimization"):
    """The instructor's source notebook as a student who solved it all would submit it: without
    nbgrader's solution markers (a notebook holding them is refused as the instructor's copy)."""
    path = COURSE / "source" / assignment / f"{assignment}.ipynb"
    return completed(nbformat.read(path, as_version=4))


def completed(notebook):
    for cell in notebook.cells:
        cell.source = course.without_markers(cell.source)
    return notebook


def cell_of(notebook, grade_id: str):
    (cell,) = [c for c in notebook.cells
               if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    return cell


def index_of(notebook, grade_id: str) -> int:
    return notebook.cells.index(cell_of(notebook, grade_id))


def write_notebook(notebook, path: Path, version: int = 4) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(notebook, version=version))
    return path


def clone(notebook):
    return copy.deepcopy(notebook)


# ---------------------------------------------------------------------------------------------
# The command line and its results.json


def run_cli(*args: str, cwd: Path | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "COLUMNS": "120"}
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=timeout, check=False)


def read_results(path: Path) -> dict:
    """Load a results.json and check it is a valid Gradescope result (its specification as a
    JSON Schema, then what this grader adds: a test per graded name, scores that add up)."""
    from autograder.packaging import results_errors

    data = json.loads(Path(path).read_text())
    assert results_errors(data) == []
    assert (isinstance(data["score"], (int, float))
            and isinstance(data["execution_time"], (int, float)))
    assert isinstance(data["output"], str)
    assert isinstance(data["tests"], list) and data["tests"]
    for test in data["tests"]:
        assert {"name", "score", "max_score", "output", "visibility"} <= set(test)
        assert 0 <= test["score"] <= test["max_score"]
        assert isinstance(test["output"], str) and test["visibility"] in (
            "visible", "hidden", "after_due_date", "after_published")
    assert np.isclose(data["score"], sum(test["score"] for test in data["tests"]))
    return data


def named_tests(data: dict) -> dict:
    return {test["name"]: test for test in data["tests"]}


def invoke_cli(*args: str):
    """The command line in this process (click's runner): fast, for the many malformed cases."""
    from click.testing import CliRunner

    from autograder.cli import main

    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr
