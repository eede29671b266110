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

from nbgrader.api import (
    BaseCell,
    Comment,
    Grade,
    Gradebook,
    MissingEntry,
    Student,
    SubmittedAssignment,
    SubmittedNotebook,
)
from nbgrader.coursedir import CourseDirectory
from nbgrader.utils import parse_utc
from sqlalchemy.exc import SAWarning
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from autograder import course, untrusted

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
    tests = {name: course.test_cell_id(name) for name in names if name not in manual}
    return Cells(assignment, tests, manual)


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


def _submitted_notebook(gradebook: Gradebook, cells: Cells, student: str, timestamp: str | None):
    """The student's notebook in the gradebook; made, with the student and the submission, if
    new."""
    try:
        notebook = gradebook.find_submission_notebook(cells.notebook, cells.assignment, student)
    except MissingEntry:
        try:
            gradebook.find_student(student)
        except MissingEntry:
            gradebook.add_student(student)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)  # nbgrader's add_submission, harmless
            gradebook.add_submission(cells.assignment, student,
                                     **({"timestamp": timestamp} if timestamp else {}))
        return gradebook.find_submission_notebook(cells.notebook, cells.assignment, student)
    if timestamp and notebook.assignment.timestamp != parse_utc(timestamp):
        gradebook.update_or_create_submission(cells.assignment, student, timestamp=timestamp)
    return notebook


def add_submissions(gradebook: Gradebook, cells: Cells, timestamps: dict[str, str | None]) -> int:
    """Students and empty submissions for every student of `timestamps` not yet in the gradebook,
    as nbgrader's ``add_student`` and ``add_submission`` make them (a submitted notebook per
    notebook of the assignment, a grade per grade or task cell, a comment per solution or task
    cell), a chunk of students per transaction: those methods commit twice per student (30 ms
    here).

    Returns how many were added. A chunk the database refuses is rolled back; each of its
    students' `record` then adds theirs alone, so only a student the database refuses fails.
    """
    assignment = gradebook.find_assignment(cells.assignment)
    known = {student for (student,) in gradebook.db.query(Student.id)}
    submitted = {student for (student,) in gradebook.db.query(SubmittedAssignment.student_id)
                 .filter(SubmittedAssignment.assignment_id == assignment.id)}
    new = [student for student in timestamps if student not in submitted]
    notebooks = [(notebook, [*notebook.grade_cells, *notebook.task_cells],
                  [*notebook.solution_cells, *notebook.task_cells])
                 for notebook in assignment.notebooks]
    added = 0
    for start in range(0, len(new), _CHUNK):
        chunk = new[start:start + _CHUNK]
        try:
            for student in chunk:
                _add_submission(gradebook, assignment, notebooks, student, student not in known,
                                timestamps[student])
            gradebook.db.commit()
        except Exception:  # noqa: BLE001 -- e.g. a folder name the database cannot store
            gradebook.db.rollback()
            continue
        added += len(chunk)
    return added


_CHUNK = 64


def _add_submission(gradebook: Gradebook, assignment, notebooks: list, student: str,
                    new_student: bool, timestamp: str | None) -> None:
    if new_student:
        gradebook.db.add(Student(id=student))
    with gradebook.db.no_autoflush:  # nothing is flushed half-built; the commit writes it all
        submission = SubmittedAssignment(
            assignment=assignment, student_id=student,
            **({"timestamp": parse_utc(timestamp)} if timestamp else {}))
        for notebook, graded, commented in notebooks:
            submitted_notebook = SubmittedNotebook(notebook=notebook, assignment=submission)
            for cell in graded:
                Grade(cell_id=cell.id, notebook=submitted_notebook)
            for cell in commented:
                Comment(cell_id=cell.id, notebook=submitted_notebook)
        gradebook.db.add(submission)


def _by_cell(gradebook: Gradebook, kind: type, notebook: SubmittedNotebook) -> dict:
    """The notebook's grades or comments by cell name, in one query (nbgrader's `find_grade`
    takes a query of six joins per cell)."""
    query = gradebook.db.query(kind, BaseCell.name).join(BaseCell, BaseCell.id == kind.cell_id)
    return {name: entry for entry, name in query.filter(kind.notebook_id == notebook.id)}


def _grade(grades: dict, cell: str, cells: Cells, student: str) -> Grade:
    if cell not in grades:
        raise MissingEntry(
            f"No such grade: {cells.assignment}/{cells.notebook}/{cell} for {student}")
    return grades[cell]


def is_recorded(gradebook: Gradebook, cells: Cells, student: str, results: dict) -> bool:
    """Whether the gradebook already holds these results (a resumed batch syncs only what is
    not)."""
    scores = {test["name"]: test["score"] for test in results["tests"]}
    try:
        notebook = gradebook.find_submission_notebook(cells.notebook, cells.assignment, student)
    except MissingEntry:
        return False
    grades = _by_cell(gradebook, Grade, notebook)
    return all(cell in grades and grades[cell].auto_score == scores.get(name)
               for name, cell in cells.auto.items())


def record(
    gradebook: Gradebook, cells: Cells, student: str, results: dict, timestamp: str | None = None
) -> None:
    """Write one student's results: auto scores and feedback comments; manual scores stay.

    One transaction per student: a commit costs about 0.5 ms here (a chunk of students per
    transaction was measured and did not pay), and a student the database refuses costs only
    their own row."""
    notebook = _submitted_notebook(gradebook, cells, student, timestamp)
    grades, comments = _by_cell(gradebook, Grade, notebook), _by_cell(gradebook, Comment, notebook)
    tests = {test["name"]: test for test in results["tests"]}
    for name, cell in cells.auto.items():
        test = tests.get(name, {"score": 0.0, "output": "not graded"})
        grade = _grade(grades, cell, cells, student)
        changed = grade.auto_score != test["score"]
        grade.auto_score = test["score"]
        # without a hand grade the auto score stands; a hand grade given before a changed auto
        # score is flagged for review, as nbgrader autograde does
        grade.needs_manual_grade = grade.manual_score is not None and (
            changed or bool(grade.needs_manual_grade)
        )
        if name in comments:
            comments[name].auto_comment = untrusted.markdown_verbatim(test["output"])
    for item in cells.manual:
        grade = _grade(grades, item, cells, student)
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
