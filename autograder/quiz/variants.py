"""Per-student variants of quiz questions: a choice order, or numbers, of each student's own.

This one file serves two places and must stay standalone (standard library only):

* students get a copy named ``quizvariants.py`` beside a released quiz notebook that has
  per-student questions, with ``quizvariants.json`` (the quiz's public salt, the choice texts
  and the numeric questions' templates and parameter ranges; never a key). The notebook's
  first code cell makes a ``QuizVariant``, which takes the student id from ``JUPYTERHUB_USER``
  (else asks for it once) and shows each such question in that student's variant;
* the grader draws the same variant from the same salt and the id the submission is filed
  under (never what the notebook says), maps the letters back to the bank's and computes the
  numbers' answer in its own process.

A variant is a deterministic function of (salt, student id, item id): every draw is
HMAC-SHA256(salt, the JSON list [student id, item id, what is drawn]) reduced modulo the number
of outcomes (a 256-bit number: the bias is below 2^-200). Orders and numbers are not secret;
answers are, and they never leave the grader.

Student ids are taken exactly as given, never normalized: two different ids always draw apart
(a student cannot reach another's variant by spelling their id another way) and the one rule,
``check_student_id``, refuses what cannot be an id or is easily mistyped unseen.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

#: The data file beside the released notebook (and the instructor's source notebook).
DATA_FILE = "quizvariants.json"
MAX_STUDENT_ID = 128
#: A parameter placeholder in a numeric question's prompt: ``{name}``.
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SALT = re.compile(r"[0-9a-f]{64}")


class StudentIdError(ValueError):
    """The student id cannot pick a variant; the message says why. Shown without traceback."""

    def _render_traceback_(self) -> list[str]:
        return [f"\033[31mStudent id:\033[0m {self}"]


def _shown(text: str, limit: int = 40) -> str:
    """``repr`` of the text, so that control and invisible characters show as escapes."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "..."


def check_student_id(student: object) -> str:
    """``student`` unchanged if it is a usable student id, else ``StudentIdError``.

    An id is text of 1 to 128 characters, in Unicode's NFC form, with no control, format
    (zero-width, bidi), private-use, unassigned or surrogate character, no space other than
    U+0020 and none at either end, no ``/`` or ``\\``, and not ``.`` or ``..``.
    """
    if type(student) is not str:
        raise StudentIdError(f"a student id is text, got {type(student).__name__}")
    if not student:
        raise StudentIdError("the student id is empty")
    if len(student) > MAX_STUDENT_ID:
        raise StudentIdError(
            f"the student id {_shown(student)} is {len(student)} characters long; "
            f"at most {MAX_STUDENT_ID}"
        )
    for character in student:
        category = unicodedata.category(character)
        if category[0] == "C" or (category[0] == "Z" and character != " "):
            raise StudentIdError(
                f"the student id {_shown(student)} holds U+{ord(character):04X}, an invisible "
                "or control character"
            )
    if student.strip(" ") != student:
        raise StudentIdError(f"the student id {_shown(student)} starts or ends with a space")
    if "/" in student or "\\" in student or student in (".", ".."):
        raise StudentIdError(
            f"the student id {_shown(student)} is not a name: no '/', '\\', '.' or '..'"
        )
    if not unicodedata.is_normalized("NFC", student):
        raise StudentIdError(
            f"the student id {_shown(student)} is not in Unicode NFC form (an accent typed as a "
            "separate mark?)"
        )
    return student


def check_salt(salt: object) -> str:
    """``salt`` unchanged if it is 64 lowercase hex digits, else ``ValueError``."""
    if type(salt) is not str or not _SALT.fullmatch(salt):
        raise ValueError("the quiz's salt is not 64 hex digits")
    return salt


def draw(salt: str, student: str, item_id: str, what: str, count: int) -> int:
    """A number in ``range(count)``, the same for the same salt, student, item and ``what``."""
    message = json.dumps([student, item_id, what]).encode("ascii")
    digest = hmac.new(bytes.fromhex(salt), message, hashlib.sha256).digest()
    return int.from_bytes(digest, "big") % count


