"""What the grader knows about a graded name, declared as data.

An :class:`Exercise` says how to make hidden inputs (``cases``), how to judge what the student's
function returned for them (``judge``: a list of :class:`~autograder.selfcheck.Finding`), which
public cases the students' self-check gets (``public``), and its catalogue of classic mistakes.
Three constructors cover the course: exact values compared with the reference component by
component, mini-batches judged by their properties, and initializers judged statistically.
Adding an exercise means adding one declaration, not touching the engine.

The rubric: each catalogued :class:`Mistake` declares the share of the points it keeps
(``DETAIL``, ``PART`` or ``METHOD``); see ``grading.judge_exercise`` for how they combine.
"""

from __future__ import annotations

import functools
import inspect
import math
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from autograder import selfcheck
from autograder.selfcheck import Finding
from reference.initializers import activation_variances, initialize

#: Shares of the points a catalogued mistake keeps.
DETAIL = 0.75  # the method is right, one detail is not (epsilon's place, t off by one, a dtype)
PART = 0.5  # one part of the rule is wrong (a missing factor, a moment, a layer, the variance)
METHOD = 0.25  # the function does something else (ascends the gradient, never really shuffles)

#: What a judge says about one case: findings, and notes that cost nothing.
Verdict = tuple[list[Finding], list[str]]
RESULT = "result"


@dataclass(frozen=True)
class Case:
    """One hidden (or public) test of a graded name: the calls to make, each ``(args, kwargs)``,
    and what the judge needs to know (``context``)."""

    label: str
    calls: tuple[tuple[tuple, dict], ...]
    context: Mapping = field(default_factory=dict)

    @classmethod
    def single(cls, label: str, *args: object, **kwargs: object) -> Case:
        """A case of one call, ``f(*args, **kwargs)``."""
        return cls(label, ((args, kwargs),))

    def with_context(self, **context: object) -> Case:
        """The same calls, with what the judge needs to know about them."""
        return replace(self, context=context)


@dataclass(frozen=True)
class Raised:
    """A call that raised or failed in the worker: the worker's error and the sentence for it."""

    error: str
    sentence: str


class Either(tuple):
    """The ways a student can write one mistake (a rule may return one); examples use the first."""


@dataclass(frozen=True, eq=False)
class Mistake:
    """A classic mistake: the sentence that names it and the share of the points it keeps.

    Values exercises: ``rules`` maps each returned component the mistake changes to its wrong
    rule ``f(inputs, upstream)`` (``inputs`` the call's arguments by name, ``upstream`` the
    components computed before), written as the course's rule with one part changed
    (:mod:`autograder.exercises.rules`). A ``together`` mistake is only named when all its
    components show it (beta1 and beta2 swapped, not just one of them). Initializers:
    ``variance`` is the wrong Var(W) as f(n_in, n_out). ``example`` is a function with the graded
    signature that makes exactly this mistake, so the tests can grade every entry of the
    catalogue.
    """

    message: str
    credit: float
    rules: Mapping[str, Callable] = field(default_factory=dict)
    together: bool = False
    variance: Callable[[int, int], float] | None = None
    example: Callable | None = None

    @classmethod
    def made_by(cls, message: str, credit: float, fn: Callable[..., object]) -> Mistake:
        """The mistake of a function that returns one value, as a function that makes it."""
        return cls(message, credit, {RESULT: lambda inputs, upstream: fn(**inputs)})


@dataclass(frozen=True)
class Exercise:
    name: str
    #: the self-check kind of ``selfcheck.check``: "values", "minibatches" or "initializer"
    kind: str
    #: hidden cases for one grading run, drawn from the run's generator
    cases: Callable[[np.random.Generator], list[Case]]
    #: what is wrong with the outcomes (values, or Raised) of a case's calls
    judge: Callable[[Case, list[object]], Verdict]
    #: the JSON record of one case for the students' self-check data
    public_record: Callable[[Case], dict]
    #: how many cases (drawn with a fixed seed) the students' self-check gets
    public_count: int = 2
    #: the classic mistakes this exercise names, with their credit
    catalogue: tuple[Mistake, ...] = ()
    #: extra entries of the self-check data (the components of a values exercise, ...)
    public_extra: Mapping = field(default_factory=dict)

    @property
    def credits(self) -> dict[str, float]:
        """Each catalogued mistake's message -> the share of the points it keeps."""
        return {mistake.message: mistake.credit for mistake in self.catalogue}


