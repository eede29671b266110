"""The CSV exports of a round: per question, and the gradebook imports of Canvas and Moodle.

- ``write_csv``: one row per student, one column per graded name (``nbgrader export`` has only a
  total per assignment).
- ``write_lms_csv``: the assignment's total per student in a file an LMS gradebook imports.
  Canvas: ``Student, ID, SIS User ID, SIS Login ID, Section``, then the assignment's column, and a
  ``Points Possible`` row, as in Canvas's own gradebook export. Moodle ("Import grades from
  CSV"): the identifier column of the roster (email, username, ID number...), then the grade
  item's column; Moodle's import maps both by hand. The roster maps nbgrader's student ids to
  the LMS's (:func:`read_roster`); a graded student missing from it is an error, nothing written.

Scores come from the autograded ``results.json`` files; a score given by hand in formgrader
(always the case for free-response items) replaces the automatic one, as in nbgrader's own total.

Student ids are folder names a student or an LMS export chose, and roster names are what
students typed into the LMS: every text cell, headers too, is neutralised against CSV (formula)
injection. Numbers are ours and stay numbers, a ``-0`` or a negative hand grade included: a
spreadsheet reads ``-1.5`` as a number, never as a formula with an effect.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from autograder import untrusted
from autograder.batch import gradebook as gb
from autograder.batch import roster
from autograder.batch.spec import Spec

#: The roster's column of nbgrader student ids.
ROSTER_KEY = "student_id"
#: Canvas's gradebook columns before the assignments; it finds a student by any of the three ids.
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_IDS = ("ID", "SIS User ID", "SIS Login ID")
LMS_FORMATS = ("canvas", "moodle")
#: Students an error names before "and N more".
_SHOWN = 10


def rows(spec: Spec, coursedir) -> list[dict[str, object]]:
    """One row per student with a results.json for the assignment, sorted by student id."""
    autograded = Path(coursedir.root) / coursedir.autograded_directory
    students = roster.students(autograded, spec.assignment)
    gradebook = gb.existing_gradebook(coursedir)
    found = []
    try:
        for student in students:
            results = roster.read_results(autograded / student / spec.assignment / roster.RESULTS)
            if results is None:
                continue
            scores = {name: 0.0 for name in spec.points}
            scores.update(
                {
                    test["name"]: untrusted.score(test.get("score"))
                    for test in results["tests"]
                    if isinstance(test, dict) and test.get("name") in scores
                }
            )
            if gradebook is not None:
                scores.update(gb.manual_scores(gradebook, spec.cells, student))
            found.append(
                {
                    "student_id": student,
                    **scores,
                    "total": sum(scores.values()),
                    "max_score": spec.max_score,
                }
            )
    finally:
        if gradebook is not None:
            gradebook.close()
    return found


def csv_value(value: object) -> str:
    """A number as ``:g`` writes it; anything else is text, made safe for a spreadsheet."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:g}"
    return untrusted.csv_cell(value)


def write_csv(spec: Spec, coursedir, path: Path) -> int:
    """Write the CSV; the number of students in it."""
    table = rows(spec, coursedir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, ["student_id", *spec.points, "total", "max_score"])
        writer.writeheader()
        for row in table:
            writer.writerow({key: csv_value(value) for key, value in row.items()})
    return len(table)


class RosterError(ValueError):
    """The roster cannot be used for the export; the message (one line) says why."""


@dataclass(frozen=True)
class Roster:
    columns: tuple[str, ...]  # the LMS's columns, in the order the export writes them
    students: dict[str, dict[str, str]]  # nbgrader student id -> LMS column -> value


def _shown(students: list[str]) -> str:
    names = ", ".join(untrusted.text(student, one_line=True) for student in students[:_SHOWN])
    return names + (f" and {len(students) - _SHOWN} more" if len(students) > _SHOWN else "")


def read_roster(path: Path, lms: str) -> Roster:
    """The roster CSV of ``lms`` (``canvas`` or ``moodle``): a header row, then one row per student.

    It has a ``student_id`` column (the nbgrader student id) and the LMS's own: for Canvas the
    five of :data:`CANVAS_COLUMNS` (a Canvas gradebook export with a ``student_id`` column added
    will do; other columns are ignored), for Moodle exactly one more column, whose header names
    the identifier Moodle matches (``email``, ``username``, ``idnumber``...). Rows without a
    student_id (Canvas's "Points Possible") are skipped.
    """
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as file:
            header, *lines = list(csv.reader(file))
    except UnicodeDecodeError:
        raise RosterError(f"the roster {path} is not UTF-8 text: save it as CSV UTF-8") from None
    except (OSError, csv.Error) as error:
        raise RosterError(f"cannot read the roster {path}: "
                          f"{getattr(error, 'strerror', None) or error}") from None
    except ValueError:  # not even a header
        raise RosterError(f"the roster {path} is empty: it needs a header row") from None
    header = [name.strip() for name in header]
    if lms == "canvas":
        columns = CANVAS_COLUMNS
        missing = [name for name in (ROSTER_KEY, *columns) if name not in header]
        if missing:
            raise RosterError(f"the roster {path} lacks the column(s) {', '.join(missing)} "
                              "of a Canvas roster")
    else:
        columns = tuple(name for name in header if name != ROSTER_KEY)
        if ROSTER_KEY not in header or len(columns) != 1:
            raise RosterError(f"a Moodle roster has two columns, {ROSTER_KEY} and the identifier "
                              f"Moodle matches (such as email): {path} has "
                              f"{', '.join(header) or 'none'}")
    students: dict[str, dict[str, str]] = {}
    for line in lines:
        row = dict(zip(header, (value.strip() for value in line)))
        student = row.get(ROSTER_KEY, "")
        if not student:
            continue
        if student in students:
            raise RosterError(f"the roster {path} has two rows for {_shown([student])}")
        ids = CANVAS_IDS if lms == "canvas" else columns
        if not any(row.get(name) for name in ids):
            raise RosterError(f"the roster {path} gives {_shown([student])} no {' or '.join(ids)}")
        students[student] = {name: row.get(name, "") for name in columns}
    return Roster(columns, students)


def lms_table(spec: Spec, coursedir, lms: str, roster_path: Path,
              column: str) -> list[list[object]]:
    """The rows of the ``lms`` import file (header first), every graded student in the roster."""
    lms_roster = read_roster(roster_path, lms)
    table = rows(spec, coursedir)
    missing = [row["student_id"] for row in table if row["student_id"] not in lms_roster.students]
    if missing:
        raise RosterError(f"{len(missing)} graded student(s) are not in the roster {roster_path}: "
                          f"{_shown(missing)}; add a row with their {ROSTER_KEY}")
    header: list[object] = [*lms_roster.columns, column]
    points = [["Points Possible", "", "", "", "", spec.max_score]] if lms == "canvas" else []
    body = [[*lms_roster.students[row["student_id"]].values(), row["total"]] for row in table]
    return [header, *points, *body]


def write_lms_csv(spec: Spec, coursedir, path: Path, lms: str, roster_path: Path,
                  column: str) -> int:
    """Write the ``lms`` import file (nothing when the roster fails); the number of students."""
    table = lms_table(spec, coursedir, lms, roster_path, column)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows([[csv_value(value) for value in row] for row in table])
    return len(table) - (2 if lms == "canvas" else 1)
