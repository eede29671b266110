"""Numeric quiz items: the answer functions a bank may name, and the checks of their ranges.

A numeric item's ``function`` names one entry of ``FUNCTIONS``: the domain of each parameter
(where the answer is defined), what each number it returns is, and the reference call that
computes the answer. Adding a kind of numeric question means adding one entry here.

Ranges are checked when the bank loads (``parameter_errors``): every value a student can draw
must lie in its parameter's domain, and the answer is computed at every corner of the ranges
(it must be a finite number there, and the tolerance must not accept 0 for a non-zero answer).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from autograder.quiz.variants import PLACEHOLDER, format_value

#: An integer range wider than this is refused (a draw is reduced modulo its width).
MAX_RANGE_WIDTH = 10**9


@dataclass(frozen=True)
class Domain:
    """Where a parameter's answer is defined: an integer or a real number between two bounds."""

    integer: bool
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # low itself excluded
    high_open: bool = False

    def contains(self, value: float) -> bool:
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return False
        return not (
            self.high is not None and (value > self.high or (self.high_open and value == self.high))
        )

    def describe(self) -> str:
        kind = "an integer" if self.integer else "a number"
        low = None if self.low is None else f"{'>' if self.low_open else '>='} {self.low:g}"
        high = None if self.high is None else f"{'<' if self.high_open else '<='} {self.high:g}"
        return " ".join([kind, " and ".join(part for part in (low, high) if part)]).strip()


@dataclass(frozen=True)
class AnswerFunction:
    """How the grader computes a numeric item's answer from the student's parameters."""

    summary: str
    parameters: Mapping[str, Domain]
    returns: tuple[str, ...]  # what each number of the answer is, in order
    compute: Callable[..., tuple[float, ...]]

    def answer(self, values: Mapping[str, int | float]) -> tuple[float, ...]:
        return tuple(float(number) for number in self.compute(**values))


POSITIVE = Domain(integer=False, low=0.0, low_open=True)
NON_NEGATIVE = Domain(integer=False, low=0.0)
REAL = Domain(integer=False)
COUNT = Domain(integer=True, low=1)
BETA = Domain(integer=False, low=0.0, high=1.0, high_open=True)
#: Adam's moments are computed by running the reference t steps: keep t small enough for that.
STEPS = Domain(integer=True, low=1, high=1000)
EXAMPLES = Domain(integer=True, low=1, high=100_000)


def _update_lr(learning_rate0: float, epoch_num: int, decay_rate: float) -> tuple[float]:
    from reference import optimizers

    return (optimizers.update_lr(learning_rate0, epoch_num, decay_rate),)


def _schedule_lr_decay(
    learning_rate0: float, epoch_num: int, decay_rate: float, time_interval: int
) -> tuple[float]:
    from reference import optimizers

    return (optimizers.schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval),)


def _adam_first_moment(g: float, beta1: float, t: int) -> tuple[float, float]:
    """v and v_corrected of the reference's Adam after t steps of the constant gradient g."""
    import numpy as np

    from reference import optimizers

    parameters = {"W1": np.zeros((1, 1)), "b1": np.zeros((1, 1))}
    grads = {"dW1": np.full((1, 1), float(g)), "db1": np.zeros((1, 1))}
    v, s = optimizers.initialize_adam(parameters)
    for step in range(1, t + 1):
        parameters, v, s, v_corrected, _ = optimizers.update_parameters_with_adam(
            parameters, grads, v, s, step, beta1=beta1
        )
    return float(v["dW1"][0, 0]), float(v_corrected["dW1"][0, 0])


def _weight_variance(rule: str) -> Callable[[int], tuple[float]]:
    def variance(n_prev: int) -> tuple[float]:
        from reference.initializers import WEIGHT_VARIANCE

        return (WEIGHT_VARIANCE[rule](n_prev),)

    return variance


def _mini_batches(m: int, mini_batch_size: int) -> tuple[int, int]:
    import numpy as np

    from reference import optimizers

    batches = optimizers.random_mini_batches(np.zeros((1, m)), np.zeros((1, m)), mini_batch_size)
    return len(batches), batches[-1][0].shape[1]


