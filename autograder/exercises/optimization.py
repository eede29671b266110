"""Hidden cases and classic mistakes for the ``optimization`` assignment.

Inputs are drawn fresh for every grading run, in fixed case families whose values are random but
whose sensitivity is built in: one layer, a few layers and a deep net (W never square on
purpose, so that the last layer and the first layer differ), gradients and moments with tiny
entries in every RMSprop and Adam case (so epsilon's place always shows), and hyperparameters
both left at their defaults and passed explicitly.

The update rules are declared component by component (:class:`~autograder.exercises.base.Stage`),
in the order they are computed, from the parts in :mod:`autograder.exercises.rules`; each
catalogued mistake replaces the rules of the components it changes with the course's rule with
one part changed, so each entry shows only what it breaks. The mini-batch mistakes are
properties (:mod:`autograder.exercises.minibatches`).
"""

from __future__ import annotations

import math

import numpy as np

from autograder.exercises.base import (
    DETAIL,
    METHOD,
    PART,
    RESULT,
    Case,
    Either,
    Exercise,
    Mistake,
    Stage,
    minibatch_exercise,
    values_exercise,
)
from autograder.exercises.minibatches import MINIBATCH_MISTAKES, minibatch_shapes
from autograder.exercises.rules import (
    Corrected,
    Descend,
    Moment,
    Zeros,
    biases_unchanged,
    computed,
    divided_by_one_first,
    either,
    first_layer_only,
    first_layer_only_stages,
    given,
    itself,
    last_layer_unchanged,
    negated_learning_rate,
    no_learning_rate,
    plus_epsilon,
    sqrt_of_sum,
    squared,
    summed,
    swapped,
    weight_gradient_key,
)
from reference import optimizers as ref

Params = dict[str, np.ndarray]


# ------------------------------------------------------------------------------------------
# Inputs


def _sign(rng: np.random.Generator) -> int:
    """-1 or 1, the draw of ``rng.choice([-1, 1])`` (which is ``rng.integers(0, 2)``), without
    the cost of choice's checks."""
    return (-1, 1)[int(rng.integers(0, 2))]


def _widths(rng: np.random.Generator) -> list[tuple[str, list[int]]]:
    """Layer widths for one layer, three layers and a deep net, with non-square W."""

    def dims(layers: int) -> list[int]:
        widths = [int(rng.integers(2, 7))]
        for _ in range(layers):
            widths.append(widths[-1] + int(rng.integers(1, 4)) * _sign(rng) or 1)
        return [max(w, 1) for w in widths]

    return [("one layer", dims(1)), ("three layers", dims(3)), ("deep net, 6 layers", dims(6))]


def _random_layers(rng: np.random.Generator, dims: list[int], prefix: str = "",
                   scale: float = 1.0) -> Params:
    """W1, b1, ... (or dW1, db1, ... with ``prefix="d"``) shaped for ``dims``, entries
    ~N(0, scale^2)."""
    out: Params = {}
    for l in range(1, len(dims)):
        out[f"{prefix}W{l}"] = rng.standard_normal((dims[l], dims[l - 1])) * scale
        out[f"{prefix}b{l}"] = rng.standard_normal((dims[l], 1)) * scale
    return out


def _shrink_some(rng: np.random.Generator, values: Params, factor: float) -> tuple[Params, dict]:
    """About a third of the entries (at least one per array) multiplied by ``factor``, and where."""
    masks = {}
    for key, value in values.items():
        mask = rng.random(value.shape) < 1 / 3
        mask.flat[0] = True
        masks[key] = mask
    shrunk = {key: np.where(masks[key], value * factor, value) for key, value in values.items()}
    return shrunk, masks


def _grads_and_squares(rng: np.random.Generator, dims: list[int]) -> tuple[Params, Params]:
    """Gradients ~1e-8 and squared averages ~1e-16 on the same entries, elsewhere ~1 and ~0.25:
    there sqrt(s) is near epsilon, so dividing by sqrt(s + eps) instead of sqrt(s) + eps shows."""
    grads, masks = _shrink_some(rng, _random_layers(rng, dims, "d"), 1e-8)
    squares = {key: value**2 for key, value in _random_layers(rng, dims, "d", 0.5).items()}
    return grads, {key: np.where(masks[key], value * 1e-16, value)
                   for key, value in squares.items()}


def _learning_rate(rng: np.random.Generator) -> float:
    return float(rng.uniform(0.01, 0.5))


