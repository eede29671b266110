"""What the instructor's side says about an assignment: its source notebook and points."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

DEFAULT_POINTS = 1.0
#: nbgrader's delimiters around solutions and hidden tests. ``generate_assignment`` removes them,
#: so neither a released notebook nor a student's work holds one: a submission that does is a
#: copy of the instructor's source (``nbgrader collect`` follows a link a student planted).
SOURCE_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) (SOLUTION|HIDDEN TESTS)[ \t]*$", re.MULTILINE)


def without_markers(source: str) -> str:
    """A source cell's text as a student who wrote the same code would submit it."""
    lines = source.splitlines(keepends=True)
    return "".join(line for line in lines if not SOURCE_MARKER.match(line.rstrip("\r\n")))


def default_course_root() -> Path:
    """AUTOGRADER_COURSE, else the repository's ``assignments/``, else ``./assignments``."""
    if os.environ.get("AUTOGRADER_COURSE"):
        return Path(os.environ["AUTOGRADER_COURSE"])
    bundled = Path(__file__).resolve().parents[1] / "assignments"
    return bundled if bundled.is_dir() else Path.cwd() / "assignments"


def quiz_ids(repo_root: Path) -> list[str]:
    """The quizzes of a repository: the stems of its item banks ``quizzes/*.yaml``."""
    return sorted(path.stem for path in (Path(repo_root) / "quizzes").glob("*.yaml"))


def source_notebook(course_root: Path, assignment: str) -> Path:
    return Path(course_root) / "source" / assignment / f"{assignment}.ipynb"


def points(course_root: Path, assignment: str, names: list[str]) -> dict[str, float]:
    """Points per graded name: the nbgrader points of its ``test_<name>`` cell in the source.

    A name without such a cell (or without a source notebook) is worth DEFAULT_POINTS.
    """
    found: dict[str, float] = {}
    path = source_notebook(course_root, assignment)
    if path.is_file():
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            nbgrader = cell.get("metadata", {}).get("nbgrader", {})
            grade_id = nbgrader.get("grade_id", "")
            if nbgrader.get("grade") and grade_id.startswith("test_"):
                found[grade_id.removeprefix("test_")] = float(nbgrader.get("points", 0))
    return {name: found.get(name, DEFAULT_POINTS) for name in names}
