"""Our scores in the course's nbgrader gradebook, so formgrader, ``nbgrader export`` and
``nbgrader generate_feedback`` show them.

Each graded name has an autograder-tests cell ``test_<name>`` in notebook ``<id>`` of assignment
``<id>``: its Grade row gets our score as ``auto_score``, and its solution cell's comment gets our
feedback as ``auto_comment``, as a Markdown code block (``nbgrader generate_feedback`` renders
comments as Markdown that lets HTML through: the student's text shows verbatim, injects nothing).
Free-response quiz items are graded by hand in their own cell (grade_id = item id): we only flag
them for grading. A ``manual_score`` is never written here.
Only the batch's main process opens the gradebook.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from sqlalchemy.exc import SAWarning
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from autograder import untrusted

CONFIG = "nbgrader_config.py"
_SQLITE = "sqlite:///"


class GradebookError(Exception):
    """The gradebook cannot take our grades; the message says what the instructor should do."""


@dataclass(frozen=True)
class Cells:
    """Where the grades of one assignment go in the gradebook."""

    assignment: str
    auto: dict[str, str]  # graded name -> its grade cell (test_<name>)
    manual: tuple[str, ...] = ()  # free-response items: grade cell = item id, graded by hand

    @property
    def notebook(self) -> str:
        return self.assignment


def course_directory(course_root: Path) -> CourseDirectory:
    """nbgrader's view of the course, from the course's own ``nbgrader_config.py``."""
    config = Config()
    if (course_root / CONFIG).is_file():
        config = PyFileConfigLoader(CONFIG, path=str(course_root)).load_config()
    coursedir = CourseDirectory(config=config)
    if "root" not in config.get("CourseDirectory", {}):
        coursedir.root = str(course_root.resolve())
    return coursedir


def cells_for(assignment: str, names: Iterable[str], free_response: Iterable[str] = ()) -> Cells:
    manual = tuple(free_response)
    return Cells(assignment, {name: f"test_{name}" for name in names if name not in manual}, manual)


def _generate_first(coursedir: CourseDirectory, assignment: str, what: str) -> GradebookError:
    return GradebookError(
        f"{what}: run `nbgrader generate_assignment {assignment}` in {coursedir.root} first"
    )


def open_gradebook(coursedir: CourseDirectory, cells: Cells) -> Gradebook:
    """The course's gradebook, checked to hold the assignment, its notebook and every grade cell."""
    gradebook = existing_gradebook(coursedir)
    if gradebook is None:
        raise _generate_first(
            coursedir, cells.assignment, f"there is no gradebook at {coursedir.db_url}"
        )
    try:
        gradebook.find_assignment(cells.assignment)
        notebook = gradebook.find_notebook(cells.notebook, cells.assignment)
    except MissingEntry:
        gradebook.close()
        raise _generate_first(
            coursedir,
            cells.assignment,
            f"the gradebook has no assignment {cells.assignment} (notebook {cells.notebook})",
        ) from None
    present = {cell.name for cell in notebook.grade_cells}
    missing = [name for name in [*cells.auto.values(), *cells.manual] if name not in present]
    if missing:
        gradebook.close()
        raise _generate_first(
            coursedir,
            cells.assignment,
            f"notebook {cells.notebook} in the gradebook has no grade cell {', '.join(missing)}",
        )
    return gradebook


def _submission(gradebook: Gradebook, cells: Cells, student: str, timestamp: str | None):
    warnings.filterwarnings("ignore", category=SAWarning)  # nbgrader's add_submission, harmless
    try:
        gradebook.find_student(student)
    except MissingEntry:
        gradebook.add_student(student)
    try:
        submission = gradebook.find_submission(cells.assignment, student)
    except MissingEntry:
        extra = {"timestamp": timestamp} if timestamp else {}
        return gradebook.add_submission(cells.assignment, student, **extra)
    if timestamp:
        gradebook.update_or_create_submission(cells.assignment, student, timestamp=timestamp)
    return submission


def is_recorded(gradebook: Gradebook, cells: Cells, student: str, results: dict) -> bool:
    """Whether the gradebook already holds these results (a resumed batch syncs only what is not)."""
    scores = {test["name"]: test["score"] for test in results["tests"]}
    try:
        gradebook.find_submission(cells.assignment, student)
        for name, cell in cells.auto.items():
            if gradebook.find_grade(
                cell, cells.notebook, cells.assignment, student
            ).auto_score != scores.get(name):
                return False
    except MissingEntry:
        return False
    return True


def record(
    gradebook: Gradebook, cells: Cells, student: str, results: dict, timestamp: str | None = None
) -> None:
    """Write one student's results: auto scores and feedback comments; manual scores stay."""
    _submission(gradebook, cells, student, timestamp)
    tests = {test["name"]: test for test in results["tests"]}
    for name, cell in cells.auto.items():
        test = tests.get(name, {"score": 0.0, "output": "not graded"})
        grade = gradebook.find_grade(cell, cells.notebook, cells.assignment, student)
        changed = grade.auto_score != test["score"]
        grade.auto_score = test["score"]
        # without a hand grade the auto score stands; a hand grade given before a changed auto
        # score is flagged for review, as nbgrader autograde does
        grade.needs_manual_grade = grade.manual_score is not None and (
            changed or bool(grade.needs_manual_grade)
        )
        try:
            gradebook.find_comment(
                name, cells.notebook, cells.assignment, student
            ).auto_comment = untrusted.markdown_verbatim(test["output"])
        except MissingEntry:
            pass
    for item in cells.manual:
        grade = gradebook.find_grade(item, cells.notebook, cells.assignment, student)
        grade.needs_manual_grade = grade.manual_score is None
    gradebook.db.commit()


def existing_gradebook(coursedir: CourseDirectory) -> Gradebook | None:
    """The course's gradebook if there is one (never creates it)."""
    url = coursedir.db_url
    if url.startswith(_SQLITE) and not Path(url.removeprefix(_SQLITE)).is_file():
        return None
    return Gradebook(url, coursedir.course_id or "default_course")


def manual_scores(gradebook: Gradebook, cells: Cells, student: str) -> dict[str, float]:
    """Hand grades given in formgrader, per graded name."""
    found = {}
    for name, cell in [*cells.auto.items(), *((item, item) for item in cells.manual)]:
        try:
            score = gradebook.find_grade(
                cell, cells.notebook, cells.assignment, student
            ).manual_score
        except MissingEntry:
            continue
        if score is not None:
            found[name] = score
    return found
