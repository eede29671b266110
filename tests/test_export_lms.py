"""``autograder export --format canvas|moodle``: the totals as the LMS gradebooks import them.

A course here is a copy of the bundled course's sources with autograded results.json files
written straight in (``export`` reads only those and, when there is one, the gradebook); the
manual-grade test uses the nbgrader course of tests/test_batch.py.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.batch import _batch, _gradebook, _source, _submit

from autograder.batch.export import CANVAS_COLUMNS
from autograder.cli import main

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = "optimization"
POINTS = {"update_parameters_with_gd": 1.0, "random_mini_batches": 2.0, "update_lr": 1.0}
CANVAS_HEADER = "student_id,Student,ID,SIS User ID,SIS Login ID,Section\n"
#: Spreadsheets evaluate a cell starting with these, after spaces (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")


@pytest.fixture
def sources(tmp_path) -> Path:
    """A course root holding the bundled course's sources (the points) and no results yet."""
    root = tmp_path / "assignments"
    shutil.copytree(REPO / "assignments" / "source", root / "source")
    shutil.copy(REPO / "assignments" / "nbgrader_config.py", root)
    return root


def graded(root: Path, student: str, scores: dict[str, float]) -> None:
    """autograded/<student>/optimization/results.json with these scores (the others 0)."""
    tests = [{"name": name, "score": score, "max_score": POINTS.get(name, 1.0), "output": "",
              "visibility": "visible"}
             for name, score in scores.items()]
    path = root / "autograded" / student / ASSIGNMENT / "results.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"score": sum(scores.values()), "tests": tests}), encoding="utf-8")


def write_roster(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def export(root: Path, *args: str):
    return CliRunner().invoke(main, ["export", ASSIGNMENT, "--course", str(root), *args])


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.reader(file))


def assert_one_line_error(done, exit_code: int, *words: str) -> None:
    assert done.exit_code == exit_code and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("autograder: error: ")
    assert all(word in done.stderr for word in words), done.stderr


# --- Canvas -------------------------------------------------------------------------------------


def test_canvas_file_has_canvas_columns_a_points_possible_row_and_each_students_total(
        sources, tmp_path):
    graded(sources, "bob", {"update_lr": 1.0, "random_mini_batches": 0.5})
    graded(sources, "ada",
           {"update_lr": 1.0, "update_parameters_with_gd": 1.0, "random_mini_batches": 2.0})
    roster = write_roster(tmp_path / "roster.csv",
                          CANVAS_HEADER + "ada,\"Lovelace, Ada\",101,S-1,ada@uni,Sec 1\n"
                                          "bob,Bob Stone,102,S-2,bob@uni,Sec 2\n")
    output = tmp_path / "canvas.csv"
    done = export(sources, "--format", "canvas", "--roster", str(roster), "--output", str(output))
    assert done.exit_code == 0, done.output
    assert read_csv(output) == [
        [*CANVAS_COLUMNS, ASSIGNMENT],
        ["Points Possible", "", "", "", "", "15"],
        ["Lovelace, Ada", "101", "S-1", "ada@uni", "Sec 1", "4"],
        ["Bob Stone", "102", "S-2", "bob@uni", "Sec 2", "1.5"],
    ]
    assert "2 students" in done.stdout and "Canvas" in done.stdout


def test_canvas_column_can_name_an_existing_assignment_by_its_canvas_id(sources, tmp_path):
    graded(sources, "ada", {"update_lr": 1.0})
    roster = write_roster(tmp_path / "roster.csv", CANVAS_HEADER + "ada,Ada,101,,,\n")
    output = tmp_path / "canvas.csv"
    done = export(sources, "--format", "canvas", "--roster", str(roster), "-o", str(output),
                  "--column", "Optimization (1234)")
    assert done.exit_code == 0, done.output
    assert read_csv(output)[0][-1] == "Optimization (1234)"


