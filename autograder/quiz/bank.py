"""The item bank: ``quizzes/<quiz id>.yaml`` -> validated ``Quiz``.

Validation is two passes over the parsed YAML, both collecting every error of the file:
the JSON Schema (``schema.QUIZ_SCHEMA``: fields, types, required-ness) and the semantic rules
that relate fields to each other (``semantic_errors``, with ``numeric.parameter_errors`` for the
ranges of numeric items). Each error names the file, the item and the field.
"""

from __future__ import annotations

import keyword
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from autograder.quiz import numeric
from autograder.quiz.schema import QUIZ_SCHEMA

if TYPE_CHECKING:
    from jsonschema import ValidationError

SINGLE = "single"
MULTIPLE = "multiple"
FREE_RESPONSE = "free_response"
NUMERIC = "numeric"
CHOICE_TYPES = (SINGLE, MULTIPLE)

#: Names the quiz notebook's own cells bind (``render``): the student's ``QuizVariant`` and the
#: form checks. An item id must not be one, or its answer would rebind it.
VARIANT_NAME = "quiz"
NOTEBOOK_NAMES = frozenset(
    {VARIANT_NAME, "QuizVariant", "check_answer_format", "check_number_format"}
)

#: Quiz-level ``explanations`` setting -> Gradescope test visibility.
VISIBILITY = {"immediately": "visible", "after_due_date": "after_due_date"}


@dataclass(frozen=True)
class BankError:
    """One problem in a bank file; ``str()`` reads ``file:line: item 'x', field 'y': message``."""

    file: str
    message: str
    item: str | None = None
    field: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [
            f"item {self.item}" if self.item else "",
            f"field '{self.field}'" if self.field else "",
        ]
        located = ", ".join(part for part in parts if part)
        return f"{where}: {located}: {self.message}" if located else f"{where}: {self.message}"