def case_rng(seed: int, name: str) -> np.random.Generator:
    """The generator of one graded name's hidden cases: its own stream of the run's seed."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def _shaped_like(value: object, like: object) -> bool:
    """Whether `value` has the structure of `like`: the same keys and lengths, arrays of the
    same shape with real entries, real numbers where `like` has a number."""
    if isinstance(like, np.ndarray):
        return (type(value) is np.ndarray and value.shape == like.shape
                and value.dtype.kind in "biuf")
    if isinstance(like, dict):
        return (type(value) is dict and value.keys() == like.keys()
                and all(_shaped_like(value[key], like[key]) for key in like))
    if isinstance(like, (tuple, list)):
        return (type(value) in (tuple, list) and len(value) == len(like)
                and all(map(_shaped_like, value, like)))
    if isinstance(value, np.ndarray):
        return value.ndim == 0 and value.dtype.kind in "biuf"
    return isinstance(value, (bool, int, float, np.bool_, np.integer, np.floating))


def _alternatives(value: object) -> list[object]:
    """What a rule gave: each way of an :class:`Either`, or its one value."""
    return list(value) if isinstance(value, Either) else [value]


def _raised_findings(outcomes: Sequence[object]) -> list[Finding]:
    """The finding of the first call that raised, if one did."""
    raised = next((outcome for outcome in outcomes if isinstance(outcome, Raised)), None)
    return [] if raised is None else [Finding("", raised.sentence)]


def _check_catalogue(name: str, mistakes: Sequence[Mistake]) -> None:
    messages = [m.message for m in mistakes]
    if len(set(messages)) != len(messages):
        raise ValueError(f"{name}: two catalogued mistakes share a message")
    if not all(0 < m.credit < 1 for m in mistakes):
        raise ValueError(f"{name}: a mistake keeps all or none of the points")


# ------------------------------------------------------------------------------------------
# Values: the reference, component by component


@dataclass(frozen=True)
class Stage:
    """A returned component: its name, its place in the returned tuple (None: the whole
    return value), the course's rule f(inputs, upstream), and the components the rule reads."""

    name: str
    index: int | None
    rule: Callable[[dict, dict], object]
    after: tuple[str, ...] = ()


class _Lazy(Mapping):
    """A mapping whose values are computed when first read: a mistake's outputs are only
    worked out for the components the answer gets wrong."""

    def __init__(self, makers: Mapping[str, Callable[[], list]]):
        self._makers, self._values = makers, {}

    def __getitem__(self, key: str) -> list:
        if key not in self._values:
            self._values[key] = self._makers[key]()
        return self._values[key]

    def __iter__(self):
        return iter(self._makers)

    def __len__(self) -> int:
        return len(self._makers)


