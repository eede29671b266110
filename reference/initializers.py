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


def initialize(layers_dims: Sequence[int], rule: str,
               rng: np.random.Generator | None = None) -> Params:
    """The parameters of a network drawn with one of the course's rules.

    Algorithm, for l = 1 .. L::

        W[l] = randn(n_l, n_{l-1}) * sqrt(WEIGHT_VARIANCE[rule](n_{l-1}))
        b[l] = zeros((n_l, 1))

    Args:
        layers_dims: the widths [n_0, n_1, ..., n_L].
        rule: "zeros", "random", "xavier" or "he" (a key of WEIGHT_VARIANCE).
        rng: the generator to draw from (default None: a fresh, unseeded one).

    Returns:
        parameters: W1, b1, ..., WL, bL, float64.
    """
    rng = np.random.default_rng() if rng is None else rng
    variance = WEIGHT_VARIANCE[rule]
    parameters: Params = {}
    for l in range(1, len(layers_dims)):
        n_out, n_in = layers_dims[l], layers_dims[l - 1]
        parameters[f"W{l}"] = rng.standard_normal((n_out, n_in)) * np.sqrt(variance(n_in))
        parameters[f"b{l}"] = np.zeros((n_out, 1))
    return parameters


def initialize_parameters_zeros(layers_dims: Sequence[int]) -> Params:
    """W[l] = 0 and b[l] = 0: every unit of a layer computes the same thing, forever.

    Args:
        layers_dims: [n_0, n_1, ..., n_L], the widths of the layers.

    Returns:
        parameters: W1, b1, ..., WL, bL, all float64 zeros.
    """
    return initialize(layers_dims, "zeros")


def initialize_parameters_random(layers_dims: Sequence[int]) -> Params:
    """W[l] ~ N(0, 1) * 10, b[l] = 0: large weights that saturate and explode.

    Args:
        layers_dims: [n_0, n_1, ..., n_L], the widths of the layers.

    Returns:
        parameters: W1, b1, ..., WL, bL, float64; W[l] entries of standard deviation 10.
    """
    return initialize(layers_dims, "random")


def initialize_parameters_xavier(layers_dims: Sequence[int]) -> Params:
    """Xavier: W[l] ~ N(0, 1 / n_{l-1}), b[l] = 0 (keeps Var(a) constant with tanh).

    Args:
        layers_dims: [n_0, n_1, ..., n_L], the widths of the layers.

    Returns:
        parameters: W1, b1, ..., WL, bL, float64; W[l] entries of variance 1 / n_{l-1}.
    """
    return initialize(layers_dims, "xavier")


def initialize_parameters_he(layers_dims: Sequence[int]) -> Params:
    """He: W[l] ~ N(0, 2 / n_{l-1}), b[l] = 0 (keeps Var(a) constant with ReLU).

    Args:
        layers_dims: [n_0, n_1, ..., n_L], the widths of the layers.

    Returns:
        parameters: W1, b1, ..., WL, bL, float64; W[l] entries of variance 2 / n_{l-1}.
    """
    return initialize(layers_dims, "he")


ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda z: z,
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
}


def activation_variances(X: np.ndarray, parameters: Params, activation: str) -> np.ndarray:
    """How the signal's variance changes through the network, layer by layer.

    Algorithm::

        a[0] = X
        for l = 1 .. L:  a[l] = g(W[l] a[l-1] + b[l]);  variance[l] = np.var(a[l])

    Args:
        X: the inputs, shape (n_0, m), one example per column.
        parameters: W1, b1, ..., WL, bL.
        activation: g, one of "linear", "tanh", "relu" (the same for every layer).

    Returns:
        The L variances, each over all entries of a[l], as a 1-D float64 array.
    """
    g = ACTIVATIONS[activation]
    a = np.asarray(X, dtype=np.float64)
    variances = []
    for l in range(1, len(parameters) // 2 + 1):
        a = g(parameters[f"W{l}"] @ a + parameters[f"b{l}"])
        variances.append(np.var(a))
    return np.array(variances, dtype=np.float64)
