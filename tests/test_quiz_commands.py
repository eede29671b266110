"""The ``quiz`` click group: validate and build."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from autograder.quiz.commands import find_repo_root, quiz

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def repo(tmp_path) -> Path:
    """A repository copy holding the course's banks and an empty course root."""
    shutil.copytree(REPO / "quizzes", tmp_path / "quizzes")
    (tmp_path / "assignments").mkdir()
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(quiz, list(args))


def test_validate_prints_ok_for_every_bank(repo):
    result = run("--root", str(repo), "validate")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "OK quizzes/initialization_quiz.yaml",
        "OK quizzes/optimization_quiz.yaml",
    ]


def test_validate_prints_the_errors_and_exits_1(repo):
    bad = repo / "quizzes" / "bad_quiz.yaml"
    bad.write_text(
        "title: x\nitems:\n  - id: q\n    type: single\n    prompt: p\n", encoding="utf-8"
    )
    result = run("--root", str(repo), "validate")
    assert result.exit_code == 1
    assert "OK quizzes/optimization_quiz.yaml" in result.output
    assert f"{bad}: item 'q' (#1), field 'points': is missing (required)" in result.output


def test_validate_takes_paths(repo, tmp_path):
    result = run("--root", str(repo), "validate", str(repo / "quizzes" / "optimization_quiz.yaml"))
    assert result.exit_code == 0 and result.output == "OK quizzes/optimization_quiz.yaml\n"


def test_build_writes_then_reports_unchanged(repo):
    first = run("--root", str(repo), "build")
    assert first.exit_code == 0, first.output
    assert "written   assignments/source/optimization_quiz/optimization_quiz.ipynb" in first.output
    assert (repo / "assignments/source/initialization_quiz/initialization_quiz.ipynb").exists()
    second = run("--root", str(repo), "build", "optimization_quiz")
    assert second.exit_code == 0
    assert second.output.splitlines() == [
        "unchanged assignments/source/optimization_quiz/optimization_quiz.ipynb",
        "unchanged assignments/source/optimization_quiz/quizcheck.py",
        "unchanged assignments/source/optimization_quiz/quizvariants.py",
        "unchanged assignments/source/optimization_quiz/quizvariants.json",
    ]


def test_build_of_an_unknown_quiz_is_a_usage_error(repo):
    result = run("--root", str(repo), "build", "no_such_quiz")
    assert result.exit_code == 2
    assert "unknown quiz no_such_quiz" in result.output


def test_build_refuses_an_invalid_bank(repo):
    (repo / "quizzes" / "bad_quiz.yaml").write_text("title: x\nitems: []\n", encoding="utf-8")
    result = run("--root", str(repo), "build", "bad_quiz")
    assert result.exit_code == 1
    assert "field 'items'" in result.output
    assert not (repo / "assignments" / "source" / "bad_quiz").exists()


def test_the_root_is_found_from_a_subfolder(repo, monkeypatch):
    (repo / "assignments" / "deep").mkdir()
    assert find_repo_root(repo / "assignments" / "deep") == repo
    monkeypatch.chdir(repo / "assignments" / "deep")
    result = run("validate")
    assert result.exit_code == 0 and "OK quizzes/optimization_quiz.yaml" in result.output


def test_without_a_root_the_group_says_to_use_root(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("validate")
    assert result.exit_code == 2 and "--root" in result.output


def test_variant_prints_each_students_variant_and_the_answers_with_full_marks(repo):
    assert run("--root", str(repo), "build", "optimization_quiz").exit_code == 0
    result = run("--root", str(repo), "variant", "optimization_quiz", "-s", "alice", "-s", "bob")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "optimization_quiz, student id 'alice':"
    assert "optimization_quiz, student id 'bob':" in lines
    assert any(line.startswith("  adam_bias_correction: the bank's ") for line in lines)
    assert any(line.startswith("  scheduled_learning_rate: learning_rate0 = ") for line in lines)
    assert sum(line.startswith("    full marks: ") for line in lines) == 4


def test_variant_of_a_bad_student_id_is_a_usage_error(repo):
    assert run("--root", str(repo), "build", "optimization_quiz").exit_code == 0
    result = run("--root", str(repo), "variant", "optimization_quiz", "-s", "a/b")
    assert result.exit_code == 2 and "no '/'" in result.output
