"""Reading a student's answer to a choice or numeric question.

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

A numeric answer is one number: an ``int`` or a ``float`` (a NumPy integer or floating scalar
reads as the number it holds), finite; not a ``bool``, not a string (``"1e-3"``: write the
number itself, ``1e-3``). A question whose answer is several numbers takes a ``list`` of
exactly that many.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SINGLE = "single"
MULTIPLE = "multiple"
#: NumPy's real scalar types, by name (NumPy is not imported: this file is standard library only).
NUMPY_REALS = frozenset({
    "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "longdouble",
})


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
    """A short phrase naming what a value is, e.g. ``an int (3)`` or
    ``a MyStr (subclass of str)``."""
    type_name = getattr(value, "type_name", None)
    if type(value).__name__ == "Unsupported" and isinstance(type_name, str):
        # The grader's worker stands for an object that was not plain data with this record.
        return f"a {type_name} object, which is not plain data"
    kind = type(value)
    if value is None:
        return "None"
    if kind in (bool, int, float) or (kind.__module__ == "numpy" and kind.__name__ in NUMPY_REALS):
        return f"{_article(kind.__name__)} {kind.__name__} ({_clip(repr(value))})"
    for base in (str, list, tuple, dict):
        if isinstance(value, base) and kind is not base:
            return f"{_article(kind.__name__)} {kind.__name__} (a subclass of {base.__name__})"
    if kind is str:
        return f"the string {_clip(repr(value))}"
    return f"{_article(kind.__name__)} {kind.__name__}"


def read_answer(value: object, kind: str, choices: str | tuple[str, ...] | list[str]) -> ReadAnswer:
    """Read ``value`` as an answer of ``kind`` (``"single"`` or ``"multiple"``)
    among ``choices``."""
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


@dataclass(frozen=True)
class ReadNumbers:
    """What could be read from a numeric answer: the numbers, or why it cannot be scored."""

    numbers: tuple[float, ...] = ()
    problem: str | None = None


def number_hint(count: int) -> str:
    """How to write a numeric answer of ``count`` numbers, for prompts and messages."""
    if count == 1:
        return "a number such as 0.0125 or 1.25e-2"
    return f"a list of {count} numbers such as [{', '.join(str(7 + n) for n in range(count))}]"


def _read_number(value: object) -> float | str:
    """The number ``value`` holds, or why it is not read as one."""
    kind = type(value)
    if kind is str:
        return f"got {describe(value)}: write the number itself, without quotes"
    numpy_real = kind.__module__ == "numpy" and kind.__name__ in NUMPY_REALS
    if kind not in (int, float) and not numpy_real:
        return f"got {describe(value)}"
    try:
        number = float(value)
    except OverflowError:
        return "the number is too large"
    if not math.isfinite(number):
        return f"{number!r} is not a finite number"
    return number


def read_numbers(value: object, count: int) -> ReadNumbers:
    """Read ``value`` as the answer to a question whose answer is ``count`` numbers."""
    if value is None:
        return ReadNumbers(problem="not answered (the name is still None)")
    if count == 1:
        number = _read_number(value)
        if isinstance(number, str):
            return ReadNumbers(problem=f"expected {number_hint(1)}; {number}")
        return ReadNumbers(numbers=(number,))
    if type(value) is not list or len(value) != count:
        return ReadNumbers(problem=f"expected {number_hint(count)}, got {describe(value)}")
    numbers = []
    for position, entry in enumerate(value, start=1):
        number = _read_number(entry)
        if isinstance(number, str):
            return ReadNumbers(problem=f"entry {position} of the list is not a number: {number}")
        numbers.append(number)
    return ReadNumbers(numbers=tuple(numbers))


def check_number_format(name: str, value: object, count: int = 1) -> None:
    """Raise ``AnswerFormError`` unless ``value`` is a well-formed numeric answer."""
    read = read_numbers(value, count)
    if read.problem is not None:
        raise AnswerFormError(f"{name}: {read.problem}.")
    shown = ", ".join(repr(number) for number in read.numbers)
    print(f"{name}: the form is right ({shown}). It is scored after you submit.")


def check_answer_format(name: str, value: object, kind: str, choices: str) -> None:
    """Raise ``AnswerFormError`` unless ``value`` is a well-formed answer; says
    nothing of the key."""
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
