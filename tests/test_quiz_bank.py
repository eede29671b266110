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
        {
            "id": "decayed",
            "type": "numeric",
            "prompt": ("From {learning_rate0}, decay {decay_rate} every {time_interval}: "
                       "epoch {epoch_num}?"),
            "parameters": {
                "learning_rate0": {"values": [0.1, 0.01]},
                "decay_rate": {"values": [0.5, 1]},
                "time_interval": {"values": [10, 100]},
                "epoch_num": {"min": 0, "max": 1000},
            },
            "function": "schedule_lr_decay",
            "tolerance": {"relative": 1e-3, "absolute": 1e-9},
            "explanation": "learning_rate0 / (1 + decay_rate * floor(epoch_num / time_interval))",
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
        ("adam_bias_correction", "single", ("A", "B", "C", "D"), ("A",)),
        ("scheduled_learning_rate", "numeric", (), ()),
    ]
    assert [item.id for item in quiz.items if item.per_student] == [
        "adam_bias_correction",
        "scheduled_learning_rate",
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
    "id the notebook uses": (_set(0, "id", "quiz"), "'quiz' (#1)", "id", "notebook's own cells"),
    # per-student items: shuffled choices, numeric items
    "shuffle not a boolean": (_set(0, "shuffle", "yes"), "'pick_one' (#1)", "shuffle", "boolean"),
    "shuffle on a free response": (
        _set(2, "shuffle", True),
        "'explain' (#3)",
        "shuffle",
        "only choice items are shuffled",
    ),
    "numeric without tolerance": (
        _delete(3, "tolerance"), "'decayed' (#4)", "tolerance", "missing"),
    "numeric without explanation": (
        _delete(3, "explanation"),
        "'decayed' (#4)",
        "explanation",
        "missing",
    ),
    "numeric with choices": (
        _set(3, "choices", {"A": "x", "B": "y"}),
        "'decayed' (#4)",
        "choices",
        "a numeric item has no choices",
    ),
    "parameters on a choice item": (
        _set(0, "parameters", {"n_prev": {"values": [1]}}),
        "'pick_one' (#1)",
        "parameters",
        "only numeric items",
    ),
    "unknown function": (
        _set(3, "function", "magic"),
        "'decayed' (#4)",
        "function",
        "unknown function 'magic' (known: adam_corrected_first_moment",
    ),
    "a parameter missing": (
        _set(3, "parameters", {"learning_rate0": {"values": [0.1]}, "decay_rate": {"values": [1]},
                               "epoch_num": {"values": [1]}}),
        "'decayed' (#4)",
        "parameters",
        "schedule_lr_decay needs the parameter 'time_interval'",
    ),
    "a parameter the function does not take": (
        lambda bank: bank["items"][3]["parameters"].update(beta1={"values": [0.9]}),
        "'decayed' (#4)",
        "parameters.beta1",
        "'beta1' is not a parameter of schedule_lr_decay",
    ),
    "a range where the answer is undefined": (
        lambda bank: bank["items"][3]["parameters"].update(time_interval={"values": [0, 10]}),
        "'decayed' (#4)",
        "parameters.time_interval",
        ("time_interval = 0 is outside where the answer is defined "
         "(time_interval must be an integer >= 1)"),
    ),
    "a non-positive learning rate": (
        lambda bank: bank["items"][3]["parameters"].update(learning_rate0={"values": [0.1, -0.1]}),
        "'decayed' (#4)",
        "parameters.learning_rate0",
        "learning_rate0 must be a number > 0",
    ),
    "a real value for an integer parameter": (
        lambda bank: bank["items"][3]["parameters"].update(epoch_num={"values": [1.5]}),
        "'decayed' (#4)",
        "parameters.epoch_num",
        "epoch_num is an integer",
    ),
    "an integer range for a real parameter": (
        lambda bank: bank["items"][3]["parameters"].update(decay_rate={"min": 1, "max": 2}),
        "'decayed' (#4)",
        "parameters.decay_rate",
        "give its values as a list",
    ),
    "min above max": (
        lambda bank: bank["items"][3]["parameters"].update(epoch_num={"min": 9, "max": 1}),
        "'decayed' (#4)",
        "parameters.epoch_num",
        "min 9 is above max 1",
    ),
    "both values and a range": (
        lambda bank: bank["items"][3]["parameters"].update(
            epoch_num={"values": [1], "min": 0, "max": 1}),
        "'decayed' (#4)",
        "parameters.epoch_num",
        "either values (a list) or min and max",
    ),
    "a value that is not finite": (
        lambda bank: bank["items"][3]["parameters"].update(
            decay_rate={"values": [1, float("inf")]}),
        "'decayed' (#4)",
        "parameters.decay_rate",
        "inf is not a finite number",
    ),
    "a value given as text": (
        lambda bank: bank["items"][3]["parameters"].update(decay_rate={"values": ["1e-3"]}),
        "'decayed' (#4)",
        "parameters.decay_rate.values.0",
        "must be a number, got str '1e-3'",
    ),
    "a placeholder that is not a parameter": (
        _set(3, "prompt", "{learning_rate0} {decay_rate} {time_interval} {epoch_num} {epochs}?"),
        "'decayed' (#4)",
        "prompt",
        "{epochs} is not a parameter",
    ),
    "a parameter the prompt never shows": (
        _set(3, "prompt", "From {learning_rate0}, decay {decay_rate} every {time_interval}?"),
        "'decayed' (#4)",
        "prompt",
        "never shows the parameter epoch_num",
    ),
    "a tolerance that accepts 0": (
        _set(3, "tolerance", {"relative": 0, "absolute": 0.01}),
        "'decayed' (#4)",
        "tolerance",
        "accepts 0 for the learning rate at learning_rate0=0.01",
    ),
    "a relative tolerance of 1": (
        _set(3, "tolerance", {"relative": 1, "absolute": 0}),
        "'decayed' (#4)",
        "tolerance.relative",
        "must be below 1",
    ),
    "a negative tolerance": (
        _set(3, "tolerance", {"relative": -0.1, "absolute": 0}),
        "'decayed' (#4)",
        "tolerance.relative",
        "must be at least 0",
    ),
    "a tolerance without absolute": (
        _set(3, "tolerance", {"relative": 0.1}),
        "'decayed' (#4)",
        "tolerance.absolute",
        "missing",
    ),
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


# --- per-student items ---------------------------------------------------------------------------


def test_shuffle_is_a_quiz_default_that_an_item_overrides(tmp_path):
    bank = copy.deepcopy(VALID_BANK)
    bank["shuffle"] = True
    bank["items"][1]["shuffle"] = False
    quiz = load_quiz(write_bank(tmp_path, bank))
    assert [(item.id, item.shuffle, item.per_student) for item in quiz.items] == [
        ("pick_one", True, True),
        ("pick_some", False, False),
        ("explain", False, False),
        ("decayed", False, True),
    ]


def test_a_numeric_item_loads_its_parameters_function_and_tolerance(tmp_path):
    item = load_quiz(write_bank(tmp_path, VALID_BANK)).item("decayed")
    assert item.parameters["epoch_num"] == {"min": 0, "max": 1000}
    assert item.answer_function.returns == ("the learning rate",)
    assert (item.tolerance.relative, item.tolerance.absolute) == (1e-3, 1e-9)
    assert item.answer_function.answer(
        {"learning_rate0": 0.1, "decay_rate": 1, "time_interval": 10, "epoch_num": 25}
    ) == (0.1 / 3,)


@pytest.mark.parametrize(("function", "parameters", "answer"), [
    ("update_lr", {"learning_rate0": 0.2, "epoch_num": 3, "decay_rate": 1}, (0.05,)),
    ("he_variance", {"n_prev": 8}, (0.25,)),
    ("xavier_variance", {"n_prev": 8}, (0.125,)),
    ("mini_batches", {"m": 130, "mini_batch_size": 64}, (3, 2)),
    ("mini_batches", {"m": 128, "mini_batch_size": 64}, (2, 64)),
    ("adam_first_moment", {"g": 2.0, "beta1": 0.9, "t": 2}, (2 * (1 - 0.9**2),)),
    ("adam_corrected_first_moment", {"g": 2.0, "beta1": 0.9, "t": 7}, (2.0,)),
])
def test_each_answer_function_computes_what_the_reference_does(function, parameters, answer):
    from autograder.quiz.numeric import FUNCTIONS

    assert FUNCTIONS[function].answer(parameters) == pytest.approx(answer, rel=1e-12)
