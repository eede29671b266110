"""``<ID>_stats.json`` and ``<ID>_stats.csv``: the statistics as files, each written atomically.

The CSV is one table a spreadsheet can filter, one row per fact, its kind in the ``row`` column:

- ``name``: one per graded name, ``label`` its kind (``exercise``, ``single``, ...):
  ``max_score``, ``graded``, ``mean``, ``median``, ``full_marks``, ``difficulty``,
  ``discrimination`` (empty when undefined);
- ``mistake``: ``label`` the mistake's message, ``count`` the students, ``students`` who;
- ``unexplained``: the wrong answers no catalogued mistake explains, and who;
- ``problem``: ``label`` the kind (the function could not be checked at all);
- ``choice``: ``label`` the letter (``*`` after the key's), ``count`` who picked it,
  ``mean_total`` their mean total score; ``no_answer``: answers that picked no letter;
- ``answered``, ``awaiting_manual``: free-response items.

Student ids, messages and every other text cell are neutralised against formula injection
(:func:`autograder.untrusted.csv_cell`: a cell starting with ``=``, ``+``, ``-``, ``@`` gets a
``'``); numbers stay numbers. Several students in one cell are separated by ``", "``; the JSON
has them as a list.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

from autograder import untrusted
from autograder.batch.roster import write_atomically

COLUMNS = ("name", "row", "label", "count", "mean_total", "students", "max_score", "graded",
           "mean", "median", "full_marks", "difficulty", "discrimination")


def to_json(stats: dict) -> bytes:
    """UTF-8 JSON; every string made safe again, no NaN (not JSON)."""
    return (json.dumps(untrusted.json_safe(stats), indent=2, ensure_ascii=False,
                       allow_nan=False) + "\n").encode("utf-8")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.10g}"
    return untrusted.csv_cell(value)


def _rows(stats: dict) -> Iterator[dict[str, object]]:
    for name, entry in stats["names"].items():
        yield {"name": name, "row": "name", "label": entry.get("kind"),
               **{key: entry.get(key) for key in ("max_score", "graded", "mean", "median",
                                                   "full_marks", "difficulty", "discrimination")}}
        for message, count in entry["mistakes"].items():
            students = entry.get("mistake_students", {}).get(message, [])
            yield {"name": name, "row": "mistake", "label": message, "count": count,
                   "students": ", ".join(students)}
        if entry["unexplained"] or "unexplained_students" in entry:
            yield {"name": name, "row": "unexplained", "count": entry["unexplained"],
                   "students": ", ".join(entry.get("unexplained_students", []))}
        for problem, count in entry.get("problems", {}).items():
            yield {"name": name, "row": "problem", "label": problem, "count": count}
        for letter in entry.get("letters", []):
            choice = entry["choices"].get(letter, {"picked": 0, "mean_total": None})
            key = "*" if letter in entry.get("answer", []) else ""
            yield {"name": name, "row": "choice", "label": letter + key, "count": choice["picked"],
                   "mean_total": choice["mean_total"]}
        if "no_answer" in entry:
            yield {"name": name, "row": "no_answer", "count": entry["no_answer"]}
        for key in ("answered", "awaiting_manual"):
            if key in entry:
                yield {"name": name, "row": key, "count": entry[key]}


def to_csv(stats: dict) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, COLUMNS)
    writer.writeheader()
    for row in _rows(stats):
        writer.writerow({column: _cell(row.get(column)) for column in COLUMNS})
    return buffer.getvalue().encode("utf-8")


def write_files(stats: dict, html: str, folder: Path) -> list[Path]:
    """Write ``<ID>_stats.json``, ``.csv`` and ``.html`` into ``folder``; their paths."""
    stem = f"{stats['assignment']}_stats"
    contents = {f"{stem}.json": to_json(stats), f"{stem}.csv": to_csv(stats),
                f"{stem}.html": html.encode("utf-8")}
    paths = []
    for file_name, data in contents.items():
        path = Path(folder) / file_name
        write_atomically(path, data)
        paths.append(path)
    return paths
