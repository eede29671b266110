"""Scoring answers: right, wrong, partial (net-correct), malformed, free response, feedback."""

from __future__ import annotations

import dataclasses
import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograder.quiz import Item, Quiz, load_quiz, score_item, score_quiz

REPO = Path(__file__).resolve().parents[1]
OPTIMIZATION = load_quiz(REPO / "quizzes" / "optimization_quiz.yaml")
INITIALIZATION = load_quiz(REPO / "quizzes" / "initialization_quiz.yaml")
SINGLE = OPTIMIZATION.item("most_variance")  # A of A-C
MULTIPLE = OPTIMIZATION.item("different_influence")  # A, D of A-D; 2 points
FREE = INITIALIZATION.item("relu_assumption")
AFTER_DUE = dataclasses.replace(OPTIMIZATION, explanations="after_due_date")


@dataclasses.dataclass(frozen=True)
class Unsupported:
    """Shaped like ``autograder.sandbox.Unsupported`` (not imported: the quiz must not need it)."""

    type_name: str
    detail: str


class MyStr(str):
    pass


# --- single choice --------------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["A", "a", " A ", "\ta\n"])
def test_single_right_letter_in_any_case_and_spacing_earns_full_points(answer):
    result = score_item(SINGLE, answer, OPTIMIZATION)
    assert (result.score, result.max_score) == (1.0, 1.0)
    assert result.feedback.startswith("Correct.")
    assert SINGLE.explanations["A"] in result.feedback
    assert (result.item_id, result.visibility, result.manual) == ("most_variance", "visible", False)


def test_single_wrong_letter_scores_zero_and_explains_the_pick_only():
    result = score_item(SINGLE, "B", OPTIMIZATION)
    assert result.score == 0.0
    assert result.feedback.startswith("Incorrect.")
    assert SINGLE.explanations["B"] in result.feedback
    # Immediate feedback must not give the key away.
    assert SINGLE.explanations["A"] not in result.feedback
    assert "A." not in result.feedback


def test_single_wrong_letter_reveals_the_key_when_explanations_come_after_the_due_date():
    result = score_item(SINGLE, "C", AFTER_DUE)
    assert result.visibility == "after_due_date"
    assert "The answer: A." in result.feedback
    assert SINGLE.explanations["A"] in result.feedback


@pytest.mark.parametrize("answer", ["AB", "A, B", "A B", "AA"])
def test_single_with_several_letters_is_wrong(answer):
    result = score_item(SINGLE, answer, OPTIMIZATION)
    assert result.score == 0.0
    assert "exactly one letter" in result.feedback


def test_single_letter_that_is_not_a_choice_says_so():
    result = score_item(SINGLE, "E", OPTIMIZATION)
    assert result.score == 0.0
    assert '"E" is not one of the choices (A, B, C)' in result.feedback


def test_single_given_as_a_list_scores_zero_and_says_how_to_write_it():
    result = score_item(SINGLE, ["A"], OPTIMIZATION)
    assert result.score == 0.0
    assert 'one letter in quotes such as "A"' in result.feedback and "a list" in result.feedback


# --- multiple choice ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "score"),
    [
        (["A", "D"], 2.0),
        (["d", " a "], 2.0),
        (["A", "D", "A", "d"], 2.0),  # duplicates count once
        (["A"], 1.0),
        (["A", "D", "B"], 1.0),  # (2 - 1) / 2
        (["A", "B"], 0.0),  # (1 - 1) / 2
        (["B", "C"], 0.0),  # floored at 0
        (["A", "B", "C", "D"], 0.0),  # picking everything never pays
    ],
)
def test_multiple_uses_the_net_correct_rule(answer, score):
    assert score_item(MULTIPLE, answer, OPTIMIZATION).score == score


def test_multiple_partial_credit_explains_no_pick_until_the_whole_answer_is_right():
    result = score_item(MULTIPLE, ["A"], OPTIMIZATION)
    assert result.feedback.startswith("Partially correct.")
    assert MULTIPLE.explanations["A"] not in result.feedback
    assert MULTIPLE.explanations["D"] not in result.feedback
    assert "once your whole answer is right" in result.feedback
    right = score_item(MULTIPLE, ["A", "D"], OPTIMIZATION).feedback
    assert MULTIPLE.explanations["A"] in right and MULTIPLE.explanations["D"] in right


