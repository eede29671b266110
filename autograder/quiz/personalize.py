"""Each student's own variant of a quiz, on the grader's side.

* The quiz's **salt** is public: HMAC-SHA256(course secret, ``"variants/<quiz id>"``), made the
  first time ``build_quiz`` writes the quiz and kept from then on in
  ``<course root>/source/<quiz id>/quizvariants.json``, which nbgrader releases beside the
  notebook and the Gradescope bundle carries. It reveals nothing of the secret (HMAC), and it
  is not a seed message (those are ``<assignment>/<student>/<code>``). Orders and numbers are
  not secret; answers are computed only here, from the bank.
* The grader reads the salt from the instructor's source folder, never from a submission, and
  draws each item's variant from it and the id the submission is filed under (nbgrader's
  ``submitted/<student>/``, or ``autograder grade --student``), never from what the notebook
  says.
* A shuffled item's choices are released (``quizvariants.json``) in the item's **listed order**,
  drawn from the salt and the choice texts alone (``listed_order``), never in the bank's order:
  authors often write the right choice first, and the bank's order would then give the key away
  to anyone who reads the file. A student's order is a shuffle of the listed order, so what any
  student sees (and the file) is the same whatever the bank's order.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from autograder.quiz import variants
from autograder.quiz.bank import FREE_RESPONSE, NUMERIC, SINGLE, Item, Quiz
from autograder.quiz.variants import DATA_FILE, StudentIdError, check_salt, check_student_id

#: The data file is written by ``build_quiz``; anything much bigger is not ours.
MAX_DATA_BYTES = 4 * 1024 * 1024
NO_STUDENT = (
    "this submission was graded without a student id (autograder grade --student), so the "
    "variant it answers is unknown"
)


class VariantsUnavailable(ValueError):
    """No variant can be drawn (no student id, a bad one, no salt); the message says why."""


@dataclass(frozen=True)
class Variant:
    """One student's variant of one item."""

    student: str
    order: tuple[int, ...] = ()  # shuffled choices: position shown -> index of the bank's choice
    values: Mapping[str, int | float] = field(default_factory=dict)  # numeric: the parameters

    def bank_letters(self, item: Item) -> dict[str, str]:
        """Letter shown -> the bank's letter of the same choice (the identity if not shuffled)."""
        letters = item.letters
        if not self.order:
            return {letter: letter for letter in letters}
        return {letters[shown]: letters[bank] for shown, bank in enumerate(self.order)}

    def record(self, item: Item) -> dict:
        """What results.json keeps of the variant (``extra_data.variant`` of the item's test)."""
        if item.type == NUMERIC:
            return {"student": self.student, "parameters": dict(self.values)}
        return {"student": self.student, "order": [item.letters[bank] for bank in self.order]}


def listed_order(item: Item, salt: str) -> tuple[int, ...]:
    """Indexes of the bank's choices in the order ``quizvariants.json`` lists them: sorted by
    HMAC-SHA256(salt, {"choice": text, "item": id}), a function of the texts and the salt only
    (the same choices in another bank order list alike; ties, equal texts, by bank order)."""
    texts = list(item.choices.values())

    def rank(index: int) -> bytes:
        message = json.dumps(
            {"choice": texts[index], "item": item.id}, sort_keys=True
        ).encode("ascii")
        return hmac.new(bytes.fromhex(salt), message, hashlib.sha256).digest()

    return tuple(sorted(range(len(texts)), key=lambda index: (rank(index), index)))


def variant_of(item: Item, salt: str, student: str) -> Variant:
    if item.type == NUMERIC:
        return Variant(
            student, values=variants.parameter_values(salt, student, item.id, item.parameters)
        )
    listed = listed_order(item, salt)  # what the notebook shuffles: the choices as listed
    shuffled = variants.choice_order(salt, student, item.id, len(item.choices))
    return Variant(student, order=tuple(listed[position] for position in shuffled))


def variants_for(quiz: Quiz, salt: str, student: str) -> dict[str, Variant]:
    """The variant of every per-student item of ``quiz`` for ``student`` (a checked id)."""
    return {item.id: variant_of(item, salt, student) for item in quiz.items if item.per_student}


def right_answers(quiz: Quiz, variants_by_item: Mapping[str, Variant]) -> dict[str, object]:
    """The answer that earns full marks on each scored item, as that student writes it."""
    answers: dict[str, object] = {}
    for item in quiz.items:
        variant = variants_by_item.get(item.id, Variant(""))  # a fixed item: the bank's letters
        if item.type == NUMERIC:
            numbers = item.answer_function.answer(variant.values)
            answers[item.id] = numbers[0] if len(numbers) == 1 else list(numbers)
        elif item.type != FREE_RESPONSE:
            shown = {bank: shown for shown, bank in variant.bank_letters(item).items()}
            letters = sorted(shown[letter] for letter in item.answer)
            answers[item.id] = letters[0] if item.type == SINGLE else letters
    return answers


# --------------------------------------------------------------------------------------------
# The salt


def data_path(course_root: Path, quiz_id: str) -> Path:
    return Path(course_root) / "source" / quiz_id / DATA_FILE


def make_salt(course_root: Path, quiz_id: str) -> str:
    """HMAC-SHA256(the course secret, "variants/<quiz id>"), the secret made if there is none."""
    from autograder.batch.grader import course_secret

    message = f"variants/{quiz_id}".encode()
    return hmac.new(course_secret(Path(course_root)), message, hashlib.sha256).hexdigest()


def read_salt(course_root: Path, quiz_id: str) -> str:
    """The salt the quiz was released with, from the instructor's source folder."""
    path = data_path(course_root, quiz_id)
    try:
        with path.open("rb") as file:
            data = json.loads(file.read(MAX_DATA_BYTES + 1)[:MAX_DATA_BYTES])
        if data.get("quiz") != quiz_id:
            raise ValueError(f"it is the variant data of {data.get('quiz')!r}")
        return check_salt(data.get("salt"))
    except FileNotFoundError:
        problem = "it is missing"
    except (OSError, ValueError, AttributeError) as error:
        problem = f"it cannot be used ({error})"
    raise VariantsUnavailable(
        f"the quiz's variant data {path} {problem}: run `autograder quiz build {quiz_id}` "
        "(which keeps the salt the students were given, if the file is there)"
    )


def kept_salt(course_root: Path, quiz_id: str) -> str | None:
    """The salt already written for the quiz, if any (a rebuild keeps it)."""
    try:
        return read_salt(course_root, quiz_id)
    except VariantsUnavailable:
        return None


def student_variants(quiz: Quiz, course_root: Path, student: str | None) -> dict[str, Variant]:
    """Every per-student item's variant for the submission of ``student``; empty when the quiz
    has none. Raises ``VariantsUnavailable`` when they cannot be drawn."""
    if not quiz.per_student:
        return {}
    if student is None:
        raise VariantsUnavailable(NO_STUDENT)
    try:
        check_student_id(student)
    except StudentIdError as error:
        raise VariantsUnavailable(f"{error}, so it cannot pick a variant") from None
    return variants_for(quiz, read_salt(course_root, quiz.id), student)
