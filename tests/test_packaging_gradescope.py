"""``autograder gradescope build``: the zip, and the zip run the way Gradescope runs it."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from test_grading_support import source_notebook

from autograder.cli import main
from autograder.packaging.gradescope import FIXED_TIME, BundleError, bundle_entries

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
SOURCE_NOTEBOOK = REPO / "assignments/source/optimization/optimization.ipynb"


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def build(assignment: str, output: Path, *args: str) -> Path:
    result = run("gradescope", "build", assignment, "--output", str(output), *args)
    assert result.exit_code == 0, result.output
    return output


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return build("optimization", tmp_path_factory.mktemp("zip") / "autograder.zip")


def mode(info: zipfile.ZipInfo) -> int:
    return info.external_attr >> 16


def unpack(bundle: Path, root: Path) -> Path:
    """Unzip into ``root/source`` keeping the modes, as Gradescope does; returns ``root``."""
    with zipfile.ZipFile(bundle) as archive:
        for info in archive.infolist():
            path = Path(archive.extract(info, root / "source"))
            path.chmod(stat.S_IMODE(mode(info)))
    return root


def run_autograder(root: Path, path: str) -> subprocess.CompletedProcess:
    env = {"PATH": path, "AUTOGRADER_ROOT": str(root), "HOME": str(root), "LANG": "C.UTF-8"}
    return subprocess.run(
        [str(root / "source" / "run_autograder")], check=False, env=env, capture_output=True, text=True, timeout=300
    )


def results_of(root: Path) -> dict:
    return json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))


# --- the zip ------------------------------------------------------------------------------------


def test_scripts_are_at_the_root_and_executable(bundle):
    with zipfile.ZipFile(bundle) as archive:
        infos = {info.filename: info for info in archive.infolist()}
    for script in ("setup.sh", "run_autograder"):
        assert stat.S_IMODE(mode(infos[script])) == 0o755 and stat.S_ISREG(mode(infos[script]))
        assert infos[script].create_system == 3  # Unix, so unzip honours the mode
    assert stat.S_IMODE(mode(infos["pyproject.toml"])) == 0o644


def test_zip_holds_the_package_sources_and_the_assignment_source(bundle):
    names = set(zipfile.ZipFile(bundle).namelist())
    assert {
        "pyproject.toml", "README.md", "reference/optimizers.py", "autograder/cli.py", "autograder/selfcheck.py",
        "autograder/packaging/templates/run_autograder", "assignments/source/optimization/optimization.ipynb",
    } <= names
    assert not [name for name in names if name.startswith(("quizzes/", "assignments/source/initialization", "tests/"))]


def test_zip_leaves_out_caches_and_environments(bundle):
    names = zipfile.ZipFile(bundle).namelist()
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc") or ".venv" in name]


def test_zip_is_deterministic(bundle, tmp_path):
    again = build("optimization", tmp_path / "again.zip")
    assert again.read_bytes() == bundle.read_bytes()
    infos = zipfile.ZipFile(bundle).infolist()
    assert [info.filename for info in infos] == sorted(info.filename for info in infos)
    assert {info.date_time for info in infos} == {FIXED_TIME}


def test_bundle_skips_nbgrader_student_data_and_caches(tmp_path):
    for name in [
        "pyproject.toml", "README.md", "reference/optimizers.py", "autograder/cli.py",
        "assignments/source/optimization/optimization.ipynb",
        "autograder/__pycache__/cli.cpython-311.pyc", "autograder/.pytest_cache/v", "reference/x.egg-info/PKG-INFO",
        "assignments/source/optimization/.ipynb_checkpoints/optimization-checkpoint.ipynb",
        "assignments/source/optimization/gradebook.db", "assignments/source/optimization/release/x.ipynb",
        "assignments/source/optimization/submitted/alice/optimization.ipynb", "assignments/gradebook.db",
        "assignments/release/optimization/optimization.ipynb", ".venv/bin/python",
    ]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    names = [entry.name for entry in bundle_entries(tmp_path, "optimization", [])]
    assert names == [
        "README.md", "assignments/source/optimization/optimization.ipynb", "autograder/cli.py",
        "pyproject.toml", "reference/optimizers.py", "run_autograder", "setup.sh",
    ]


def test_a_quiz_bundle_holds_its_item_bank(tmp_path):
    names = set(zipfile.ZipFile(build("optimization_quiz", tmp_path / "quiz.zip")).namelist())
    assert "quizzes/optimization_quiz.yaml" in names
    assert "quizzes/initialization_quiz.yaml" not in names
    assert "assignments/source/optimization/optimization.ipynb" not in names


def test_the_scripts_name_the_assignment(bundle):
    script = zipfile.ZipFile(bundle).read("run_autograder").decode()
    assert 'ASSIGNMENT="optimization"' in script
    assert not re.search(r"@[A-Z_]+@", script)


def test_unknown_assignment_is_a_one_line_usage_error(tmp_path):
    result = run("gradescope", "build", "optimisation", "--output", str(tmp_path / "x.zip"))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("autograder: error: unknown assignment 'optimisation'")
    assert len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "x.zip").exists()


def test_a_tree_without_the_source_notebook_is_a_usage_error(tmp_path):
    (tmp_path / "root").mkdir()
    with pytest.raises(BundleError, match="optimization.ipynb"):
        bundle_entries(tmp_path / "root", "optimization", [])
    result = run("gradescope", "build", "optimization", "--root", str(tmp_path / "root"))
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1


def test_missing_id_is_a_usage_error():
    result = run("gradescope", "build")
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1


# --- Gradescope, simulated: AUTOGRADER_ROOT stands for /autograder ------------------------------


def test_setup_installs_python_and_the_bundled_grader(bundle, tmp_path):
    root = unpack(bundle, tmp_path)
    done = subprocess.run(
        [str(root / "source" / "setup.sh")], env={"PATH": os.defpath, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_DRY_RUN": "1"},
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "apt-get install -y --no-install-recommends python3 python3-pip python3-venv" in done.stdout
    assert f"+ python3 -m venv {root}/venv" in done.stdout
    assert f"{root}/venv/bin/python -m pip install --quiet {root}/source" in done.stdout


def _submit_completed(path: Path) -> None:
    """The source notebook as a student who solved it submits it (no solution markers)."""
    nbformat.write(source_notebook("optimization"), path)


def test_completed_notebook_gets_the_full_score(bundle, tmp_path):
    root = unpack(bundle, tmp_path)
    (root / "submission").mkdir()
    _submit_completed(root / "submission" / "optimization.ipynb")
    done = run_autograder(root, f"{VENV_BIN}:{os.defpath}")
    assert done.returncode == 0, done.stderr
    results = results_of(root)
    assert results["score"] == results["max_score"] == 15
    assert all(test["score"] == test["max_score"] for test in results["tests"])


def test_a_notebook_deep_in_a_repository_submission_is_found(bundle, tmp_path):
    root = unpack(bundle, tmp_path)
    (root / "submission" / "repo" / "scratch").mkdir(parents=True)
    _submit_completed(root / "submission" / "repo" / "optimization.ipynb")
    (root / "submission" / "repo" / "scratch" / "playground.ipynb").write_text("{}", encoding="utf-8")
    (root / "submission" / "repo" / "README.md").write_text("mine", encoding="utf-8")
    run_autograder(root, f"{VENV_BIN}:{os.defpath}")
    assert results_of(root)["score"] == 15


def test_empty_submission_gets_zero_and_says_why(bundle, tmp_path):
    root = unpack(bundle, tmp_path)
    (root / "submission").mkdir()
    done = run_autograder(root, f"{VENV_BIN}:{os.defpath}")
    assert done.returncode == 0
    results = results_of(root)
    assert results["score"] == 0 and results["max_score"] == 15
    assert "holds no notebook: add optimization.ipynb" in results["output"]


def test_without_a_working_grader_results_json_still_says_what_happened(bundle, tmp_path):
    root = unpack(bundle, tmp_path)
    (root / "submission").mkdir()
    shutil.copy(SOURCE_NOTEBOOK, root / "submission" / "optimization.ipynb")
    done = run_autograder(root, os.defpath)  # setup.sh never ran: no `autograder` on PATH
    assert done.returncode == 0
    results = results_of(root)
    assert results["score"] == 0 and results["tests"] == []
    assert "tell the course staff" in results["output"]


def test_a_quiz_bundle_grades_answers_with_its_own_key(tmp_path):
    root = unpack(build("optimization_quiz", tmp_path / "quiz.zip"), tmp_path / "autograder")
    (root / "submission").mkdir()
    shutil.copy(REPO / "autograder/samples/optimization_quiz_answers.py", root / "submission" / "answers.py")
    run_autograder(root, f"{VENV_BIN}:{os.defpath}")
    results = results_of(root)
    assert results["extra_data"]["assignment"] == "optimization_quiz"
    assert 0 < results["score"] <= results["max_score"]
    assert {test["name"] for test in results["tests"]} >= {"most_variance", "not_true_gradient_descent"}
