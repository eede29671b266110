"""``results.json`` -> a Markdown table for the GitHub Actions job summary.

The last line is ``Points X/Y``, the line GitHub Classroom's autograding actions log (the
workflow prints it for classrooms that read the log; the "Autograding complete" annotation with
the same text comes from Classroom's reporter action, fed by :mod:`autograder.packaging.classroom`).

The file is written on the student's runner, so everything in it is untrusted: every string goes
through :func:`autograder.untrusted.markdown_inline` (no link, image, HTML or math, one line, so
no line can be a ``::`` workflow command), and a score that is not a finite number counts 0.
"""

from __future__ import annotations

from autograder import untrusted

#: What the summary shows of a result not yet visible (the student reads the summary).
HIDDEN = untrusted.HIDDEN
#: Feedback past this many characters is cut in the table; results.json keeps all of it.
MAX_FEEDBACK = 200


def number(value: object) -> str:
    """A score as people (and Classroom) write it: ``15``, ``7.5``, ``14.67``."""
    return f"{round(untrusted.score(value), 2):g}"


def _tests(results: dict) -> list[dict]:
    tests = results.get("tests")
    return [test for test in tests if isinstance(test, dict)] if isinstance(tests, list) else []


def points_line(results: dict) -> str:
    score = results.get("score", 0)
    if "max_score" in results:
        max_score = untrusted.score(results["max_score"])
    else:
        total = sum(untrusted.score(test.get("max_score", 0)) for test in _tests(results))
        max_score = untrusted.score(total)
    return f"Points {number(score)}/{number(max_score)}"


def _cell(text: object) -> str:
    """One table cell or note: one line, clipped, then escaped (so a cut never splits an escape)."""
    text = " ".join(untrusted.text(text).split())
    text = text if len(text) <= MAX_FEEDBACK else text[: MAX_FEEDBACK - 1] + "\u2026"
    return untrusted.markdown_inline(text)


def _name(name: object) -> str:
    """A graded name in a code span; anything else (a forged name) as escaped text."""
    return f"`{name}`" if isinstance(name, str) and name.isidentifier() else _cell(name)


def _test_score(test: dict) -> str:
    """A test's score; a dash for one held back until the results are published (null)."""
    return "\u2013" if test.get("score", 0) is None else number(test.get("score", 0))


def _feedback(test: dict) -> str:
    return untrusted.feedback_line(test.get("output", ""), test.get("visibility", "visible"))


def markdown(results: dict) -> str:
    """The job summary: a heading, one row per graded name, the run's notes, then Points X/Y."""
    extra = results.get("extra_data")
    assignment = extra.get("assignment", "autograder") if isinstance(extra, dict) else "autograder"
    assignment = untrusted.text(assignment)
    rows = [
        f"| {_name(test.get('name', '?'))} "
        f"| {_test_score(test)}/{number(test.get('max_score', 0))} "
        f"| {_cell(_feedback(test))} |"
        for test in _tests(results)
    ]
    score, max_score = points_line(results).removeprefix("Points ").split("/")
    lines = [f"### {_cell(assignment)}: {score} / {max_score} points", ""]
    if rows:
        lines += ["| graded name | score | feedback |", "|---|---:|---|", *rows, ""]
    output = untrusted.text(results.get("output", ""))
    notes = [line for line in output.splitlines() if line.strip()]
    if notes and notes[0].startswith(f"{assignment}:"):  # the heading again
        notes = notes[1:]
    lines += [f"- {_cell(note)}" for note in notes]
    lines += ["", "The full feedback is in the `autograder-results` artifact (results.json).", ""]
    lines.append(points_line(results))
    return "\n".join(lines)