def _for_each_width(rng: np.random.Generator, make) -> list[Case]:
    """``make(label, dims)`` for one layer, three layers and a deep net."""
    return [make(label, dims) for label, dims in _widths(rng)]


EPS_INSIDE = (
    "epsilon is inside the square root: divide by (np.sqrt(s) + epsilon), not np.sqrt(s + epsilon)"
)
PRECEDENCE = "learning_rate0 / 1 + ... divides by 1 only: put the whole denominator in parentheses"
KEYS = "the keys must be the gradient names dW1, db1, ..., not W1, b1, ..."
INIT_LAST = "the last layer is missing: loop over l = 1 .. L, i.e. range(1, L + 1)"
LAST_LAYER = "the last layer is not updated: loop over l = 1 .. L, i.e. range(1, L + 1)"
RETURN_IN_LOOP = "only layer 1 is done: the `return` is inside the loop over the layers; dedent it"
B_WITH_DW = "b is updated with the step of W: b[l] = b[l] - learning_rate * db[l] (db, not dW)"
ONES = "the {what} must start at zeros (np.zeros), not ones"
INTEGERS = (
    "the {what} are integer zeros: use float zeros (np.zeros(shape)), or every update is truncated"
)
SQUARED = "s must average the squared gradient: (1 - beta2) * dW**2, not {got}"


# ------------------------------------------------------------------------------------------
# Gradient descent: the reference is the course's rule; GD_STEP is the same rule in parts


def _gd_cases(rng):
    return _for_each_width(rng, lambda label, d: Case.single(
        label, _random_layers(rng, d), _random_layers(rng, d, "d"), _learning_rate(rng)))


GD_STEP = Descend()
GD_MISTAKES = [
    Mistake("the update goes up the gradient: subtract learning_rate * dW, do not add it", METHOD,
            {RESULT: GD_STEP.but(rate=negated_learning_rate)}),
    Mistake("the learning rate is missing from the update: W = W - learning_rate * dW", PART,
            {RESULT: GD_STEP.but(rate=no_learning_rate)}),
    Mistake("only the weights are updated: update the biases b too", PART,
            {RESULT: biases_unchanged(GD_STEP)}),
    Mistake(LAST_LAYER, PART, {RESULT: last_layer_unchanged(GD_STEP)}),
    Mistake(B_WITH_DW, PART, {RESULT: GD_STEP.but(step_of=weight_gradient_key)}),
    Mistake(RETURN_IN_LOOP, PART, {RESULT: first_layer_only(GD_STEP, "parameters")}),
]


# ------------------------------------------------------------------------------------------
# Zeros for v and s: the reference is the course's rule; Zeros() is the same rule in parts


def _zeros_cases(rng):
    return _for_each_width(rng, lambda label, d: Case.single(label, _random_layers(rng, d)))


def _moment_initializer_mistakes(what: str, components: tuple[str, ...]) -> list[Mistake]:
    """The mistakes of an initializer of moments (v, s, or both for Adam), each per component."""

    def each(rule) -> dict:
        return dict.fromkeys(components, rule)

    zeros = Zeros()
    return [
        Mistake(KEYS, PART, each(zeros.but(key_of=itself))),
        Mistake(INIT_LAST, PART, each(zeros.but(keep=lambda layer, last: layer != last))),
        Mistake(ONES.format(what=what), PART, each(zeros.but(fill=np.ones))),
        Mistake(INTEGERS.format(what=what), DETAIL,
                each(zeros.but(fill=lambda shape: np.zeros(shape, dtype=int)))),
        Mistake(RETURN_IN_LOOP, PART, each(zeros.but(keep=lambda layer, last: layer == 1))),
    ]


# ------------------------------------------------------------------------------------------
# Momentum


def _momentum_cases(rng):
    _, dims = _widths(rng)[1]
    first = [Case.single("first step (v = 0)", _random_layers(rng, dims),
                         _random_layers(rng, dims, "d"),
                         ref.initialize_velocity(_random_layers(rng, dims)),
                         float(rng.uniform(0.5, 0.95)), _learning_rate(rng))]
    return first + _for_each_width(rng, lambda label, d: Case.single(
        label, _random_layers(rng, d), _random_layers(rng, d, "d"), _random_layers(rng, d, "d"),
        float(rng.uniform(0.5, 0.99)), _learning_rate(rng)))


