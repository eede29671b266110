"""``autograder gradescope build``: the zip, and the zip run the way Gradescope runs it.

Two ways to run it: with ``AUTOGRADER_ROOT`` standing for ``/autograder`` and this project's venv
on PATH (fast, every assumption of ``run_autograder``), and as Gradescope builds its image
(``gradescope_image``): ``setup.sh`` run for real into a fresh venv from the package index, then
``run_autograder`` with nothing of this project on PATH.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from support import built_once
from support.gradescope import VENV_BIN, build, mode, results_of, run_autograder, unpack
from support.grading import source_notebook

from autograder.cli import main
from autograder.packaging.gradescope import FIXED_TIME, BundleError, bundle_entries

REPO = Path(__file__).resolve().parents[1]
SOURCE_NOTEBOOK = REPO / "assignments/source/optimization/optimization.ipynb"


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return build("optimization", tmp_path_factory.mktemp("zip") / "autograder.zip")


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
        "pyproject.toml", "README.md", "reference/optimizers.py", "autograder/cli.py",
        "autograder/selfcheck.py", "autograder/packaging/templates/run_autograder",
        "assignments/source/optimization/optimization.ipynb",
    } <= names
    assert not [name for name in names
                if name.startswith(("quizzes/", "assignments/source/initialization", "tests/"))]


def test_zip_leaves_out_caches_and_environments(bundle):
    names = zipfile.ZipFile(bundle).namelist()
    assert not [name for name in names
                if "__pycache__" in name or name.endswith(".pyc") or ".venv" in name]


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
        "autograder/__pycache__/cli.cpython-311.pyc", "autograder/.pytest_cache/v",
        "reference/x.egg-info/PKG-INFO",
        "assignments/source/optimization/.ipynb_checkpoints/optimization-checkpoint.ipynb",
        "assignments/source/optimization/gradebook.db",
        "assignments/source/optimization/release/x.ipynb",
        "assignments/source/optimization/submitted/alice/optimization.ipynb",
        "assignments/gradebook.db",
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
        [str(root / "source" / "setup.sh")],
        env={"PATH": os.defpath, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_DRY_RUN": "1"},
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert ("apt-get install -y --no-install-recommends python3 python3-pip python3-venv"
            in done.stdout)
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
    (root / "submission" / "repo" / "scratch" / "playground.ipynb").write_text(
        "{}", encoding="utf-8")
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
    shutil.copy(REPO / "autograder/samples/optimization_quiz_answers.py",
                root / "submission" / "answers.py")
    run_autograder(root, f"{VENV_BIN}:{os.defpath}")
    results = results_of(root)
    assert results["extra_data"]["assignment"] == "optimization_quiz"
    assert 0 < results["score"] <= results["max_score"]
    assert ({test["name"] for test in results["tests"]}
            >= {"most_variance", "not_true_gradient_descent"})


# --- Gradescope, for real: setup.sh builds the image, run_autograder grades ---------------------

#: What a root shell in Gradescope's image has on PATH: nothing of this project.
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#: The image's packages are there already; apt-get only records what setup.sh asks of it.
FAKE_APT_GET = '#!/bin/sh\nprintf "%s\\n" "$*" >> "$APT_LOG"\n'
DAMAGED_NOTEBOOK = SOURCE_NOTEBOOK.read_bytes()[:3000]


def _system_python_makes_venvs() -> bool:
    python3 = shutil.which("python3", path=SYSTEM_PATH)
    return python3 is not None and subprocess.run(
        [python3, "-c", "import ensurepip, venv"], capture_output=True, check=False).returncode == 0


def _run_setup(bundle: Path, image: Path, fake_bin: Path) -> None:
    unpack(bundle, image)
    fake_bin.mkdir(exist_ok=True)
    (fake_bin / "apt-get").write_text(FAKE_APT_GET, encoding="utf-8")
    (fake_bin / "apt-get").chmod(0o755)
    env = {key: value for key, value in os.environ.items()
           if key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env |= {"PATH": f"{fake_bin}{os.pathsep}{SYSTEM_PATH}", "AUTOGRADER_ROOT": str(image),
            "APT_LOG": str(image / "apt.log")}
    done = subprocess.run([str(image / "source" / "setup.sh")], cwd=image, env=env,
                          capture_output=True, text=True, timeout=900, check=False)
    (image / "setup.log").write_text(f"exit {done.returncode}\n{done.stdout}\n{done.stderr}",
                                     encoding="utf-8")


@pytest.fixture(scope="session")
def gradescope_image(tmp_path_factory) -> Path:
    """The zip unpacked into IMAGE/source and its setup.sh run once (a venv from the package
    index); shared by the xdist workers, like Gradescope's image by its submissions."""
    if not _system_python_makes_venvs():
        pytest.skip("the system python3 cannot make a venv (apt-get install python3-venv)")

    def set_up(image: Path) -> None:
        shared = image.parent
        _run_setup(build("optimization", shared / "gradescope-image.zip"), image,
                   shared / "gradescope-fake-bin")

    image = built_once(tmp_path_factory, "gradescope-image", set_up, marker="setup.log")
    log = (image / "setup.log").read_text(encoding="utf-8")
    assert log.startswith("exit 0\n"), log[-3000:]
    return image


