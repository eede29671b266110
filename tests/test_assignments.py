"""The nbgrader assignments: source notebooks, student releases, autograding.

Everything that runs nbgrader works on a copy of the course in a temporary folder, so the
repository is never modified. Notebook run times are reported in the warnings summary.
"""

from __future__ import annotations

import inspect
import os
import re
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from support.contract import GRADED_NAMES

import reference.initializers
import reference.optimizers

REPO = Path(__file__).resolve().parents[1]
COURSE = REPO / "assignments"
STUDENT = "ada"
SELFCHECK_FILES = ("selfcheck.py", "selfcheck_data.json")

#: The points of each self-check cell (the names and their order: CONTRACT section 3).
POINTS = {
    "optimization": [1, 2, 1, 2, 1, 2, 1, 3, 1, 1],
    "initialization": [1, 1, 2, 2, 3],
}
GRADED = {assignment: dict(zip(names, POINTS[assignment], strict=True))
          for assignment, names in GRADED_NAMES.items()}
REFERENCE_MODULE = {"optimization": reference.optimizers, "initialization": reference.initializers}
ASSIGNMENTS = list(GRADED)
NOTEBOOK_SECONDS = 60
STUB = "raise NotImplementedError()"


def _report_time(what: str, seconds: float) -> None:
    """Show a run time in the warnings summary (a plain UserWarning, so xdist can carry it)."""
    warnings.warn(f"run time: {what} took {seconds:.1f} s", UserWarning, stacklevel=3)


# ---------------------------------------------------------------------------------------------
# Helpers


def _notebook_path(root: Path, assignment: str) -> Path:
    return root / assignment / f"{assignment}.ipynb"


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _cells_by_grade_id(notebook) -> dict:
    return {_nbgrader(c)["grade_id"]: c for c in notebook.cells if "grade_id" in _nbgrader(c)}


def _solution_cells(notebook) -> list:
    return [c for c in notebook.cells if _nbgrader(c).get("solution")]


def _missing_selfcheck_files(folder: Path) -> list[str]:
    return [name for name in SELFCHECK_FILES if not (folder / name).exists()]


def _skip_without_selfcheck(folder: Path) -> None:
    missing = _missing_selfcheck_files(folder)
    if missing:
        pytest.skip(
            f"needs {', '.join(str(folder / name) for name in missing)} "
            "(written by `autograder selfcheck build`)"
        )


def _run(notebook, folder: Path, label: str, allow_errors: bool = False):
    """Execute `notebook` in a fresh python3 kernel started in `folder`; report the time."""
    started = time.perf_counter()
    NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=120,
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(folder)}},
    ).execute()
    seconds = time.perf_counter() - started
    _report_time(label, seconds)
    assert seconds < NOTEBOOK_SECONDS, f"{label} took {seconds:.0f} s"
    return notebook


def _errors(cell) -> list:
    return [out for out in cell.get("outputs", []) if out.output_type == "error"]


def _stdout(cell) -> str:
    return "".join(
        out.get("text", "") for out in cell.get("outputs", []) if out.output_type == "stream"
    )


def _error_text(cell) -> str:
    return "\n".join(f"{e.ename}: {e.evalue}\n" + "\n".join(e.traceback) for e in _errors(cell))


def _nbgrader_command(course: Path, *args: str) -> None:
    # nbgrader runs the `alembic` script to set up its database: put the venv's bin on PATH.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, "--force"],
        check=False,
        cwd=course,
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _copy_course(destination: Path) -> Path:
    course = destination / "course"
    course.mkdir()
    shutil.copy(COURSE / "nbgrader_config.py", course)
    # Symbolic links become real files, as they would in a student's download.
    shutil.copytree(
        COURSE / "source", course / "source", ignore=shutil.ignore_patterns("__pycache__")
    )
    return course


#: Lines too generic to count as copied: block headers, signature openings, parameters.
_STRUCTURAL_LINE = re.compile(
    r"(?:(?:for|if|elif|while|with|def|class|try|except|else)\b.*:|def \w+\("
    r"|[A-Za-z_]\w*: [\w\[\], |.]+,?)$"
)


