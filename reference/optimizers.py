"""Gradient descent and its refinements, one update rule per function.

Notation: ``parameters`` holds ``W1, b1, ..., WL, bL``; ``grads``, ``v`` and ``s`` hold the
matching ``dW1, db1, ...``. Every function returns new dicts and leaves its inputs untouched.
Each docstring gives the rule as an algorithm box, for every parameter of every layer
(written for W; b is updated the same way with db), then each argument with its default.

The defaults below are the one place they are written: the signatures here,
:func:`reference.networks.train` and :func:`reference.landscapes.trajectory` take them from here.
"""

from __future__ import annotations

import math

import numpy as np

Params = dict[str, np.ndarray]

#: The decay of momentum's velocity: v averages about the last 1 / (1 - BETA) = 10 gradients.
#: The graded update takes beta without a default; training and the pictures use this one.
BETA = 0.9
#: Adam's decay of its first moment v, and RMSprop's and Adam's of the second moment s.
BETA1 = 0.9
BETA2 = 0.999
#: What keeps the step finite where s is zero.
EPSILON = 1e-8
#: Adam's learning rate when none is given.
ADAM_LEARNING_RATE = 0.01
#: Examples per mini-batch: a power of 2, as the course recommends.
MINI_BATCH_SIZE = 64
#: Epochs between two decays of schedule_lr_decay.
TIME_INTERVAL = 1000


def _layers(parameters: Params) -> list[str]:
    """The parameter keys ``W1, b1, ..., WL, bL`` in layer order."""
    L = len(parameters) // 2
    return [f"{kind}{l}" for l in range(1, L + 1) for kind in ("W", "b")]


def _zeros_like(parameters: Params) -> Params:
    return {"d" + key: np.zeros_like(parameters[key], dtype=np.float64)
            for key in _layers(parameters)}


def update_parameters_with_gd(parameters: Params, grads: Params, learning_rate: float) -> Params:
    """One step of (batch, mini-batch or stochastic) gradient descent.

    Algorithm, for l = 1 .. L::

        W[l] = W[l] - learning_rate * dW[l]
        b[l] = b[l] - learning_rate * db[l]

    Args:
        parameters: W1, b1, ..., WL, bL.
        grads: dW1, db1, ..., dWL, dbL, the gradients of the cost at ``parameters``.
        learning_rate: the step size alpha (no default).

    Returns:
        The updated parameters.
    """
    return {key: parameters[key] - learning_rate * grads["d" + key] for key in _layers(parameters)}