def values_exercise(
    name: str,
    reference_fn: Callable[..., object],
    cases: Callable[[np.random.Generator], list[Case]],
    mistakes: Sequence[Mistake] = (),
    stages: Sequence[Stage] = (),
    public_count: int = 2,
    vector: bool = False,
) -> Exercise:
    """Graded by value: the output must equal ``reference_fn`` on the same inputs.

    ``stages`` split the returned value into components (Adam's parameters, v, s, ...), each
    with its own rule, so a wrong component is named on its own and the components computed
    from it are judged against the student's own value. ``vector``: the result is "a 1-D array
    of L numbers", and any 1-D sequence of real numbers is judged by its values.
    """
    signature = inspect.signature(reference_fn)
    stages = tuple(stages) or (
        Stage(RESULT, None, lambda inputs, upstream: reference_fn(**inputs)),
    )
    parts = [selfcheck.Part(stage.name, stage.index, stage.after) for stage in stages]
    _check_catalogue(name, mistakes)

    def bind(args: tuple, kwargs: dict) -> dict:
        # No copies: the course's rules and the mistakes' rules never change their inputs
        # (tests/test_grading_judging.py), so every rule reads the case's own values.
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return dict(bound.arguments)

    def run_stages(inputs: dict, rules: Mapping[str, Callable]) -> tuple[dict, object, dict]:
        """Each stage's rule, or the one ``rules`` puts in its place: the components in order
        (the first form of each), the returned value, and every form each rule gave."""
        upstream: dict = {}
        forms: dict = {}
        with np.errstate(all="ignore"):  # some mistakes divide by zero; their output is compared
            for stage in stages:
                rule = rules.get(stage.name, stage.rule)
                forms[stage.name] = _alternatives(rule(inputs, upstream))
                upstream[stage.name] = forms[stage.name][0]
        if stages[0].index is None:
            return upstream, upstream[stages[0].name], forms
        returned = tuple(upstream[s.name] for s in sorted(stages, key=lambda s: s.index))
        return upstream, returned, forms

    def rule_values(rule: Callable, inputs: dict, upstreams: Sequence[dict]) -> list[object]:
        """Every value ``rule`` gives from each of the ``upstreams`` it fits."""
        values = []
        for upstream in upstreams:
            try:
                with np.errstate(all="ignore"):
                    values += _alternatives(rule(inputs, upstream))
            except Exception:  # noqa: BLE001, S112 -- the student's components may not fit a rule
                continue
        return values

    def own_components(got: object, right_up: dict) -> list[dict]:
        """The student's own components that later rules may start from: only those shaped
        like the right ones (a `(n, 1, 1)` array would broadcast the rules to gigabytes)."""
        if stages[0].index is None:
            components = {stages[0].name: got}
        elif type(got) not in (tuple, list) or len(got) != len(stages):
            return []
        else:
            components = {stage.name: got[stage.index] for stage in stages}
        return [{name: value for name, value in components.items()
                 if _shaped_like(value, right_up[name])}]

    def judge(case: Case, outcomes: list[object]) -> Verdict:
        raised = _raised_findings(outcomes)
        if raised:
            return raised, []
        ((args, kwargs),) = case.calls
        got, notes = outcomes[0], []
        if vector and selfcheck.as_vector(got) is not None:
            if type(got) is not np.ndarray:
                notes.append(selfcheck.vector_note(name, got))
            got = selfcheck.as_vector(got)
        inputs = bind(args, kwargs)
        right_up, expected, right_forms = run_stages(inputs, {})
        if selfcheck.describe_difference(expected, got) is None:
            return [], notes  # right: the catalogue is not looked at
        own = own_components(got, right_up)
        upstreams = [right_up, *own]
        right = {
            stage.name: right_forms[stage.name] + rule_values(stage.rule, inputs, own)
            for stage in stages
        }
        wrongs = [
            selfcheck.Wrong(
                m.message,
                _Lazy(
                    {
                        c: functools.partial(rule_values, rule, inputs, upstreams)
                        for c, rule in m.rules.items()
                    }
                ),
                m.together,
            )
            for m in mistakes
        ]
        return selfcheck.value_findings(got, expected, parts, right, wrongs, True), notes

    def public_record(case: Case) -> dict:
        ((args, kwargs),) = case.calls
        inputs = bind(args, kwargs)
        right_up, expected, _ = run_stages(inputs, {})
        return {
            "label": case.label,
            "args": selfcheck.to_json(list(args)),
            "kwargs": selfcheck.to_json(kwargs),
            "expected": selfcheck.to_json(expected),
            "right": [selfcheck.to_json(right_up[part.name]) for part in parts],
            "mistakes": [
                {
                    "message": m.message,
                    "together": m.together,
                    "outputs": {
                        c: [selfcheck.to_json(v) for v in rule_values(rule, inputs, [right_up])]
                        for c, rule in m.rules.items()
                    },
                }
                for m in mistakes
            ],
        }

    def example_of(mistake: Mistake) -> Callable[..., object]:
        def buggy(*args: object, **kwargs: object) -> object:
            return run_stages(bind(args, kwargs), mistake.rules)[1]

        buggy.__name__ = name
        return buggy

    catalogue = tuple(replace(m, example=m.example or example_of(m)) for m in mistakes)
    extra = {
        "parts": [{"name": p.name, "index": p.index, "after": list(p.after)} for p in parts],
        "vector": vector,
    }
    return Exercise(name, "values", cases, judge, public_record, public_count, catalogue, extra)


# ------------------------------------------------------------------------------------------
# Mini-batches: properties


