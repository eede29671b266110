"""``<ID>_stats.html``: the statistics as one self-contained page for the course staff.

Like the students' feedback pages (:mod:`autograder.feedback.page`): jinja2 with autoescape on
(``templates/stats.html``), every string also through :func:`autograder.untrusted.text`; no
script and a Content-Security-Policy that forbids any; images are data URIs and styles inline,
so the page loads nothing and reads the same without JavaScript. The page names no student
except those whose results.json was left out (the JSON and CSV say who made which mistake).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from autograder import pages, untrusted
from autograder.stats import plots
from autograder.stats.questions import Question

_ENVIRONMENT = pages.environment(Path(__file__).with_name("templates"))
DASH = "\u2013"


def _number(value: float | None, digits: int = 4) -> str:
    return DASH if value is None else f"{value:.{digits}g}"


def _percent(value: float | None) -> str:
    return DASH if value is None else f"{100 * value:.0f}%"


def _facts(entry: dict) -> list[tuple[str, str]]:
    facts = [("unexplained", str(entry["unexplained"]))]
    facts += [(f"could not be checked: {problem}", str(count))
              for problem, count in entry.get("problems", {}).items()]
    for key, label in (("no_answer", "no letter picked"), ("answered", "answered"),
                       ("awaiting_manual", "awaiting manual grading")):
        if key in entry:
            facts.append((label, str(entry[key])))
    if "variants" in entry:
        variants = entry["variants"]
        facts.append(("per-student variants",
                      f"{variants['students']} students, {variants['distinct']} distinct variants"))
    return facts


def _choices(entry: dict, question: Question | None) -> list[dict[str, object]]:
    texts = question.choices if question else {}
    rows = []
    for letter in entry.get("letters", []):
        choice = entry["choices"].get(letter, {"picked": 0, "mean_total": None})
        rows.append({
            "letter": letter, "text": texts.get(letter, ""), "key": letter in entry["answer"],
            "picked": choice["picked"],
            "share": _percent(choice["picked"] / entry["graded"] if entry["graded"] else None),
            "mean_total": _number(choice["mean_total"]),
        })
    return rows


def _row(index: int, name: str, entry: dict, question: Question | None) -> dict[str, object]:
    full = f"{entry['full_marks']} ({_percent(entry['full_marks_share'])})"
    return {
        "anchor": f"name-{index + 1}", "name": name, "kind": entry["kind"],
        "prompt": question.prompt if question else "",
        "graded": entry["graded"], "max_score": _number(entry["max_score"]),
        "points": f"{_number(entry['max_score'])} point{'' if entry['max_score'] == 1 else 's'}",
        "mean": _number(entry["mean"]), "median": _number(entry["median"]), "full_marks": full,
        "difficulty": _percent(entry["difficulty"]),
        "discrimination": _number(entry["discrimination"], 2),
        "unexplained": entry["unexplained"],
        "facts": _facts(entry),
        "mistakes": list(entry["mistakes"].items()),
        "choices": _choices(entry, question),
        "plot": plots.distribution_chart(name, entry["histogram"]),
    }


def render(stats: dict, questions: Sequence[Question] = ()) -> str:
    """The page of ``stats`` (the dict of :func:`autograder.stats.compute.class_statistics`)."""
    stats = untrusted.json_safe(stats)
    by_name = {question.name: question for question in questions}
    total = stats["total"]
    stem = f"{stats['assignment']}_stats"
    return _ENVIRONMENT.get_template("stats.html").render(
        title=f"Class statistics: {stats['assignment']}",
        students=stats["students"],
        mean_total=_number(total["mean"]),
        median_total=_number(total["median"]),
        max_total=_number(stats["max_score"]),
        skipped=stats["skipped"],
        mistakes_plot=plots.mistakes_chart(stats["top_mistakes"]),
        top_mistakes=stats["top_mistakes"][: plots.TOP_MISTAKES],
        rows=[_row(index, name, entry, by_name.get(name))
              for index, (name, entry) in enumerate(stats["names"].items())],
        definitions=stats["definitions"],
        json_name=f"{stem}.json",
        csv_name=f"{stem}.csv",
    )
