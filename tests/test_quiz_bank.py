"""The item bank: the course's banks, and every kind of validation error with its location."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from autograder.quiz import BankInvalid, bank_paths, load_quiz, validate_bank

REPO = Path(__file__).resolve().parents[1]

VALID_BANK = {
    "title": "A quiz",
    "explanations": "immediately",
    "items": [
        {
            "id": "pick_one",
            "type": "single",
            "prompt": "Which one?",
            "choices": {"A": "first", "B": "second", "C": "third"},
            "answer": "A",
            "explanations": {"A": "right", "B": "wrong", "C": "wrong"},
            "points": 1,
        },
        {
            "id": "pick_some",
            "type": "multiple",
            "prompt": "Which ones?",
            "choices": {"A": "first", "B": "second", "C": "third"},
            "answer": ["A", "C"],
            "explanations": {"A": "right", "B": "wrong", "C": "right"},
            "points": 2,
        },
        {
            "id": "explain",
            "type": "free_response",
            "prompt": "Why?",
            "rubric": "Because.",
            "points": 2,
        },
    ],
}


def write_bank(tmp_path: Path, bank: object, name: str = "a_quiz") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(bank, sort_keys=False), encoding="utf-8")
    return path


def errors_of(tmp_path: Path, edit) -> list:
    bank = copy.deepcopy(VALID_BANK)
    edit(bank)
    return validate_bank(write_bank(tmp_path, bank))


# --- the course's banks ---------------------------------------------------------------------


def test_every_bank_of_the_course_is_valid():
    paths = bank_paths(REPO)
    assert [path.stem for path in paths] == ["initialization_quiz", "optimization_quiz"]
    for path in paths:
        assert validate_bank(path) == []


def test_optimization_quiz_keeps_the_slides_keys_letters_and_order():
    quiz = load_quiz(REPO / "quizzes" / "optimization_quiz.yaml")
    assert quiz.id == "optimization_quiz"
    assert [(item.id, item.type, item.letters, item.answer) for item in quiz.items] == [
        ("most_variance", "single", ("A", "B", "C"), ("A",)),
        ("not_true_gradient_descent", "single", ("A", "B", "C", "D"), ("B",)),
        ("always_global_minimum", "single", ("A", "B", "C", "D", "E"), ("E",)),
        ("least_successful_ravine", "single", ("A", "B", "C", "D"), ("B",)),
        ("different_influence", "multiple", ("A", "B", "C", "D"), ("A", "D")),
    ]
    assert quiz.items[0].choices["A"] == "Stochastic Gradient Descent"
    assert quiz.items[2].choices["E"] == "None of the above"
    for item in quiz.items:
        assert set(item.explanations) == set(item.choices)


def test_initialization_quiz_carries_the_slides_model_answers_as_rubrics():
    quiz = load_quiz(REPO / "quizzes" / "initialization_quiz.yaml")
    assert [item.type for item in quiz.items] == ["free_response", "free_response"]
    assert quiz.items[0].rubric.startswith("No, the motivation of keeping the variance")
    assert "He initialization" in quiz.items[1].rubric


def test_explanations_setting_maps_to_gradescope_visibility():
    assert load_quiz(REPO / "quizzes" / "optimization_quiz.yaml").visibility == "visible"
    assert load_quiz(REPO / "quizzes" / "initialization_quiz.yaml").visibility == "after_due_date"


def test_explanations_setting_defaults_to_immediately(tmp_path):
    bank = copy.deepcopy(VALID_BANK)
    del bank["explanations"]
    assert load_quiz(write_bank(tmp_path, bank)).visibility == "visible"


# --- each kind of error names the file, the item and the field --------------------------------


def _set(item_index, field, value):
    def edit(bank):
        bank["items"][item_index][field] = value

    return edit


def _delete(item_index, field):
    def edit(bank):
        del bank["items"][item_index][field]

    return edit


ERROR_CASES = {
    "duplicate id": (_set(1, "id", "pick_one"), "'pick_one' (#2)", "id", "duplicate id"),
    "id not an identifier": (
        _set(0, "id", "2nd-q"),
        "'2nd-q' (#1)",
        "id",
        "not a Python identifier",
    ),
    "id is a keyword": (_set(0, "id", "lambda"), "'lambda' (#1)", "id", "keyword"),
    "answer not a choice": (
        _set(0, "answer", "D"),
        "'pick_one' (#1)",
        "answer",
        "'D' is not a choice",
    ),
    "multiple answer not a choice": (
        _set(1, "answer", ["A", "Z"]),
        "'pick_some' (#2)",
        "answer",
        "'Z' is not a choice",
    ),
    "multiple with one letter": (
        _set(1, "answer", "A"),
        "'pick_some' (#2)",
        "answer",
        "at least two",
    ),
    "multiple with a one-letter list": (
        _set(1, "answer", ["A"]),
        "'pick_some' (#2)",
        "answer",
        "at least two",
    ),
    "multiple with every letter": (
        _set(1, "answer", ["A", "B", "C"]),
        "'pick_some' (#2)",
        "answer",
        "every choice is right",
    ),
    "single with a list": (_set(0, "answer", ["A"]), "'pick_one' (#1)", "answer", "not a list"),
    "missing points": (_delete(0, "points"), "'pick_one' (#1)", "points", "missing"),
    "zero points": (_set(0, "points", 0), "'pick_one' (#1)", "points", "positive"),
    "negative points": (_set(1, "points", -2), "'pick_some' (#2)", "points", "positive"),
    "points not a number": (_set(0, "points", "1"), "'pick_one' (#1)", "points", "a number"),
    "explanation key not a choice": (
        _set(0, "explanations", {"A": "r", "B": "w", "C": "w", "F": "?"}),
        "'pick_one' (#1)",
        "explanations.F",
        "'F' is not a choice",
    ),
    "choice without explanation": (
        _set(0, "explanations", {"A": "r", "B": "w"}),
        "'pick_one' (#1)",
        "explanations",
        "no explanation for choice C",
    ),
    "missing choices": (_delete(0, "choices"), "'pick_one' (#1)", "choices", "missing"),
    "choice letter not a capital": (
        _set(0, "choices", {"A": "x", "b": "y"}),
        "'pick_one' (#1)",
        "choices",
        "capital letter",
    ),
    "letters out of order": (
        _set(0, "choices", {"A": "x", "C": "y", "B": "z"}),
        "'pick_one' (#1)",
        "choices",
        "in order",
    ),
    "unknown type": (_set(0, "type", "essay"), "'pick_one' (#1)", "type", "must be one of"),
    "unknown field": (_set(0, "hint", "psst"), "'pick_one' (#1)", "hint", "not a known field"),
    "empty prompt": (_set(0, "prompt", "  "), "'pick_one' (#1)", "prompt", "empty"),
    "free response without rubric": (_delete(2, "rubric"), "'explain' (#3)", "rubric", "missing"),
    "free response with an answer": (
        _set(2, "answer", "A"),
        "'explain' (#3)",
        "answer",
        "free-response",
    ),
    "item without id": (_delete(1, "id"), "#2", "id", "missing"),
}


@pytest.mark.parametrize("case", ERROR_CASES, ids=list(ERROR_CASES))
def test_each_error_names_file_item_and_field(tmp_path, case):
    edit, item, field, fragment = ERROR_CASES[case]
    errors = errors_of(tmp_path, edit)
    matching = [e for e in errors if e.item == item and e.field == field and fragment in e.message]
    assert matching, f"no error on item {item}, field {field} with {fragment!r} in {errors}"
    text = str(matching[0])
    assert text.startswith(str(tmp_path / "a_quiz.yaml"))
    assert f"item {item}" in text and f"field '{field}'" in text


def test_quiz_level_fields_are_checked(tmp_path):
    def edit(bank):
        bank["explanations"] = "sometimes"
        del bank["title"]

    fields = {(e.item, e.field) for e in errors_of(tmp_path, edit)}
    assert {(None, "explanations"), (None, "title")} <= fields


def test_every_error_of_a_file_is_reported_not_only_the_first(tmp_path):
    def edit(bank):
        bank["items"][0]["answer"] = "Z"
        bank["items"][1]["points"] = 0
        bank["items"][2]["id"] = "pick_one"

    errors = errors_of(tmp_path, edit)
    assert {(e.item, e.field) for e in errors} >= {
        ("'pick_one' (#1)", "answer"),
        ("'pick_some' (#2)", "points"),
        ("'pick_one' (#3)", "id"),
    }


def test_yaml_that_does_not_parse_names_file_and_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("title: x\nitems:\n  - id: a\n    prompt: [unclosed\n", encoding="utf-8")
    [error] = validate_bank(path)
    assert error.line is not None and error.line >= 4
    assert str(error).startswith(f"{path}:{error.line}: YAML does not parse")


def test_a_key_given_twice_is_an_error_with_its_line(tmp_path):
    path = tmp_path / "twice.yaml"
    path.write_text(
        "title: x\nitems:\n  - choices:\n      A: one\n      A: two\n", encoding="utf-8"
    )
    [error] = validate_bank(path)
    assert error.line == 5 and "duplicate key 'A'" in error.message


def test_a_file_that_is_not_a_mapping_is_an_error(tmp_path):
    [error] = validate_bank(write_bank(tmp_path, ["not", "a", "mapping"]))
    assert "mapping" in error.message


def test_the_quiz_id_must_be_an_identifier(tmp_path):
    errors = validate_bank(write_bank(tmp_path, VALID_BANK, name="my-quiz"))
    assert any("quiz id" in e.message for e in errors)


def test_load_quiz_raises_with_all_errors(tmp_path):
    path = write_bank(tmp_path, {"title": "x", "items": [{"id": "if", "type": "single"}]})
    with pytest.raises(BankInvalid) as raised:
        load_quiz(path)
    assert len(raised.value.errors) >= 3
    assert str(path) in str(raised.value)
