"""Judging in the grader's process: a right answer costs one comparison, and the rules are pure.

A values exercise compares what the student returned with the course rule's expected value once
per case, and works out its catalogued mistakes only for a case that comparison fails, and then
only for the components that are wrong. The rules (the course's and the mistakes') read the
case's own inputs, not copies, so none of them may change what it reads.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reference.initializers
import reference.optimizers
from autograder import selfcheck
from autograder.exercises import ASSIGNMENTS, base
from autograder.exercises.base import case_rng
from autograder.exercises.optimization import _sign

REFERENCE = {"optimization": reference.optimizers, "initialization": reference.initializers}
VALUES = [
    pytest.param(exercise, getattr(REFERENCE[assignment], exercise.name), id=exercise.name)
    for assignment, exercises in ASSIGNMENTS.items()
    for exercise in exercises
    if exercise.kind == "values"
]
SEEDS = range(3)


def _called(function, args: tuple, kwargs: dict) -> object:
    """One call as the worker makes it: on copies of the case's inputs."""
    with np.errstate(all="ignore"):
        return function(*copy.deepcopy(args), **copy.deepcopy(kwargs))


def _cases(exercise, seed: int) -> list:
    return exercise.cases(case_rng(seed, exercise.name))


def _identical(a: object, b: object) -> bool:
    """Same types, same structure, arrays equal bit for bit."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_identical(a[key], b[key]) for key in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(map(_identical, a, b))
    return a == b


@pytest.mark.parametrize("exercise, right", VALUES)
def test_a_right_answer_is_told_by_one_comparison_without_working_out_any_mistake(
    monkeypatch, exercise, right
):
    worked_out = []

    def counted(what: str, function):
        def function_counted(*args: object) -> object:
            worked_out.append(what)
            return function(*args)

        return function_counted

    wrong = [
        (case, _called(exercise.catalogue[0].example, *case.calls[0]))
        for case in _cases(exercise, 0)
    ]
    for mistake in exercise.catalogue:
        for component, rule in mistake.rules.items():
            monkeypatch.setitem(mistake.rules, component, counted(mistake.message, rule))
    findings = counted("component by component", selfcheck.value_findings)
    monkeypatch.setattr(selfcheck, "value_findings", findings)
    for seed in SEEDS:
        for case in _cases(exercise, seed):
            assert exercise.judge(case, [_called(right, *case.calls[0])])[0] == []
    assert worked_out == []
    for case, outcome in wrong:  # the count is live: a wrong answer does work mistakes out
        exercise.judge(case, [outcome])
    assert {"component by component", exercise.catalogue[0].message} <= set(worked_out)


@pytest.mark.parametrize("exercise, right", VALUES)
def test_judging_changes_neither_the_cases_inputs_nor_the_answer(exercise, right):
    for seed in SEEDS:
        for case in _cases(exercise, seed):
            ((args, kwargs),) = case.calls
            before = copy.deepcopy(case.calls)
            answers = [_called(right, args, kwargs)]
            answers += [_called(mistake.example, args, kwargs) for mistake in exercise.catalogue]
            answered = copy.deepcopy(answers)
            for mistake in exercise.catalogue:  # every mistake's rules on the case's own inputs
                with np.errstate(all="ignore"):
                    mistake.example(*args, **kwargs)
            for answer in answers:
                exercise.judge(case, [answer])
            assert _identical(case.calls, before), (seed, case.label)
            assert _identical(answers, answered), (seed, case.label)


class _AllWorkedOut(dict):
    """Stands in for the judge's lazy outputs: every mistake's outputs worked out at once."""

    def __init__(self, makers: dict):
        super().__init__({component: make() for component, make in makers.items()})


@pytest.mark.parametrize("exercise, right", VALUES)
def test_the_mistakes_named_do_not_depend_on_which_outputs_were_worked_out(
    monkeypatch, exercise, right
):
    judged = [
        (case, [_called(mistake.example, *case.calls[0])])
        for seed in SEEDS
        for case in _cases(exercise, seed)
        for mistake in exercise.catalogue
    ]
    lazily = [exercise.judge(case, outcomes) for case, outcomes in judged]
    monkeypatch.setattr(base, "_Lazy", _AllWorkedOut)
    assert [exercise.judge(case, outcomes) for case, outcomes in judged] == lazily


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 20))
def test_a_sign_is_drawn_as_rng_choice_draws_it(seed, draws):
    # The layer widths of the hidden cases, and so every student's grade under a seed, depend on it.
    ours, numpy = np.random.default_rng(seed), np.random.default_rng(seed)
    for _ in range(draws):
        numpy.integers(1, 4)
        ours.integers(1, 4)
        assert _sign(ours) == int(numpy.choice([-1, 1]))
    assert ours.random() == numpy.random()