VELOCITY = Moment("v", "beta")
MOMENTUM_STEP = Descend(along=computed("v"))
MOMENTUM_STAGES = [
    Stage("v", 1, VELOCITY),
    Stage("parameters", 0, MOMENTUM_STEP, after=("v",)),
]
MOMENTUM_MISTAKES = [
    Mistake("v = beta * v + dW: the (1 - beta) factor is missing, so on the first step momentum "
            "moves like plain gradient descent", PART, {"v": VELOCITY.but(average=summed)}),
    Mistake("beta and (1 - beta) are swapped: v = beta * v + (1 - beta) * dW", PART,
            {"v": VELOCITY.but(average=swapped)}),
    Mistake("the step uses dW instead of the velocity: W = W - learning_rate * v", METHOD,
            {"parameters": MOMENTUM_STEP.but(along=given("grads"))}),
    Mistake("the step uses the old velocity: update v first, then W with the new v", PART,
            {"parameters": MOMENTUM_STEP.but(along=given("v"))}),
    Mistake(LAST_LAYER, PART, {"parameters": last_layer_unchanged(MOMENTUM_STEP)}),
    Mistake(B_WITH_DW, PART, {"parameters": MOMENTUM_STEP.but(step_of=weight_gradient_key)}),
    Mistake(RETURN_IN_LOOP, PART, first_layer_only_stages(MOMENTUM_STAGES)),
]


# ------------------------------------------------------------------------------------------
# RMSprop


def _rmsprop_cases(rng):
    def case(label, dims, **kwargs):
        grads, squares = _grads_and_squares(rng, dims)
        return Case.single(label, _random_layers(rng, dims), grads, squares,
                           float(rng.uniform(0.9, 0.999)), _learning_rate(rng), **kwargs)

    (one, d1), (three, d3), (deep, d6) = _widths(rng)
    return [case(one, d1), case(three + ", epsilon = 0.1", d3, epsilon=0.1), case(deep, d6)]


SQUARE_AVERAGE = Moment("s", "beta2", of=squared)
RMSPROP_STEP = Descend(over=computed("s"))
RMSPROP_STAGES = [
    Stage("s", 1, SQUARE_AVERAGE),
    Stage("parameters", 0, RMSPROP_STEP, after=("s",)),
]
RMSPROP_MISTAKES = [
    Mistake(EPS_INSIDE, DETAIL, {"parameters": RMSPROP_STEP.but(denominator=sqrt_of_sum)}),
    Mistake(SQUARED.format(got="dW"), PART, {"s": SQUARE_AVERAGE.but(of=itself)}),
    Mistake(SQUARED.format(got="|dW|"), PART, {"s": SQUARE_AVERAGE.but(of=np.abs)}),
    Mistake("the (1 - beta2) factor is missing: s = beta2 * s + (1 - beta2) * dW**2", PART,
            {"s": SQUARE_AVERAGE.but(average=summed)}),
    Mistake("beta2 and (1 - beta2) are swapped", PART, {"s": SQUARE_AVERAGE.but(average=swapped)}),
    Mistake("the step divides by s instead of its square root: dW / (np.sqrt(s) + epsilon)", PART,
            {"parameters": RMSPROP_STEP.but(denominator=plus_epsilon)}),
    Mistake(LAST_LAYER, PART, {"parameters": last_layer_unchanged(RMSPROP_STEP)}),
    Mistake(RETURN_IN_LOOP, PART, first_layer_only_stages(RMSPROP_STAGES)),
]


# ------------------------------------------------------------------------------------------
# Adam


def _adam_cases(rng):
    def case(label, dims, t, fresh=False, **kwargs):
        parameters = _random_layers(rng, dims)
        grads, squares = _grads_and_squares(rng, dims)
        v, s = (ref.initialize_adam(parameters) if fresh
                else (_random_layers(rng, dims, "d", 0.3), squares))
        return Case.single(label, parameters, grads, v, s, t, **kwargs)

    (one, d1), (three, d3), (deep, d6) = _widths(rng)
    hyper = {
        "learning_rate": _learning_rate(rng),
        "beta1": float(rng.uniform(0.8, 0.95)),
        "beta2": float(rng.uniform(0.99, 0.9999)),
        "epsilon": 0.1,
    }
    return [
        case("t = 1, first step", d3, 1, fresh=True),
        case(f"{one}, t = 2", d1, 2),
        case(f"{three}, t = 17, explicit hyperparameters", d3, 17, **hyper),
        case(f"{deep}, large t = 5000", d6, 5000),
    ]