def test_a_canvas_gradebook_export_with_a_student_id_column_is_a_roster(sources, tmp_path):
    """Canvas's own export (UTF-8 with a BOM, its Points Possible row, other assignments) plus
    a student_id column."""
    graded(sources, "ada", {"update_lr": 1.0})
    (tmp_path / "roster.csv").write_bytes(
        "\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,Quiz 1 (77),student_id\n"
        "    Points Possible,,,,,10,\n"
        "Ada,101,S-1,ada@uni,Sec 1,9,ada\n".encode())
    done = export(sources, "--format", "canvas", "--roster", str(tmp_path / "roster.csv"),
                  "-o", str(tmp_path / "c.csv"))
    assert done.exit_code == 0, done.output
    assert read_csv(tmp_path / "c.csv")[2] == ["Ada", "101", "S-1", "ada@uni", "Sec 1", "1"]


def test_default_output_is_named_for_the_format(sources, tmp_path, monkeypatch):
    graded(sources, "ada", {"update_lr": 1.0})
    roster = write_roster(tmp_path / "roster.csv", CANVAS_HEADER + "ada,Ada,101,,,\n")
    monkeypatch.chdir(tmp_path)
    assert export(sources, "--format", "canvas", "--roster", str(roster)).exit_code == 0
    assert (tmp_path / f"{ASSIGNMENT}_canvas.csv").is_file()


# --- Moodle -------------------------------------------------------------------------------------


def test_moodle_file_has_the_identifier_column_then_the_grade_item(sources, tmp_path):
    graded(sources, "ada", {"update_lr": 1.0, "random_mini_batches": 1.25})
    graded(sources, "bob", {})
    roster = write_roster(tmp_path / "roster.csv",
                          "student_id,email\nbob,bob@uni.edu\nada,ada@uni.edu\n")
    output = tmp_path / "moodle.csv"
    done = export(sources, "--format", "moodle", "--roster", str(roster), "-o", str(output),
                  "--column", "Optimization")
    assert done.exit_code == 0, done.output
    assert read_csv(output) == [
        ["email", "Optimization"], ["ada@uni.edu", "2.25"], ["bob@uni.edu", "0"]]
    assert "Moodle" in done.stdout


def test_a_moodle_roster_has_exactly_one_identifier_column(sources, tmp_path):
    graded(sources, "ada", {})
    roster = write_roster(tmp_path / "roster.csv", "student_id,email,username\nada,a@u,ada\n")
    done = export(sources, "--format", "moodle", "--roster", str(roster),
                  "-o", str(tmp_path / "m.csv"))
    assert_one_line_error(done, 1, "two columns", "student_id", "email, username")
    assert not (tmp_path / "m.csv").exists()


# --- the roster ---------------------------------------------------------------------------------


def test_graded_students_missing_from_the_roster_are_named_and_nothing_is_written(
        sources, tmp_path):
    for student in ("ada", "bob", "cy"):
        graded(sources, student, {})
    roster = write_roster(tmp_path / "roster.csv", CANVAS_HEADER + "bob,Bob,102,,,\n")
    done = export(sources, "--format", "canvas", "--roster", str(roster),
                  "-o", str(tmp_path / "c.csv"))
    assert_one_line_error(done, 1, "2 graded student(s) are not in the roster", "ada, cy",
                          "student_id")
    assert not (tmp_path / "c.csv").exists()


@pytest.mark.parametrize(("roster", "words"), [
    ("Student,ID\nAda,101\n",
     ["lacks the column(s) student_id, SIS User ID, SIS Login ID, Section"]),
    (CANVAS_HEADER + "ada,Ada,101,,,\nada,Ada,102,,,\n", ["two rows for ada"]),
    (CANVAS_HEADER + "ada,Ada,,,,Sec 1\n", ["gives ada no ID or SIS User ID or SIS Login ID"]),
    ("", ["is empty"]),
])
def test_an_unusable_roster_is_a_one_line_error(sources, tmp_path, roster, words):
    graded(sources, "ada", {})
    path = write_roster(tmp_path / "roster.csv", roster)
    assert_one_line_error(export(sources, "--format", "canvas", "--roster", str(path)), 1, *words)