class BankInvalid(ValueError):
    """A bank file has errors; ``errors`` lists them all."""

    def __init__(self, errors: list[BankError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


@dataclass(frozen=True)
class Tolerance:
    """A numeric answer is right when ``|got - expected| <= absolute + relative * |expected|``."""

    relative: float
    absolute: float

    def describe(self) -> str:
        return f"|your answer - the answer| <= {self.absolute:g} + {self.relative:g} x |the answer|"


@dataclass(frozen=True)
class Item:
    id: str
    type: str
    prompt: str  # for a numeric item, a template with a {placeholder} per parameter
    points: float
    choices: dict[str, str]  # letter -> text, in the order of the slides
    answer: tuple[str, ...]  # correct letters (one for a single choice); empty otherwise
    explanations: dict[str, str]  # letter -> why that choice is right or wrong
    rubric: str | None = None  # model answer for free response; instructor side only
    shuffle: bool = False  # choice items: each student sees the choices in an order of their own
    #: numeric items: parameter -> {"values": [...]} or {"min": a, "max": b}, in the bank's order
    parameters: Mapping[str, dict] = dataclass_field(default_factory=dict)
    function: str | None = None  # numeric items: the name in ``numeric.FUNCTIONS``
    tolerance: Tolerance | None = None  # numeric items
    explanation: str | None = None  # numeric items: how the answer is found

    @property
    def letters(self) -> tuple[str, ...]:
        return tuple(self.choices)

    @property
    def per_student(self) -> bool:
        """Whether each student gets a variant of their own (a choice order, or numbers)."""
        return self.shuffle or self.type == NUMERIC

    @property
    def answer_function(self) -> numeric.AnswerFunction:
        """A numeric item's answer function."""
        return numeric.FUNCTIONS[self.function]


@dataclass(frozen=True)
class Quiz:
    id: str
    title: str
    explanations: str  # "immediately" or "after_due_date"
    items: tuple[Item, ...]
    shuffle: bool = False  # the default of each choice item's shuffle

    @property
    def per_student(self) -> bool:
        """Whether some item has a variant of each student's own."""
        return any(item.per_student for item in self.items)

    @property
    def visibility(self) -> str:
        """Gradescope visibility of every item's result."""
        return VISIBILITY[self.explanations]

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)


# --------------------------------------------------------------------------------------------
# Finding banks


def quiz_id_of(path: Path) -> str:
    return Path(path).stem


def bank_paths(repo_root: Path) -> list[Path]:
    """All bank files of the repository, sorted by quiz id."""
    return sorted((Path(repo_root) / "quizzes").glob("*.yaml"))


# --------------------------------------------------------------------------------------------
# Loading


def load_quiz(path: Path | str) -> Quiz:
    """Parse and validate one bank file; raise ``BankInvalid`` with every error found."""
    path = Path(path)
    data, errors = _parse(path)
    if not errors:
        errors = list(_validation_errors(path, data))
    if errors:
        raise BankInvalid(errors)
    return _build(path, data)


def validate_bank(path: Path | str) -> list[BankError]:
    """Every error of one bank file (empty when it is valid)."""
    path = Path(path)
    data, errors = _parse(path)
    return errors or list(_validation_errors(path, data))


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe loader that refuses a key given twice in one mapping (PyYAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _parse(path: Path) -> tuple[object, list[BankError]]:
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, [BankError(file, f"cannot read the file: {error}")]
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader), []
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = " ".join(part for part in (error.context, error.problem) if part)
        return None, [BankError(file, f"YAML does not parse: {problem}", line=line)]
    except yaml.YAMLError as error:
        return None, [BankError(file, f"YAML does not parse: {error}")]


def _build(path: Path, data: dict) -> Quiz:
    items = []
    shuffle = data.get("shuffle", False)
    for raw in data["items"]:
        answer = raw.get("answer", ())
        tolerance = raw.get("tolerance")
        items.append(
            Item(
                id=raw["id"],
                type=raw["type"],
                prompt=raw["prompt"].strip(),
                points=float(raw["points"]),
                choices={letter: text.strip() for letter, text in raw.get("choices", {}).items()},
                answer=(answer,) if isinstance(answer, str) else tuple(answer),
                explanations={k: v.strip() for k, v in raw.get("explanations", {}).items()},
                rubric=raw["rubric"].strip() if "rubric" in raw else None,
                shuffle=raw["type"] in CHOICE_TYPES and raw.get("shuffle", shuffle),
                parameters={
                    name: {key: spec[key] for key in ("values", "min", "max") if key in spec}
                    for name, spec in raw.get("parameters", {}).items()
                },
                function=raw.get("function"),
                tolerance=None if tolerance is None else Tolerance(
                    float(tolerance["relative"]), float(tolerance["absolute"])
                ),
                explanation=raw["explanation"].strip() if "explanation" in raw else None,
            )
        )
    return Quiz(
        id=quiz_id_of(path),
        title=data["title"].strip(),
        explanations=data.get("explanations", "immediately"),
        items=tuple(items),
        shuffle=shuffle,
    )


# --------------------------------------------------------------------------------------------
# Validation


def _validation_errors(path: Path, data: object) -> Iterator[BankError]:
    file = str(path)
    if not quiz_id_of(path).isidentifier():
        yield BankError(
            file,
            f"the file name's stem {quiz_id_of(path)!r} (the quiz id) must be "
            "a Python identifier, e.g. optimization_quiz.yaml",
        )
    if not isinstance(data, dict):
        yield BankError(
            file, f"the file must hold a mapping with title and items, got {type(data).__name__}"
        )
        return
    yield from schema_errors(file, data)
    yield from semantic_errors(file, data)


def _item_label(data: dict, index: int) -> str:
    items = data.get("items")
    raw = items[index] if isinstance(items, list) and index < len(items) else None
    item_id = raw.get("id") if isinstance(raw, dict) else None
    return f"'{item_id}' (#{index + 1})" if isinstance(item_id, str) else f"#{index + 1}"


def schema_errors(file: str, data: dict) -> Iterator[BankError]:
    """Structure errors from the JSON Schema, one per field, in file order."""
    import jsonschema  # slow to import (format checkers); only validation needs it

    validator = jsonschema.Draft202012Validator(QUIZ_SCHEMA)
    for error in sorted(_leaf_errors(validator.iter_errors(data)), key=_file_order):
        path = list(error.absolute_path)
        item = None
        if len(path) >= 2 and path[0] == "items" and isinstance(path[1], int):
            item = _item_label(data, path[1])
            path = path[2:]
        for field, message in _explain(error):
            full = ".".join(str(p) for p in [*path, *([field] if field else [])])
            yield BankError(file, message, item=item, field=full or None)


def _file_order(error: ValidationError) -> tuple:
    path = list(error.absolute_path)
    in_items = len(path) > 1 and path[0] == "items"
    return (in_items, [f"{p:09d}" if isinstance(p, int) else p for p in path])


def _leaf_errors(
    errors: Iterable[ValidationError],
) -> Iterator[ValidationError]:
    # allOf/if-then wrap the useful errors; report those (jsonschema gives them as context).
    for error in errors:
        if error.context:
            yield from _leaf_errors(error.context)
        else:
            yield error


_TYPE_NAMES = {"number": "a number", "string": "a string", "object": "a mapping", "array": "a list"}


def _explain(error: ValidationError) -> list[tuple[str | None, str]]:
    """(field below the error's path, friendly message) for one schema error."""
    kind, expected, instance = error.validator, error.validator_value, error.instance
    if kind == "required":
        return [(name, "is missing (required)") for name in expected if name not in instance]
    if kind == "additionalProperties" and expected is False:
        known = error.schema.get("properties", {})
        return [(str(name), "is not a known field") for name in instance if name not in known]
    if kind == "type":
        names = expected if isinstance(expected, list) else [expected]
        expected_text = " or ".join(_TYPE_NAMES.get(name, name) for name in names)
        return [(None, f"must be {expected_text}, got {type(instance).__name__} {instance!r}")]
    if kind == "exclusiveMinimum":
        return [(None, f"must be positive, got {instance!r}")]
    if kind == "minimum":
        return [(None, f"must be at least {expected!r}, got {instance!r}")]
    if kind == "enum":
        return [(None, f"must be one of {', '.join(map(str, expected))}, got {instance!r}")]
    if kind == "pattern" and expected == "^[A-Z]$":
        return [(None, f"must be a single capital letter, got {instance!r}")]
    if kind == "pattern" and expected.startswith("^[A-Za-z_]"):
        return [(None, f"parameter names must be Python identifiers, got {instance!r}")]
    if kind == "pattern":
        return [(None, "must not be empty")]
    if kind == "propertyNames":
        return [(None, f"keys must be single capital letters, got {instance!r}")]
    return [(None, error.message)]


def semantic_errors(file: str, data: dict) -> Iterator[BankError]:
    """Rules relating fields to each other; each one skips fields the schema already rejects."""
    items = data.get("items")
    if not isinstance(items, list):
        return
    first_index: dict[str, int] = {}
    for index, raw in enumerate(items):
        if not isinstance(raw, dict):
            continue
        label = _item_label(data, index)

        def error(field: str, message: str, label: str = label) -> BankError:
            return BankError(file, message, item=label, field=field)

        item_id = raw.get("id")
        if isinstance(item_id, str):
            if not item_id.isidentifier():
                yield error(
                    "id",
                    f"{item_id!r} is not a Python identifier (the answer is bound to this name)",
                )
            elif keyword.iskeyword(item_id):
                yield error("id", f"{item_id!r} is a Python keyword and cannot be a name")
            elif item_id.startswith("test_"):
                yield error("id", "must not start with 'test_' (reserved for the check cells)")
            elif item_id in NOTEBOOK_NAMES:
                yield error("id", f"{item_id!r} is a name the quiz notebook's own cells use")
            if item_id in first_index:
                yield error(
                    "id",
                    f"duplicate id {item_id!r}, first used by item #{first_index[item_id] + 1}",
                )
            else:
                first_index[item_id] = index
        kind = raw.get("type")
        if kind == FREE_RESPONSE:
            for name in ("choices", "answer", "explanations"):
                if name in raw:
                    yield error(
                        name, "a free-response item has no choices, answer or explanations"
                    )
        if kind in CHOICE_TYPES:
            yield from (error(f, m) for f, m in _choice_rules(kind, raw))
        elif "shuffle" in raw:
            yield error("shuffle", "only choice items are shuffled")
        if kind != NUMERIC:
            for name in ("parameters", "function", "tolerance", "explanation"):
                if name in raw:
                    yield error(name, f"only numeric items have {name}")
        else:
            for name in ("choices", "answer", "explanations", "rubric"):
                if name in raw:
                    yield error(
                        name,
                        "a numeric item has no choices, answer, explanations or rubric "
                        "(its function computes the answer)",
                    )
            yield from (error(f, m) for f, m in numeric.parameter_errors(raw))


def _choice_rules(kind: str, raw: dict) -> Iterator[tuple[str, str]]:
    choices = raw.get("choices")
    if not isinstance(choices, dict):
        return
    letters = [str(letter) for letter in choices]
    expected_letters = [chr(ord("A") + i) for i in range(len(letters))]
    if letters != expected_letters and all(len(k) == 1 and k.isupper() for k in letters):
        yield "choices", f"letters must run A, B, C, ... in order, got {', '.join(letters)}"
    listing = ", ".join(letters)

    answer = raw.get("answer")
    if kind == SINGLE and isinstance(answer, list):
        yield "answer", f"a single-choice item takes one letter, not a list ({answer!r})"
    elif kind == MULTIPLE and isinstance(answer, str):
        yield (
            "answer",
            f"a multiple-choice item takes a list of at least two letters, got {answer!r}",
        )
    picked = [answer] if isinstance(answer, str) else answer if isinstance(answer, list) else []
    for letter in picked:
        if isinstance(letter, str) and letter not in choices:
            yield "answer", f"{letter!r} is not a choice ({listing})"
    if kind == MULTIPLE and isinstance(answer, list):
        if len(set(answer)) != len(answer):
            yield "answer", f"a letter is listed twice in {answer!r}"
        if len(set(answer)) == 1:
            yield (
                "answer",
                "a multiple-choice item needs at least two right letters; use type single",
            )
        if set(answer) >= set(choices):
            yield "answer", "every choice is right, so picking all would always earn full marks"

    explanations = raw.get("explanations")
    if isinstance(explanations, dict):
        for letter in explanations:
            if letter not in choices:
                yield f"explanations.{letter}", f"{letter!r} is not a choice ({listing})"
        for letter in letters:
            if letter not in explanations:
                yield "explanations", f"no explanation for choice {letter}"