FUNCTIONS: dict[str, AnswerFunction] = {
    "update_lr": AnswerFunction(
        "the learning rate after epoch_num epochs of decay (reference.optimizers.update_lr)",
        {"learning_rate0": POSITIVE, "epoch_num": Domain(integer=True, low=0),
         "decay_rate": NON_NEGATIVE},
        ("the learning rate",),
        _update_lr,
    ),
    "schedule_lr_decay": AnswerFunction(
        "the learning rate in epoch epoch_num, decayed once every time_interval epochs "
        "(reference.optimizers.schedule_lr_decay)",
        {"learning_rate0": POSITIVE, "epoch_num": Domain(integer=True, low=0),
         "decay_rate": NON_NEGATIVE, "time_interval": COUNT},
        ("the learning rate",),
        _schedule_lr_decay,
    ),
    "adam_first_moment": AnswerFunction(
        "v after t Adam steps of the constant gradient g "
        "(reference.optimizers.update_parameters_with_adam)",
        {"g": REAL, "beta1": BETA, "t": STEPS},
        ("v",),
        lambda g, beta1, t: _adam_first_moment(g, beta1, t)[:1],
    ),
    "adam_corrected_first_moment": AnswerFunction(
        "v_corrected after t Adam steps of the constant gradient g "
        "(reference.optimizers.update_parameters_with_adam)",
        {"g": REAL, "beta1": BETA, "t": STEPS},
        ("v_corrected",),
        lambda g, beta1, t: _adam_first_moment(g, beta1, t)[1:],
    ),
    "he_variance": AnswerFunction(
        "the variance He initialization gives the weights of a layer of n_prev inputs "
        "(reference.initializers.WEIGHT_VARIANCE)",
        {"n_prev": COUNT},
        ("the variance",),
        _weight_variance("he"),
    ),
    "xavier_variance": AnswerFunction(
        "the variance Xavier initialization gives the weights of a layer of n_prev inputs "
        "(reference.initializers.WEIGHT_VARIANCE)",
        {"n_prev": COUNT},
        ("the variance",),
        _weight_variance("xavier"),
    ),
    "mini_batches": AnswerFunction(
        "the number of mini-batches of m examples and the size of the last one "
        "(reference.optimizers.random_mini_batches)",
        {"m": EXAMPLES, "mini_batch_size": COUNT},
        ("the number of mini-batches", "the size of the last mini-batch"),
        _mini_batches,
    ),
}


# --------------------------------------------------------------------------------------------
# Tolerance


def within(got: float, expected: float, relative: float, absolute: float) -> bool:
    """``|got - expected| <= absolute + relative * |expected|``."""
    return abs(got - expected) <= absolute + relative * abs(expected)


# --------------------------------------------------------------------------------------------
# Checking a numeric item of the bank (its raw YAML mapping), for ``bank.semantic_errors``


def _is_number(value: object) -> bool:
    return type(value) in (int, float)


def _candidates(spec: dict) -> list[int | float]:
    """The extreme values a student can draw from one parameter's range."""
    if "values" in spec:
        return sorted({min(spec["values"]), max(spec["values"])})
    return sorted({spec["min"], spec["max"]})


def _well_formed(spec: object) -> bool:
    """Whether the schema accepts this range (else it reports why)."""
    if not isinstance(spec, dict):
        return False
    if "values" in spec:
        values = spec["values"]
        if not (isinstance(values, list) and values and all(map(_is_number, values))):
            return False
    return all(type(spec[key]) is int for key in ("min", "max") if key in spec)