def test_a_roster_that_is_not_utf8_says_how_to_save_it(sources, tmp_path):
    graded(sources, "ada", {})
    (tmp_path / "roster.csv").write_bytes(
        CANVAS_HEADER.encode() + "ada,Zo\xeb,101,,,\n".encode("cp1252"))
    done = export(sources, "--format", "canvas", "--roster", str(tmp_path / "roster.csv"))
    assert_one_line_error(done, 1, "not UTF-8", "CSV UTF-8")


def test_a_missing_roster_file_is_a_one_line_error(sources, tmp_path):
    graded(sources, "ada", {})
    done = export(sources, "--format", "moodle", "--roster", str(tmp_path / "nowhere.csv"))
    assert_one_line_error(done, 1, "cannot read the roster", "nowhere.csv")


def test_an_lms_format_needs_a_roster_and_a_roster_needs_an_lms_format(sources, tmp_path):
    assert_one_line_error(export(sources, "--format", "canvas"), 2,
                          "--format canvas needs --roster")
    roster = write_roster(tmp_path / "roster.csv", "student_id,email\n")
    assert_one_line_error(export(sources, "--roster", str(roster)), 2, "--format canvas or moodle")


# --- hostile cells ------------------------------------------------------------------------------

HOSTILE_ID = "=HYPERLINK(\"evil.example\",\"x\")"  # a folder name: no slash
HOSTILE_ROSTER = (
    CANVAS_HEADER
    + '"=HYPERLINK(""evil.example"",""x"")","  +SUM(A1)","@cmd","-2+3","\uff1dA1","=1+1\n=2"\n'
    + 'ada,"\t=evil()","101","\uff0bA1","\uff20x","\uff0d1"\n'
)


@pytest.mark.parametrize("lms", ["canvas", "moodle"])
def test_no_cell_of_the_lms_file_is_a_formula_or_spans_lines(sources, tmp_path, lms):
    graded(sources, HOSTILE_ID, {"update_lr": 1.0})
    graded(sources, "ada", {})
    text = HOSTILE_ROSTER if lms == "canvas" else (
        'student_id,"=email"\n"=HYPERLINK(""evil.example"",""x"")",@a\nada,-1\n')
    roster = write_roster(tmp_path / "roster.csv", text)
    output = tmp_path / f"{lms}.csv"
    done = export(sources, "--format", lms, "--roster", str(roster), "-o", str(output),
                  "--column", "=1+1")
    assert done.exit_code == 0, done.output
    table = read_csv(output)
    assert len({len(row) for row in table}) == 1 and len(table) == (4 if lms == "canvas" else 3)
    text_cells = [cell for row in table for cell in row[:-1]] + [table[0][-1]]
    assert [cell for cell in text_cells if cell.lstrip().startswith(FORMULA_STARTS)] == []
    assert [cell for cell in text_cells if "\n" in cell or "\r" in cell] == []
    # the hostile id, then ada: numbers stay numbers
    assert [row[-1] for row in table[-2:]] == ["1", "0"]


# --- manual grades ------------------------------------------------------------------------------


def test_a_grade_given_by_hand_in_formgrader_counts_in_the_lms_total(course, tmp_path):
    _submit(course, "ada", _source(course))
    _batch(course)
    with _gradebook(course) as gradebook:
        gradebook.find_grade("test_update_lr", ASSIGNMENT, ASSIGNMENT, "ada").manual_score = 0.25
        gradebook.db.commit()
    roster = write_roster(tmp_path / "roster.csv", "student_id,username\nada,alovelace\n")
    done = export(course, "--format", "moodle", "--roster", str(roster),
                  "-o", str(tmp_path / "m.csv"))
    assert done.exit_code == 0, done.output
    assert read_csv(tmp_path / "m.csv")[1] == ["alovelace", "14.25"]
