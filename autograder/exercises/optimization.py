"""Hidden cases and classic mistakes for the ``optimization`` assignment.

Inputs are drawn fresh for every grading run, in fixed case families whose values are random but
whose sensitivity is built in: one layer, a few layers and a deep net (W never square on
purpose, so that the last layer and the first layer differ), gradients and moments with tiny
entries in every RMSprop and Adam case (so epsilon's place always shows), and hyperparameters
both left at their defaults and passed explicitly.

The update rules are declared component by component (:class:`~autograder.exercises.base.Stage`),
in the order they are computed, so a mistake in one returned component (only s in Adam) is
named on its own, and the mistakes (``Mistake.rules``) replace one rule each.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from autograder import selfcheck
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
    whole,
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


def _like(
    rng: np.random.Generator, dims: list[int], prefix: str = "", scale: float = 1.0
) -> Params:
    out: Params = {}
    for l in range(1, len(dims)):
        out[f"{prefix}W{l}"] = rng.standard_normal((dims[l], dims[l - 1])) * scale
        out[f"{prefix}b{l}"] = rng.standard_normal((dims[l], 1)) * scale
    return out


def _tiny(rng: np.random.Generator, values: Params, factor: float) -> tuple[Params, dict]:
    """About a third of the entries (at least one per array) multiplied by ``factor``."""
    masks = {}
    for key, value in values.items():
        mask = rng.random(value.shape) < 1 / 3
        mask.flat[0] = True
        masks[key] = mask
    return {
        key: np.where(masks[key], value * factor, value) for key, value in values.items()
    }, masks


def _grads_and_squares(rng: np.random.Generator, dims: list[int]) -> tuple[Params, Params]:
    """Gradients ~1e-8 and squared averages ~1e-16 on the same entries, elsewhere ~1 and ~0.25:
    there sqrt(s) is near epsilon, so dividing by sqrt(s + eps) instead of sqrt(s) + eps shows."""
    grads, masks = _tiny(rng, _like(rng, dims, "d"), 1e-8)
    squares = {key: value**2 for key, value in _like(rng, dims, "d", 0.5).items()}
    return grads, {
        key: np.where(masks[key], value * 1e-16, value) for key, value in squares.items()
    }


def _lr(rng: np.random.Generator) -> float:
    return float(rng.uniform(0.01, 0.5))


def _one(label: str, *args: object, **kwargs: object) -> Case:
    return Case(label, ((tuple(args), dict(kwargs)),))


def _each_shape(rng: np.random.Generator, make) -> list[Case]:
    return [make(label, dims) for label, dims in _widths(rng)]


# ------------------------------------------------------------------------------------------
# Pieces of the rules: ``i`` is a call's inputs by name, ``u`` the components computed so far


def _layer(key: str) -> int:
    return int(key.lstrip("dWb"))


def _last(values: Params) -> int:
    return max(_layer(key) for key in values)


def _descend(parameters: Params, learning_rate: float, steps: Params) -> Params:
    """W - learning_rate * step for every parameter, the step of W being steps["dW"]."""
    return {key: value - learning_rate * steps["d" + key] for key, value in parameters.items()}


def _keep_last(updated: Params, before: Params) -> Params:
    """The update with layer L left as it was: a loop over range(1, L)."""
    L = _last(before)
    return {key: (before[key] if _layer(key) == L else value) for key, value in updated.items()}


def _layer_one(values: dict) -> dict:
    """The inputs (or components) with every dict cut down to layer 1."""
    return {
        name: {key: item for key, item in value.items() if _layer(key) == 1}
        if isinstance(value, dict)
        else value
        for name, value in values.items()
    }


def _returns_in_loop(rule, before: str | None) -> Callable:
    """What a `return` inside the layer loop gives: ``rule`` done on layer 1 only, written into
    the input dict ``before`` in place (the other layers unchanged) or into a new dict."""

    def first_layer_only(i: dict, u: dict) -> Either:
        first = rule(_layer_one(i), _layer_one(u))
        return Either(([{**i[before], **first}] if before is not None else []) + [first])

    return first_layer_only


def _b_with_dw(parameters: Params, learning_rate: float, steps: Params) -> Params:
    """b[l] - learning_rate * dW[l] (broadcast), the W step given to b."""
    return {key: value - learning_rate * steps["dW" + key[1:]] for key, value in parameters.items()}


def _each(rule) -> Callable:
    """A moment rule f(old, g, beta) applied to every key: the (v or s) update of a dict."""
    return lambda old, grads, beta: {key: rule(old[key], grads[key], beta) for key in old}


def _adam_step(
    i: dict, v_c: Params, s_c: Params, denominator=lambda s, eps: np.sqrt(s) + eps
) -> Params:
    steps = {key: v_c[key] / denominator(s_c[key], i["epsilon"]) for key in v_c}
    return _descend(i["parameters"], i["learning_rate"], steps)


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


# ------------------------------------------------------------------------------------------
# Gradient descent


def _gd_cases(rng):
    return _each_shape(
        rng, lambda label, d: _one(label, _like(rng, d), _like(rng, d, "d"), _lr(rng))
    )


def _gd(i: dict) -> Params:
    return _descend(i["parameters"], i["learning_rate"], i["grads"])


def _gd_rule(make) -> dict:
    return {RESULT: lambda i, u: make(i)}


GD_MISTAKES = [
    Mistake(
        "the update goes up the gradient: subtract learning_rate * dW, do not add it",
        METHOD,
        _gd_rule(lambda i: _descend(i["parameters"], -i["learning_rate"], i["grads"])),
    ),
    Mistake(
        "the learning rate is missing from the update: W = W - learning_rate * dW",
        PART,
        _gd_rule(lambda i: _descend(i["parameters"], 1.0, i["grads"])),
    ),
    Mistake(
        "only the weights are updated: update the biases b too",
        PART,
        _gd_rule(lambda i: {**_gd(i), **{k: v for k, v in i["parameters"].items() if k[0] == "b"}}),
    ),
    Mistake(LAST_LAYER, PART, _gd_rule(lambda i: _keep_last(_gd(i), i["parameters"]))),
    Mistake(
        B_WITH_DW,
        PART,
        _gd_rule(lambda i: _b_with_dw(i["parameters"], i["learning_rate"], i["grads"])),
    ),
    Mistake(RETURN_IN_LOOP, PART, {RESULT: _returns_in_loop(lambda i, u: _gd(i), "parameters")}),
]


# ------------------------------------------------------------------------------------------
# Mini-batches: the mistakes are properties (selfcheck.MB_*); each example makes one


def _minibatch_shapes(rng):
    size = int(rng.choice([16, 32, 64]))
    n_x = int(rng.integers(5, 9))  # enough rows that shuffling them never leaves them in order
    return [
        (
            "m not a multiple of the batch size",
            n_x,
            size * int(rng.integers(2, 5)) + int(rng.integers(1, size)),
            size,
        ),
        ("m a multiple of the batch size", n_x, size * int(rng.integers(2, 5)), size),
        ("m equal to the batch size", n_x, size, size),
        ("m smaller than the batch size", n_x, int(rng.integers(9, size)), size),
        ("m = 1", n_x, 1, size),
    ]


def _cut(X, Y, size, x_order, y_order=None):
    X, Y = X[:, x_order], Y[:, x_order if y_order is None else y_order]
    return [(X[:, k : k + size], Y[:, k : k + size]) for k in range(0, X.shape[1], size)]


def _shuffled(order_of):
    """random_mini_batches with the permutation order_of(m, seed) and right cutting."""

    def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
        return _cut(X, Y, mini_batch_size, order_of(X.shape[1], seed))

    return random_mini_batches


def _with_last(last):
    """The classic loop: full batches, then the last one cut as last(m, size, k) says."""

    def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
        m, size = X.shape[1], mini_batch_size
        order = np.random.default_rng(seed).permutation(m)
        X, Y = X[:, order], Y[:, order]
        batches, k = [], None
        for k in range(m // size):
            batches.append((X[:, k * size : (k + 1) * size], Y[:, k * size : (k + 1) * size]))
        if m % size and last is not None:
            start, stop = last(m, size, k)
            batches.append((X[:, start:stop], Y[:, start:stop]))
        return batches

    return random_mini_batches


def _after_the_loop(m, size, k):
    if k is None:  # what Python does to the student's k when the loop never ran
        raise UnboundLocalError(
            "cannot access local variable 'k' where it is not associated with a value"
        )
    return k * size, m


def _rows_too(X, Y, mini_batch_size=64, seed=0):
    rows = np.roll(np.arange(X.shape[0]), 1)
    return _cut(X[rows], Y, mini_batch_size, np.random.default_rng(seed).permutation(X.shape[1]))


def _two_permutations(X, Y, mini_batch_size=64, seed=0):
    rng = np.random.default_rng(seed)
    return _cut(X, Y, mini_batch_size, rng.permutation(X.shape[1]), rng.permutation(X.shape[1]))


def _float32(X, Y, mini_batch_size=64, seed=0):
    return _cut(
        X.astype(np.float32),
        Y,
        mini_batch_size,
        np.random.default_rng(seed).permutation(X.shape[1]),
    )


MINIBATCH_MISTAKES = [
    Mistake(selfcheck.MB_TWO_PERMUTATIONS, METHOD, example=_two_permutations),
    Mistake(selfcheck.MB_NOT_SHUFFLED, METHOD, example=_shuffled(lambda m, seed: np.arange(m))),
    Mistake(
        selfcheck.MB_STRUCTURED,
        METHOD,
        example=_shuffled(lambda m, seed: np.roll(np.arange(m), seed % max(m - 1, 1) + 1)),
    ),
    Mistake(selfcheck.MB_ROWS, METHOD, example=_rows_too),
    Mistake(selfcheck.MB_LAST_MISSING, PART, example=_with_last(None)),
    Mistake(
        selfcheck.MB_LAST_LENGTH,
        DETAIL,
        example=_with_last(lambda m, size, k: (m // size * size, m - 1)),
    ),
    Mistake(selfcheck.MB_LOOP_VARIABLE, PART, example=_with_last(_after_the_loop)),
    Mistake(
        selfcheck.MB_SEED_IGNORED,
        PART,
        example=_shuffled(lambda m, seed: np.random.default_rng().permutation(m)),
    ),
    Mistake(
        selfcheck.MB_SAME_FOR_EVERY_SEED,
        PART,
        example=_shuffled(lambda m, seed: np.random.default_rng(0).permutation(m)),
    ),
    Mistake(selfcheck.MB_DTYPE, DETAIL, example=_float32),
]


# ------------------------------------------------------------------------------------------
# Zeros for v and s


def _zeros_cases(rng):
    return _each_shape(rng, lambda label, d: _one(label, _like(rng, d)))


def _zeros_like(make) -> Callable:
    """f(parameters) -> the moments dict made with ``make(shape)`` for every parameter."""
    return lambda parameters: {"d" + key: make(value.shape) for key, value in parameters.items()}


def _zero_mistakes(what: str, components: tuple[str, ...]) -> list[Mistake]:
    """The mistakes of an initializer of moments (v, s, or both for Adam), each per component."""

    def rule(make):
        return {c: (lambda i, u: make(i["parameters"])) for c in components}

    zeros = _zeros_like(np.zeros)
    return [
        Mistake(
            KEYS, PART, rule(lambda p: {key: np.zeros(value.shape) for key, value in p.items()})
        ),
        Mistake(
            INIT_LAST,
            PART,
            rule(lambda p: {k: v for k, v in zeros(p).items() if _layer(k) != _last(p)}),
        ),
        Mistake(ONES.format(what=what), PART, rule(_zeros_like(np.ones))),
        Mistake(
            INTEGERS.format(what=what),
            DETAIL,
            rule(_zeros_like(lambda shape: np.zeros(shape, dtype=int))),
        ),
        Mistake(
            RETURN_IN_LOOP,
            PART,
            rule(lambda p: {k: v for k, v in zeros(p).items() if _layer(k) == 1}),
        ),
    ]


# ------------------------------------------------------------------------------------------
# Momentum


def _momentum_cases(rng):
    _, dims = _widths(rng)[1]
    first = [
        _one(
            "first step (v = 0)",
            _like(rng, dims),
            _like(rng, dims, "d"),
            ref.initialize_velocity(_like(rng, dims)),
            float(rng.uniform(0.5, 0.95)),
            _lr(rng),
        )
    ]
    return first + _each_shape(
        rng,
        lambda label, d: _one(
            label,
            _like(rng, d),
            _like(rng, d, "d"),
            _like(rng, d, "d"),
            float(rng.uniform(0.5, 0.99)),
            _lr(rng),
        ),
    )


def _velocity(rule) -> Callable:
    return lambda i, u: _each(rule)(i["v"], i["grads"], i["beta"])


def _momentum_step(i: dict, u: dict) -> Params:
    return _descend(i["parameters"], i["learning_rate"], u["v"])


MOMENTUM_STAGES = [
    Stage("v", 1, _velocity(lambda v, g, b: b * v + (1 - b) * g)),
    Stage("parameters", 0, _momentum_step, after=("v",)),
]
MOMENTUM_MISTAKES = [
    Mistake(
        "v = beta * v + dW: the (1 - beta) factor is missing, so on the first step momentum "
        "moves like plain gradient descent",
        PART,
        {"v": _velocity(lambda v, g, b: b * v + g)},
    ),
    Mistake(
        "beta and (1 - beta) are swapped: v = beta * v + (1 - beta) * dW",
        PART,
        {"v": _velocity(lambda v, g, b: (1 - b) * v + b * g)},
    ),
    Mistake(
        "the step uses dW instead of the velocity: W = W - learning_rate * v",
        METHOD,
        {"parameters": lambda i, u: _descend(i["parameters"], i["learning_rate"], i["grads"])},
    ),
    Mistake(
        "the step uses the old velocity: update v first, then W with the new v",
        PART,
        {"parameters": lambda i, u: _descend(i["parameters"], i["learning_rate"], i["v"])},
    ),
    Mistake(
        LAST_LAYER,
        PART,
        {"parameters": lambda i, u: _keep_last(_momentum_step(i, u), i["parameters"])},
    ),
    Mistake(
        B_WITH_DW,
        PART,
        {"parameters": lambda i, u: _b_with_dw(i["parameters"], i["learning_rate"], u["v"])},
    ),
    Mistake(
        RETURN_IN_LOOP,
        PART,
        {
            "v": _returns_in_loop(MOMENTUM_STAGES[0].rule, "v"),
            "parameters": _returns_in_loop(_momentum_step, "parameters"),
        },
    ),
]


# ------------------------------------------------------------------------------------------
# RMSprop


def _rmsprop_cases(rng):
    def case(label, dims, **kwargs):
        grads, squares = _grads_and_squares(rng, dims)
        return _one(
            label,
            _like(rng, dims),
            grads,
            squares,
            float(rng.uniform(0.9, 0.999)),
            _lr(rng),
            **kwargs,
        )

    (one, d1), (three, d3), (deep, d6) = _widths(rng)
    return [case(one, d1), case(three + ", epsilon = 0.1", d3, epsilon=0.1), case(deep, d6)]


def _square_average(rule) -> Callable:
    return lambda i, u: _each(rule)(i["s"], i["grads"], i["beta2"])


def _rmsprop_step(i: dict, u: dict, divide=lambda g, s, eps: g / (np.sqrt(s) + eps)) -> Params:
    steps = {key: divide(i["grads"][key], u["s"][key], i["epsilon"]) for key in u["s"]}
    return _descend(i["parameters"], i["learning_rate"], steps)


RMSPROP_STAGES = [
    Stage("s", 1, _square_average(lambda s, g, b: b * s + (1 - b) * g**2)),
    Stage("parameters", 0, _rmsprop_step, after=("s",)),
]
SQUARED = "s must average the squared gradient: (1 - beta2) * dW**2, not {got}"
RMSPROP_MISTAKES = [
    Mistake(
        EPS_INSIDE,
        DETAIL,
        {"parameters": lambda i, u: _rmsprop_step(i, u, lambda g, s, eps: g / np.sqrt(s + eps))},
    ),
    Mistake(
        SQUARED.format(got="dW"), PART, {"s": _square_average(lambda s, g, b: b * s + (1 - b) * g)}
    ),
    Mistake(
        SQUARED.format(got="|dW|"),
        PART,
        {"s": _square_average(lambda s, g, b: b * s + (1 - b) * np.abs(g))},
    ),
    Mistake(
        "the (1 - beta2) factor is missing: s = beta2 * s + (1 - beta2) * dW**2",
        PART,
        {"s": _square_average(lambda s, g, b: b * s + g**2)},
    ),
    Mistake(
        "beta2 and (1 - beta2) are swapped",
        PART,
        {"s": _square_average(lambda s, g, b: (1 - b) * s + b * g**2)},
    ),
    Mistake(
        "the step divides by s instead of its square root: dW / (np.sqrt(s) + epsilon)",
        PART,
        {"parameters": lambda i, u: _rmsprop_step(i, u, lambda g, s, eps: g / (s + eps))},
    ),
    Mistake(
        LAST_LAYER,
        PART,
        {"parameters": lambda i, u: _keep_last(_rmsprop_step(i, u), i["parameters"])},
    ),
    Mistake(
        RETURN_IN_LOOP,
        PART,
        {
            "s": _returns_in_loop(RMSPROP_STAGES[0].rule, "s"),
            "parameters": _returns_in_loop(_rmsprop_step, "parameters"),
        },
    ),
]


# ------------------------------------------------------------------------------------------
# Adam


def _adam_cases(rng):
    def case(label, dims, t, fresh=False, **kwargs):
        parameters = _like(rng, dims)
        grads, squares = _grads_and_squares(rng, dims)
        v, s = ref.initialize_adam(parameters) if fresh else (_like(rng, dims, "d", 0.3), squares)
        return _one(label, parameters, grads, v, s, t, **kwargs)

    (one, d1), (three, d3), (deep, d6) = _widths(rng)
    hyper = {
        "learning_rate": _lr(rng),
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


def _first_moment(rule) -> Callable:
    return lambda i, u: _each(rule)(i["v"], i["grads"], i["beta1"])


def _second_moment(rule) -> Callable:
    return lambda i, u: _each(rule)(i["s"], i["grads"], i["beta2"])


def _corrected(moment: str, beta: str, power=lambda t: t) -> Callable:
    """moment / (1 - beta**t), from the moment computed before (u) and the call's beta and t."""
    return lambda i, u: {
        key: value / (1 - i[beta] ** power(i["t"])) for key, value in u[moment].items()
    }