FIRST_MOMENT = Moment("v", "beta1")
SECOND_MOMENT = Moment("s", "beta2", of=squared)
V_CORRECTED = Corrected(computed("v"), "beta1")
S_CORRECTED = Corrected(computed("s"), "beta2")
ADAM_STEP = Descend(along=computed("v_corrected"), over=computed("s_corrected"))
ADAM_STAGES = [
    Stage("v", 1, FIRST_MOMENT),
    Stage("s", 2, SECOND_MOMENT),
    Stage("v_corrected", 3, V_CORRECTED, after=("v",)),
    Stage("s_corrected", 4, S_CORRECTED, after=("s",)),
    Stage("parameters", 0, ADAM_STEP, after=("v_corrected", "s_corrected")),
]
#: The corrected moments computed from the fresh ones, where v and s should be.
V_WRITTEN_BACK = V_CORRECTED.but(moment=FIRST_MOMENT)
S_WRITTEN_BACK = S_CORRECTED.but(moment=SECOND_MOMENT)
ADAM_MISTAKES = [
    Mistake("no bias correction: divide v by (1 - beta1**t) and s by (1 - beta2**t)", PART,
            {"v_corrected": computed("v"), "s_corrected": computed("s"),
             "parameters": ADAM_STEP.but(along=computed("v"), over=computed("s"))}),
    Mistake("t is off by one: use beta**t with the t you are given (it already counts from 1)",
            DETAIL,
            {"v_corrected": either(V_CORRECTED.but(power=lambda t: t + 1),
                                   V_CORRECTED.but(power=lambda t: t - 1)),
             "s_corrected": either(S_CORRECTED.but(power=lambda t: t + 1),
                                   S_CORRECTED.but(power=lambda t: t - 1))}),
    Mistake("the corrected moments were written back: keep v and s uncorrected, and return "
            "v_corrected and s_corrected separately", PART,
            {"v": V_WRITTEN_BACK, "s": S_WRITTEN_BACK,
             "v_corrected": V_WRITTEN_BACK, "s_corrected": S_WRITTEN_BACK}),
    Mistake("beta1 and beta2 are swapped: v uses beta1, s uses beta2", PART,
            {"v": FIRST_MOMENT.but(beta="beta2"), "s": SECOND_MOMENT.but(beta="beta1"),
             "v_corrected": either(V_CORRECTED, V_CORRECTED.but(beta="beta2")),
             "s_corrected": either(S_CORRECTED, S_CORRECTED.but(beta="beta1"))},
            together=True),
    Mistake("v uses beta2: the first moment decays with beta1", PART,
            {"v": FIRST_MOMENT.but(beta="beta2")}),
    Mistake("s uses beta1: the second moment decays with beta2", PART,
            {"s": SECOND_MOMENT.but(beta="beta1")}),
    Mistake("the (1 - beta) factors are missing: v = beta1 * v + (1 - beta1) * dW, "
            "s = beta2 * s + (1 - beta2) * dW**2", PART,
            {"v": FIRST_MOMENT.but(average=summed), "s": SECOND_MOMENT.but(average=summed)}),
    Mistake(EPS_INSIDE, DETAIL, {"parameters": ADAM_STEP.but(denominator=sqrt_of_sum)}),
    Mistake("v / 1 - beta1**t divides by 1 only: write v / (1 - beta1**t)", PART,
            {"v_corrected": V_CORRECTED.but(divide=divided_by_one_first),
             "s_corrected": S_CORRECTED.but(divide=divided_by_one_first)}),
    Mistake(SQUARED.format(got="dW"), PART, {"s": SECOND_MOMENT.but(of=itself)}),
    Mistake(SQUARED.format(got="|dW|"), PART, {"s": SECOND_MOMENT.but(of=np.abs)}),
    Mistake(LAST_LAYER, PART, {"parameters": last_layer_unchanged(ADAM_STEP)}),
    Mistake(RETURN_IN_LOOP, PART, first_layer_only_stages(ADAM_STAGES)),
]


# ------------------------------------------------------------------------------------------
# Learning-rate decay


def _lr_cases(rng):
    lr0, decay = float(rng.uniform(0.05, 0.5)), float(rng.uniform(0.2, 2.0))
    return [
        Case.single(f"epoch {epoch}", lr0, epoch, decay)
        for epoch in (0, 1, int(rng.integers(2, 50)), int(rng.integers(1000, 5000)))
    ]


def _schedule_cases(rng):
    lr0, decay = float(rng.uniform(0.05, 0.5)), float(rng.uniform(0.2, 2.0))
    interval = int(rng.integers(5, 50))
    inside = int(rng.integers(1, interval))
    return [
        Case.single("epoch 0", lr0, 0, decay),
        Case.single("inside the first interval (default time_interval)", lr0, 999, decay),
        Case.single("at a multiple of the default time_interval", lr0, 3000, decay),
        Case.single("inside an interval", lr0, 2 * interval + inside, decay,
                    time_interval=interval),
        Case.single("at a multiple of time_interval", lr0, 3 * interval, decay, interval),
    ]


