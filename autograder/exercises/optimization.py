"""Hidden cases and classic mistakes for the ``optimization`` assignment.

Inputs are drawn fresh for every grading run: random layer widths (one layer, a few layers, deep;
W never square on purpose), gradients of mixed scale (some tiny, so that an epsilon in the wrong
place shows), and hyperparameters both left at their defaults and passed explicitly.
"""

from __future__ import annotations

import math

import numpy as np

from autograder.exercises.base import Case, Exercise, minibatch_exercise, values_exercise
from reference import optimizers as ref

Params = dict[str, np.ndarray]


# ------------------------------------------------------------------------------------------
# Inputs


def _widths(rng: np.random.Generator) -> list[tuple[str, list[int]]]:
    """Layer widths for one layer, three layers and a deep net, with non-square W."""
    def dims(layers: int) -> list[int]:
        widths = [int(rng.integers(2, 7))]
        for _ in range(layers):
            widths.append(widths[-1] + int(rng.integers(1, 4)) * int(rng.choice([-1, 1])) or 1)
        return [max(w, 1) for w in widths]

    return [("one layer", dims(1)), ("three layers", dims(3)), ("deep net, 6 layers", dims(6))]


def _like(rng: np.random.Generator, dims: list[int], prefix: str = "", scale: float = 1.0) -> Params:
    out: Params = {}
    for l in range(1, len(dims)):
        out[f"{prefix}W{l}"] = rng.standard_normal((dims[l], dims[l - 1])) * scale
        out[f"{prefix}b{l}"] = rng.standard_normal((dims[l], 1)) * scale
    return out


def _grads(rng: np.random.Generator, dims: list[int], tiny: bool = False) -> Params:
    """Gradients; with ``tiny`` half the entries are ~1e-6, where sqrt(s) is near epsilon."""
    grads = _like(rng, dims, "d")
    if tiny:
        for key, value in grads.items():
            grads[key] = value * np.where(rng.random(value.shape) < 0.5, 1e-6, 1.0)
    return grads


def _squares(rng: np.random.Generator, dims: list[int]) -> Params:
    return {key: value**2 for key, value in _like(rng, dims, "d", 0.5).items()}


def _lr(rng: np.random.Generator) -> float:
    return float(rng.uniform(0.01, 0.5))


def _one(label: str, *args: object, **kwargs: object) -> Case:
    return Case(label, ((tuple(args), dict(kwargs)),))


def _each_shape(rng: np.random.Generator, make) -> list[Case]:
    return [make(label, dims) for label, dims in _widths(rng)]


# ------------------------------------------------------------------------------------------
# Mistakes: each a function with the graded signature that makes one classic error


def _layers(parameters: Params) -> int:
    return len(parameters) // 2


def _last_layer_skipped(update):
    """The same update, with a loop over range(1, L) that leaves layer L untouched."""

    def wrong(parameters: Params, *rest, **kwargs):
        result = update(parameters, *rest, **kwargs)
        L = _layers(parameters)
        updated = result[0] if isinstance(result, tuple) else result
        updated = {**updated, f"W{L}": parameters[f"W{L}"], f"b{L}": parameters[f"b{L}"]}
        return (updated, *result[1:]) if isinstance(result, tuple) else updated

    return wrong


LAST_LAYER = "the last layer is not updated: loop over l = 1 .. L, i.e. range(1, L + 1)"


def _apply(parameters: Params, step: dict) -> Params:
    return {key: parameters[key] - step["d" + key] for key in parameters}


def _gd_plus(parameters, grads, learning_rate):
    return {key: parameters[key] + learning_rate * grads["d" + key] for key in parameters}


def _gd_no_lr(parameters, grads, learning_rate):
    return _apply(parameters, grads)


def _gd_weights_only(parameters, grads, learning_rate):
    return {key: parameters[key] - (learning_rate * grads["d" + key] if key[0] == "W" else 0) for key in parameters}


def _momentum(v_rule, step_rule):
    def update(parameters, grads, v, beta, learning_rate):
        new_v = {key: v_rule(v[key], grads[key], beta) for key in v}
        step = {key: learning_rate * step_rule(new_v[key], v[key], grads[key]) for key in v}
        return _apply(parameters, step), new_v

    return update


