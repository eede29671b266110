"""``results.json`` -> a Markdown table for the GitHub Actions job summary.

The last line is ``Points X/Y``, the line GitHub Classroom's own autograding action logs and
stores as the "Autograding complete" annotation of the check run, where Classroom reads it.
"""

from __future__ import annotations

#: Feedback past this many characters is cut in the table; results.json keeps all of it.
MAX_FEEDBACK = 200
HIDDEN = "(shown when the results are published)"


def number(value: float) -> str:
    """A score as people (and Classroom) write it: ``15``, ``7.5``, ``14.67``."""
    return f"{round(float(value), 2):g}"


def points_line(results: dict) -> str:
    score = results.get("score", 0)
    max_score = results.get("max_score", sum(test.get("max_score", 0) for test in results.get("tests", [])))
    return f"Points {number(score)}/{number(max_score)}"


def _cell(text: str) -> str:
    """One table cell: one line, pipes escaped, clipped."""
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= MAX_FEEDBACK else text[: MAX_FEEDBACK - 1] + "\u2026"


def _feedback(test: dict) -> str:
    """The line a student acts on: the first failing check, else the first line."""
    if test.get("visibility", "visible") != "visible":
        return HIDDEN
    lines = str(test.get("output", "")).splitlines()
    failing = [line for line in lines if line.startswith("\u2718")]
    return failing[0] if failing else (lines[0] if lines else "")


def markdown(results: dict) -> str:
    """The job summary: a heading, one row per graded name, the run's notes, then Points X/Y."""
    assignment = results.get("extra_data", {}).get("assignment", "autograder")
    rows = [
        f"| `{_cell(test.get('name', '?'))}` | {number(test.get('score', 0))}/{number(test.get('max_score', 0))} "
        f"| {_cell(_feedback(test))} |"
        for test in results.get("tests", [])
    ]
    score, max_score = points_line(results).removeprefix("Points ").split("/")
    lines = [f"### {_cell(assignment)}: {score} / {max_score} points", ""]
    if rows:
        lines += ["| graded name | score | feedback |", "|---|---:|---|", *rows, ""]
    notes = [line for line in str(results.get("output", "")).splitlines() if line.strip()]
    if notes and notes[0].startswith(f"{assignment}:"):  # the heading again
        notes = notes[1:]
    lines += [f"- {_cell(note)}" for note in notes]
    lines += ["", "The full feedback is in the `autograder-results` artifact (results.json).", "", points_line(results)]
    return "\n".join(lines)