def test_multiple_partial_credit_names_the_missed_letter_after_the_due_date():
    result = score_item(MULTIPLE, ["A"], AFTER_DUE)
    assert "The answer: A, D." in result.feedback
    assert MULTIPLE.explanations["D"] in result.feedback


def test_multiple_letters_that_are_not_choices_count_as_wrong_and_are_named():
    result = score_item(MULTIPLE, ["A", "D", "Z"], OPTIMIZATION)
    assert result.score == 1.0
    assert "Z: not among the choices (A, B, C, D)" in result.feedback


def test_multiple_right_and_wrong_picks_that_cancel_say_so_after_the_due_date():
    result = score_item(MULTIPLE, ["A", "C"], AFTER_DUE)
    assert result.score == 0.0
    assert "cancel" in result.feedback


def test_with_immediate_feedback_every_zero_multiple_choice_answer_reads_the_same():
    """"Your picks cancel" would tell that a right letter is among them: the score does not."""
    cancelling = score_item(MULTIPLE, ["A", "C"], OPTIMIZATION)
    all_wrong = score_item(MULTIPLE, ["B", "C"], OPTIMIZATION)
    assert cancelling.score == all_wrong.score == 0.0
    assert cancelling.feedback == all_wrong.feedback


@pytest.mark.parametrize("answer", ["A, D", "AD", "A"])
def test_multiple_given_as_a_string_scores_zero_and_asks_for_a_list(answer):
    result = score_item(MULTIPLE, answer, OPTIMIZATION)
    assert result.score == 0.0
    assert 'a list of letters such as ["A", "C"]' in result.feedback


def test_multiple_with_an_entry_of_several_letters_scores_zero():
    result = score_item(MULTIPLE, ["AD"], OPTIMIZATION)
    assert result.score == 0.0 and "exactly one letter" in result.feedback


def test_multiple_empty_list_scores_zero():
    result = score_item(MULTIPLE, [], OPTIMIZATION)
    assert result.score == 0.0 and "empty" in result.feedback


# --- malformed answers ----------------------------------------------------------------------


