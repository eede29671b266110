"""What the grader knows about a graded name, declared as data.

An :class:`Exercise` says how to make hidden inputs (``cases``), how to judge what the student's
function returned for them (``judge``) and which public cases the students' self-check gets
(``public``). Three constructors cover the course: exact values compared with the reference and a
catalogue of classic mistakes, mini-batches judged by their properties, and initializers judged
statistically. Adding an exercise means adding one declaration, not touching the engine.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from autograder import selfcheck
from reference.initializers import activation_variances, initialize

#: A classic mistake: what the student is told, and a function that makes the same mistake.
Mistake = tuple[str, Callable[..., object]]
#: A classic initializer mistake: what the student is told, and Var(W) as f(n_in, n_out).
WrongVariance = tuple[str, Callable[[int, int], float]]


@dataclass(frozen=True)
class Case:
    """One hidden (or public) test of a graded name: the calls to make and what the judge needs."""

    label: str
    calls: tuple[tuple[tuple, dict], ...]
    context: Mapping = field(default_factory=dict)


@dataclass(frozen=True)
class Exercise:
    name: str
    #: the self-check kind of ``selfcheck.check``: "values", "minibatches" or "initializer"
    kind: str
    #: hidden cases for one grading run, drawn from the run's generator
    cases: Callable[[np.random.Generator], list[Case]]
    #: what is wrong with the outputs of a case's calls ([] when right)
    judge: Callable[[Case, list[object]], list[str]]
    #: the JSON record of one case for the students' self-check data
    public_record: Callable[[Case], dict]
    #: how many cases (drawn with a fixed seed) the students' self-check gets
    public_count: int = 2
    #: the classic mistakes this exercise names: (message, buggy function) for values exercises,
    #: (message, wrong variance f(n_in, n_out)) for initializers
    catalogue: tuple = ()


def _fresh(value: object) -> object:
    return copy.deepcopy(value)


def values_exercise(
    name: str,
    reference_fn: Callable[..., object],
    cases: Callable[[np.random.Generator], list[Case]],
    mistakes: Sequence[Mistake] = (),
    public_count: int = 2,
) -> Exercise:
    """Graded by value: the output must equal ``reference_fn`` on the same inputs.

    When it does not, the first catalogued mistake that reproduces the output names the error;
    otherwise the feedback shows the first differing entry, expected and got.
    """

    def expected_and_wrong(case: Case) -> tuple[object, list[tuple[str, object]]]:
        (args, kwargs), = case.calls
        expected = reference_fn(*_fresh(args), **_fresh(kwargs))
        with np.errstate(all="ignore"):  # some mistakes divide by zero; their output is still compared
            wrong = [(message, fn(*_fresh(args), **_fresh(kwargs))) for message, fn in mistakes]
        return expected, wrong

    def judge(case: Case, outputs: list[object]) -> list[str]:
        expected, wrong = expected_and_wrong(case)
        problem = selfcheck.describe_difference(expected, outputs[0])
        if problem is None:
            return []
        return [selfcheck.diagnose(outputs[0], wrong) or problem]

    def public_record(case: Case) -> dict:
        (args, kwargs), = case.calls
        expected, wrong = expected_and_wrong(case)
        return {
            "label": case.label,
            "args": selfcheck.to_json(list(args)),
            "kwargs": selfcheck.to_json(kwargs),
            "expected": selfcheck.to_json(expected),
            "mistakes": [{"message": m, "output": selfcheck.to_json(out)} for m, out in wrong],
        }

    return Exercise(name, "values", cases, judge, public_record, public_count, tuple(mistakes))


def minibatch_exercise(name: str, shapes: Callable[[np.random.Generator], list[tuple[str, int, int, int]]]) -> Exercise:
    """Graded by properties: a partition of the columns, one shared permutation, sizes, seeding.

    ``shapes`` gives (label, n_x, m, mini_batch_size) per case. X holds distinct columns and Y
    encodes each column's index, so any shared permutation is recognised, whatever the RNG.
    """

    def cases(rng: np.random.Generator) -> list[Case]:
        made = []
        for label, n_x, m, size in shapes(rng):
            X = rng.standard_normal((n_x, m))
            Y = (np.arange(m, dtype=np.float64) % 2).reshape(1, m) + np.arange(m).reshape(1, m) / m
            seed = int(rng.integers(0, 2**31 - 2))
            calls = tuple(((X, Y, size, s), {}) for s in (seed, seed, seed + 1))
            made.append(Case(label, calls, {"X": X, "Y": Y, "mini_batch_size": size, "seed": seed}))
        return made

    def judge(case: Case, outputs: list[object]) -> list[str]:
        X, Y, size = case.context["X"], case.context["Y"], case.context["mini_batch_size"]
        return selfcheck.minibatch_problems(X, Y, size, outputs[0]) or selfcheck.seeding_problems(X.shape[1], *outputs)

    def public_record(case: Case) -> dict:
        record = {key: selfcheck.to_json(value) for key, value in case.context.items()}
        return {"label": case.label, **record}

    return Exercise(name, "minibatches", cases, judge, public_record)


#: The behaviour check: (activation, width, depth, allowed factor). A right draw's final-layer
#: variance scatters log-normally around the reference's (log-sd 0.44 with ReLU, 0.054 with tanh,
#: measured over 2,000 draws); the allowed factors are more than 7 standard deviations wide, and
#: still far from the classic mistakes (Xavier with ReLU ends 1,000 times lower after 10 layers).
BEHAVIOUR_NET = {"xavier": ("tanh", 128, 10, 2.0), "he": ("relu", 128, 10, 25.0)}
BEHAVIOUR_REFERENCE_DRAWS = 8


@functools.cache
def _behaviour_input(width: int) -> np.ndarray:
    return np.random.default_rng(0).standard_normal((width, width))


@functools.cache
def _reference_final_variance(rule: str) -> float:
    """Geometric mean of the final-layer variance over a few fixed-seed reference draws."""
    activation, width, depth, _ = BEHAVIOUR_NET[rule]
    rng = np.random.default_rng(1)
    finals = [
        activation_variances(_behaviour_input(width), initialize([width] * (depth + 1), rule, rng), activation)[-1]
        for _ in range(BEHAVIOUR_REFERENCE_DRAWS)
    ]
    return float(np.exp(np.mean(np.log(finals))))


def _behaviour_problems(rule: str, parameters: dict) -> list[str]:
    """Does the student's draw keep the activation variance like the reference's does?"""
    activation, width, depth, factor = BEHAVIOUR_NET[rule]
    expected = _reference_final_variance(rule)
    got = activation_variances(_behaviour_input(width), parameters, activation)[-1]
    if not expected / factor <= got <= expected * factor:
        trend = "grows" if got > expected else "shrinks"
        message = (
            f"through {depth} {activation} layers of width {width} the activation variance {trend} "
            f"to {got:.3g}, where the course's initialization keeps it near {expected:.3g}"
        )
        return [message]
    return []


def initializer_exercise(
    name: str,
    rule: str,
    variance: Callable[[int], float],
    alternatives: Sequence[WrongVariance],
    layer_dims: Callable[[np.random.Generator], list[tuple[str, list[int]]]],
) -> Exercise:
    """Graded statistically: structure, mean 0, Var(W[l]) = variance(n_{l-1}), independence.

    Every bound fails a correct draw with probability at most 1e-9 (see :mod:`autograder.selfcheck`).
    For Xavier and He a deep network also checks that the draw preserves the activation variance.
    """

    def variances(dims: list[int]) -> list[float]:
        return [float(variance(dims[l - 1])) for l in range(1, len(dims))]

    def wrong_variances(dims: list[int]) -> list[tuple[str, list[float]]]:
        return [(message, [float(f(dims[l - 1], dims[l])) for l in range(1, len(dims))]) for message, f in alternatives]

    def cases(rng: np.random.Generator) -> list[Case]:
        made = [Case(label, (((dims,), {}),), {"layers_dims": dims}) for label, dims in layer_dims(rng)]
        if rule in BEHAVIOUR_NET:
            activation, width, depth, _ = BEHAVIOUR_NET[rule]
            dims = [width] * (depth + 1)
            context = {"layers_dims": dims, "behaviour": True}
            made.append(Case(f"{depth} {activation} layers of width {width}", (((dims,), {}),), context))
        return made

    def judge(case: Case, outputs: list[object]) -> list[str]:
        dims = case.context["layers_dims"]
        problems = selfcheck.initializer_problems(dims, outputs[0], variances(dims), wrong_variances(dims))
        if not problems and case.context.get("behaviour"):
            problems = _behaviour_problems(rule, outputs[0])
        return problems

    def public_record(case: Case) -> dict:
        dims = case.context["layers_dims"]
        alternatives = [{"message": m, "variances": v} for m, v in wrong_variances(dims)]
        return {"label": case.label, "layers_dims": dims, "variances": variances(dims), "alternatives": alternatives}

    return Exercise(name, "initializer", cases, judge, public_record, catalogue=tuple(alternatives))


def self_check_data(assignment: str, exercises: Sequence[Exercise], seed: int) -> dict:
    """The public self-check data of an assignment: a few fixed-seed cases per graded name."""
    rng = np.random.default_rng(seed)
    data: dict = {"assignment": assignment, "exercises": {}}
    for exercise in exercises:
        public = exercise.cases(rng)[: exercise.public_count]
        data["exercises"][exercise.name] = {
            "kind": exercise.kind,
            "cases": [exercise.public_record(case) for case in public],
        }
    return data
