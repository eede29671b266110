"""What an assignment id means to a batch: an exercise assignment or a quiz, its graded names,
their points, and the gradebook cells they go to."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autograder import course
from autograder.batch.gradebook import Cells, cells_for
from autograder.course import UnknownAssignment


@dataclass(frozen=True)
class Spec:
    assignment: str
    course_root: Path
    is_quiz: bool
    points: dict[str, float]  # graded name -> max score, in the order students see them
    cells: Cells

    @property
    def max_score(self) -> float:
        return sum(self.points.values())


def spec_for(assignment: str, course_root: Path) -> Spec:
    """The batch's view of ``assignment`` (`UnknownAssignment` when the course has none)."""
    found = course.assignment(assignment, course_root)
    if not found.is_quiz:
        names = found.names()
        points = course.points(course_root, assignment, names)
        return Spec(assignment, course_root, False, points, cells_for(assignment, names))
    from autograder.quiz.bank import FREE_RESPONSE, load_quiz

    quiz = load_quiz(found.bank)
    points = {item.id: float(item.points) for item in quiz.items}
    free = [item.id for item in quiz.items if item.type == FREE_RESPONSE]
    return Spec(assignment, course_root, True, points, cells_for(assignment, points, free))


__all__ = ["Spec", "UnknownAssignment", "spec_for"]