def _rmsprop(s_rule, step_rule):
    def update(parameters, grads, s, beta2, learning_rate, epsilon=1e-8):
        new_s = {key: s_rule(s[key], grads[key], beta2) for key in s}
        step = {key: learning_rate * step_rule(grads[key], new_s[key], epsilon) for key in s}
        return _apply(parameters, step), new_s

    return update


def _adam(moments=None, correct=None, step_rule=None, t_shift=0, write_back=False):
    """Adam with one part replaced by a mistake; None keeps the course's rule."""
    moments = moments or (lambda v, s, g, b1, b2: (b1 * v + (1 - b1) * g, b2 * s + (1 - b2) * g**2))
    correct = correct or (lambda m, beta, t: m / (1 - beta**t))
    step_rule = step_rule or (lambda vc, sc, eps: vc / (np.sqrt(sc) + eps))

    def update(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8):
        t = t + t_shift
        new = {key: moments(v[key], s[key], grads[key], beta1, beta2) for key in v}
        new_v = {key: pair[0] for key, pair in new.items()}
        new_s = {key: pair[1] for key, pair in new.items()}
        v_c = {key: correct(new_v[key], beta1, t) for key in v}
        s_c = {key: correct(new_s[key], beta2, t) for key in s}
        step = {key: learning_rate * step_rule(v_c[key], s_c[key], epsilon) for key in v}
        if write_back:
            new_v, new_s = v_c, s_c
        return _apply(parameters, step), new_v, new_s, v_c, s_c

    return update


def _grad_keys_as_params(parameters):
    return {key: np.zeros_like(value) for key, value in parameters.items()}


def _zeros_skip_last(parameters):
    L = _layers(parameters)
    return {"d" + key: np.zeros_like(value) for key, value in parameters.items() if not key.endswith(str(L))}


def _pairs_of(make):
    return lambda parameters: (make(parameters), make(parameters))


KEYS = "the keys must be the gradient names dW1, db1, ..., not W1, b1, ..."
INIT_LAST = "the last layer is missing: loop over l = 1 .. L, i.e. range(1, L + 1)"
EPS_INSIDE = "epsilon is inside the square root: divide by (np.sqrt(s) + epsilon), not np.sqrt(s + epsilon)"
PRECEDENCE = "learning_rate0 / 1 + ... divides by 1 only: put the whole denominator in parentheses"


# ------------------------------------------------------------------------------------------
# The declarations


def _gd_cases(rng):
    return _each_shape(rng, lambda label, d: _one(label, _like(rng, d), _grads(rng, d), _lr(rng)))


def _minibatch_shapes(rng):
    size = int(rng.choice([16, 32, 64]))
    n_x = int(rng.integers(2, 5))
    return [
        ("m not a multiple of the batch size", n_x, size * int(rng.integers(2, 5)) + int(rng.integers(1, size)), size),
        ("m a multiple of the batch size", n_x, size * int(rng.integers(2, 5)), size),
        ("m equal to the batch size", n_x, size, size),
        ("m smaller than the batch size", n_x, int(rng.integers(9, size)), size),
        ("m = 1", n_x, 1, size),
    ]


def _zeros_cases(rng):
    return _each_shape(rng, lambda label, d: _one(label, _like(rng, d)))


def _momentum_cases(rng):
    _, dims = _widths(rng)[1]
    first = [_one("first step (v = 0)", _like(rng, dims), _grads(rng, dims), ref.initialize_velocity(_like(rng, dims)), float(rng.uniform(0.5, 0.95)), _lr(rng))]
    return first + _each_shape(rng, lambda label, d: _one(label, _like(rng, d), _grads(rng, d), _like(rng, d, "d"), float(rng.uniform(0.5, 0.99)), _lr(rng)))


def _rmsprop_cases(rng):
    def case(label, dims, tiny=False, **kwargs):
        return _one(label, _like(rng, dims), _grads(rng, dims, tiny), _squares(rng, dims), float(rng.uniform(0.9, 0.999)), _lr(rng), **kwargs)

    (one, d1), (three, d3), (deep, d6) = _widths(rng)
    return [case(one, d1), case(three, d3, epsilon=0.1), case(deep + ", tiny gradients", d6, tiny=True)]