def _only_at_multiples(learning_rate0, epoch_num, decay_rate, time_interval=1000):
    if epoch_num % time_interval == 0:
        return ref.schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval)
    return learning_rate0


def _rounded(learning_rate0, epoch_num, decay_rate, time_interval=1000):
    return Either((
        learning_rate0 / (1 + decay_rate * round(epoch_num / time_interval)),
        learning_rate0 / (1 + decay_rate * math.floor(epoch_num / time_interval + 0.5)),
    ))


UPDATE_LR_MISTAKES = [
    Mistake.made_by(PRECEDENCE, PART, lambda learning_rate0, epoch_num, decay_rate: (
        learning_rate0 / 1 + decay_rate * epoch_num)),
    Mistake.made_by(
        "the rate is multiplied by (1 + decay_rate * epoch_num); divide by it", PART,
        lambda learning_rate0, epoch_num, decay_rate: (
            learning_rate0 * (1 + decay_rate * epoch_num))),
    Mistake.made_by(
        "this is the scheduled decay with floor(epoch_num / 1000); update_lr decays every epoch",
        PART, lambda learning_rate0, epoch_num, decay_rate: ref.schedule_lr_decay(
            learning_rate0, epoch_num, decay_rate)),
]
SCHEDULE_MISTAKES = [
    Mistake.made_by(
        "the floor is missing: decay by floor(epoch_num / time_interval) so the rate stays "
        "constant within an interval", PART,
        lambda learning_rate0, epoch_num, decay_rate, time_interval: (
            learning_rate0 / (1 + decay_rate * epoch_num / time_interval))),
    Mistake.made_by(
        "time_interval is ignored: the rate should only drop every time_interval epochs", PART,
        lambda learning_rate0, epoch_num, decay_rate, time_interval: (
            learning_rate0 / (1 + decay_rate * epoch_num))),
    Mistake.made_by(
        PRECEDENCE, PART, lambda learning_rate0, epoch_num, decay_rate, time_interval: (
            learning_rate0 / 1 + decay_rate * math.floor(epoch_num / time_interval))),
    Mistake.made_by(
        "round() rounds up from half an interval: the rate drops only once a whole interval "
        "has passed, so use math.floor (or //)", DETAIL, _rounded),
    Mistake.made_by(
        "the rate only decays on the epochs that are multiples of time_interval and jumps back "
        "to learning_rate0 in between: apply the formula on every epoch", PART,
        _only_at_multiples),
]


EXERCISES: list[Exercise] = [
    values_exercise("update_parameters_with_gd", ref.update_parameters_with_gd, _gd_cases,
                    GD_MISTAKES),
    minibatch_exercise("random_mini_batches", minibatch_shapes, MINIBATCH_MISTAKES),
    values_exercise("initialize_velocity", ref.initialize_velocity, _zeros_cases,
                    _moment_initializer_mistakes("velocities", (RESULT,))),
    values_exercise("update_parameters_with_momentum", ref.update_parameters_with_momentum,
                    _momentum_cases, MOMENTUM_MISTAKES, MOMENTUM_STAGES),
    values_exercise("initialize_rmsprop", ref.initialize_rmsprop, _zeros_cases,
                    _moment_initializer_mistakes("squared averages", (RESULT,))),
    values_exercise("update_parameters_with_rmsprop", ref.update_parameters_with_rmsprop,
                    _rmsprop_cases, RMSPROP_MISTAKES, RMSPROP_STAGES),
    values_exercise("initialize_adam", ref.initialize_adam, _zeros_cases,
                    _moment_initializer_mistakes("moments", ("v", "s")),
                    [Stage("v", 0, lambda i, u: ref.initialize_velocity(i["parameters"])),
                     Stage("s", 1, lambda i, u: ref.initialize_rmsprop(i["parameters"]))]),
    values_exercise("update_parameters_with_adam", ref.update_parameters_with_adam, _adam_cases,
                    ADAM_MISTAKES, ADAM_STAGES, public_count=3),
    values_exercise("update_lr", ref.update_lr, _lr_cases, UPDATE_LR_MISTAKES, public_count=4),
    values_exercise("schedule_lr_decay", ref.schedule_lr_decay, _schedule_cases,
                    SCHEDULE_MISTAKES, public_count=5),
]
