"""The per-question CSV: one row per student, one column per graded name (``nbgrader export``
has only a total per assignment).

Scores come from the autograded ``results.json`` files; a score given by hand in formgrader
(always the case for free-response items) replaces the automatic one, as in nbgrader's own total.

Student ids are folder names a student or an LMS export chose: every text cell is neutralised
against CSV (formula) injection. Numbers are ours and stay numbers, a ``-0`` or a negative hand
grade included: a spreadsheet reads ``-1.5`` as a number, never as a formula with an effect.
"""

from __future__ import annotations

import csv
from pathlib import Path

from autograder import untrusted
from autograder.batch import gradebook as gb
from autograder.batch import roster
from autograder.batch.spec import Spec


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
