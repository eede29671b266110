"""Hidden cases and classic mistakes for the ``initialization`` assignment.

Initializers are judged statistically (see :func:`autograder.exercises.base.initializer_exercise`):
layer widths are drawn large and unequal so that each catalogued variance mistake (n^[l] for
n^[l-1], Glorot's 2/(n^[l-1] + n^[l]), He's 2/n for Xavier, a standard deviation used as a
variance, ...) is far outside the bounds of the right variance on at least one layer.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from autograder.exercises.base import (
    PART,
    Case,
    Exercise,
    Mistake,
    initializer_exercise,
    values_exercise,
)
from reference import initializers as ref

UNSCALED = "the weights are not scaled: multiply np.random.randn(n_l, n_{l-1}) by the right factor"


def _statistical_widths(rng: np.random.Generator) -> list[tuple[str, list[int]]]:
    wide = int(rng.integers(300, 500))
    return [
        ("three layers", [wide, int(rng.integers(100, 200)), int(rng.integers(20, 60)), 1]),
        ("one layer", [int(rng.integers(200, 400)), int(rng.integers(30, 90))]),
        ("a layer of width 1", [int(rng.integers(500, 800)), 1]),
        ("small net", [3, 2, 1]),
    ]


def _variance_mistakes(*rows: tuple[str, Callable[[int, int], float]]) -> list[Mistake]:
    """Initializer mistakes that scale W[l] wrongly: (message, the mistake's Var(W)) each."""
    return [Mistake(message, PART, variance=variance) for message, variance in rows]


XAVIER_MISTAKES = _variance_mistakes(
    ("Var(W) uses n^[l], this layer's width; Xavier divides by n^[l-1], the previous layer's",
     lambda n_in, n_out: 1 / n_out),
    ("this is Glorot's 2 / (n^[l-1] + n^[l]); the course's Xavier is Var(W) = 1 / n^[l-1]",
     lambda n_in, n_out: 2 / (n_in + n_out)),
    ("this is He's 2 / n^[l-1]; Xavier (for tanh) is 1 / n^[l-1]",
     lambda n_in, n_out: 2 / n_in),
    (("the standard deviation is 1 / n^[l-1] instead of the variance: "
     "multiply by np.sqrt(1 / n^[l-1])"),
     lambda n_in, n_out: 1 / n_in**2),
    (UNSCALED, lambda n_in, n_out: 1.0),
)

HE_MISTAKES = _variance_mistakes(
    (("He with 1 / n^[l-1] is Xavier: ReLU zeroes half of the signal, "
     "so He uses Var(W) = 2 / n^[l-1]"),
     lambda n_in, n_out: 1 / n_in),
    ("Var(W) uses n^[l], this layer's width; He divides by n^[l-1], the previous layer's",
     lambda n_in, n_out: 2 / n_out),
    (("the standard deviation is 2 / n^[l-1] instead of the variance: "
     "multiply by np.sqrt(2 / n^[l-1])"),
     lambda n_in, n_out: 4 / n_in**2),
    ("this is Glorot's 2 / (n^[l-1] + n^[l]); He is Var(W) = 2 / n^[l-1]",
     lambda n_in, n_out: 2 / (n_in + n_out)),
    (UNSCALED, lambda n_in, n_out: 1.0),
)

RANDOM_MISTAKES = _variance_mistakes(
    ("the weights have variance 1: this exercise multiplies np.random.randn by 10",
     lambda n_in, n_out: 1.0),
    ("the weights are multiplied by 100: multiply np.random.randn by 10",
     lambda n_in, n_out: 1e4),
    ("the weights are scaled by 0.01: this exercise shows large weights, multiply by 10",
     lambda n_in, n_out: 1e-4),
)


def _variance_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for activation in ("linear", "tanh", "relu"):
        L = int(rng.integers(1, 6))
        dims = [int(rng.integers(2, 9)) for _ in range(L + 1)]
        parameters = ref.initialize(dims, "he", rng)
        parameters = {
            k: v + (rng.standard_normal(v.shape) * 0.1 if k[0] == "b" else 0)
            for k, v in parameters.items()
        }
        X = rng.standard_normal((dims[0], int(rng.integers(5, 40))))
        cases.append(Case.single(f"{activation}, {L} layer{'s' * (L > 1)}", X, parameters,
                                 activation))
    return cases


def _pre_and_post_activations(X, parameters, activation):
    """z[1..L] and a[0..L] of the network."""
    g = ref.ACTIVATIONS[activation]
    a, pre, post = X, [], [X]
    for l in range(1, len(parameters) // 2 + 1):
        z = parameters[f"W{l}"] @ a + parameters[f"b{l}"]
        a = g(z)
        pre.append(z)
        post.append(a)
    return pre, post


def _var_of_z(X, parameters, activation):
    return np.array([np.var(z) for z in _pre_and_post_activations(X, parameters, activation)[0]])


def _with_input(X, parameters, activation):
    return np.array([np.var(a) for a in _pre_and_post_activations(X, parameters, activation)[1]])


def _per_unit(X, parameters, activation):
    return np.array([
        np.mean(np.var(a, axis=1))
        for a in _pre_and_post_activations(X, parameters, activation)[1][1:]
    ])


def _std(X, parameters, activation):
    return np.array(
        [np.std(a) for a in _pre_and_post_activations(X, parameters, activation)[1][1:]]
    )


def _no_bias(X, parameters, activation):
    unbiased = {k: (np.zeros_like(v) if k[0] == "b" else v) for k, v in parameters.items()}
    return ref.activation_variances(X, unbiased, activation)


EXERCISES: list[Exercise] = [
    initializer_exercise(
        "initialize_parameters_zeros",
        "zeros",
        ref.WEIGHT_VARIANCE["zeros"],
        [],
        _statistical_widths,
    ),
    initializer_exercise(
        "initialize_parameters_random",
        "random",
        ref.WEIGHT_VARIANCE["random"],
        RANDOM_MISTAKES,
        _statistical_widths,
    ),
    initializer_exercise(
        "initialize_parameters_xavier",
        "xavier",
        ref.WEIGHT_VARIANCE["xavier"],
        XAVIER_MISTAKES,
        _statistical_widths,
    ),
    initializer_exercise(
        "initialize_parameters_he",
        "he",
        ref.WEIGHT_VARIANCE["he"],
        HE_MISTAKES,
        _statistical_widths,
    ),
    values_exercise(
        "activation_variances",
        ref.activation_variances,
        _variance_cases,
        [
            Mistake.made_by(
                "this is the variance of z[l] = W a[l-1] + b, before the activation g is applied",
                PART,
                _var_of_z,
            ),
            Mistake.made_by(
                "the result includes a[0] = X: return the variances of layers 1 .. L only",
                PART,
                _with_input,
            ),
            Mistake.made_by(
                "np.var was taken per unit (axis=1) and averaged: "
                "take np.var over all entries of a[l]",
                PART,
                _per_unit,
            ),
            Mistake.made_by("np.std gives the standard deviation: use np.var", PART, _std),
            Mistake.made_by("b[l] is left out: z[l] = W[l] a[l-1] + b[l]", PART, _no_bias),
        ],
        public_count=3,
        vector=True,
    ),
]
