"""``autograder autograde`` and ``autograder export``: a whole round of an nbgrader course.

Every test works on a copy of the course (and its quizzes) in a temporary folder whose gradebook
was made by ``nbgrader generate_assignment``; the repository is never modified.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import time
import warnings

import nbformat
import pytest
from click.testing import CliRunner
from nbgrader.api import Gradebook
from sqlalchemy.exc import SAWarning
from support.batch import (
    ASSIGNMENT,
    BIN,
    ENV,
    FULL_MARKS,
    REPO,
    _autograder,
    _batch,
    _gradebook,
    _per_name,
    _results,
    _results_path,
    _source,
    _submit,
    _with_exit_in,
    _with_mistake,
)

from autograder.batch import roster
from autograder.batch.gradebook import course_directory
from autograder.batch.grader import grade_job
from autograder.batch.spec import spec_for
from autograder.cli import main as autograder_main
from autograder.quiz import load_quiz
from autograder.quiz.personalize import right_answers, student_variants

# ---------------------------------------------------------------------------------------------
# Grades reach nbgrader


def test_batch_scores_reach_the_gradebook_and_nbgrader_export(course):
    _submit(course, "ada", _source(course))
    _submit(course, "bob", _with_mistake(course))
    (course / "submitted" / "ada" / ASSIGNMENT / "timestamp.txt").write_text(
        "2025-03-01 09:30:00.000000 UTC")

    done = _autograder("autograde", ASSIGNMENT, "--course", str(course), "--jobs", "2")
    assert done.returncode == 0, done.stderr
    assert "graded" in done.stdout and "mean score" in done.stdout

    results = {student: _results(course, student) for student in ("ada", "bob")}
    assert results["ada"]["score"] == FULL_MARKS
    bob = _per_name(results["bob"])
    assert (bob["update_parameters_with_momentum"] < 2
            and results["bob"]["score"] == FULL_MARKS - 2 + bob["update_parameters_with_momentum"])
    with _gradebook(course) as gradebook:
        for student, result in results.items():
            for name, score in _per_name(result).items():
                grade = gradebook.find_grade(f"test_{name}", ASSIGNMENT, ASSIGNMENT, student)
                assert (grade.auto_score == score and grade.manual_score is None
                        and not grade.needs_manual_grade)
        assert gradebook.find_submission(ASSIGNMENT, "ada").timestamp.isoformat().startswith(
            "2025-03-01T09:30")
        assert "hidden checks passed" in gradebook.find_comment(
            "update_lr", ASSIGNMENT, ASSIGNMENT, "bob").auto_comment
    # for formgrader
    assert (course / "autograded" / "ada" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()

    export = subprocess.run(
        [str(BIN / "nbgrader"), "export", "--to", "grades.csv"],
        cwd=course, env=ENV, capture_output=True, text=True, check=False,
    )
    assert export.returncode == 0, export.stderr
    rows = {row["student_id"]: row for row in csv.DictReader((course / "grades.csv").open())
            if row["assignment"] == ASSIGNMENT}
    assert set(rows) == {"ada", "bob"}
    for student, result in results.items():
        assert float(rows[student]["raw_score"]) == pytest.approx(result["score"])
        assert float(rows[student]["max_score"]) == FULL_MARKS


def test_rerun_skips_graded_submissions_and_regrades_resubmissions(course):
    _submit(course, "ada", _source(course))
    _submit(course, "bob", _source(course))
    assert _batch(course).graded == 2
    written = {student: _results_path(course, student).stat().st_mtime_ns
               for student in ("ada", "bob")}
    time.sleep(0.01)
    _submit(course, "bob", _with_mistake(course))  # a resubmission

    summary = _batch(course)
    assert (summary.graded, summary.skipped, summary.students) == (1, 1, 2)
    assert _results_path(course, "ada").stat().st_mtime_ns == written["ada"]  # not rewritten
    assert _results_path(course, "bob").stat().st_mtime_ns != written["bob"]
    assert _results(course, "bob")["score"] < FULL_MARKS


def test_manual_scores_survive_a_forced_rerun(course):
    _submit(course, "ada", _with_mistake(course))
    _batch(course)
    with _gradebook(course) as gradebook:
        grade = gradebook.find_grade(
            "test_update_parameters_with_momentum", ASSIGNMENT, ASSIGNMENT, "ada")
        grade.manual_score = 1.5
        gradebook.db.commit()

    assert _batch(course, force=True).graded == 1

    auto = _per_name(_results(course, "ada"))["update_parameters_with_momentum"]
    with _gradebook(course) as gradebook:
        grade = gradebook.find_grade(
            "test_update_parameters_with_momentum", ASSIGNMENT, ASSIGNMENT, "ada")
        assert grade.manual_score == 1.5
        assert grade.auto_score == auto
        assert grade.score == 1.5  # what formgrader, nbgrader export and feedback show


def test_free_response_items_are_left_to_the_hand_grader(course):
    quiz = "initialization_quiz"
    notebook = nbformat.read(course / "release" / quiz / f"{quiz}.ipynb", as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "relu_assumption":
            cell.source = "Xavier assumed a linear or tanh activation near zero, not ReLU."
    _submit(course, "ada", notebook, quiz)
    _batch(course, quiz)
    with _gradebook(course) as gradebook:
        grade = gradebook.find_grade("relu_assumption", quiz, quiz, "ada")
        assert grade.auto_score is None and grade.needs_manual_grade
        grade.manual_score = 2.0
        gradebook.db.commit()

    _batch(course, quiz, force=True)
    with _gradebook(course) as gradebook:
        grade = gradebook.find_grade("relu_assumption", quiz, quiz, "ada")
        assert ((grade.manual_score, grade.auto_score, grade.needs_manual_grade)
                == (2.0, None, False))


def test_quiz_choice_items_are_scored_into_their_test_cells(course):
    quiz_id = "optimization_quiz"
    quiz = load_quiz(course.parent / "quizzes" / f"{quiz_id}.yaml")
    notebook = nbformat.read(course / "release" / quiz_id / f"{quiz_id}.ipynb", as_version=4)
    right = right_answers(quiz, student_variants(quiz, course, "ada"))  # ada's own variant
    for cell in notebook.cells:
        item = next((item for item in quiz.items
                     if item.id == cell.metadata.get("nbgrader", {}).get("grade_id")), None)
        if item is not None and item.id in right:
            cell.source = f"{item.id} = {right[item.id]!r}"
    _submit(course, "ada", notebook, quiz_id)
    _batch(course, quiz_id)

    results = _results(course, "ada", quiz_id)
    assert results["score"] == sum(item.points for item in quiz.items)
    with _gradebook(course) as gradebook:
        for item in quiz.items:
            assert gradebook.find_grade(
                f"test_{item.id}", quiz_id, quiz_id, "ada").auto_score == item.points


# ---------------------------------------------------------------------------------------------
# Robustness: kills, hostile submissions, a grader that fails


def test_a_batch_killed_half_way_loses_nothing_and_grades_nothing_twice(course):
    students = [f"s{index}" for index in range(6)]
    for student in students:
        _submit(course, student, _source(course))
    results = [course / "autograded" / student / ASSIGNMENT / "results.json"
               for student in students]
    command = [str(BIN / "autograder"), "autograde", ASSIGNMENT, "--course", str(course),
               "--jobs", "1"]
    batch = subprocess.Popen(command, env=ENV, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while (not any(path.exists() for path in results) and batch.poll() is None
           and time.monotonic() < deadline):
        time.sleep(0.02)
    os.killpg(batch.pid, signal.SIGKILL)
    batch.wait()
    before = {path: (path.stat().st_mtime_ns, json.loads(path.read_text())["extra_data"]["seed"])
              for path in results if path.exists()}
    assert 1 <= len(before) < len(students), "the kill should land half-way"

    done = _autograder("autograde", ASSIGNMENT, "--course", str(course), "--jobs", "1")
    assert done.returncode == 0, done.stderr
    assert f"{len(before)} already graded" in done.stdout
    for path, (mtime, seed) in before.items():  # not graded again
        assert ((path.stat().st_mtime_ns, json.loads(path.read_text())["extra_data"]["seed"])
                == (mtime, seed))
    assert all(path.exists() for path in results)
    assert not [path for path in (course / "autograded").rglob("*.tmp")]
    # including one killed between results.json and the gradebook
    with _gradebook(course) as gradebook:
        for student in students:
            assert (gradebook.find_submission(ASSIGNMENT, student).score
                    == _results(course, student)["score"] == FULL_MARKS)


def test_hostile_submissions_get_a_row_and_the_batch_exits_0(course):
    _submit(course, "ada", _source(course))
    _submit(course, "mallory", _with_exit_in(course, "update_parameters_with_gd"))
    _submit(course, "trudy", os.urandom(4096))
    (course / "submitted" / "eve" / ASSIGNMENT).mkdir(parents=True)  # an empty folder

    done = _autograder("autograde", ASSIGNMENT, "--course", str(course))
    assert done.returncode == 0, done.stderr
    assert _results(course, "ada")["score"] == FULL_MARKS
    mallory = _per_name(_results(course, "mallory"))
    assert mallory["update_parameters_with_gd"] == 0 and mallory["update_lr"] == 1
    for student in ("trudy", "eve"):
        result = _results(course, student)
        assert result["score"] == 0 and "could not be read" in result["tests"][0]["output"]
    assert not (course / "autograded" / "trudy" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()
    with _gradebook(course) as gradebook:
        assert {s.student.id: s.score for s in gradebook.assignment_submissions(ASSIGNMENT)} == {
            "ada": FULL_MARKS, "mallory": sum(mallory.values()), "trudy": 0, "eve": 0,
        }


def dies_for_mallory(job):
    """A grader whose process dies on one submission (as if the grading process itself crashed)."""
    if job.student == "mallory":
        os._exit(1)
    return grade_job(job)


def test_a_grading_process_that_dies_costs_only_its_submission(course):
    for student in ("ada", "bob", "mallory", "zed"):
        _submit(course, student, _source(course))
    summary = _batch(course, grader=dies_for_mallory)
    assert (summary.graded, summary.failed) == (4, 1)
    assert _results(course, "mallory")["score"] == 0
    assert "grader failed" in _results(course, "mallory")["tests"][0]["output"]
    assert all(_results(course, student)["score"] == FULL_MARKS
               for student in ("ada", "bob", "zed"))


def test_a_grader_that_raises_gives_a_zero_row(course):
    _submit(course, "ada", _source(course))
    spec = spec_for("optimization_quiz", course)
    # no quizzes/ beside it: the grader raises
    job = roster.Job("ada", "optimization_quiz", course / "submitted" / "ada" / ASSIGNMENT,
                     course / "r.json", course / "nowhere" / "course", True, spec.points)
    results, failed = grade_job(job)
    assert failed and results["score"] == 0
    assert [test["name"] for test in results["tests"]] == list(spec.points)
    assert "the grader failed (" in results["tests"][0]["output"]


# ---------------------------------------------------------------------------------------------
# Messages for the instructor


def test_without_generate_assignment_the_batch_says_what_to_run(tmp_path):
    shutil.copytree(REPO / "quizzes", tmp_path / "quizzes")
    course = tmp_path / "assignments"
    shutil.copytree(REPO / "assignments", course, ignore=shutil.ignore_patterns(
        "release", "submitted", "autograded", "gradebook.db"))
    _submit(course, "ada", b"{}")

    done = CliRunner().invoke(autograder_main, ["autograde", ASSIGNMENT, "--course", str(course)])
    assert done.exit_code == 1
    assert (done.stderr.count("\n") == 1
            and "nbgrader generate_assignment optimization" in done.stderr)
    assert not (course / "gradebook.db").exists() and not (course / "autograded").exists()

    unknown = CliRunner().invoke(autograder_main, ["autograde", "nope", "--course", str(course)])
    assert unknown.exit_code == 2 and "unknown assignment 'nope'" in unknown.stderr


# ---------------------------------------------------------------------------------------------
# Per-question export


def test_export_writes_one_row_per_student_and_one_column_per_question(course, tmp_path):
    _submit(course, "ada", _source(course))
    _submit(course, "bob", _with_mistake(course))
    _batch(course)
    with _gradebook(course) as gradebook:
        gradebook.find_grade("test_update_lr", ASSIGNMENT, ASSIGNMENT, "bob").manual_score = 0.5
        gradebook.db.commit()

    output = tmp_path / "out" / "questions.csv"
    done = CliRunner().invoke(
        autograder_main, ["export", ASSIGNMENT, "--course", str(course), "--output", str(output)])
    assert done.exit_code == 0, done.output
    with output.open() as file:
        reader = csv.reader(file)
        header, *rows = list(reader)
    names = list(_per_name(_results(course, "ada")))
    assert header == ["student_id", *names, "total", "max_score"]
    assert [row[0] for row in rows] == ["ada", "bob"]
    table = {row[0]: dict(zip(header, row)) for row in rows}
    for student in ("ada", "bob"):
        expected = (_per_name(_results(course, student))
                    | ({"update_lr": 0.5} if student == "bob" else {}))
        assert {name: float(table[student][name]) for name in names} == pytest.approx(expected)
        assert float(table[student]["total"]) == pytest.approx(sum(expected.values()))
        assert float(table[student]["max_score"]) == FULL_MARKS


def test_student_option_grades_only_those_students(course):
    _submit(course, "ada", _source(course))
    _submit(course, "bob", _source(course))
    done = CliRunner().invoke(
        autograder_main, ["autograde", ASSIGNMENT, "--course", str(course), "--student", "bob"])
    assert done.exit_code == 0, done.output
    assert (not (course / "autograded" / "ada").exists()
            and _results(course, "bob")["score"] == FULL_MARKS)

    nobody = CliRunner().invoke(
        autograder_main, ["autograde", ASSIGNMENT, "--course", str(course), "--student", "zoe"])
    assert nobody.exit_code == 1 and "for zoe" in nobody.stderr


def _rows(gradebook: Gradebook, student: str) -> dict:
    """What the gradebook holds for a student's submission, free of generated ids."""
    submission = gradebook.find_submission(ASSIGNMENT, student)
    return {
        "timestamp": submission.timestamp,
        "notebooks": sorted(
            (notebook.name, sorted(grade.name for grade in notebook.grades),
             sorted(comment.name for comment in notebook.comments))
            for notebook in submission.notebooks),
    }


def test_submissions_made_a_chunk_at_a_time_are_the_ones_nbgrader_makes(course):
    from autograder.batch import gradebook as gb

    spec = spec_for(ASSIGNMENT, course)
    gradebook = gb.open_gradebook(course_directory(course), spec.cells)
    try:
        gradebook.add_student("by-nbgrader")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)  # nbgrader's own add_submission warns
            gradebook.add_submission(ASSIGNMENT, "by-nbgrader",
                                     timestamp="2025-03-01 09:30:00 UTC")
        students = {f"s{index}": "2025-03-01 09:30:00 UTC" for index in range(70)}  # two chunks
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            added = gb.add_submissions(gradebook, spec.cells, {**students, "by-nbgrader": None})
        assert added == 70
        assert not [w for w in caught if issubclass(w.category, SAWarning)]  # nothing half-built
        assert gb.add_submissions(gradebook, spec.cells, students) == 0  # already there
        expected = _rows(gradebook, "by-nbgrader")
        assert expected["notebooks"] and all(_rows(gradebook, s) == expected for s in students)
    finally:
        gradebook.close()
