"""One student never stops a course-wide command: a result that cannot be recorded, a folder
name the gradebook refuses, a forged results.json cost that student's row, and the rest go on.

The batch tests share test_batch's generated course (one ``nbgrader generate_assignment`` per
session).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from support.batch import (
    ASSIGNMENT,
    FULL_MARKS,
    _gradebook,
    _results,
    _source,
    _submit,
)
from support.feedback import INITIALIZERS_SOURCE, REPO, autograde

from autograder.batch import roster
from autograder.batch.gradebook import course_directory
from autograder.batch.run import run_batch
from autograder.batch.spec import spec_for

#: A folder name that is not UTF-8: Python sees lone surrogates, which SQLite refuses.
NOT_UTF8 = b"\xff\xfeeve"
NOT_UTF8_NAME = os.fsdecode(NOT_UTF8)
NOT_UTF8_SHOWN = "'\\udcff\\udcfeeve'"  # as messages name it


def _batch(course: Path) -> tuple[object, str]:
    """Run the batch in this process (so monkeypatches apply); its summary and console text."""
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None)
    summary = run_batch(spec_for(ASSIGNMENT, course), course_directory(course), [], 2, False,
                        console)
    return summary, out.getvalue()


def _recorded(course: Path) -> dict[str, float]:
    with _gradebook(course) as gradebook:
        return {s.student.id: s.score for s in gradebook.assignment_submissions(ASSIGNMENT)}


def test_a_student_whose_result_cannot_be_recorded_costs_only_their_row(course, monkeypatch):
    for student in ("ada", "bob", "cy"):
        _submit(course, student, _source(course))
    write_copy = roster.write_copy

    def fails_for_bob(job, data):
        if job.student == "bob":
            raise OSError(28, "No space left on device")
        write_copy(job, data)

    monkeypatch.setattr(roster, "write_copy", fails_for_bob)
    summary, printed = _batch(course)

    assert (summary.graded, summary.failed) == (3, 1)
    # bob's submission may be in the gradebook (made for the round before grading), ungraded
    recorded = _recorded(course)
    assert recorded.pop("bob", 0.0) == 0.0 and recorded == {"ada": FULL_MARKS, "cy": FULL_MARKS}
    bob = _results(course, "bob")
    assert bob["score"] == 0 and "could not be recorded" in bob["tests"][0]["output"]
    assert "bob: " in printed and "OSError" in printed and "the next run tries again" in printed
    job_results = course / "autograded" / "bob" / ASSIGNMENT / roster.RESULTS
    assert not roster.is_graded(roster.Job("bob", ASSIGNMENT,
                                           course / "submitted" / "bob" / ASSIGNMENT,
                                           job_results, course, False, {}))

    monkeypatch.setattr(roster, "write_copy", write_copy)
    summary, _ = _batch(course)  # the rerun finishes what is missing
    assert (summary.graded, summary.skipped, summary.failed) == (1, 2, 0)
    assert _results(course, "bob")["score"] == FULL_MARKS
    assert _recorded(course) == {"ada": FULL_MARKS, "bob": FULL_MARKS, "cy": FULL_MARKS}


def test_a_folder_name_the_gradebook_refuses_costs_only_that_student(course):
    _submit(course, "ada", _source(course))
    _submit(course, NOT_UTF8_NAME, _source(course))
    _submit(course, "zed", _source(course))

    summary, printed = _batch(course)
    assert (summary.graded, summary.failed) == (3, 1)
    assert _recorded(course) == {"ada": FULL_MARKS, "zed": FULL_MARKS}
    assert NOT_UTF8_SHOWN in printed and "UnicodeEncodeError" in printed
    assert _results(course, NOT_UTF8_NAME)["score"] == 0


def test_a_student_who_cannot_be_synced_to_the_gradebook_does_not_stop_the_batch(course):
    """A batch killed between results.json and the gradebook: the next run syncs each one."""
    for student in ("ada", NOT_UTF8_NAME):
        _submit(course, student, _source(course))
    for student in ("ada", NOT_UTF8_NAME):  # graded by an earlier run, never recorded
        path = course / "autograded" / student / ASSIGNMENT / roster.RESULTS
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps({"score": FULL_MARKS, "tests": [
            {"name": "update_lr", "score": 1.0, "max_score": 1.0, "output": "ok"}]}))
    _submit(course, "zed", _source(course))

    summary, printed = _batch(course)
    assert (summary.skipped, summary.synced, summary.graded, summary.failed) == (2, 1, 1, 1)
    assert set(_recorded(course)) == {"ada", "zed"}
    assert NOT_UTF8_SHOWN in printed


# --- autograder feedback --------------------------------------------------------------------


def _feedback(course: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", "feedback", "initialization",
                           "--course", str(course)], capture_output=True, cwd=REPO, timeout=300,
                          check=False)


#: Forged results.json files (scores past float's range) around ann's, one under a folder name
#: that is not UTF-8: each report is still written, its scores counted as 0.
FORGED = {
    "amy": {"score": 10**400, "tests": []},
    NOT_UTF8: {"tests": [{"name": "initialize_parameters_he", "score": 10**400, "max_score": 1}]},
}


def test_feedback_goes_on_past_a_results_json_it_cannot_render(tmp_path):
    autograde(tmp_path, "ann", "initialization", INITIALIZERS_SOURCE)
    for name, results in FORGED.items():
        folder = os.path.join(os.fsencode(tmp_path), b"autograded", os.fsencode(name),
                              b"initialization")
        os.makedirs(folder)
        with open(os.path.join(folder, b"results.json"), "w") as file:
            json.dump(results, file)

    (tmp_path / "autograded" / "bea" / "initialization").mkdir(parents=True)
    (tmp_path / "autograded" / "bea" / "initialization" / "results.json").write_text("[1, 2")

    done = _feedback(tmp_path)
    stderr = done.stderr.decode()
    assert done.returncode == 1
    assert "skipped bea: " in stderr and "1 of 4 reports not written" in stderr
    for name in ("ann", "amy", NOT_UTF8):
        report = os.path.join(os.fsencode(tmp_path), b"feedback", os.fsencode(name),
                              b"initialization", b"autograder_report.html")
        assert os.path.isfile(report), name
