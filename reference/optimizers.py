"""Gradient descent and its refinements, one update rule per function.

Notation: ``parameters`` holds ``W1, b1, ..., WL, bL``; ``grads``, ``v`` and ``s`` hold the
matching ``dW1, db1, ...``. Every function returns new dicts and leaves its inputs untouched.
"""

from __future__ import annotations

import math

import numpy as np

Params = dict[str, np.ndarray]


def _layers(parameters: Params) -> list[str]:
    """The parameter keys ``W1, b1, ..., WL, bL`` in layer order."""
    L = len(parameters) // 2
    return [f"{kind}{l}" for l in range(1, L + 1) for kind in ("W", "b")]


def _zeros_like(parameters: Params) -> Params:
    return {"d" + key: np.zeros_like(parameters[key], dtype=np.float64) for key in _layers(parameters)}


def update_parameters_with_gd(parameters: Params, grads: Params, learning_rate: float) -> Params:
    """One step of gradient descent.

    W[l] = W[l] - learning_rate * dW[l]
    b[l] = b[l] - learning_rate * db[l]
    """
    return {key: parameters[key] - learning_rate * grads["d" + key] for key in _layers(parameters)}


def random_mini_batches(
    X: np.ndarray, Y: np.ndarray, mini_batch_size: int = 64, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Shuffle the m examples (columns) of X and Y with one permutation, then cut them.

    There are floor(m / mini_batch_size) full batches, followed by one last batch of
    m % mini_batch_size examples when that is not zero.
    """
    m = X.shape[1]
    permutation = np.random.default_rng(seed).permutation(m)
    X_shuffled, Y_shuffled = X[:, permutation], Y[:, permutation]
    return [
        (X_shuffled[:, start : start + mini_batch_size], Y_shuffled[:, start : start + mini_batch_size])
        for start in range(0, m, mini_batch_size)
    ]


def initialize_velocity(parameters: Params) -> Params:
    """v["dW" + l] and v["db" + l] are zeros shaped like W[l] and b[l]."""
    return _zeros_like(parameters)


def update_parameters_with_momentum(
    parameters: Params, grads: Params, v: Params, beta: float, learning_rate: float
) -> tuple[Params, Params]:
    """One step of gradient descent with momentum.

    v_dW[l] = beta * v_dW[l] + (1 - beta) * dW[l]
    W[l]    = W[l] - learning_rate * v_dW[l]
    """
    v = {key: beta * v[key] + (1 - beta) * grads[key] for key in v}
    parameters = {key: parameters[key] - learning_rate * v["d" + key] for key in _layers(parameters)}
    return parameters, v


def initialize_rmsprop(parameters: Params) -> Params:
    """s["dW" + l] and s["db" + l] are zeros shaped like W[l] and b[l]."""
    return _zeros_like(parameters)


def update_parameters_with_rmsprop(
    parameters: Params,
    grads: Params,
    s: Params,
    beta2: float,
    learning_rate: float,
    epsilon: float = 1e-8,
) -> tuple[Params, Params]:
    """One step of RMSprop.

    s_dW[l] = beta2 * s_dW[l] + (1 - beta2) * dW[l]**2
    W[l]    = W[l] - learning_rate * dW[l] / (sqrt(s_dW[l]) + epsilon)
    """
    s = {key: beta2 * s[key] + (1 - beta2) * grads[key] ** 2 for key in s}
    parameters = {
        key: parameters[key] - learning_rate * grads["d" + key] / (np.sqrt(s["d" + key]) + epsilon)
        for key in _layers(parameters)
    }
    return parameters, s


def initialize_adam(parameters: Params) -> tuple[Params, Params]:
    """v and s, both zeros shaped like the parameters."""
    return _zeros_like(parameters), _zeros_like(parameters)


def update_parameters_with_adam(
    parameters: Params,
    grads: Params,
    v: Params,
    s: Params,
    t: int,
    learning_rate: float = 0.01,
    beta1: float = 0.9,
    beta2: float = 0.999,
    epsilon: float = 1e-8,
) -> tuple[Params, Params, Params, Params, Params]:
    """One step of Adam; t counts the steps taken so far, from 1.

    v_dW[l] = beta1 * v_dW[l] + (1 - beta1) * dW[l]
    s_dW[l] = beta2 * s_dW[l] + (1 - beta2) * dW[l]**2
    v_corrected = v_dW[l] / (1 - beta1**t)
    s_corrected = s_dW[l] / (1 - beta2**t)
    W[l] = W[l] - learning_rate * v_corrected / (sqrt(s_corrected) + epsilon)

    Returns (parameters, v, s, v_corrected, s_corrected); v and s stay uncorrected.
    """
    v = {key: beta1 * v[key] + (1 - beta1) * grads[key] for key in v}
    s = {key: beta2 * s[key] + (1 - beta2) * grads[key] ** 2 for key in s}
    v_corrected = {key: v[key] / (1 - beta1**t) for key in v}
    s_corrected = {key: s[key] / (1 - beta2**t) for key in s}
    parameters = {
        key: parameters[key]
        - learning_rate * v_corrected["d" + key] / (np.sqrt(s_corrected["d" + key]) + epsilon)
        for key in _layers(parameters)
    }
    return parameters, v, s, v_corrected, s_corrected


def update_lr(learning_rate0: float, epoch_num: int, decay_rate: float) -> float:
    """Inverse-time decay: learning_rate = learning_rate0 / (1 + decay_rate * epoch_num)."""
    return learning_rate0 / (1 + decay_rate * epoch_num)


def schedule_lr_decay(
    learning_rate0: float, epoch_num: int, decay_rate: float, time_interval: int = 1000
) -> float:
    """Decay in steps: learning_rate0 / (1 + decay_rate * floor(epoch_num / time_interval))."""
    return learning_rate0 / (1 + decay_rate * math.floor(epoch_num / time_interval))
