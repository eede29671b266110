"""The course's one vocabulary: what an assignment id names, its graded names, its source
notebook, its points, and the test cell of each graded name.

Every command resolves an id with `assignment` (as nbgrader's ``api.py`` is its one vocabulary),
and an id that names nothing raises `UnknownAssignment` with the same message everywhere.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_POINTS = 1.0
#: nbgrader's delimiters around solutions and hidden tests. ``generate_assignment`` removes them,
#: so neither a released notebook nor a student's work holds one: a submission that does is a
#: copy of the instructor's source (``nbgrader collect`` follows a link a student planted).
SOURCE_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) (SOLUTION|HIDDEN TESTS)[ \t]*$", re.MULTILINE)


#: The grade_id of a graded name's autograder-tests cell is this prefix and the name.
TEST_CELL_PREFIX = "test_"


class UnknownAssignment(LookupError):
    """An id that is neither an exercise set nor a quiz of the course."""


@dataclass(frozen=True)
class Assignment:
    """What an assignment id names: an exercise set or a quiz (with its item bank)."""

    id: str
    is_quiz: bool
    bank: Path | None = None  # the quiz's item bank, quizzes/<id>.yaml

    def names(self) -> list[str]:
        """The graded names (functions, or quiz item ids), in the order students see them."""
        if self.is_quiz:
            from autograder.quiz.bank import load_quiz

            return [item.id for item in load_quiz(self.bank).items]
        from autograder.exercises import ASSIGNMENTS

        return [exercise.name for exercise in ASSIGNMENTS[self.id]]


def test_cell_id(name: str) -> str:
    """The grade_id of ``name``'s autograder-tests cell (nbgrader's gradebook cell)."""
    return TEST_CELL_PREFIX + name


def tested_name(grade_id: str) -> str | None:
    """The graded name whose test cell has ``grade_id``, or None for any other cell."""
    return (grade_id.removeprefix(TEST_CELL_PREFIX) if grade_id.startswith(TEST_CELL_PREFIX)
            else None)


def known_ids(repo_root: Path) -> list[str]:
    """Every id the commands take: the exercise sets, then the quizzes of ``repo_root``."""
    from autograder.exercises import ASSIGNMENTS

    return [*ASSIGNMENTS, *quiz_ids(repo_root)]


def assignment(assignment_id: str, course_root: Path) -> Assignment:
    """What ``assignment_id`` names in the course at ``course_root`` (its repository is the
    folder above, holding ``quizzes/``); `UnknownAssignment` when it names nothing."""
    from autograder.exercises import ASSIGNMENTS

    repo_root = Path(course_root).parent
    if assignment_id in ASSIGNMENTS:
        return Assignment(assignment_id, False)
    if assignment_id in quiz_ids(repo_root):
        return Assignment(assignment_id, True, repo_root / "quizzes" / f"{assignment_id}.yaml")
    known = ", ".join(known_ids(repo_root))
    raise UnknownAssignment(f"unknown assignment {assignment_id!r} (known: {known})")


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
            name = tested_name(str(nbgrader.get("grade_id", "")))
            if nbgrader.get("grade") and name is not None:
                found[name] = float(nbgrader.get("points", 0))
    return {name: found.get(name, DEFAULT_POINTS) for name in names}