def _reference_lines() -> set[str]:
    """The non-trivial lines of reference/*.py: 20 characters or more, stripped of indentation
    and quotes, and not an import, a comment, a decorator, a block header or a parameter."""
    lines = set()
    for path in (REPO / "reference").glob("*.py"):
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip().strip('"').strip()
            if (
                len(line) >= 20
                and not line.startswith(("import ", "from ", "#", "@"))
                and not _STRUCTURAL_LINE.fullmatch(line)
            ):
                lines.add(line)
    return lines


def _released_text(path: Path) -> list[str]:
    """The lines of a released file; for a notebook, the lines of its cells."""
    if path.suffix == ".ipynb":
        return [line for cell in _read(path).cells for line in cell.source.splitlines()]
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        return []


def _solution_namespace(assignment: str) -> dict:
    """The source notebook's setup and solution cells, executed as plain Python."""
    namespace: dict = {"np": np}
    for cell in _solution_cells(_read(_notebook_path(COURSE / "source", assignment))):
        code = compile(cell.source, f"<{_nbgrader(cell)['grade_id']}>", "exec")
        exec(code, namespace)  # noqa: S102 - our own instructor solutions
    return namespace


# ---------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="session")
def course(tmp_path_factory) -> Path:
    """A copy of the course with both assignments released by nbgrader."""
    root = _copy_course(tmp_path_factory.mktemp("nbgrader"))
    for assignment in ASSIGNMENTS:
        _nbgrader_command(root, "generate_assignment", assignment)
    return root


@pytest.fixture(scope="session")
def solutions() -> dict[str, dict]:
    return {assignment: _solution_namespace(assignment) for assignment in ASSIGNMENTS}


# ---------------------------------------------------------------------------------------------
# The source notebooks


def test_generated_notebooks_match_their_generator():
    sys.path.insert(0, str(COURSE / "tools"))
    try:
        import build_notebooks
    finally:
        sys.path.remove(str(COURSE / "tools"))
    assert build_notebooks.main(["--check"]) == 0, "run assignments/tools/build_notebooks.py"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebook_declares_its_assignment_and_kernel(assignment):
    notebook = _read(_notebook_path(COURSE / "source", assignment))
    assert notebook.metadata["autograder"] == {"assignment": assignment}
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    first_code = next(c for c in notebook.cells if c.cell_type == "code")
    assert _nbgrader(first_code)["locked"] is True
    assert {"import numpy as np", "import selfcheck"} <= set(first_code.source.splitlines())


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_graded_name_has_a_solution_cell_then_its_selfcheck_cell(assignment):
    cells = _read(_notebook_path(COURSE / "source", assignment)).cells
    solution_ids = [_nbgrader(c)["grade_id"] for c in cells if _nbgrader(c).get("solution")]
    assert solution_ids == list(GRADED[assignment])
    for index, cell in enumerate(cells):
        meta = _nbgrader(cell)
        if not meta.get("solution"):
            continue
        name = meta["grade_id"]
        assert meta == {
            "grade": False, "grade_id": name, "locked": False, "schema_version": 3,
            "solution": True, "task": False,
        }  # fmt: skip
        assert re.search(rf"^def {name}\(", cell.source, re.MULTILINE)
        assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
        test = cells[index + 1]
        assert _nbgrader(test) == {
            "grade": True, "grade_id": f"test_{name}", "locked": True,
            "points": GRADED[assignment][name], "schema_version": 3, "solution": False,
            "task": False,
        }  # fmt: skip
        assert test.source == f'selfcheck.check("{name}", {name})'


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_signatures_match_the_reference(assignment, solutions):
    for name in GRADED[assignment]:
        ours = inspect.signature(solutions[assignment][name])
        theirs = inspect.signature(getattr(REFERENCE_MODULE[assignment], name))
        assert list(ours.parameters) == list(theirs.parameters), name
        assert [p.default for p in ours.parameters.values()] == [
            p.default for p in theirs.parameters.values()
        ], name