MALFORMED = {
    "None": (None, "not answered"),
    "int": (3, "an int (3)"),
    "float": (1.0, "a float (1.0)"),
    "bool": (True, "a bool (True)"),
    "dict": ({"answer": "A"}, "a dict"),
    "tuple": (("A",), "a tuple"),
    "bytes": (b"A", "a bytes"),
    "str subclass": (MyStr("A"), "a MyStr (a subclass of str)"),
    "unsupported object": (
        Unsupported("MyStr", "str subclass"),
        "a MyStr object, which is not plain data",
    ),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
@pytest.mark.parametrize("item", [SINGLE, MULTIPLE], ids=["single", "multiple"])
def test_malformed_answers_score_zero_with_a_clear_message(case, item):
    value, phrase = MALFORMED[case]
    result = score_item(item, value, OPTIMIZATION)
    assert result.score == 0.0 and result.max_score == item.points
    assert result.feedback.startswith("No credit: ")
    assert phrase in result.feedback


@pytest.mark.parametrize(
    ("value", "phrase"),
    [
        ([["A"], "D"], "a list"),
        (["A", 4], "an int (4)"),
        (["A", None], "None"),
        ([MyStr("A"), "D"], "a MyStr (a subclass of str)"),
        ([Unsupported("Letter", ""), "D"], "a Letter object"),
    ],
)
def test_lists_holding_anything_but_plain_strings_score_zero(value, phrase):
    result = score_item(MULTIPLE, value, OPTIMIZATION)
    assert result.score == 0.0
    assert "every entry of the list must be one letter string" in result.feedback
    assert phrase in result.feedback


def test_a_list_subclass_is_not_read():
    class Letters(list):
        pass

    result = score_item(MULTIPLE, Letters(["A", "D"]), OPTIMIZATION)
    assert result.score == 0.0 and "a Letters (a subclass of list)" in result.feedback


# --- free response --------------------------------------------------------------------------


def test_free_response_is_recorded_for_hand_grading():
    result = score_item(FREE, "  The relu is not linear around zero.  ", INITIALIZATION)
    assert (result.score, result.max_score, result.manual) == (0.0, 2.0, True)
    assert "graded by hand" in result.feedback
    assert "The relu is not linear around zero." in result.feedback
    assert FREE.rubric not in result.feedback


def test_free_response_long_answers_are_truncated():
    result = score_item(FREE, "x" * 5000, INITIALIZATION)
    assert "x" * 500 in result.feedback and "x" * 501 not in result.feedback
    assert "5000 characters" in result.feedback


@pytest.mark.parametrize("value", [None, "", "   ", "YOUR ANSWER HERE"])
def test_free_response_unanswered_says_no_answer(value):
    result = score_item(FREE, value, INITIALIZATION)
    assert result.manual and result.score == 0.0
    assert result.feedback.startswith("No answer given.")


@pytest.mark.parametrize("value", [42, ["text"], MyStr("text"), Unsupported("MyStr", "")])
def test_free_response_that_is_not_text_is_still_left_to_the_hand_grader(value):
    result = score_item(FREE, value, INITIALIZATION)
    assert result.manual and result.score == 0.0
    assert "Expected your answer as text" in result.feedback


def test_score_quiz_scores_every_item_and_treats_missing_names_as_unanswered():
    results = score_quiz(OPTIMIZATION, {"most_variance": "A", "always_global_minimum": "e"})
    assert [r.item_id for r in results] == [item.id for item in OPTIMIZATION.items]
    assert [r.score for r in results] == [1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    assert "not answered" in results[1].feedback
    assert "graded without a student id" in results[-1].feedback  # per-student, no variant given


def test_the_slides_keys_earn_full_marks():
    key = {
        "most_variance": "A",
        "not_true_gradient_descent": "B",
        "always_global_minimum": "E",
        "least_successful_ravine": "B",
        "different_influence": ["A", "D"],
    }
    results = score_quiz(OPTIMIZATION, key)
    assert all(r.score == r.max_score for r in results
               if not OPTIMIZATION.item(r.item_id).per_student)


# --- properties of the net-correct rule -----------------------------------------------------


@st.composite
def multiple_items(draw):
    n_choices = draw(st.integers(min_value=3, max_value=8))
    letters = string.ascii_uppercase[:n_choices]
    right = draw(st.sets(st.sampled_from(letters), min_size=2, max_size=n_choices - 1))
    points = draw(st.sampled_from([1, 2, 3, 0.5]))
    item = Item(
        id="q",
        type="multiple",
        prompt="?",
        points=float(points),
        choices={letter: letter.lower() for letter in letters},
        answer=tuple(sorted(right)),
        explanations={letter: f"about {letter}" for letter in letters},
    )
    return item


QUIZ = Quiz(id="q", title="q", explanations="immediately", items=())


@given(item=multiple_items(), data=st.data())
def test_net_correct_score_is_between_zero_and_max(item, data):
    picks = data.draw(st.lists(st.sampled_from(item.letters), min_size=1))
    result = score_item(item, picks, QUIZ)
    assert 0.0 <= result.score <= result.max_score
    assert (result.score == result.max_score) == (set(picks) == set(item.answer))


@given(item=multiple_items(), data=st.data())
def test_adding_a_right_letter_never_lowers_and_a_wrong_one_never_raises_the_score(item, data):
    picks = data.draw(st.lists(st.sampled_from(item.letters), min_size=1))
    before = score_item(item, picks, QUIZ).score
    right = data.draw(st.sampled_from(item.answer))
    wrong = data.draw(st.sampled_from([x for x in item.letters if x not in item.answer]))
    assert score_item(item, [*picks, right], QUIZ).score >= before
    assert score_item(item, [*picks, wrong], QUIZ).score <= before


@given(item=multiple_items())
def test_picking_every_letter_earns_less_than_full_marks(item):
    assert score_item(item, list(item.letters), QUIZ).score < item.points


@given(item=multiple_items(), data=st.data())
def test_case_spacing_order_and_duplicates_do_not_change_the_score(item, data):
    picks = data.draw(st.lists(st.sampled_from(item.letters), min_size=1))
    noisy = [f" {p.lower()} " for p in reversed(picks)] + picks[:1]
    assert score_item(item, noisy, QUIZ).score == score_item(item, picks, QUIZ).score