def choice_order(salt: str, student: str, item_id: str, count: int) -> tuple[int, ...]:
    """The student's order of ``count`` choices: position shown -> index among the bank's
    choices (a Fisher-Yates shuffle)."""
    order = list(range(count))
    for position in range(count - 1, 0, -1):
        other = draw(salt, student, item_id, f"order {position}", position + 1)
        order[position], order[other] = order[other], order[position]
    return tuple(order)


def parameter_values(salt: str, student: str, item_id: str, parameters: dict) -> dict:
    """The student's value of each parameter: ``{"values": [...]}`` picks one of the list,
    ``{"min": a, "max": b}`` an integer from a to b (both included)."""
    values = {}
    for name, spec in parameters.items():
        what = f"parameter {name}"
        if "values" in spec:
            values[name] = spec["values"][draw(salt, student, item_id, what, len(spec["values"]))]
        else:
            span = spec["max"] - spec["min"] + 1
            values[name] = spec["min"] + draw(salt, student, item_id, what, span)
    return values


def format_value(value: float) -> str:
    """A parameter as the question shows it: exactly the number the answer is computed from."""
    return repr(value) if type(value) is float else str(value)


def fill(template: str, values: dict) -> str:
    """The prompt with each ``{name}`` replaced by the parameter's value."""

    def value_of(match: re.Match) -> str:
        name = match.group(1)
        return format_value(values[name]) if name in values else match.group(0)

    return PLACEHOLDER.sub(value_of, template)


# --------------------------------------------------------------------------------------------
# The student's side: the notebook's cells


@dataclass(frozen=True)
class Shown:
    """A question as one student sees it: Markdown in Jupyter, plain text elsewhere."""

    markdown: str
    text: str

    def _repr_markdown_(self) -> str:
        return self.markdown

    def __repr__(self) -> str:
        return self.text


def _markdown_escape(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~])", r"\\\1", text)


def _student_from_environment() -> str:
    hub_user = os.environ.get("JUPYTERHUB_USER")
    if hub_user:
        return hub_user
    try:
        return input("Your student id, exactly as your course knows you: ")
    except Exception:  # noqa: BLE001 -- whatever a kernel without stdin raises
        raise StudentIdError(
            "JUPYTERHUB_USER is not set and this notebook cannot ask for your id here: run it "
            'in Jupyter, or write QuizVariant(..., student="your id")'
        ) from None


class QuizVariant:
    """One student's variant of a quiz, read from ``quizvariants.json`` beside this file."""

    def __init__(self, quiz_id: str, student: str | None = None, data: Path | None = None) -> None:
        path = Path(data) if data is not None else Path(__file__).with_name(DATA_FILE)
        self.data = json.loads(path.read_text(encoding="utf-8"))
        if self.data.get("quiz") != quiz_id:
            raise ValueError(f"{path} is the variant data of another quiz, not {quiz_id}")
        self.salt = check_salt(self.data.get("salt"))
        from_hub = student is None and bool(os.environ.get("JUPYTERHUB_USER"))
        chosen = student if student is not None else _student_from_environment()
        try:
            self.student = check_student_id(chosen)
        except StudentIdError as error:
            advice = (
                "ask your instructor"
                if from_hub
                else "run this cell again and type your id exactly"
            )
            raise StudentIdError(f"{error}: {advice}") from None
        print(
            f"The questions below show the variant of student id {_shown(self.student)}. Your "
            "submission is graded in the variant of the id it is filed under: if this is not "
            "exactly your course id, run this cell again."
        )

    def show(self, item_id: str) -> Shown:
        """The question ``item_id`` in this student's variant."""
        item = self.data["items"][item_id]
        who = f"student id {_shown(self.student)}"
        if "choices" in item:
            order = choice_order(self.salt, self.student, item_id, len(item["choices"]))
            rows = [
                (chr(ord("A") + shown), item["choices"][bank]) for shown, bank in enumerate(order)
            ]
            heading = f"Choices in the order of {who}:"
            markdown = [_markdown_escape(heading), "", *(f"- **{k}.** {text}" for k, text in rows)]
            return Shown("\n".join(markdown), "\n".join([heading, *(f"{k}. {t}" for k, t in rows)]))
        values = parameter_values(self.salt, self.student, item_id, item["parameters"])
        prompt = fill(item["prompt"], values)
        heading = f"Your numbers ({who}):"
        return Shown(f"{_markdown_escape(heading)}\n\n{prompt}", f"{heading}\n{prompt}")
