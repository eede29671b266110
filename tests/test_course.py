"""One vocabulary for assignment ids: every command resolves an id with `course.assignment`, and
an id that names nothing gets the same one-line message from each (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from support.contract import GRADED_NAMES

from autograder import course
from autograder.cli import main
from autograder.exercises import ASSIGNMENTS

REPO = Path(__file__).resolve().parents[1]
COURSE = REPO / "assignments"
MESSAGE = f"unknown assignment 'nope' (known: {', '.join(course.known_ids(REPO))})"


def test_an_id_names_an_exercise_set_or_a_quiz_with_its_graded_names():
    exercises = course.assignment("optimization", COURSE)
    assert (exercises.is_quiz, exercises.bank) == (False, None)
    assert exercises.names() == [exercise.name for exercise in ASSIGNMENTS["optimization"]]
    quiz = course.assignment("optimization_quiz", COURSE)
    assert quiz.is_quiz and quiz.bank == REPO / "quizzes" / "optimization_quiz.yaml"
    assert quiz.names()[0] == "most_variance"
    assert course.known_ids(REPO) == [*ASSIGNMENTS, *course.quiz_ids(REPO)]


@pytest.mark.parametrize("assignment", sorted(GRADED_NAMES))
def test_an_exercise_set_grades_the_names_of_the_contract_in_its_order(assignment):
    assert course.assignment(assignment, COURSE).names() == GRADED_NAMES[assignment]
    assert sorted(GRADED_NAMES) == sorted(ASSIGNMENTS)  # no exercise set outside the contract


@pytest.mark.parametrize("command", [
    ["grade", "x.py", "--assignment", "nope"],
    ["autograde", "nope"],
    ["stats", "nope"],
    ["gradescope", "build", "nope"],
])
def test_every_command_refuses_an_unknown_id_with_the_same_line(command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.py").write_text("")
    result = CliRunner().invoke(main, [*command, *(["--course", str(COURSE)] if command[0] in (
        "grade", "autograde", "stats") else [])])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == f"autograder: error: {MESSAGE}"
    assert not list(tmp_path.glob("*.json")) and not list(tmp_path.glob("*.zip"))


@given(st.text(max_size=40))
def test_a_test_cell_names_its_graded_name_and_no_other_cell_names_one(name):
    assert course.tested_name(course.test_cell_id(name)) == name
    assert course.tested_name(name) is None or name.startswith(course.TEST_CELL_PREFIX)