def _random_network(rng, layers_dims) -> tuple[dict, dict, dict, dict]:
    """parameters, grads, v and s of random values for the given layer widths."""

    def like(prefix, scale=1.0):
        return {
            f"{prefix}{kind}{l}": scale * rng.standard_normal(shape)
            for l in range(1, len(layers_dims))
            for kind, shape in (
                ("W", (layers_dims[l], layers_dims[l - 1])),
                ("b", (layers_dims[l], 1)),
            )
        }

    return like(""), like("d"), like("d", 0.1), like("d", 0.1)


def _assert_same_dicts(ours, theirs, label):
    assert set(ours) == set(theirs), label
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-12, atol=1e-15, err_msg=label)


@pytest.mark.parametrize("seed", range(5))
def test_optimizer_solutions_compute_what_the_reference_computes(seed, solutions):
    ours, ref = solutions["optimization"], reference.optimizers
    rng = np.random.default_rng(seed)
    layers_dims = list(rng.integers(1, 6, size=rng.integers(2, 5)))
    params, grads, v, s = _random_network(rng, layers_dims)
    s = {key: np.abs(value) for key, value in s.items()}
    lr, beta, t = rng.uniform(0.001, 0.1), rng.uniform(0.5, 0.99), int(rng.integers(1, 20))

    def same(name, *args):
        expected, got = getattr(ref, name)(*args), ours[name](*args)
        for e, g in zip(expected if isinstance(expected, tuple) else (expected,),
                        got if isinstance(got, tuple) else (got,), strict=True):  # fmt: skip
            _assert_same_dicts(g, e, name)

    same("update_parameters_with_gd", params, grads, lr)
    same("update_parameters_with_momentum", params, grads, v, beta, lr)
    same("update_parameters_with_rmsprop", params, grads, s, beta, lr)
    same("update_parameters_with_adam", params, grads, v, s, t, lr, beta, 0.999, 1e-7)
    same("initialize_velocity", params)
    same("initialize_rmsprop", params)
    same("initialize_adam", params)

    m, size = int(rng.integers(1, 300)), int(rng.integers(1, 70))
    X, Y = rng.standard_normal((3, m)), rng.standard_normal((1, m))
    expected, got = (
        ref.random_mini_batches(X, Y, size, seed),
        ours["random_mini_batches"](X, Y, size, seed),
    )
    assert len(got) == len(expected)
    for (gx, gy), (ex, ey) in zip(got, expected):
        np.testing.assert_array_equal(gx, ex)
        np.testing.assert_array_equal(gy, ey)

    for epoch in (0, 1, 7, 999, 1000, 2500):
        rate = float(rng.uniform(0, 2))
        assert ours["update_lr"](lr, epoch, rate) == ref.update_lr(lr, epoch, rate)
        assert ours["schedule_lr_decay"](lr, epoch, rate, 100) == ref.schedule_lr_decay(
            lr, epoch, rate, 100
        )
        assert ours["schedule_lr_decay"](lr, epoch, rate) == ref.schedule_lr_decay(lr, epoch, rate)


@pytest.mark.parametrize(
    "name, variance",
    [
        ("initialize_parameters_zeros", lambda n_in: 0.0),
        ("initialize_parameters_random", lambda n_in: 100.0),
        ("initialize_parameters_xavier", lambda n_in: 1.0 / n_in),
        ("initialize_parameters_he", lambda n_in: 2.0 / n_in),
    ],
)
def test_initializer_solutions_draw_from_the_reference_distribution(name, variance, solutions):
    layers_dims = [300, 200, 100, 1]
    ours = solutions["initialization"][name](layers_dims)
    theirs = getattr(reference.initializers, name)(layers_dims)
    assert {key: value.shape for key, value in ours.items()} == {
        key: value.shape for key, value in theirs.items()
    }
    for l in (1, 2):
        weights, expected = ours[f"W{l}"], variance(layers_dims[l - 1])
        assert weights.dtype == np.float64
        assert not np.any(ours[f"b{l}"])
        # The sample variance of n normal draws has relative standard error sqrt(2 / n) < 1%.
        assert np.var(weights) == pytest.approx(expected, rel=0.06, abs=1e-12)
        assert abs(np.mean(weights)) <= 5 * np.sqrt(expected / weights.size)
    assert not np.array_equal(ours["W1"], solutions["initialization"][name](layers_dims)["W1"]) or (
        name == "initialize_parameters_zeros"
    )


