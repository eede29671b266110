"""The report page: results.json and the pictures -> one self-contained, escaped HTML page.

Every string from results.json is student-derived and escaped (jinja2 autoescape, in
``templates/report.html``). The page has no script and a Content-Security-Policy that forbids
any, loads nothing from outside (images are data URIs, styles inline), and reads the same
without JavaScript or CSS.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from autograder import pages
from autograder.feedback.figures import Picture

_ENVIRONMENT = pages.environment(Path(__file__).with_name("templates"))


@dataclass
class Item:
    """One graded name as the page shows it."""

    name: str
    score: str
    max_score: str
    percent: float
    level: str
    status: str
    output: str
    anchor: str
    later: bool = False
    pictures: list[Picture] = field(default_factory=list)
    note: str | None = None


def _number(value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return 0.0
    return number if math.isfinite(number) else 0.0


def _points(value: float) -> str:
    return f"{value:.4g}"


def item(test: Mapping, index: int, pictures: list[Picture], note: str | None) -> Item:
    """A test of results.json (untrusted fields coerced to plain text and numbers)."""
    score, max_score = _number(test.get("score")), _number(test.get("max_score"))
    share = min(max(score / max_score, 0.0), 1.0) if max_score > 0 else 1.0
    level = "full" if share >= 1.0 else "partial" if share > 0 else "none"
    status = {
        "full": "\u2714 full marks", "partial": "partly right", "none": "\u2718 no points",
    }[level]
    return Item(
        name=str(test.get("name", f"item {index + 1}")),
        score=_points(score),
        max_score=_points(max_score),
        percent=round(100 * share, 1),
        level=level,
        status=status,
        output=str(test.get("output", "")),
        anchor=f"item-{index + 1}",
        later=test.get("visibility") in ("after_due_date", "after_published"),
        pictures=pictures,
        note=note,
    )


def isolation_line(isolation: object) -> str:
    """How isolated the student's code ran, from extra_data.isolation (layer -> on / off: why)."""
    if not isinstance(isolation, Mapping) or not isolation:
        return "Isolation: not recorded."
    off = [
        f"{layer} ({str(state).removeprefix('off: ')})"
        for layer, state in isolation.items()
        if state != "on"
    ]
    if not off:
        return f"Your code ran in an isolated worker with all {len(isolation)} isolation layers on."
    return f"Your code ran in an isolated worker; layers off on this machine: {'; '.join(off)}."


def render(results_json: Mapping, items: list[Item], title: str, student: str | None = None,
           rerun: bool = False) -> str:
    """The whole page; ``items`` in the order of results.json's tests."""
    extra = (results_json.get("extra_data")
             if isinstance(results_json.get("extra_data"), Mapping) else {})
    footer = []
    seed = extra.get("seed")
    if type(seed) is int:
        footer.append(f"Hidden cases were drawn with seed {seed}; an instructor can reproduce "
                      f"this grade with autograder grade --seed {seed}.")
    footer.append(isolation_line(extra.get("isolation")))
    if rerun:
        footer.append("Pictures: your functions were run again in the isolated worker on the "
                      "public examples shown (the ravine, layer widths 128), beside the course's "
                      "reference.")
    # the first line is the score
    summary_lines = str(results_json.get("output", "")).splitlines()[1:]
    summary = "\n".join(
        line for line in summary_lines if not line.startswith(("Hidden cases drawn", "Isolation"))
    )
    return _ENVIRONMENT.get_template("report.html").render(
        title=title,
        student=student,
        score=_points(_number(results_json.get("score"))),
        max_score=_points(_number(
            results_json.get("max_score", sum(_number(i.max_score) for i in items))
        )),
        items=items,
        summary=summary,
        footer=footer,
    )
