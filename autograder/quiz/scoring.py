"""Scoring quiz answers: pure functions from (item, the student's value, quiz) to an ``ItemScore``.

* Single choice: full points or 0.
* Multiple choice: PrairieLearn's net-correct rule,
  ``max(0, (right picks - wrong picks) / number of right letters) * points``; a letter picked
  twice counts once, a letter that is not a choice counts as a wrong pick (and the feedback says
  so), so picking every letter never earns full marks.
* Free response: ``manual=True``, score 0; the feedback records the answer for the hand grader.

Answers are read by ``answers.read_answer``, the same function behind the notebook's check cells.

Feedback: the verdict, then explanations, which say in words whether a choice is right. What
they may show depends on when the student reads them:

* ``explanations: after_due_date``: everything, the key and the explanations of right choices
  the student missed included. Gradescope hides the whole result until the due date, and the
  GitHub workflow uploads only a public copy of results.json (``autograder ci public``).
* ``explanations: immediately``: the result is read at once, and by anyone who resubmits. A
  single choice explains the letter picked: whether it is right is exactly what the score
  already says. A multiple choice explains the picks only when the whole answer is right;
  otherwise only the verdict, else picking every letter would read out the key. A letter that
  was not picked is never named.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from autograder.quiz.answers import describe, read_answer
from autograder.quiz.bank import FREE_RESPONSE, MULTIPLE, Item, Quiz

#: Longest stretch of a free-response answer quoted back in the feedback.
FREE_RESPONSE_QUOTE = 500
#: What nbgrader leaves in an unanswered markdown answer cell.
NBGRADER_TEXT_STUB = "YOUR ANSWER HERE"
#: Instead of the explanations of a multiple choice that is not yet right (immediate feedback).
WITH_A_RIGHT_ANSWER = "The explanations of your picks are shown once your whole answer is right."


@dataclass(frozen=True)
class ItemScore:
    item_id: str
    score: float
    max_score: float
    feedback: str
    visibility: str
    manual: bool = False
    #: the picked letters that are choices, in the bank's order (for the class's statistics)
    picked: tuple[str, ...] = ()


def score_item(item: Item, answer: object, quiz: Quiz) -> ItemScore:
    """Score one item. ``answer`` is the value the student bound to ``item.id`` (plain data)."""
    if item.type == FREE_RESPONSE:
        return _record_free_response(item, answer, quiz)
    read = read_answer(answer, item.type, item.letters)
    if read.problem is not None:
        return _result(item, quiz, 0.0, f"No credit: {read.problem}.")

    right = sum(letter in item.answer for letter in read.letters)
    wrong = len(read.letters) - right + len(read.unknown)
    fraction = max(0.0, (right - wrong) / len(item.answer))
    if fraction == 1.0:
        verdict = "Correct."
    elif fraction > 0.0:
        verdict = "Partially correct."
    elif item.type == MULTIPLE and right > 0 and quiz.explanations == "after_due_date":
        verdict = "No credit: your wrong picks cancel your right ones."  # immediately: says more
        # than the score does (that a right letter is among the picks), so only after the date
    else:
        verdict = "Incorrect."
    lines = [verdict]
    if read.unknown:
        listing = ", ".join(item.letters)
        lines.append(
            f"{', '.join(read.unknown)}: not among the choices ({listing}); counted as wrong picks."
        )
    if quiz.explanations == "after_due_date" or item.type != MULTIPLE or fraction == 1.0:
        lines += [_explained(item, letter) for letter in read.letters]
    else:
        lines.append(WITH_A_RIGHT_ANSWER)
    if fraction < 1.0 and quiz.explanations == "after_due_date":
        lines.append(f"The answer: {', '.join(item.answer)}.")
        lines += [_explained(item, letter) for letter in item.answer if letter not in read.letters]
    score = _result(item, quiz, round(fraction * item.points, 6), "\n".join(lines))
    return replace(score, picked=read.letters)


def score_quiz(quiz: Quiz, answers: Mapping[str, object]) -> list[ItemScore]:
    """Score every item; an item missing from ``answers`` is unanswered (``None``)."""
    return [score_item(item, answers.get(item.id), quiz) for item in quiz.items]


def _explained(item: Item, letter: str) -> str:
    return f"{letter}. {item.choices[letter]}: {item.explanations[letter]}"


def _result(item: Item, quiz: Quiz, score: float, feedback: str, manual: bool = False) -> ItemScore:
    return ItemScore(item.id, score, item.points, feedback, quiz.visibility, manual)


def _record_free_response(item: Item, answer: object, quiz: Quiz) -> ItemScore:
    later = "It will be graded by hand."
    if answer is None or (type(answer) is str and answer.strip() in ("", NBGRADER_TEXT_STUB)):
        feedback = f"No answer given. {later}"
    elif type(answer) is not str:
        feedback = f"Expected your answer as text, got {describe(answer)}. {later}"
    else:
        text = answer.strip()
        if len(text) > FREE_RESPONSE_QUOTE:
            text = text[:FREE_RESPONSE_QUOTE] + f"... [{len(answer.strip())} characters in all]"
        feedback = f"{later} Your answer as recorded:\n{text}"
    return _result(item, quiz, 0.0, feedback, manual=True)