@pytest.mark.parametrize("activation", ["linear", "tanh", "relu"])
def test_activation_variances_solution_computes_what_the_reference_computes(activation, solutions):
    rng = np.random.default_rng(4)
    parameters, *_ = _random_network(rng, [6, 5, 4, 3])
    X = rng.standard_normal((6, 50))
    got = solutions["initialization"]["activation_variances"](X, parameters, activation)
    expected = reference.initializers.activation_variances(X, parameters, activation)
    assert isinstance(got, np.ndarray) and got.shape == (3,)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebook_runs_top_to_bottom_with_passing_selfchecks(assignment, tmp_path):
    _skip_without_selfcheck(COURSE / "source" / assignment)
    folder = _copy_course(tmp_path) / "source" / assignment
    notebook = _run(
        _read(_notebook_path(folder.parent, assignment)), folder, f"source {assignment}"
    )
    cells = _cells_by_grade_id(notebook)
    for name in GRADED[assignment]:
        assert "self-checks passed" in _stdout(cells[f"test_{name}"]), name
    demos = [c for c in notebook.cells if "demo" in c.metadata.get("tags", [])]
    assert demos
    for cell in demos:
        assert "first to see this demo" not in _stdout(cell)
        assert "this demo stopped" not in _stdout(cell)


# ---------------------------------------------------------------------------------------------
# The student release


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_keeps_every_graded_cell_with_its_points(assignment, course):
    released = _cells_by_grade_id(_read(_notebook_path(course / "release", assignment)))
    for name, points in GRADED[assignment].items():
        assert _nbgrader(released[name])["solution"] is True
        assert _nbgrader(released[f"test_{name}"])["points"] == points
        assert released[f"test_{name}"].source == f'selfcheck.check("{name}", {name})'


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_solution_cells_are_the_stub_only(assignment, course):
    source = _cells_by_grade_id(_read(_notebook_path(COURSE / "source", assignment)))
    released = _cells_by_grade_id(_read(_notebook_path(course / "release", assignment)))
    for name in GRADED[assignment]:
        before, rest = source[name].source.split("    ### BEGIN SOLUTION\n")
        body, after = rest.split("    ### END SOLUTION")
        assert released[name].source == before + "    # YOUR CODE HERE\n    " + STUB + after
        assert body.strip() and body.strip() not in released[name].source


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_contains_no_solution_or_reference_source(assignment, course):
    solution_lines = {
        line.strip()
        for cell in _solution_cells(_read(_notebook_path(COURSE / "source", assignment)))
        for line in cell.source.split("### BEGIN SOLUTION")[1]
        .split("### END SOLUTION")[0]
        .splitlines()
        if len(line.strip()) >= 12
    }
    reference_lines = _reference_lines()
    files = [path for path in (course / "release" / assignment).rglob("*") if path.is_file()]
    assert {path.name for path in files} >= {f"{assignment}.ipynb", "demos.py", "demo_support.py"}
    for path in files:
        text = _released_text(path)
        joined = "\n".join(text)
        assert "BEGIN SOLUTION" not in joined and "END SOLUTION" not in joined, path.name
        stripped = {line.strip().strip('"').strip() for line in text}
        assert not stripped & reference_lines, (path.name, sorted(stripped & reference_lines))
        if path.suffix == ".ipynb":
            assert not {line.strip() for line in text} & solution_lines, path.name


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_runs_in_a_fresh_kernel_and_reports_missing_work_clearly(assignment, course):
    folder = course / "release" / assignment
    _skip_without_selfcheck(folder)
    notebook = _run(_read(_notebook_path(course / "release", assignment)), folder,
                    f"release {assignment} (stubs)", allow_errors=True)  # fmt: skip
    cells = _cells_by_grade_id(notebook)
    for name in GRADED[assignment]:
        (error,) = _errors(cells[f"test_{name}"])
        assert error.ename == "SelfCheckFailed"
        assert name in error.evalue and "not implemented" in error.evalue
        assert len(error.traceback) <= 2, error.traceback
    for cell in notebook.cells:
        if not _nbgrader(cell).get("grade_id", "").startswith("test_"):
            assert not _errors(cell), _error_text(cell)
        uses_student_code = any(name in cell.source for name in GRADED[assignment])
        if "demo" in cell.metadata.get("tags", []) and uses_student_code:
            assert re.search(r"implement \w+ first to see this demo", _stdout(cell)), cell.source