def minibatch_exercise(
    name: str,
    shapes: Callable[[np.random.Generator], list[tuple[str, int, int, int]]],
    mistakes: Sequence[Mistake],
) -> Exercise:
    """Graded by properties: a partition of the columns, one shared permutation, sizes, seeding.

    ``shapes`` gives (label, n_x, m, mini_batch_size) per case. X holds distinct columns and Y
    encodes each column's index, so any shared permutation is recognised, whatever the RNG.
    ``mistakes`` name the properties' messages (``selfcheck.MB_*``) with their credit.
    """
    _check_catalogue(name, mistakes)

    def cases(rng: np.random.Generator) -> list[Case]:
        made = []
        for label, n_x, m, size in shapes(rng):
            X = rng.standard_normal((n_x, m))
            Y = (np.arange(m, dtype=np.float64) % 2).reshape(1, m) + np.arange(m).reshape(1, m) / m
            seed = int(rng.integers(0, 2**31 - 2))
            calls = tuple(((X, Y, size, s), {}) for s in (seed, seed, seed + 1))
            made.append(Case(label, calls, {"X": X, "Y": Y, "mini_batch_size": size, "seed": seed}))
        return made

    def judge(case: Case, outcomes: list[object]) -> Verdict:
        X, Y, size = case.context["X"], case.context["Y"], case.context["mini_batch_size"]
        first = outcomes[0]
        if isinstance(first, Raised) and selfcheck.loop_variable_error(
            first.error, X.shape[1], size
        ):
            message = selfcheck.MB_LOOP_VARIABLE
            return [Finding("", message, (message,))], []
        raised = _raised_findings(outcomes)
        if raised:
            return raised, []
        return selfcheck.minibatch_case_findings(X, Y, size, outcomes), []

    def public_record(case: Case) -> dict:
        record = {key: selfcheck.to_json(value) for key, value in case.context.items()}
        return {"label": case.label, **record}

    return Exercise(name, "minibatches", cases, judge, public_record, 5, tuple(mistakes))


# ------------------------------------------------------------------------------------------
# Initializers: statistics

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
        activation_variances(
            _behaviour_input(width), initialize([width] * (depth + 1), rule, rng), activation
        )[-1]
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


def drawn_initializer(
    weights: Callable[[np.random.Generator, int, int], np.ndarray], bias: Callable | None = None
) -> Callable:
    """An initializer that draws W[l] = weights(rng, n_in, n_out) (and b[l] = bias(rng, n_out))."""

    def initialize_parameters(layers_dims: list[int]) -> dict:
        rng = np.random.default_rng()
        parameters = {}
        for l in range(1, len(layers_dims)):
            n_in, n_out = layers_dims[l - 1], layers_dims[l]
            parameters[f"W{l}"] = weights(rng, n_in, n_out)
            parameters[f"b{l}"] = np.zeros((n_out, 1)) if bias is None else bias(rng, n_out)
        return parameters

    return initialize_parameters


def _normal_weights(variance: Callable[[int, int], float]) -> Callable:
    """Weights drawn from N(0, variance(n_in, n_out))."""
    return lambda rng, n_in, n_out: (
        rng.standard_normal((n_out, n_in)) * math.sqrt(variance(n_in, n_out))
    )


def _last_repeats_first(weights: Callable, axis: int) -> Callable:
    """``weights`` with the last row (axis 0) or column (axis 1) a copy of the first."""

    def repeated(rng: np.random.Generator, n_in: int, n_out: int) -> np.ndarray:
        W = weights(rng, n_in, n_out)
        if W.shape[axis] > 1:
            if axis == 0:
                W[-1] = W[0]
            else:
                W[:, -1] = W[:, 0]
        return W

    return repeated


