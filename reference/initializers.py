"""Weight initializers and the per-layer activation variance that judges them.

``layers_dims = [n_0, n_1, ..., n_L]``; W[l] has shape (n_l, n_{l-1}) and b[l] shape (n_l, 1).
The graded initializers take only ``layers_dims``; :func:`initialize` is the same draw with a
chosen rule and an optional ``numpy.random.Generator``, for reproducible demos and tests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

Params = dict[str, np.ndarray]


#: Var(W[l]) as a function of n_{l-1}, for each initializer of the course.
WEIGHT_VARIANCE: dict[str, Callable[[int], float]] = {
    "zeros": lambda n_in: 0.0,
    "random": lambda n_in: 100.0,
    "xavier": lambda n_in: 1.0 / n_in,
    "he": lambda n_in: 2.0 / n_in,
}


def initialize(layers_dims: Sequence[int], rule: str, rng: np.random.Generator | None = None) -> Params:
    """W[l] ~ N(0, WEIGHT_VARIANCE[rule](n_{l-1})), b[l] = 0, for every layer l = 1..L."""
    rng = np.random.default_rng() if rng is None else rng
    variance = WEIGHT_VARIANCE[rule]
    parameters: Params = {}
    for l in range(1, len(layers_dims)):
        n_out, n_in = layers_dims[l], layers_dims[l - 1]
        parameters[f"W{l}"] = rng.standard_normal((n_out, n_in)) * np.sqrt(variance(n_in))
        parameters[f"b{l}"] = np.zeros((n_out, 1))
    return parameters


def initialize_parameters_zeros(layers_dims: Sequence[int]) -> Params:
    """W[l] = 0 and b[l] = 0: every unit of a layer computes the same thing, forever."""
    return initialize(layers_dims, "zeros")


def initialize_parameters_random(layers_dims: Sequence[int]) -> Params:
    """W[l] ~ N(0, 1) * 10, b[l] = 0: large weights that saturate and explode."""
    return initialize(layers_dims, "random")


def initialize_parameters_xavier(layers_dims: Sequence[int]) -> Params:
    """Xavier: W[l] ~ N(0, 1 / n_{l-1}), b[l] = 0 (keeps Var(a) constant with tanh)."""
    return initialize(layers_dims, "xavier")


def initialize_parameters_he(layers_dims: Sequence[int]) -> Params:
    """He: W[l] ~ N(0, 2 / n_{l-1}), b[l] = 0 (keeps Var(a) constant with ReLU)."""
    return initialize(layers_dims, "he")


ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda z: z,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
}


def activation_variances(X: np.ndarray, parameters: Params, activation: str) -> np.ndarray:
    """np.var(a[l]) over all entries, for l = 1..L.

    a[0] = X;  a[l] = g(W[l] a[l-1] + b[l]) with g one of "linear", "tanh", "relu".
    """
    g = ACTIVATIONS[activation]
    a = np.asarray(X, dtype=np.float64)
    variances = []
    for l in range(1, len(parameters) // 2 + 1):
        a = g(parameters[f"W{l}"] @ a + parameters[f"b{l}"])
        variances.append(np.var(a))
    return np.array(variances, dtype=np.float64)