def _fill(notebook, answers: dict[str, str]):
    """Replace each named solution cell of a released notebook by the given code."""
    for cell in notebook.cells:
        name = _nbgrader(cell).get("grade_id")
        if _nbgrader(cell).get("solution") and name in answers:
            cell.source = answers[name]
    return notebook


def _reference_answers(assignment: str) -> dict[str, str]:
    module = REFERENCE_MODULE[assignment].__name__
    return {name: f"from {module} import {name}" for name in GRADED[assignment]}


FIGURES = {"optimization": 4, "initialization": 3}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_filled_with_the_reference_passes_every_selfcheck(assignment, course):
    folder = course / "release" / assignment
    _skip_without_selfcheck(folder)
    notebook = _fill(
        _read(_notebook_path(course / "release", assignment)), _reference_answers(assignment)
    )
    notebook = _run(notebook, folder, f"release {assignment} (reference answers)")
    cells = _cells_by_grade_id(notebook)
    for name in GRADED[assignment]:
        assert "self-checks passed" in _stdout(cells[f"test_{name}"]), name
    figures = [
        out for c in notebook.cells if "demo" in c.metadata.get("tags", [])
        for out in c.outputs if "image/png" in out.get("data", {})
    ]  # fmt: skip
    assert len(figures) == FIGURES[assignment]


MOMENTUM_WITHOUT_DAMPING = """
def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    for key in v:
        v[key] = beta * v[key] + grads[key]
        parameters[key[1:]] = parameters[key[1:]] - learning_rate * v[key]
    return parameters, v
"""


def test_momentum_without_one_minus_beta_fails_its_selfcheck_with_a_reason(course):
    folder = course / "release" / "optimization"
    _skip_without_selfcheck(folder)
    notebook = _read(_notebook_path(course / "release", "optimization"))
    notebook.cells = [c for c in notebook.cells if "demo" not in c.metadata.get("tags", [])]
    answers = _reference_answers("optimization")
    answers["update_parameters_with_momentum"] = MOMENTUM_WITHOUT_DAMPING
    cells = _cells_by_grade_id(_run(_fill(notebook, answers), folder,
                                    "release optimization (one mistake)",
                                    allow_errors=True))  # fmt: skip
    (error,) = _errors(cells["test_update_parameters_with_momentum"])
    assert error.ename == "SelfCheckFailed"
    assert "1 - beta" in error.evalue or "(1-beta)" in error.evalue, error.evalue
    others = [name for name in GRADED["optimization"] if name != "update_parameters_with_momentum"]
    assert all(not _errors(cells[f"test_{name}"]) for name in others)


# ---------------------------------------------------------------------------------------------
# Autograding


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_autograding_the_source_notebook_gives_full_marks(assignment, course):
    _skip_without_selfcheck(COURSE / "source" / assignment)
    from nbgrader.api import Gradebook

    submission = course / "submitted" / STUDENT / assignment
    submission.mkdir(parents=True)
    shutil.copy(_notebook_path(course / "source", assignment), submission)
    started = time.perf_counter()
    _nbgrader_command(course, "autograde", assignment, "--student", STUDENT)
    _report_time(f"nbgrader autograde {assignment}", time.perf_counter() - started)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        graded = gradebook.find_submission(assignment, STUDENT)
        assert graded.max_score == sum(GRADED[assignment].values())
        assert graded.score == graded.max_score
