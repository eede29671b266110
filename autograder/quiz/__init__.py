"""Quizzes: the item bank (``quizzes/*.yaml``), its quiz notebooks, and scoring answers.

* ``bank``: YAML -> validated ``Quiz`` (JSON Schema in ``schema`` + semantic rules);
* ``render``: ``build_quiz(quiz, course_root)`` -> nbgrader source notebook;
* ``answers``: reading an answer's form (stdlib only, shipped as ``quizcheck.py``);
* ``numeric``: the answer functions of numeric items and the checks of their ranges;
* ``variants``: a student's own variant of an item, the student id rule, the notebook's
  ``QuizVariant`` (stdlib only, shipped as ``quizvariants.py``);
* ``personalize``: the grader's side of variants (the salt, ``Variant``, ``right_answers``);
* ``scoring``: ``score_item(item, answer, quiz, variant=None) -> ItemScore``;
* ``commands``: the ``quiz`` click group (``validate``, ``build``, ``variant``).

Decisions are written up in ``autograder/quiz/README.md``.
"""

from autograder.quiz.bank import (
    BankError,
    BankInvalid,
    Item,
    Quiz,
    bank_paths,
    load_quiz,
    validate_bank,
)
from autograder.quiz.render import build_quiz, notebook_path
from autograder.quiz.scoring import ItemScore, score_item, score_quiz

__all__ = [
    "BankError",
    "BankInvalid",
    "Item",
    "ItemScore",
    "Quiz",
    "bank_paths",
    "build_quiz",
    "load_quiz",
    "notebook_path",
    "score_item",
    "score_quiz",
    "validate_bank",
]
