"""Reading a student's answer to a choice question.

This one file serves two places and must stay standalone (standard library only):

* students get a copy named ``quizcheck.py`` beside each released quiz notebook; the locked
  check cell under each answer calls ``check_answer_format`` to test the *form* of the answer
  (it knows the choice letters, never the key);
* the grader reads answers with the very same ``read_answer``, so a form the check cell accepts
  is always scored and a form it rejects always explains the same problem.

Accepted forms: a single-choice answer is one ``str`` holding one letter (``"A"``); a
multiple-choice answer is a ``list`` of such strings (``["A", "D"]``). Case and surrounding
spaces do not matter (``" a "`` reads as ``"A"``) and a letter given twice counts once. Nothing
else is read: no ``"A, D"`` strings for multiple choice, no lists for single choice, no tuples,
no subclasses of ``str`` or ``list``.
"""

from __future__ import annotations

from dataclasses import dataclass

SINGLE = "single"
MULTIPLE = "multiple"


class AnswerFormError(AssertionError):
    """The answer has the wrong form; the message says how to write it. Shown without traceback."""

    def _render_traceback_(self) -> list[str]:
        return [f"\033[31mCheck failed:\033[0m {self}"]


@dataclass(frozen=True)
class ReadAnswer:
    """What could be read from an answer.

    ``letters``: picked letters that are choices, de-duplicated, in the order of the choices;
    ``unknown``: picked letters that are not choices;
    ``problem``: why the answer cannot be scored at all (``None`` when it can).
    """

    letters: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    problem: str | None = None


def format_hint(kind: str) -> str:
    """How to write an answer of this kind, for prompts and messages."""
    if kind == MULTIPLE:
        return 'a list of letters such as ["A", "C"]'
    return 'one letter in quotes such as "A"'


def describe(value: object) -> str:
    """A short phrase naming what a value is, e.g. ``an int (3)`` or ``a MyStr (subclass of str)``."""
    type_name = getattr(value, "type_name", None)
    if type(value).__name__ == "Unsupported" and isinstance(type_name, str):
        # The grader's worker stands for an object that was not plain data with this record.
        return f"a {type_name} object, which is not plain data"
    kind = type(value)
    if value is None:
        return "None"
    if kind in (bool, int, float):
        return f"{_article(kind.__name__)} {kind.__name__} ({value!r})"
    for base in (str, list, tuple, dict):
        if isinstance(value, base) and kind is not base:
            return f"{_article(kind.__name__)} {kind.__name__} (a subclass of {base.__name__})"
    if kind is str:
        return f"the string {_clip(repr(value))}"
    return f"{_article(kind.__name__)} {kind.__name__}"


def read_answer(value: object, kind: str, choices: str | tuple[str, ...] | list[str]) -> ReadAnswer:
    """Read ``value`` as an answer of ``kind`` (``"single"`` or ``"multiple"``) among ``choices``."""
    letters = tuple(choices)
    listing = ", ".join(letters)
    if value is None:
        return ReadAnswer(problem="not answered (the name is still None)")
    if kind == SINGLE:
        if type(value) is not str:
            return ReadAnswer(problem=f"expected {format_hint(kind)}, got {describe(value)}")
        letter = value.strip().upper()
        if not letter:
            return ReadAnswer(problem=f"the answer is empty; expected {format_hint(kind)}")
        if len(letter) != 1:
            return ReadAnswer(
                problem=f"a single-choice answer is exactly one letter, got {describe(value)}"
            )
        if letter not in letters:
            return ReadAnswer(
                unknown=(letter,), problem=f'"{letter}" is not one of the choices ({listing})'
            )
        return ReadAnswer(letters=(letter,))
    if type(value) is not list:
        return ReadAnswer(problem=f"expected {format_hint(kind)}, got {describe(value)}")
    picked: set[str] = set()
    for entry in value:
        if type(entry) is not str:
            return ReadAnswer(
                problem=f"every entry of the list must be one letter string, got {describe(entry)}"
            )
        letter = entry.strip().upper()
        if len(letter) != 1:
            return ReadAnswer(
                problem=f"every entry of the list must be exactly one letter, got {describe(entry)}"
            )
        picked.add(letter)
    if not picked:
        return ReadAnswer(problem=f"the list is empty; expected {format_hint(kind)}")
    return ReadAnswer(
        letters=tuple(letter for letter in letters if letter in picked),
        unknown=tuple(sorted(picked.difference(letters))),
    )


def check_answer_format(name: str, value: object, kind: str, choices: str) -> None:
    """Raise ``AnswerFormError`` unless ``value`` is a well-formed answer; says nothing of the key."""
    read = read_answer(value, kind, choices)
    if read.problem is None and read.unknown:
        unknown = ", ".join(f'"{letter}"' for letter in read.unknown)
        read = ReadAnswer(problem=f"{unknown} not among the choices ({', '.join(choices)})")
    if read.problem is not None:
        raise AnswerFormError(f"{name}: {read.problem}.")
    picked = ", ".join(read.letters)
    print(f"{name}: the form is right ({picked}). It is scored against the key after you submit.")


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