def random_mini_batches(
    X: np.ndarray, Y: np.ndarray, mini_batch_size: int = MINI_BATCH_SIZE, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Shuffle the m examples (columns) of X and Y with one permutation, then cut them.

    Algorithm::

        p = a random permutation of 0 .. m-1 (from seed)
        X, Y = X[:, p], Y[:, p]
        batches k = 0 .. floor(m / size) - 1: columns k * size .. (k + 1) * size - 1
        then, if m % size != 0, one last batch of the m % size remaining columns

    Args:
        X: the inputs, shape (n_x, m), one example per column.
        Y: the labels, shape (1, m).
        mini_batch_size: examples per batch (default 64).
        seed: the seed of the shuffle; the same seed gives the same batches (default 0).

    Returns:
        The list of (X_batch, Y_batch) pairs, in order.
    """
    m = X.shape[1]
    permutation = np.random.default_rng(seed).permutation(m)
    X_shuffled, Y_shuffled = X[:, permutation], Y[:, permutation]
    return [
        (X_shuffled[:, start : start + mini_batch_size],
         Y_shuffled[:, start : start + mini_batch_size])
        for start in range(0, m, mini_batch_size)
    ]


def initialize_velocity(parameters: Params) -> Params:
    """Momentum's velocity before the first step.

    Args:
        parameters: W1, b1, ..., WL, bL.

    Returns:
        v: v["dW" + l] and v["db" + l], float64 zeros shaped like W[l] and b[l].
    """
    return _zeros_like(parameters)


def update_parameters_with_momentum(
    parameters: Params, grads: Params, v: Params, beta: float, learning_rate: float
) -> tuple[Params, Params]:
    """One step of gradient descent with momentum.

    Algorithm, for l = 1 .. L::

        v_dW[l] = beta * v_dW[l] + (1 - beta) * dW[l]
        W[l]    = W[l] - learning_rate * v_dW[l]

    Args:
        parameters: W1, b1, ..., WL, bL.
        grads: dW1, db1, ..., the gradients at ``parameters``.
        v: the velocity, an exponentially weighted average of past gradients (zeros at first).
        beta: the velocity's decay, in [0, 1); 0 is plain gradient descent (no default; the
            course uses 0.9).
        learning_rate: the step size alpha (no default).

    Returns:
        (parameters, v): the updated parameters and velocity.
    """
    v = {key: beta * v[key] + (1 - beta) * grads[key] for key in v}
    parameters = {key: parameters[key] - learning_rate * v["d" + key]
                  for key in _layers(parameters)}
    return parameters, v


def initialize_rmsprop(parameters: Params) -> Params:
    """RMSprop's squared averages before the first step.

    Args:
        parameters: W1, b1, ..., WL, bL.

    Returns:
        s: s["dW" + l] and s["db" + l], float64 zeros shaped like W[l] and b[l].
    """
    return _zeros_like(parameters)


def update_parameters_with_rmsprop(
    parameters: Params,
    grads: Params,
    s: Params,
    beta2: float,
    learning_rate: float,
    epsilon: float = EPSILON,
) -> tuple[Params, Params]:
    """One step of RMSprop.

    Algorithm, for l = 1 .. L::

        s_dW[l] = beta2 * s_dW[l] + (1 - beta2) * dW[l]**2
        W[l]    = W[l] - learning_rate * dW[l] / (sqrt(s_dW[l]) + epsilon)

    Args:
        parameters: W1, b1, ..., WL, bL.
        grads: dW1, db1, ..., the gradients at ``parameters``.
        s: the exponentially weighted average of past squared gradients (zeros at first).
        beta2: the decay of s, in [0, 1) (no default; the course uses 0.999).
        learning_rate: the step size alpha (no default).
        epsilon: added to the square root, outside it, so the step stays finite where s is 0
            (default 1e-8).

    Returns:
        (parameters, s): the updated parameters and squared averages.
    """
    s = {key: beta2 * s[key] + (1 - beta2) * grads[key] ** 2 for key in s}
    parameters = {
        key: parameters[key] - learning_rate * grads["d" + key] / (np.sqrt(s["d" + key]) + epsilon)
        for key in _layers(parameters)
    }
    return parameters, s


def initialize_adam(parameters: Params) -> tuple[Params, Params]:
    """Adam's two moments before the first step.

    Args:
        parameters: W1, b1, ..., WL, bL.

    Returns:
        (v, s): two distinct dicts of float64 zeros shaped like the parameters.
    """
    return _zeros_like(parameters), _zeros_like(parameters)


def update_parameters_with_adam(
    parameters: Params,
    grads: Params,
    v: Params,
    s: Params,
    t: int,
    learning_rate: float = ADAM_LEARNING_RATE,
    beta1: float = BETA1,
    beta2: float = BETA2,
    epsilon: float = EPSILON,
) -> tuple[Params, Params, Params, Params, Params]:
    """One step of Adam (Kingma & Ba, 2015).

    Algorithm, for l = 1 .. L::

        v_dW[l] = beta1 * v_dW[l] + (1 - beta1) * dW[l]
        s_dW[l] = beta2 * s_dW[l] + (1 - beta2) * dW[l]**2
        v_corrected = v_dW[l] / (1 - beta1**t)
        s_corrected = s_dW[l] / (1 - beta2**t)
        W[l] = W[l] - learning_rate * v_corrected / (sqrt(s_corrected) + epsilon)

    Args:
        parameters: W1, b1, ..., WL, bL.
        grads: dW1, db1, ..., the gradients at ``parameters``.
        v: the first moment, the average of past gradients (zeros at first).
        s: the second moment, the average of past squared gradients (zeros at first).
        t: the number of this step, counting from 1: the bias correction divides by 1 - beta**t.
        learning_rate: the step size alpha (default 0.01).
        beta1: the decay of v, in [0, 1) (default 0.9).
        beta2: the decay of s, in [0, 1) (default 0.999).
        epsilon: added to the square root, outside it, so the step stays finite where s is 0
            (default 1e-8).

    Returns:
        (parameters, v, s, v_corrected, s_corrected): v and s stay uncorrected, for the next
        step; the corrected moments are the ones the step used.
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
    """Inverse-time decay, every epoch.

    Algorithm::

        learning_rate = learning_rate0 / (1 + decay_rate * epoch_num)

    Args:
        learning_rate0: the rate at epoch 0 (no default).
        epoch_num: the epoch, from 0 (no default).
        decay_rate: how fast the rate falls: it halves by epoch 1 / decay_rate (no default).

    Returns:
        The learning rate of epoch ``epoch_num``.
    """
    return learning_rate0 / (1 + decay_rate * epoch_num)


def schedule_lr_decay(
    learning_rate0: float, epoch_num: int, decay_rate: float, time_interval: int = TIME_INTERVAL
) -> float:
    """Inverse-time decay in steps: the rate stays constant within each interval.

    Algorithm::

        learning_rate = learning_rate0 / (1 + decay_rate * floor(epoch_num / time_interval))

    Args:
        learning_rate0: the rate of the first interval (no default).
        epoch_num: the epoch, from 0 (no default).
        decay_rate: how fast the rate falls, per interval (no default).
        time_interval: epochs per interval (default 1000).

    Returns:
        The learning rate of epoch ``epoch_num``.
    """
    return learning_rate0 / (1 + decay_rate * math.floor(epoch_num / time_interval))