V_RULE = _first_moment(lambda v, g, b: b * v + (1 - b) * g)
S_RULE = _second_moment(lambda s, g, b: b * s + (1 - b) * g**2)
ADAM_STAGES = [
    Stage("v", 1, V_RULE),
    Stage("s", 2, S_RULE),
    Stage("v_corrected", 3, _corrected("v", "beta1"), after=("v",)),
    Stage("s_corrected", 4, _corrected("s", "beta2"), after=("s",)),
    Stage(
        "parameters",
        0,
        lambda i, u: _adam_step(i, u["v_corrected"], u["s_corrected"]),
        after=("v_corrected", "s_corrected"),
    ),
]


def _moment_with(old: str, beta: str, rule) -> Callable:
    return lambda i, u: {key: rule(i[old][key], i["grads"][key], i[beta]) for key in i[old]}


def _written_back(moment_rule, beta: str) -> Callable:
    return lambda i, u: {
        key: value / (1 - i[beta] ** i["t"]) for key, value in moment_rule(i, u).items()
    }


ADAM_MISTAKES = [
    Mistake(
        "no bias correction: divide v by (1 - beta1**t) and s by (1 - beta2**t)",
        PART,
        {
            "v_corrected": lambda i, u: u["v"],
            "s_corrected": lambda i, u: u["s"],
            "parameters": lambda i, u: _adam_step(i, u["v"], u["s"]),
        },
    ),
    Mistake(
        "t is off by one: use beta**t with the t you are given (it already counts from 1)",
        DETAIL,
        {
            "v_corrected": lambda i, u: Either(
                (
                    _corrected("v", "beta1", lambda t: t + 1)(i, u),
                    _corrected("v", "beta1", lambda t: t - 1)(i, u),
                )
            ),
            "s_corrected": lambda i, u: Either(
                (
                    _corrected("s", "beta2", lambda t: t + 1)(i, u),
                    _corrected("s", "beta2", lambda t: t - 1)(i, u),
                )
            ),
        },
    ),
    Mistake(
        "the corrected moments were written back: keep v and s uncorrected, and return v_corrected "
        "and s_corrected separately",
        PART,
        {
            "v": _written_back(V_RULE, "beta1"),
            "s": _written_back(S_RULE, "beta2"),
            "v_corrected": _written_back(V_RULE, "beta1"),
            "s_corrected": _written_back(S_RULE, "beta2"),
        },
    ),
    Mistake(
        "beta1 and beta2 are swapped: v uses beta1, s uses beta2",
        PART,
        {
            "v": _moment_with("v", "beta2", lambda v, g, b: b * v + (1 - b) * g),
            "s": _moment_with("s", "beta1", lambda s, g, b: b * s + (1 - b) * g**2),
            "v_corrected": lambda i, u: Either(
                (_corrected("v", "beta1")(i, u), _corrected("v", "beta2")(i, u))
            ),
            "s_corrected": lambda i, u: Either(
                (_corrected("s", "beta2")(i, u), _corrected("s", "beta1")(i, u))
            ),
        },
        together=True,
    ),
    Mistake(
        "v uses beta2: the first moment decays with beta1",
        PART,
        {"v": _moment_with("v", "beta2", lambda v, g, b: b * v + (1 - b) * g)},
    ),
    Mistake(
        "s uses beta1: the second moment decays with beta2",
        PART,
        {"s": _moment_with("s", "beta1", lambda s, g, b: b * s + (1 - b) * g**2)},
    ),
    Mistake(
        "the (1 - beta) factors are missing: v = beta1 * v + (1 - beta1) * dW, "
        "s = beta2 * s + (1 - beta2) * dW**2",
        PART,
        {
            "v": _first_moment(lambda v, g, b: b * v + g),
            "s": _second_moment(lambda s, g, b: b * s + g**2),
        },
    ),
    Mistake(
        EPS_INSIDE,
        DETAIL,
        {
            "parameters": lambda i, u: _adam_step(
                i, u["v_corrected"], u["s_corrected"], lambda s, eps: np.sqrt(s + eps)
            ),
        },
    ),
    Mistake(
        "v / 1 - beta1**t divides by 1 only: write v / (1 - beta1**t)",
        PART,
        {
            "v_corrected": lambda i, u: {
                k: value / 1 - i["beta1"] ** i["t"] for k, value in u["v"].items()
            },
            "s_corrected": lambda i, u: {
                k: value / 1 - i["beta2"] ** i["t"] for k, value in u["s"].items()
            },
        },
    ),
    Mistake(
        SQUARED.format(got="dW"), PART, {"s": _second_moment(lambda s, g, b: b * s + (1 - b) * g)}
    ),
    Mistake(
        SQUARED.format(got="|dW|"),
        PART,
        {"s": _second_moment(lambda s, g, b: b * s + (1 - b) * np.abs(g))},
    ),
    Mistake(
        LAST_LAYER,
        PART,
        {
            "parameters": lambda i, u: _keep_last(ADAM_STAGES[4].rule(i, u), i["parameters"]),
        },
    ),
    Mistake(
        RETURN_IN_LOOP,
        PART,
        {
            stage.name: _returns_in_loop(
                stage.rule, {"v": "v", "s": "s", "parameters": "parameters"}.get(stage.name)
            )
            for stage in ADAM_STAGES
        },
    ),
]