def graded_in_image(image: Path, root: Path, submission: dict[str, bytes]) -> dict:
    """One submission graded as Gradescope grades it: a container of the image (here a tree
    whose source and venv are the image's), its files in submission/, run_autograder from
    /autograder with only system paths on PATH (as root, as on Gradescope, when the suite is)."""
    root.mkdir()
    (root / "source").symlink_to(image / "source")
    (root / "venv").symlink_to(image / "venv")
    (root / "submission").mkdir()
    for name, data in submission.items():
        (root / "submission" / name).write_bytes(data)
    env = {"PATH": SYSTEM_PATH, "HOME": str(root), "LANG": "C.UTF-8", "AUTOGRADER_ROOT": str(root)}
    done = subprocess.run([str(root / "source" / "run_autograder")], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return results_of(root)


@pytest.mark.gradescope_image
def test_setup_installs_the_grader_into_a_fresh_venv_for_root_only(gradescope_image):
    apt = (gradescope_image / "apt.log").read_text(encoding="utf-8").splitlines()
    assert apt == [
        "update",
        "install -y --no-install-recommends python3 python3-pip python3-venv libseccomp2",
    ]
    venv = gradescope_image / "venv"
    assert (venv / "pyvenv.cfg").is_file() and os.access(venv / "bin" / "autograder", os.X_OK)
    (site_packages,) = venv.glob("lib/python3*/site-packages")
    for private in (gradescope_image / "source", site_packages / "reference",
                    site_packages / "autograder"):
        assert stat.S_IMODE(private.stat().st_mode) & 0o077 == 0, private
    # the worker imports it
    assert stat.S_IMODE((site_packages / "numpy").stat().st_mode) & 0o005 == 0o005


@pytest.mark.gradescope_image
def test_the_image_gives_a_completed_notebook_full_marks(gradescope_image, tmp_path):
    notebook = nbformat.writes(source_notebook("optimization")).encode()
    results = graded_in_image(gradescope_image, tmp_path / "autograder",
                              {"optimization.ipynb": notebook})
    assert results["score"] == results["max_score"] == 15
    assert all(test["score"] == test["max_score"] for test in results["tests"])


@pytest.mark.gradescope_image
def test_the_image_gives_a_damaged_notebook_zero_and_says_why(gradescope_image, tmp_path):
    results = graded_in_image(gradescope_image, tmp_path / "autograder",
                              {"optimization.ipynb": DAMAGED_NOTEBOOK})
    assert results["score"] == 0 and results["max_score"] == 15 and len(results["tests"]) == 10
    assert "optimization.ipynb is not a valid notebook (its JSON is damaged)" in results["output"]


@pytest.mark.gradescope_image
def test_the_image_gives_an_empty_submission_zero_and_says_why(gradescope_image, tmp_path):
    results = graded_in_image(gradescope_image, tmp_path / "autograder", {})
    assert results["score"] == 0 and results["max_score"] == 15
    assert "holds no notebook: add optimization.ipynb" in results["output"]


def _student_of(tmp_path, metadata: object, *options: str):
    from click.testing import CliRunner

    from autograder.cli import main

    path = tmp_path / "submission_metadata.json"
    path.unlink(missing_ok=True)
    if metadata is not None:
        path.write_text(metadata if isinstance(metadata, str) else json.dumps(metadata))
    return CliRunner().invoke(main, ["gradescope", "student", str(path), *options])


def test_the_gradescope_student_id_is_the_submitters_email_or_nothing(tmp_path):
    """run_autograder passes `--student` from this; an id the grader would refuse, a missing
    or broken metadata file print nothing (the per-student items then score 0 with a reason)."""
    users = {"users": [{"email": "ada@example.edu", "sid": "12345", "id": 7}]}
    assert _student_of(tmp_path, users).stdout == "ada@example.edu\n"
    assert _student_of(tmp_path, users, "--field", "sid").stdout == "12345\n"
    for broken in (None, "{not json", {"users": []}, {"users": [{"email": "a\nb"}]},
                   {"users": [{"email": " ada"}]}, {"users": "ada"}, [1]):
        result = _student_of(tmp_path, broken)
        assert result.exit_code == 0 and result.stdout == "", (broken, result.output)
