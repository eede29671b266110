"""What an assignment id asks: its graded names (or quiz items), their points and kinds.

An exercise set's names and points come from its declarations and the course's source notebook
(:func:`autograder.course.points`), a quiz's from its item bank ``quizzes/<ID>.yaml`` beside the
course root (:func:`autograder.quiz.bank.load_quiz`): the statistics know which names exist and
what a choice item's letters and key are from the instructor's side, never from a results.json.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from autograder import course
from autograder.course import UnknownAssignment

EXERCISE = "exercise"
#: ``autograder.quiz.bank.FREE_RESPONSE``; the quiz package (it loads nbformat) is imported only
#: to read a quiz's bank
FREE_RESPONSE = "free_response"


@dataclass(frozen=True)
class Question:
    """One graded name: an exercise's function, or a quiz item."""

    name: str
    #: "exercise", or the quiz item's type: "single", "multiple", "free_response", ...
    kind: str
    max_score: float
    #: a choice item's letters in the bank's order, its key, and each letter's text
    letters: tuple[str, ...] = ()
    answer: tuple[str, ...] = ()
    choices: Mapping[str, str] = field(default_factory=dict)
    prompt: str = ""

    @property
    def is_choice(self) -> bool:
        return bool(self.letters)


def questions_of(assignment: str, course_root: Path) -> list[Question]:
    """The graded names of ``assignment`` in the order students see them."""
    course_root = Path(course_root)
    found = course.assignment(assignment, course_root)
    if not found.is_quiz:
        names = found.names()
        points = course.points(course_root, assignment, names)
        return [Question(name, EXERCISE, points[name]) for name in names]
    from autograder.quiz import bank

    try:
        quiz = bank.load_quiz(found.bank)
    except bank.BankInvalid as error:
        raise UnknownAssignment(f"the item bank of {assignment} is not valid ({error.errors[0]}): "
                                "run autograder quiz validate") from None
    return [
        Question(item.id, item.type, float(item.points),
                 item.letters if item.type in bank.CHOICE_TYPES else (),
                 item.answer if item.type in bank.CHOICE_TYPES else (),
                 dict(item.choices), item.prompt)
        for item in quiz.items
    ]