# ------------------------------------------------------------------------------------------
# Learning-rate decay


def _lr_cases(rng):
    lr0, decay = float(rng.uniform(0.05, 0.5)), float(rng.uniform(0.2, 2.0))
    return [
        _one(f"epoch {epoch}", lr0, epoch, decay)
        for epoch in (0, 1, int(rng.integers(2, 50)), int(rng.integers(1000, 5000)))
    ]


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


def _only_at_multiples(learning_rate0, epoch_num, decay_rate, time_interval=1000):
    if epoch_num % time_interval == 0:
        return ref.schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval)
    return learning_rate0


def _rounded(learning_rate0, epoch_num, decay_rate, time_interval=1000):
    return Either(
        (
            learning_rate0 / (1 + decay_rate * round(epoch_num / time_interval)),
            learning_rate0 / (1 + decay_rate * math.floor(epoch_num / time_interval + 0.5)),
        )
    )


EXERCISES: list[Exercise] = [
    values_exercise(
        "update_parameters_with_gd", ref.update_parameters_with_gd, _gd_cases, GD_MISTAKES
    ),
    minibatch_exercise("random_mini_batches", _minibatch_shapes, MINIBATCH_MISTAKES),
    values_exercise(
        "initialize_velocity",
        ref.initialize_velocity,
        _zeros_cases,
        _zero_mistakes("velocities", (RESULT,)),
    ),
    values_exercise(
        "update_parameters_with_momentum",
        ref.update_parameters_with_momentum,
        _momentum_cases,
        MOMENTUM_MISTAKES,
        MOMENTUM_STAGES,
    ),
    values_exercise(
        "initialize_rmsprop",
        ref.initialize_rmsprop,
        _zeros_cases,
        _zero_mistakes("squared averages", (RESULT,)),
    ),
    values_exercise(
        "update_parameters_with_rmsprop",
        ref.update_parameters_with_rmsprop,
        _rmsprop_cases,
        RMSPROP_MISTAKES,
        RMSPROP_STAGES,
    ),
    values_exercise(
        "initialize_adam",
        ref.initialize_adam,
        _zeros_cases,
        _zero_mistakes("moments", ("v", "s")),
        [
            Stage("v", 0, lambda i, u: ref.initialize_velocity(i["parameters"])),
            Stage("s", 1, lambda i, u: ref.initialize_rmsprop(i["parameters"])),
        ],
    ),
    values_exercise(
        "update_parameters_with_adam",
        ref.update_parameters_with_adam,
        _adam_cases,
        ADAM_MISTAKES,
        ADAM_STAGES,
        public_count=3,
    ),
    values_exercise(
        "update_lr",
        ref.update_lr,
        _lr_cases,
        [
            whole(
                PRECEDENCE,
                PART,
                lambda learning_rate0, epoch_num, decay_rate: (
                    learning_rate0 / 1 + decay_rate * epoch_num
                ),
            ),
            whole(
                "the rate is multiplied by (1 + decay_rate * epoch_num); divide by it",
                PART,
                lambda learning_rate0, epoch_num, decay_rate: (
                    learning_rate0 * (1 + decay_rate * epoch_num)
                ),
            ),
            whole(
                "this is the scheduled decay with floor(epoch_num / 1000); update_lr decays every "
                "epoch",
                PART,
                lambda learning_rate0, epoch_num, decay_rate: ref.schedule_lr_decay(
                    learning_rate0, epoch_num, decay_rate
                ),
            ),
        ],
        public_count=4,
    ),
    values_exercise(
        "schedule_lr_decay",
        ref.schedule_lr_decay,
        _schedule_cases,
        [
            whole(
                "the floor is missing: decay by floor(epoch_num / time_interval) so the rate stays "
                "constant "
                "within an interval",
                PART,
                lambda learning_rate0, epoch_num, decay_rate, time_interval: (
                    learning_rate0 / (1 + decay_rate * epoch_num / time_interval)
                ),
            ),
            whole(
                "time_interval is ignored: the rate should only drop every time_interval epochs",
                PART,
                lambda learning_rate0, epoch_num, decay_rate, time_interval: (
                    learning_rate0 / (1 + decay_rate * epoch_num)
                ),
            ),
            whole(
                PRECEDENCE,
                PART,
                lambda learning_rate0, epoch_num, decay_rate, time_interval: (
                    learning_rate0 / 1 + decay_rate * math.floor(epoch_num / time_interval)
                ),
            ),
            whole(
                "round() rounds up from half an interval: the rate drops only once a whole "
                "interval has passed, "
                "so use math.floor (or //)",
                DETAIL,
                _rounded,
            ),
            whole(
                "the rate only decays on the epochs that are multiples of time_interval and jumps "
                "back to "
                "learning_rate0 in between: apply the formula on every epoch",
                PART,
                _only_at_multiples,
            ),
        ],
        public_count=5,
    ),
]
