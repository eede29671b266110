"""``autograder feedback ID``: one report per autograded student, beside nbgrader's feedback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support.feedback import INITIALIZERS_SOURCE, REPO, autograde

REPORT = "autograder_report.html"


def feedback(course: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "autograder", "feedback", *arguments, "--course", str(course)],
        capture_output=True, text=True, cwd=REPO, timeout=300, check=False)


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    course = tmp_path_factory.mktemp("course")
    for student in ("ann", "ben"):
        autograde(course, student, "initialization", INITIALIZERS_SOURCE)
    return course


def test_it_writes_a_report_for_every_autograded_student(course):
    done = feedback(course, "initialization")
    assert done.returncode == 0, done.stderr
    for student in ("ann", "ben"):
        report = course / "feedback" / student / "initialization" / REPORT
        assert f"wrote {report}" in done.stdout
        assert "Student: " + student in report.read_text()


def test_student_options_choose_whose_reports_are_written(course):
    (course / "feedback" / "ben" / "initialization" / REPORT).unlink(missing_ok=True)
    done = feedback(course, "initialization", "--student", "ann")
    assert done.returncode == 0, done.stderr
    assert not (course / "feedback" / "ben" / "initialization" / REPORT).exists()


def test_a_student_without_results_is_reported_and_the_others_still_written(course):
    done = feedback(course, "initialization", "--student", "zoe", "--student", "ann")
    assert done.returncode == 1
    assert "skipped zoe: cannot read" in done.stderr
    assert "feedback/ann/initialization" in done.stdout


def test_an_assignment_nobody_was_autograded_for_is_one_line_and_exit_1(course):
    done = feedback(course, "optimization")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        (f"autograder: error: no {course}/autograded/<student>/optimization/results.json: "
         "run autograder autograde first")]


def test_a_path_instead_of_a_folder_name_is_a_usage_error(course):
    for arguments in (["../initialization"], ["initialization", "--student", "../ann"]):
        done = feedback(course, *arguments)
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