def _adam_cases(rng):
    def case(label, dims, t, fresh=False, tiny=False, **kwargs):
        parameters = _like(rng, dims)
        v, s = (ref.initialize_adam(parameters) if fresh else (_like(rng, dims, "d", 0.3), _squares(rng, dims)))
        return _one(label, parameters, _grads(rng, dims, tiny), v, s, t, **kwargs)

    (one, d1), (three, d3), (deep, d6) = _widths(rng)
    hyper = {"learning_rate": _lr(rng), "beta1": float(rng.uniform(0.8, 0.95)), "beta2": float(rng.uniform(0.99, 0.9999)), "epsilon": 0.1}
    return [
        case("t = 1, first step", d3, 1, fresh=True),
        case(f"{one}, t = 2", d1, 2),
        case(f"{three}, t = {17}, explicit hyperparameters", d3, 17, **hyper),
        case(f"{deep}, large t = 5000, tiny gradients", d6, 5000, tiny=True),
    ]


def _lr_cases(rng):
    lr0, decay = float(rng.uniform(0.05, 0.5)), float(rng.uniform(0.2, 2.0))
    return [_one(f"epoch {epoch}", lr0, epoch, decay) for epoch in (0, 1, int(rng.integers(2, 50)), int(rng.integers(1000, 5000)))]


def _schedule_cases(rng):
    lr0, decay = float(rng.uniform(0.05, 0.5)), float(rng.uniform(0.2, 2.0))
    interval = int(rng.integers(5, 50))
    inside = int(rng.integers(1, interval))
    return [
        _one("epoch 0", lr0, 0, decay),
        _one("inside the first interval (default time_interval)", lr0, 999, decay),
        _one("at a multiple of the default time_interval", lr0, 3000, decay),
        _one("inside an interval", lr0, 2 * interval + inside, decay, time_interval=interval),
        _one("at a multiple of time_interval", lr0, 3 * interval, decay, interval),
    ]