def _range_errors(name: str, spec: object, domain: Domain) -> Iterator[tuple[str, str]]:
    field = f"parameters.{name}"
    if not _well_formed(spec):
        return  # the schema says why
    has_values, has_range = "values" in spec, "min" in spec or "max" in spec
    if has_values == has_range:
        yield field, "give either values (a list) or min and max (integers), not both or neither"
        return
    if has_range:
        if "min" not in spec or "max" not in spec:
            yield field, "an integer range needs both min and max"
            return
        low, high = spec["min"], spec["max"]
        if not domain.integer:
            yield field, f"{name} is a real number: give its values as a list, not min and max"
            return
        if low > high:
            yield field, f"min {low} is above max {high}"
        elif high - low > MAX_RANGE_WIDTH:
            yield field, f"the range from {low} to {high} is wider than {MAX_RANGE_WIDTH}"
        bounds = [low, high]
    else:
        values = spec["values"]
        if len(set(values)) != len(values):
            yield field, "a value is listed twice"
        if domain.integer and not all(type(value) is int for value in values):
            yield field, f"{name} is an integer: every value must be one, got {values!r}"
            return
        bounds = values
    for value in bounds:
        if not math.isfinite(value):
            yield field, f"{value!r} is not a finite number"
        elif not domain.contains(value):
            yield field, (
                f"{name} = {format_value(value)} is outside where the answer is defined "
                f"({name} must be {domain.describe()})"
            )


def parameter_errors(raw: dict) -> Iterator[tuple[str, str]]:
    """(field, message) for every problem of a numeric item's function, parameters, prompt and
    tolerance; empty when every student's answer is defined and the tolerance is meaningful."""
    name = raw.get("function")
    if not isinstance(name, str):
        return
    function = FUNCTIONS.get(name)
    if function is None:
        yield "function", f"unknown function {name!r} (known: {', '.join(sorted(FUNCTIONS))})"
        return
    parameters = raw.get("parameters")
    if not isinstance(parameters, dict):
        return
    ok = all(_well_formed(spec) for spec in parameters.values())
    for missing in [p for p in function.parameters if p not in parameters]:
        ok = False
        yield "parameters", f"{name} needs the parameter {missing!r}"
    for extra in [p for p in parameters if p not in function.parameters]:
        ok = False
        yield (
            f"parameters.{extra}",
            f"{extra!r} is not a parameter of {name} ({', '.join(function.parameters)})",
        )
    for parameter, spec in parameters.items():
        if parameter in function.parameters:
            for error in _range_errors(parameter, spec, function.parameters[parameter]):
                ok = False
                yield error
    prompt = raw.get("prompt")
    if isinstance(prompt, str):
        shown = PLACEHOLDER.findall(prompt)
        for unknown in sorted(set(shown) - set(parameters)):
            ok = False
            yield "prompt", (
                f"{{{unknown}}} is not a parameter (parameters: {', '.join(parameters)})"
            )
        for hidden in [p for p in parameters if p not in shown]:
            yield "prompt", f"the prompt never shows the parameter {hidden} (write {{{hidden}}})"
    tolerance = raw.get("tolerance")
    if ok and isinstance(tolerance, dict):
        yield from _answer_errors(function, parameters, tolerance)


def _answer_errors(
    function: AnswerFunction, parameters: dict, tolerance: dict
) -> Iterator[tuple[str, str]]:
    relative, absolute = tolerance.get("relative"), tolerance.get("absolute")
    if not (_is_number(relative) and _is_number(absolute)):
        return  # the schema says so
    if not (math.isfinite(relative) and math.isfinite(absolute)):
        yield "tolerance", "relative and absolute must be finite numbers"
        return
    if relative >= 1:
        yield "tolerance.relative", f"must be below 1, got {relative!r} (it would accept 0)"
        return
    names = list(parameters)
    for corner in itertools.product(*(_candidates(parameters[p]) for p in names)):
        values = dict(zip(names, corner))
        where = ", ".join(f"{p}={format_value(v)}" for p, v in values.items())
        try:
            answer = function.answer(values)
        except Exception as error:  # noqa: BLE001 -- a reference failing is what is reported
            yield "parameters", (
                f"the answer is undefined at {where}: {type(error).__name__}: {error}"
            )
            return
        if not all(math.isfinite(number) for number in answer):
            yield "parameters", f"the answer is not a finite number at {where}"
            return
        for label, number in zip(function.returns, answer):
            if number != 0 and within(0.0, number, relative, absolute):
                message = f"accepts 0 for {label} at {where} (the answer there is {number:g})"
                yield "tolerance", f"{message}: make absolute smaller"
                return