def _three_point(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """-sqrt(3), 0, sqrt(3) with probabilities 1/6, 2/3, 1/6: mean 0, variance 1, kurtosis 3."""
    return rng.choice([-math.sqrt(3), 0.0, math.sqrt(3)], size=shape, p=[1 / 6, 2 / 3, 1 / 6])


def property_mistakes(variance: Callable[[int], float]) -> list[Mistake]:
    """The catalogued mistakes of an initializer that are properties, not variances: each
    example is the course's draw (``right``) with one part changed."""
    right = _normal_weights(lambda n_in, n_out: variance(n_in))
    scale = lambda n_in: math.sqrt(variance(n_in))
    single = lambda rng, n_in, n_out: right(rng, n_in, n_out).astype(np.float32)
    small_bias = lambda rng, n_out: rng.standard_normal((n_out, 1)) * 0.01
    single_bias = lambda rng, n_out: np.zeros((n_out, 1), np.float32)
    mistakes = [
        Mistake(selfcheck.INIT_BIAS, PART, example=drawn_initializer(right, small_bias)),
        Mistake(selfcheck.INIT_DTYPE, DETAIL, example=drawn_initializer(single, single_bias)),
    ]
    if variance(1) == 0:
        integers = lambda rng, n_in, n_out: np.zeros((n_out, n_in), dtype=int)
        return [mistakes[0], replace(mistakes[1], example=drawn_initializer(integers))]
    uniform = lambda rng, n_in, n_out: rng.random((n_out, n_in)) * scale(n_in)
    three_point = lambda rng, n_in, n_out: _three_point(rng, (n_out, n_in)) * scale(n_in)
    # Repeated rows and columns first: when a repeat also leaves few distinct values, the
    # structure is what the student is told (explain() breaks ties by catalogue order).
    return mistakes + [
        Mistake(selfcheck.INIT_REPEATED_ROWS, METHOD,
                example=drawn_initializer(_last_repeats_first(right, 0))),
        Mistake(selfcheck.INIT_REPEATED_COLUMNS, PART,
                example=drawn_initializer(_last_repeats_first(right, 1))),
        Mistake(selfcheck.INIT_NOT_CENTRED, PART, example=drawn_initializer(uniform)),
        Mistake(selfcheck.INIT_NOT_NORMAL, PART, example=drawn_initializer(three_point)),
    ]


def initializer_exercise(
    name: str,
    rule: str,
    variance: Callable[[int], float],
    alternatives: Sequence[Mistake],
    layer_dims: Callable[[np.random.Generator], list[tuple[str, list[int]]]],
) -> Exercise:
    """Graded statistically: structure, mean 0, Var(W[l]) = variance(n_{l-1}), normality.

    Every bound fails a correct draw with probability at most 1e-9 (:mod:`autograder.selfcheck`).
    For Xavier and He a deep network also checks that the draw preserves the activation variance.
    ``alternatives`` are the classic wrong variances (``Mistake.variance``).
    """
    catalogue = tuple(
        replace(m, example=m.example or drawn_initializer(_normal_weights(m.variance)))
        for m in alternatives
    )
    catalogue += tuple(property_mistakes(variance))
    _check_catalogue(name, catalogue)

    def variances(dims: list[int]) -> list[float]:
        return [float(variance(dims[l - 1])) for l in range(1, len(dims))]

    def wrong_variances(dims: list[int]) -> list[tuple[str, list[float]]]:
        return [
            (m.message, [float(m.variance(dims[l - 1], dims[l])) for l in range(1, len(dims))])
            for m in alternatives
        ]

    def cases(rng: np.random.Generator) -> list[Case]:
        made = [Case.single(label, dims).with_context(layers_dims=dims)
                for label, dims in layer_dims(rng)]
        if rule in BEHAVIOUR_NET:
            activation, width, depth, _ = BEHAVIOUR_NET[rule]
            dims = [width] * (depth + 1)
            made.append(Case.single(f"{depth} {activation} layers of width {width}", dims)
                        .with_context(layers_dims=dims, behaviour=True))
        return made

    def judge(case: Case, outcomes: list[object]) -> Verdict:
        raised = _raised_findings(outcomes)
        if raised:
            return raised, []
        dims = case.context["layers_dims"]
        findings = selfcheck.initializer_findings(
            dims, outcomes[0], variances(dims), wrong_variances(dims)
        )
        if not findings and case.context.get("behaviour"):
            findings = [Finding("", problem) for problem in _behaviour_problems(rule, outcomes[0])]
        return findings, []

    def public_record(case: Case) -> dict:
        dims = case.context["layers_dims"]
        alternatives = [{"message": m, "variances": v} for m, v in wrong_variances(dims)]
        return {
            "label": case.label,
            "layers_dims": dims,
            "variances": variances(dims),
            "alternatives": alternatives,
        }

    return Exercise(name, "initializer", cases, judge, public_record, catalogue=catalogue)


def self_check_data(assignment: str, exercises: Sequence[Exercise], seed: int) -> dict:
    """The public self-check data of an assignment: a few fixed-seed cases per graded name."""
    rng = np.random.default_rng(seed)
    data: dict = {"assignment": assignment, "exercises": {}}
    for exercise in exercises:
        public = exercise.cases(rng)[: exercise.public_count]
        data["exercises"][exercise.name] = {
            "kind": exercise.kind,
            "catalogue": [m.message for m in exercise.catalogue],
            **exercise.public_extra,
            "cases": [exercise.public_record(case) for case in public],
        }
    return data
