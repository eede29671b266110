"""``autograder stats`` on a really graded course: the counts of known mistakes come out exactly.

The course (tests/support/stats.py) has eight optimization submissions: the reference,
three with epsilon inside Adam's square root, two (with hostile ids) without the floor in
schedule_lr_decay, one update_lr wrong in no catalogued way and one not implemented, plus a
results.json that is not JSON; four optimization_quiz answer sheets; two initialization_quiz
sheets of free-response answers.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from support.grading import invoke_cli
from support.stats import (
    BROKEN,
    FREE,
    HOSTILE_FORMULA,
    HOSTILE_HTML,
    MISSING_FLOOR,
    OPTIMIZATION,
    QUIZ,
    copy_course,
    formula,
    graded_course,
)

from autograder.exercises.optimization import EPS_INSIDE
from autograder.stats import class_statistics, questions_of, read_glob, read_round

ADAM, DECAY = "update_parameters_with_adam", "schedule_lr_decay"


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    return graded_course(tmp_path_factory)


@pytest.fixture(scope="module")
def written(course, tmp_path_factory) -> dict[str, Path]:
    """``autograder stats`` of each assignment of the course, into a folder of its own."""
    out = tmp_path_factory.mktemp("stats")
    for assignment in ("optimization", "optimization_quiz", "initialization_quiz"):
        code, stdout, stderr = invoke_cli("stats", assignment, "--course", str(course),
                                          "--output", str(out))
        assert code == 0, stderr
    return {"out": out, "stdout": stdout}


def _json(written, assignment: str) -> dict:
    return json.loads((written["out"] / f"{assignment}_stats.json").read_text())


def _scores(name: str) -> dict[str, float]:
    """The score of each optimization student on ``name`` (full marks unless the mistake says)."""
    from autograder import course as course_info
    from autograder.exercises import ASSIGNMENTS

    names = [exercise.name for exercise in ASSIGNMENTS["optimization"]]
    points = course_info.points(course_info.default_course_root(), "optimization", names)
    return {student: lost.get(name, points[name]) for student, (_, lost) in OPTIMIZATION.items()}


def test_every_readable_student_is_counted_and_the_broken_file_is_named(written):
    stats = _json(written, "optimization")
    assert stats["students"] == len(OPTIMIZATION)
    assert [entry["student"] for entry in stats["skipped"]] == [BROKEN]
    assert "not valid JSON" in stats["skipped"][0]["reason"]


def test_the_catalogued_mistakes_are_counted_with_their_students(written):
    names = _json(written, "optimization")["names"]
    assert names[ADAM]["mistakes"] == {EPS_INSIDE: 3}
    assert names[ADAM]["mistake_students"] == {EPS_INSIDE: ["eps-1", "eps-2", "eps-3"]}
    assert names[ADAM]["full_marks"] == 5 and names[ADAM]["unexplained"] == 0
    assert names[DECAY]["mistakes"] == {MISSING_FLOOR: 2}
    assert names[DECAY]["mistake_students"] == {
        MISSING_FLOOR: sorted([HOSTILE_HTML, HOSTILE_FORMULA])}
    assert all(entry["mistakes"] == {} for name, entry in names.items()
               if name not in (ADAM, DECAY))


def test_wrong_answers_no_mistake_explains_are_unexplained(written):
    update_lr = _json(written, "optimization")["names"]["update_lr"]
    assert update_lr["unexplained"] == 2 and update_lr["unexplained_students"] == ["odd", "stub"]
    assert update_lr["problems"] == {"not implemented": 1}
    assert update_lr["mistakes"] == {}


def test_scores_and_discrimination_match_the_hand_computed_values(written):
    names = _json(written, "optimization")["names"]
    students = sorted(OPTIMIZATION)
    every = {name: _scores(name) for name in names}
    totals = {student: sum(scores[student] for scores in every.values()) for student in students}
    for name in (ADAM, DECAY, "update_lr"):
        x = np.array([every[name][s] for s in students])
        rest = np.array([totals[s] - every[name][s] for s in students])
        assert names[name]["mean"] == pytest.approx(x.mean(), abs=1e-6)
        assert names[name]["median"] == pytest.approx(np.median(x))
        assert names[name]["discrimination"] == pytest.approx(np.corrcoef(x, rest)[0, 1], abs=1e-6)
    assert names["update_parameters_with_gd"]["discrimination"] is None  # everyone right
    assert names[ADAM]["histogram"]["counts"] == [0] * 7 + [3, 0, 5]  # 2.25 of 3: 75%


def test_the_quiz_distractor_table(written):
    names = _json(written, "optimization_quiz")["names"]
    most_variance = names["most_variance"]  # key A; totals q1 6, q2 5, q3 4, q4 4
    assert most_variance["choices"] == {"A": {"picked": 2, "mean_total": 5.0},
                                        "B": {"picked": 1, "mean_total": 5.0},
                                        "C": {"picked": 1, "mean_total": 4.0}}
    assert most_variance["letters"] == ["A", "B", "C"] and most_variance["answer"] == ["A"]
    assert most_variance["difficulty"] == 0.5 and most_variance["full_marks"] == 2
    # x = [1, 0, 0, 1], rest = [5, 5, 4, 3]: cov -0.5 / sqrt(1 * 2.75)
    assert most_variance["discrimination"] == pytest.approx(-0.5 / np.sqrt(2.75), abs=1e-6)
    different_influence = names["different_influence"]  # key A, D; q4 picked A, B, C: 0 points
    assert different_influence["choices"] == {
        "A": {"picked": 4, "mean_total": 4.75}, "B": {"picked": 1, "mean_total": 4.0},
        "C": {"picked": 1, "mean_total": 4.0}, "D": {"picked": 3, "mean_total": 5.0}}
    assert names["not_true_gradient_descent"]["choices"]["A"] == {"picked": 1, "mean_total": 4.0}
    assert _json(written, "optimization_quiz")["students"] == len(QUIZ)


def test_free_response_items_count_answers_and_those_awaiting_a_hand_grade(written):
    names = _json(written, "initialization_quiz")["names"]
    assert names["constant_weight_variance"]["graded"] == len(FREE)
    assert names["constant_weight_variance"]["answered"] == 1  # f2's answer is empty
    assert names["constant_weight_variance"]["awaiting_manual"] == 2
    assert names["relu_assumption"]["answered"] == 1  # f2 has none: not recorded for a hand grade
    assert names["relu_assumption"]["awaiting_manual"] == 1
    assert (names["relu_assumption"]["discrimination"] is None
            and names["relu_assumption"]["unexplained"] == 0)


def test_the_csv_has_a_row_per_mistake_with_its_students(written):
    rows = list(csv.DictReader(
        io.StringIO((written["out"] / "optimization_stats.csv").read_text())))
    (decay,) = [row for row in rows if row["name"] == DECAY and row["row"] == "mistake"]
    assert decay["label"] == MISSING_FLOOR and decay["count"] == "2"
    assert decay["students"] == f"{HOSTILE_HTML}, {HOSTILE_FORMULA}"
    assert not any(formula(cell) for row in rows for cell in row.values())
    summary = {row["name"]: row for row in rows if row["row"] == "name"}
    assert summary[ADAM]["graded"] == "8" and summary[ADAM]["full_marks"] == "5"
    assert summary["update_parameters_with_gd"]["discrimination"] == ""
    quiz = list(csv.DictReader(
        io.StringIO((written["out"] / "optimization_quiz_stats.csv").read_text())))
    choices = [(row["label"], row["count"], row["mean_total"]) for row in quiz
               if row["name"] == "most_variance" and row["row"] == "choice"]
    assert choices == [("A*", "2", "5"), ("B", "1", "5"), ("C", "1", "4")]


def test_the_command_prints_the_top_mistakes_and_where_it_wrote(course, tmp_path):
    code, stdout, stderr = invoke_cli("stats", "optimization", "--course", str(course),
                                      "--output", str(tmp_path))
    assert code == 0
    assert f"wrote {tmp_path / 'optimization_stats.html'}" in stdout
    assert "Most common mistakes" in stdout and "epsilon is inside" in stdout
    assert stderr.count("skipped") == 1 and "not valid JSON" in stderr


def test_the_default_output_is_the_course_stats_folder(course, tmp_path):
    copy = copy_course(course, tmp_path)
    code, _, stderr = invoke_cli("stats", "optimization", "--course", str(copy))
    assert code == 0, stderr
    assert sorted(path.name for path in (copy / "stats").iterdir()) == [
        "optimization_stats.csv", "optimization_stats.html", "optimization_stats.json"]
    assert not (copy / "feedback").exists()


def test_the_glob_of_gradescope_downloads_gives_the_same_numbers(course, tmp_path):
    for path in (course / "autograded").glob("*/optimization/results.json"):
        student = path.parent.parent.name
        (tmp_path / "downloads" / student).mkdir(parents=True)
        shutil.copy(path, tmp_path / "downloads" / student / "results.json")
        (tmp_path / "flat").mkdir(exist_ok=True)
        shutil.copy(path, tmp_path / "flat" / f"{student}.json")
    questions = questions_of("optimization", course)
    expected = class_statistics("optimization", questions,
                                read_round(course, "optimization").students)
    for pattern in (f"{tmp_path}/downloads/*/results.json", f"{tmp_path}/flat/*.json",
                    f"{tmp_path}/downloads", f"{course}/autograded/*/optimization/results.json"):
        from_glob = read_glob(pattern, "optimization")
        assert class_statistics("optimization", questions, from_glob.students) == expected
        assert [entry.who for entry in from_glob.skipped] == [BROKEN]


@pytest.mark.parametrize(("args", "words"), [
    (["stats", "nonesuch"], "unknown assignment 'nonesuch'"),
    (["stats", "initialization"], "no results for initialization"),
    (["stats", "optimization", "--results-glob", "/nonexistent/*/results.json"],
     "cannot open the folder"),
    (["stats", "optimization", "--results-glob", "{tmp}/*.json"], "no file matches"),
])
def test_usage_errors_are_one_line_and_exit_2(course, tmp_path, args, words):
    code, stdout, stderr = invoke_cli(*[a.replace("{tmp}", str(tmp_path)) for a in args],
                                      "--course", str(course), "--output", str(tmp_path))
    assert code == 2 and stdout == ""
    assert stderr.count("\n") == 1 and stderr.startswith("autograder: error: ") and words in stderr


def test_a_round_whose_every_file_is_broken_exits_2(tmp_path, course):
    copy = copy_course(course, tmp_path)
    for path in (copy / "autograded").glob("*/optimization/results.json"):
        path.write_text("[]")
    code, _, stderr = invoke_cli("stats", "optimization", "--course", str(copy))
    assert code == 2 and stderr.splitlines()[-1].startswith(
        "autograder: error: none of the 9 results.json")
