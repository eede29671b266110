"""Turn a list of cell specifications into an nbgrader source notebook, deterministically.

A notebook is written from Python so that its text lives in reviewable files and regenerating it
always gives the same bytes: cell ids are derived from the cells' roles, never random.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import nbformat

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
SETUP_CODE = "import demos\nimport numpy as np\nimport selfcheck"


@dataclass(frozen=True)
class Markdown:
    text: str


@dataclass(frozen=True)
class Exercise:
    """One graded name: its solution cell, then the locked self-check cell worth `points`."""

    name: str
    points: int
    solution: str


@dataclass(frozen=True)
class Demo:
    """A locked, ungraded code cell that runs one of the helper module's demos."""

    slug: str
    code: str


def _nbgrader(grade_id: str, *, solution: bool, grade: bool, locked: bool, points=None) -> dict:
    metadata = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        metadata["points"] = points
    return {"nbgrader": metadata}


def _cell_id(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-zA-Z0-9-]+", "-", text).strip("-")[:40] or "cell"
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    taken.add(candidate)
    return candidate


def build(assignment: str, parts: list) -> nbformat.NotebookNode:
    """The nbgrader source notebook for `assignment`: a locked setup cell after the title."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata = {
        "autograder": {"assignment": assignment},
        "kernelspec": KERNELSPEC,
        "language_info": {"name": "python"},
    }
    taken: set[str] = set()
    cells = []

    def code(source: str, metadata: dict, cell_id: str) -> None:
        cells.append(
            nbformat.v4.new_code_cell(source, metadata=metadata, id=_cell_id(cell_id, taken))
        )

    for index, part in enumerate(parts):
        if isinstance(part, Markdown):
            heading = part.text.lstrip("#").strip().splitlines()[0]
            cells.append(
                nbformat.v4.new_markdown_cell(
                    part.text.strip(), id=_cell_id("md-" + heading, taken)
                )
            )
            if index == 0:
                code(
                    SETUP_CODE,
                    _nbgrader("setup", solution=False, grade=False, locked=True),
                    "setup",
                )
        elif isinstance(part, Exercise):
            code(
                part.solution.strip(),
                _nbgrader(part.name, solution=True, grade=False, locked=False),
                part.name,
            )
            code(
                f'selfcheck.check("{part.name}", {part.name})',
                _nbgrader(
                    f"test_{part.name}", solution=False, grade=True, locked=True, points=part.points
                ),
                f"test_{part.name}",
            )
        elif isinstance(part, Demo):
            metadata = _nbgrader(f"demo_{part.slug}", solution=False, grade=False, locked=True)
            metadata["tags"] = ["demo"]
            code(part.code.strip(), metadata, f"demo_{part.slug}")
        else:
            raise TypeError(f"unknown notebook part {part!r}")
    notebook.cells = cells
    nbformat.validate(notebook)
    return notebook
