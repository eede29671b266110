"""What ``nbgrader generate_assignment`` releases holds no key, explanation or rubric."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.batch.grader import SECRET_FILE
from autograder.quiz import bank_paths, build_quiz, load_quiz

REPO = Path(__file__).resolve().parents[1]
QUIZZES = [load_quiz(path) for path in bank_paths(REPO)]

MINIMAL_CONFIG = """\
import os
c = get_config()  # noqa: F821
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
"""


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    """Build every quiz into a fresh course root and release them all with nbgrader."""
    course = tmp_path_factory.mktemp("course")
    config = REPO / "assignments" / "nbgrader_config.py"
    if config.exists():
        shutil.copy(config, course / "nbgrader_config.py")
    else:
        (course / "nbgrader_config.py").write_text(MINIMAL_CONFIG, encoding="utf-8")
    for quiz in QUIZZES:
        build_quiz(quiz, course)
    bin_dir = str(Path(sys.executable).parent)  # nbgrader runs `alembic` from PATH
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", "*_quiz", "--force"],
        check=False,
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return course / "release"


def secrets_of(quiz) -> list[str]:
    """Fragments of every explanation and rubric (long enough to be unambiguous)."""
    texts = [text for item in quiz.items for text in item.explanations.values()]
    texts += [item.rubric for item in quiz.items if item.rubric]
    texts += [item.explanation for item in quiz.items if item.explanation]
    return [text[:40] for text in texts]


@pytest.mark.parametrize("quiz", QUIZZES, ids=[quiz.id for quiz in QUIZZES])
def test_release_holds_no_explanation_or_rubric(release, quiz):
    files = [path for path in (release / quiz.id).rglob("*") if path.is_file()]
    assert release / quiz.id / f"{quiz.id}.ipynb" in files
    for path in files:
        text = path.read_text(encoding="utf-8")
        for secret in secrets_of(quiz):
            assert secret not in text, f"{path} leaks {secret!r}"


@pytest.mark.parametrize("quiz", QUIZZES, ids=[quiz.id for quiz in QUIZZES])
def test_released_answer_cells_hold_no_answer(release, quiz):
    nb = nbformat.read(release / quiz.id / f"{quiz.id}.ipynb", as_version=4)
    answer_cells = {
        cell.metadata["nbgrader"]["grade_id"]: cell
        for cell in nb.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }
    assert set(answer_cells) == {item.id for item in quiz.items}
    for item in quiz.items:
        source = answer_cells[item.id].source
        assert "SOLUTION" not in source
        for letter in item.answer:
            assert f'"{letter}"' not in source.split("\n", 1)[-1]
    assert nb.metadata["autograder"] == {"assignment": quiz.id, "kind": "quiz"}


def test_release_ships_the_format_check_beside_a_choice_quiz(release):
    shipped = release / "optimization_quiz" / "quizcheck.py"
    assert shipped.read_bytes() == (REPO / "autograder" / "quiz" / "answers.py").read_bytes()


def _released_bytes(release: Path, quiz_id: str) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in (release / quiz_id).rglob("*") if path.is_file()}


def test_the_release_holds_the_salt_but_not_the_course_secret(release):
    secret = (release.parent / SECRET_FILE).read_bytes().strip()
    quiz_id = "optimization_quiz"
    salt = hmac.new(secret, f"variants/{quiz_id}".encode(), hashlib.sha256).hexdigest()
    files = _released_bytes(release, quiz_id)
    assert json.loads(files[release / quiz_id / "quizvariants.json"])["salt"] == salt
    for path, data in files.items():
        assert secret not in data and secret.decode() not in data.decode(), (
            f"{path} holds the secret")
    assert not [path for path in release.rglob("*") if SECRET_FILE in path.name]


def test_the_released_variant_data_holds_no_key_and_no_answer_function(release):
    quiz = load_quiz(REPO / "quizzes" / "optimization_quiz.yaml")
    data = json.loads((release / quiz.id / "quizvariants.json").read_text(encoding="utf-8"))
    assert set(data) == {"quiz", "salt", "items"}
    for item_id, shown in data["items"].items():
        item = quiz.item(item_id)
        assert set(shown) == ({"prompt", "parameters"} if item.type == "numeric" else {"choices"})
    text = json.dumps(data)
    for field in ("answer", "function", "tolerance", "explanation"):
        assert f'"{field}"' not in text


def test_release_ships_the_variant_module_verbatim(release):
    shipped = release / "optimization_quiz" / "quizvariants.py"
    assert shipped.read_bytes() == (REPO / "autograder" / "quiz" / "variants.py").read_bytes()
    assert not (release / "initialization_quiz" / "quizvariants.py").exists()
