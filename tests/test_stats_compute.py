"""The class's statistics as pure functions of hand-made results: each number by its definition."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.stats.compute import class_statistics, correlation, histogram
from autograder.stats.questions import EXERCISE, Question
from autograder.stats.reading import Answer, StudentResults

A = Question("a", EXERCISE, 2.0)
B = Question("b", EXERCISE, 1.0)
C = Question("c", EXERCISE, 2.0)
PICK = Question("pick", "single", 1.0, ("A", "B", "C", "D"), ("A",),
                {"A": "right", "B": "no", "C": "no", "D": "no"})
MANY = Question("many", "multiple", 2.0, ("A", "B", "C"), ("A", "C"))
FREE = Question("essay", "free_response", 2.0)


def result(score: float, max_score: float | None = None, output: str = "", **data) -> Answer:
    return Answer(score, max_score, data, output)


def student(name: str, **tests: Answer) -> StudentResults:
    return StudentResults(name, tests)


def stats_of(questions, *students, skipped=()):
    return class_statistics("demo", questions, list(students), skipped)


# ---------------------------------------------------------------------------------------------
# Discrimination


def test_discrimination_is_the_correlation_of_the_score_with_the_rest_of_the_assignment():
    # a = [0, 1, 2]; rest = b + c = [1, 3, 2]; mean a 1, rest 2; cov 1; var a 2, var rest 2
    round_ = stats_of(
        [A, B, C],
        student("s1", a=result(0), b=result(1), c=result(0)),
        student("s2", a=result(1), b=result(1), c=result(2)),
        student("s3", a=result(2), b=result(0), c=result(2)),
    )
    assert round_["names"]["a"]["discrimination"] == pytest.approx(0.5)


def test_discrimination_is_null_for_fewer_than_three_students():
    round_ = stats_of([A, B], student("s1", a=result(0), b=result(0)),
                      student("s2", a=result(2), b=result(1)))
    assert round_["names"]["a"]["discrimination"] is None


def test_discrimination_is_null_when_everyone_has_the_same_score_on_the_name():
    round_ = stats_of([A, B], *(student(f"s{k}", a=result(2), b=result(k % 2)) for k in range(4)))
    assert round_["names"]["a"]["discrimination"] is None
    assert round_["names"]["b"]["discrimination"] is None  # the rest (a) is constant


def test_discrimination_counts_only_the_students_graded_on_the_name():
    round_ = stats_of(
        [A, B],
        student("s1", a=result(0), b=result(0)), student("s2", a=result(2), b=result(1)),
        student("s3", a=result(1), b=result(1)), student("s4", b=result(0)),
    )
    assert round_["names"]["a"]["graded"] == 3 and round_["names"]["b"]["graded"] == 4
    # a [0,2,1], b [0,1,1]
    assert round_["names"]["a"]["discrimination"] == pytest.approx(0.866025, abs=1e-6)


def test_a_perfectly_opposite_name_discriminates_minus_one():
    assert correlation([0, 1, 2], [2, 1, 0]) == -1.0


# ---------------------------------------------------------------------------------------------
# Exercises: mistakes and what no mistake explains


EPS, FLOOR = "epsilon is inside the square root", "the floor is missing"


def _exercise_round():
    return stats_of(
        [A],
        student("right", a=result(2, mistakes=[], unexplained=0)),
        student("eps1", a=result(1.5, mistakes=[EPS], unexplained=0)),
        student("eps2", a=result(1.5, mistakes=[EPS], unexplained=0)),
        student("both", a=result(0.75, mistakes=[EPS, FLOOR], unexplained=0)),
        student("partly", a=result(0.5, mistakes=[FLOOR], unexplained=2)),
        student("unnamed", a=result(1.0, mistakes=[], unexplained=3)),
        student("no data", a=result(0)),
        student("stub", a=result(0, mistakes=[], unexplained=4, problem="not implemented")),
    )


def test_mistakes_count_the_students_who_made_each_most_frequent_first():
    entry = _exercise_round()["names"]["a"]
    assert list(entry["mistakes"].items()) == [(EPS, 3), (FLOOR, 2)]
    assert entry["mistake_students"] == {EPS: ["both", "eps1", "eps2"], FLOOR: ["both", "partly"]}


def test_unexplained_counts_wrong_answers_with_no_mistake_named_or_a_case_no_mistake_explains():
    entry = _exercise_round()["names"]["a"]
    assert entry["unexplained_students"] == ["no data", "partly", "stub", "unnamed"]
    assert entry["unexplained"] == 4
    assert entry["problems"] == {"not implemented": 1}


def test_mistakes_of_an_answer_with_full_marks_are_not_counted():
    entry = stats_of([A], student("s", a=result(2, mistakes=[EPS], unexplained=1)))["names"]["a"]
    assert entry["mistakes"] == {} and entry["unexplained"] == 0 and entry["full_marks"] == 1


def test_the_scores_of_a_name():
    entry = _exercise_round()["names"]["a"]
    scores = [2, 1.5, 1.5, 0.75, 0.5, 1.0, 0, 0]
    assert entry["graded"] == 8 and entry["max_score"] == 2.0 and entry["full_marks"] == 1
    assert entry["mean"] == pytest.approx(sum(scores) / 8)
    assert entry["median"] == 0.875 and entry["difficulty"] == pytest.approx(sum(scores) / 16)
    assert entry["histogram"]["counts"] == [2, 0, 1, 1, 0, 1, 0, 2, 0, 1]
    assert entry["histogram"]["edges"] == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0]


def test_the_top_mistakes_of_the_assignment_come_most_frequent_first():
    round_ = stats_of(
        [A, B],
        student("s1", a=result(1, mistakes=["x"]), b=result(0, mistakes=["y"])),
        student("s2", a=result(2), b=result(0, mistakes=["y"])),
    )
    assert round_["top_mistakes"] == [{"name": "b", "message": "y", "students": 2},
                                      {"name": "a", "message": "x", "students": 1}]


def test_full_marks_and_shares_use_the_max_score_the_test_was_graded_with():
    entry = stats_of([A], student("s", a=result(3, max_score=3)))["names"]["a"]
    assert entry["full_marks"] == 1 and entry["difficulty"] == 1.0 and entry["max_score"] == 2.0


@pytest.mark.parametrize(("score", "bin_index"), [(0, 0), (0.25, 2), (0.5, 5), (0.75, 7), (0.9, 9),
                                                  (0.99, 9), (1.0, 9), (0.3, 3), (0.7, 7)])
def test_a_share_of_the_points_falls_in_its_tenth(score, bin_index):
    assert histogram([score], 1.0)["counts"].index(1) == bin_index


# ---------------------------------------------------------------------------------------------
# Quiz items


def _quiz_round():
    # totals: q1 3 (pick A, many A C), q2 1 (pick B, many A), q3 0 (pick C, many B),
    # q4 2 (no pick, many A C)
    return stats_of(
        [PICK, MANY],
        student("q1", pick=result(1, picked=["A"], manual=False),
                many=result(2, picked=["A", "C"], manual=False)),
        student("q2", pick=result(0, picked=["B"], manual=False),
                many=result(1, picked=["A"], manual=False)),
        student("q3", pick=result(0, picked=["C"], manual=False),
                many=result(0, picked=["B"], manual=False)),
        student("q4", pick=result(0, picked=[], manual=False),
                many=result(2, picked=["A", "C"], manual=False)),
    )


def test_the_distractor_table_counts_picks_and_the_mean_total_of_who_picked():
    entry = _quiz_round()["names"]["pick"]
    assert entry["choices"] == {"A": {"picked": 1, "mean_total": 3.0},
                                "B": {"picked": 1, "mean_total": 1.0},
                                "C": {"picked": 1, "mean_total": 0.0}}
    assert entry["letters"] == ["A", "B", "C", "D"] and entry["answer"] == ["A"]
    assert entry["no_answer"] == 1 and entry["unexplained"] == 1 and entry["mistakes"] == {}
    many = _quiz_round()["names"]["many"]
    assert many["choices"] == {"A": {"picked": 3, "mean_total": 2.0},
                               "B": {"picked": 1, "mean_total": 0.0},
                               "C": {"picked": 2, "mean_total": 2.5}}


def test_item_difficulty_is_the_mean_share_of_the_points():
    assert _quiz_round()["names"]["pick"]["difficulty"] == 0.25
    assert _quiz_round()["names"]["many"]["difficulty"] == pytest.approx(5 / 8)


def test_letters_outside_the_bank_are_not_counted_as_picks():
    entry = stats_of([PICK], student("s", pick=result(0, picked=["Z", "<b>"])))["names"]["pick"]
    assert entry["choices"] == {} and entry["no_answer"] == 1


def test_free_response_counts_the_answers_and_those_awaiting_a_hand_grade():
    recorded = "It will be graded by hand. Your answer as recorded:\nbecause"
    entry = stats_of(
        [FREE],
        student("f1", essay=result(0, picked=[], manual=True, output=recorded)),
        student("f2", essay=result(0, picked=[], manual=True,
                                   output="No answer given. It will be graded by hand.")),
        student("f3", essay=result(0, picked=[], manual=True, answered=True)),
        student("f4", essay=result(0, output="No credit: not answered (essay is not defined).")),
    )["names"]["essay"]
    assert entry["answered"] == 2 and entry["awaiting_manual"] == 3
    assert entry["unexplained"] == 0 and "choices" not in entry


def test_variants_of_an_item_are_counted_together_under_its_id():
    shuffled = Question("shuffled", "single", 1.0, ("A", "B", "C"), ("B",))
    entry = stats_of(
        [shuffled],
        student("v1", shuffled=result(1, picked=["B"], variant='{"order": ["C", "B", "A"]}')),
        student("v2", shuffled=result(1, picked=["B"], variant='{"order": ["A", "C", "B"]}')),
        student("v3", shuffled=result(0, picked=["A"], variant='{"order": ["A", "C", "B"]}')),
    )["names"]["shuffled"]
    assert entry["choices"] == {"A": {"picked": 1, "mean_total": 0.0},
                                "B": {"picked": 2, "mean_total": 1.0}}
    assert entry["variants"] == {"students": 3, "distinct": 2}


def test_the_kinds_are_the_quiz_banks():
    from autograder.quiz import bank
    from autograder.stats import questions

    assert questions.FREE_RESPONSE == bank.FREE_RESPONSE


def test_the_contract_keys_and_types():
    round_ = _quiz_round()
    assert set(round_) >= {"assignment", "students", "names"} and round_["students"] == 4
    for entry in [*round_["names"].values(), *_exercise_round()["names"].values()]:
        assert isinstance(entry["max_score"], float) and isinstance(entry["graded"], int)
        assert isinstance(entry["mean"], float) and isinstance(entry["full_marks"], int)
        assert entry["discrimination"] is None or isinstance(entry["discrimination"], float)
        assert all(isinstance(m, str) and isinstance(n, int) for m, n in entry["mistakes"].items())
        assert isinstance(entry["unexplained"], int)
        for choice in entry.get("choices", {}).values():
            assert isinstance(choice["picked"], int) and isinstance(choice["mean_total"], float)


# ---------------------------------------------------------------------------------------------
# Properties


QUESTIONS = [A, B, PICK]
SCORES = st.one_of(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]), st.floats(0, 1))


@st.composite
def answer_to(draw, question: Question) -> Answer:
    score = draw(SCORES) * question.max_score
    if question.is_choice:
        picked = draw(st.lists(st.sampled_from([*question.letters, "Z"]), max_size=3, unique=True))
        return Answer(score, question.max_score, {"picked": picked, "manual": False})
    mistakes = draw(st.lists(st.sampled_from(["m1", "m2", "m3"]), max_size=2, unique=True))
    return Answer(score, question.max_score,
                  {"mistakes": mistakes, "unexplained": draw(st.integers(0, 3))})


@st.composite
def rounds(draw) -> list[StudentResults]:
    count = draw(st.integers(0, 9))
    students = []
    for index in range(count):
        tests = {q.name: draw(answer_to(q)) for q in QUESTIONS if draw(st.integers(0, 9)) > 0}
        students.append(StudentResults(f"s{index}", tests))
    return students


@settings(max_examples=80, deadline=None)
@given(rounds())
def test_discrimination_is_a_correlation_or_null(students):
    for entry in class_statistics("p", QUESTIONS, students)["names"].values():
        r = entry["discrimination"]
        assert r is None or (-1 <= r <= 1 and entry["graded"] >= 3)


@settings(max_examples=80, deadline=None)
@given(rounds())
def test_counts_add_up(students):
    round_ = class_statistics("p", QUESTIONS, students)
    assert round_["students"] == len(students)
    for entry in round_["names"].values():
        wrong = entry["graded"] - entry["full_marks"]
        assert sum(entry["histogram"]["counts"]) == entry["graded"]
        assert 0 <= entry["unexplained"] <= wrong
        assert all(0 < count <= wrong for count in entry["mistakes"].values())
        if "letters" in entry:
            assert (sum(c["picked"] for c in entry["choices"].values())
                    >= entry["graded"] - entry["no_answer"])
    assert sum(round_["total"]["histogram"]["counts"]) == len(students)


@settings(max_examples=80, deadline=None)
@given(rounds(), st.randoms(use_true_random=False))
def test_the_order_of_the_students_changes_nothing(students, rng: random.Random):
    shuffled = list(students)
    rng.shuffle(shuffled)
    assert class_statistics("p", QUESTIONS, shuffled) == class_statistics("p", QUESTIONS, students)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6)), max_size=12))
def test_correlation_stays_in_range(pairs):
    r = correlation([x for x, _ in pairs], [y for _, y in pairs])
    assert r is None or (-1 <= r <= 1 and not math.isnan(r))