EXERCISES: list[Exercise] = [
    values_exercise(
        "update_parameters_with_gd",
        ref.update_parameters_with_gd,
        _gd_cases,
        [
            ("the update goes up the gradient: subtract learning_rate * dW, do not add it", _gd_plus),
            ("the learning rate is missing from the update: W = W - learning_rate * dW", _gd_no_lr),
            ("only the weights are updated: update the biases b too", _gd_weights_only),
            (LAST_LAYER, _last_layer_skipped(ref.update_parameters_with_gd)),
        ],
    ),
    minibatch_exercise("random_mini_batches", _minibatch_shapes),
    values_exercise(
        "initialize_velocity",
        ref.initialize_velocity,
        _zeros_cases,
        [(KEYS, _grad_keys_as_params), (INIT_LAST, _zeros_skip_last)],
    ),
    values_exercise(
        "update_parameters_with_momentum",
        ref.update_parameters_with_momentum,
        _momentum_cases,
        [
            (
                (
                    "v = beta * v + dW: the (1 - beta) factor is missing, so on the first step "
                    "momentum moves like plain gradient descent"
                ),
                _momentum(lambda v, g, b: b * v + g, lambda new_v, v, g: new_v),
            ),
            ("beta and (1 - beta) are swapped: v = beta * v + (1 - beta) * dW", _momentum(lambda v, g, b: (1 - b) * v + b * g, lambda new_v, v, g: new_v)),
            ("the step uses dW instead of the velocity: W = W - learning_rate * v", _momentum(lambda v, g, b: b * v + (1 - b) * g, lambda new_v, v, g: g)),
            ("the step uses the old velocity: update v first, then W with the new v", _momentum(lambda v, g, b: b * v + (1 - b) * g, lambda new_v, v, g: v)),
            (LAST_LAYER, _last_layer_skipped(ref.update_parameters_with_momentum)),
        ],
    ),
    values_exercise(
        "initialize_rmsprop",
        ref.initialize_rmsprop,
        _zeros_cases,
        [(KEYS, _grad_keys_as_params), (INIT_LAST, _zeros_skip_last)],
    ),
    values_exercise(
        "update_parameters_with_rmsprop",
        ref.update_parameters_with_rmsprop,
        _rmsprop_cases,
        [
            (EPS_INSIDE, _rmsprop(lambda s, g, b: b * s + (1 - b) * g**2, lambda g, s, e: g / np.sqrt(s + e))),
            ("s must average the squared gradient: (1 - beta2) * dW**2, not dW", _rmsprop(lambda s, g, b: b * s + (1 - b) * g, lambda g, s, e: g / (np.sqrt(s) + e))),
            ("the (1 - beta2) factor is missing: s = beta2 * s + (1 - beta2) * dW**2", _rmsprop(lambda s, g, b: b * s + g**2, lambda g, s, e: g / (np.sqrt(s) + e))),
            ("beta2 and (1 - beta2) are swapped", _rmsprop(lambda s, g, b: (1 - b) * s + b * g**2, lambda g, s, e: g / (np.sqrt(s) + e))),
            ("the step divides by s instead of its square root: dW / (np.sqrt(s) + epsilon)", _rmsprop(lambda s, g, b: b * s + (1 - b) * g**2, lambda g, s, e: g / (s + e))),
            (LAST_LAYER, _last_layer_skipped(ref.update_parameters_with_rmsprop)),
        ],
    ),
    values_exercise(
        "initialize_adam",
        ref.initialize_adam,
        _zeros_cases,
        [(KEYS, _pairs_of(_grad_keys_as_params)), (INIT_LAST, _pairs_of(_zeros_skip_last))],
    ),
    values_exercise(
        "update_parameters_with_adam",
        ref.update_parameters_with_adam,
        _adam_cases,
        [
            ("no bias correction: divide v by (1 - beta1**t) and s by (1 - beta2**t)", _adam(correct=lambda m, beta, t: m)),
            ("t is off by one: use beta**t with the t you are given (it already counts from 1)", _adam(t_shift=1)),
            ("t is off by one: use beta**t with the t you are given (it already counts from 1)", _adam(t_shift=-1)),
            ("the corrected moments were written back: keep v and s uncorrected, and return v_corrected and s_corrected separately", _adam(write_back=True)),
            ("beta1 and beta2 are swapped: v uses beta1, s uses beta2", _adam(moments=lambda v, s, g, b1, b2: (b2 * v + (1 - b2) * g, b1 * s + (1 - b1) * g**2))),
            (EPS_INSIDE, _adam(step_rule=lambda vc, sc, e: vc / np.sqrt(sc + e))),
            ("v / 1 - beta1**t divides by 1 only: write v / (1 - beta1**t)", _adam(correct=lambda m, beta, t: m / 1 - beta**t)),
            ("s must average the squared gradient: (1 - beta2) * dW**2, not dW", _adam(moments=lambda v, s, g, b1, b2: (b1 * v + (1 - b1) * g, b2 * s + (1 - b2) * g))),
            (LAST_LAYER, _last_layer_skipped(ref.update_parameters_with_adam)),
        ],
        public_count=3,
    ),
    values_exercise(
        "update_lr",
        ref.update_lr,
        _lr_cases,
        [
            (PRECEDENCE, lambda lr0, epoch, decay: lr0 / 1 + decay * epoch),
            ("the rate is multiplied by (1 + decay_rate * epoch_num); divide by it", lambda lr0, epoch, decay: lr0 * (1 + decay * epoch)),
            ("this is the scheduled decay with floor(epoch_num / 1000); update_lr decays every epoch", lambda lr0, epoch, decay: ref.schedule_lr_decay(lr0, epoch, decay)),
        ],
        public_count=4,
    ),
    values_exercise(
        "schedule_lr_decay",
        ref.schedule_lr_decay,
        _schedule_cases,
        [
            ("the floor is missing: decay by floor(epoch_num / time_interval) so the rate stays constant within an interval", lambda lr0, epoch, decay, time_interval=1000: lr0 / (1 + decay * epoch / time_interval)),
            ("time_interval is ignored: the rate should only drop every time_interval epochs", lambda lr0, epoch, decay, time_interval=1000: lr0 / (1 + decay * epoch)),
            (PRECEDENCE, lambda lr0, epoch, decay, time_interval=1000: lr0 / 1 + decay * math.floor(epoch / time_interval)),
        ],
        public_count=5,
    ),
]
