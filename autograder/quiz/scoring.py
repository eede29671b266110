"""Scoring quiz answers: pure functions from (item, the student's value, quiz) to an ``ItemScore``.

* Single choice: full points or 0.
* Multiple choice: PrairieLearn's net-correct rule,
  ``max(0, (right picks - wrong picks) / number of right letters) * points``; a letter picked
  twice counts once, a letter that is not a choice counts as a wrong pick (and the feedback says
  so), so picking every letter never earns full marks.
* Numeric: each number of the answer is right within the item's tolerance; the points times
  the share of numbers right.
* Free response: ``manual=True``, score 0; the feedback records the answer for the hand grader.

Per-student items (``Item.per_student``) are scored in the student's ``Variant``: a shuffled
item's letters are read in the order that student was shown and mapped back to the bank's (the
feedback speaks of the letters as shown; ``picked`` holds the bank's), a numeric item's answer
is computed from that student's parameters. Without a variant such an item scores 0 and says
why (``unassigned``).

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
  was not picked is never named. A numeric answer that is not right reads the same whatever
  it is (no "too large", no digits of the answer): the verdict and the student's parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from autograder.quiz.answers import describe, read_answer, read_numbers
from autograder.quiz.bank import FREE_RESPONSE, MULTIPLE, NUMERIC, Item, Quiz
from autograder.quiz.numeric import within
from autograder.quiz.personalize import NO_STUDENT, Variant
from autograder.quiz.variants import format_value

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
    #: the picked letters that are choices, as the bank letters them (for the class's statistics)
    picked: tuple[str, ...] = ()
    #: the student's variant of a per-student item (``Variant.record``), else None
    variant: dict | None = None


def score_item(item: Item, answer: object, quiz: Quiz, variant: Variant | None = None) -> ItemScore:
    """Score one item. ``answer`` is the value the student bound to ``item.id`` (plain data);
    ``variant`` is the student's variant of a per-student item."""
    if item.type == FREE_RESPONSE:
        return _record_free_response(item, answer, quiz)
    if item.per_student and variant is None:
        return unassigned(item, quiz, NO_STUDENT)
    scored = _score_numeric if item.type == NUMERIC else _score_choice
    score = scored(item, answer, quiz, variant or Variant(""))
    return replace(score, variant=variant.record(item) if item.per_student else None)


def unassigned(item: Item, quiz: Quiz, reason: str) -> ItemScore:
    """A per-student item whose variant is unknown: 0, and why (the instructor regrades it)."""
    feedback = (
        f"Not graded yet: this question is different for each student, and {reason}. "
        "Your instructor will grade it again."
    )
    return _result(item, quiz, 0.0, feedback)


def _shown_to(variant: Variant) -> str:
    return f"student id {variant.student!r}"


def _score_choice(item: Item, answer: object, quiz: Quiz, variant: Variant) -> ItemScore:
    read = read_answer(answer, item.type, item.letters)
    if read.problem is not None:
        return _result(item, quiz, 0.0, f"No credit: {read.problem}.")
    bank_of = variant.bank_letters(item)  # letter shown -> the bank's
    shown_of = {bank: shown for shown, bank in bank_of.items()}
    picked = {bank_of[letter] for letter in read.letters}

    right = len(picked.intersection(item.answer))
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
        lines += [_explained(item, letter, bank_of) for letter in read.letters]
    else:
        lines.append(WITH_A_RIGHT_ANSWER)
    if fraction < 1.0 and quiz.explanations == "after_due_date":
        key = sorted(shown_of[letter] for letter in item.answer)
        lines.append(f"The answer: {', '.join(key)}.")
        lines += [
            _explained(item, letter, bank_of) for letter in key if bank_of[letter] not in picked
        ]
    if item.shuffle:
        lines.append(f"(The letters of the choices in the order shown to {_shown_to(variant)}.)")
    score = _result(item, quiz, round(fraction * item.points, 6), "\n".join(lines))
    return replace(score, picked=tuple(letter for letter in item.letters if letter in picked))


def _score_numeric(item: Item, answer: object, quiz: Quiz, variant: Variant) -> ItemScore:
    function = item.answer_function
    expected = function.answer(variant.values)
    numbers = ", ".join(f"{name} = {format_value(value)}" for name, value in variant.values.items())
    yours = f"Graded for your numbers ({_shown_to(variant)}): {numbers}."
    read = read_numbers(answer, len(expected))
    if read.problem is not None:
        return _result(item, quiz, 0.0, f"No credit: {read.problem}.\n{yours}")
    tolerance = item.tolerance
    right = [
        within(got, want, tolerance.relative, tolerance.absolute)
        for got, want in zip(read.numbers, expected)
    ]
    fraction = sum(right) / len(right)
    if fraction == 1.0:
        lines = ["Correct."]
    elif fraction > 0.0:
        good = [label for label, ok in zip(function.returns, right) if ok]
        bad = [label for label, ok in zip(function.returns, right) if not ok]
        lines = [
            (
                f"Partially correct: {', '.join(good)} right, "
                f"{', '.join(bad)} not within the tolerance."
            )
        ]
    else:
        lines = ["Incorrect."]
    lines.append(yours)
    if fraction < 1.0 and quiz.explanations == "after_due_date":
        answer_text = ", ".join(
            f"{label} {number:.6g}" for label, number in zip(function.returns, expected)
        )
        lines.append(f"The answer: {answer_text}.")
    if fraction == 1.0 or quiz.explanations == "after_due_date":
        lines.append(item.explanation or "")
    return _result(item, quiz, round(fraction * item.points, 6), "\n".join(filter(None, lines)))


def score_quiz(
    quiz: Quiz, answers: Mapping[str, object], variants: Mapping[str, Variant] | None = None
) -> list[ItemScore]:
    """Score every item; an item missing from ``answers`` is unanswered (``None``);
    ``variants``: the student's variant of each per-student item."""
    variants = variants or {}
    return [
        score_item(item, answers.get(item.id), quiz, variants.get(item.id)) for item in quiz.items
    ]


def _explained(item: Item, letter: str, bank_of: Mapping[str, str]) -> str:
    """The explanation of the choice shown as ``letter``."""
    bank = bank_of[letter]
    return f"{letter}. {item.choices[bank]}: {item.explanations[bank]}"


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
