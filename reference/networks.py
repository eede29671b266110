"""An L-layer fully connected binary classifier, and the loop that trains it.

Layer l computes Z[l] = W[l] A[l-1] + b[l] and A[l] = g(Z[l]), with A[0] = X, g = ReLU or tanh
for l < L and the sigmoid for the output layer L. The optimizers of
:mod:`reference.optimizers` are looked up by name in :data:`OPTIMIZERS`, each an
``(init, step)`` pair over a named state (as optax's optimizers), so the training loop and
:mod:`reference.landscapes` run the very same update code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from reference import optimizers
from reference.initializers import ACTIVATIONS, initialize

Params = dict[str, np.ndarray]
#: One layer's cache: (A[l-1], W[l], Z[l], A[l]).
Cache = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]

#: The course's learning rate for the two-moons network (:mod:`reference.tour`).
LEARNING_RATE = 0.0007


class GDState(NamedTuple):
    """Gradient descent keeps nothing between steps."""


class MomentumState(NamedTuple):
    v: Params  # the velocity


class RMSpropState(NamedTuple):
    s: Params  # the average of the squared gradients


class AdamState(NamedTuple):
    v: Params  # the first moment, uncorrected
    s: Params  # the second moment, uncorrected


State = GDState | MomentumState | RMSpropState | AdamState

#: g'(Z) for each hidden activation, written with Z and A = g(Z) to reuse the forward pass.
DERIVATIVES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "relu": lambda Z, A: (Z > 0).astype(np.float64),
    "tanh": lambda Z, A: 1.0 - A**2,
}


def sigmoid(Z: np.ndarray) -> np.ndarray:
    """sigma(z) = 1 / (1 + exp(-z)), evaluated without overflow for large |z|."""
    E = np.exp(-np.abs(Z))
    return np.where(Z >= 0, 1.0 / (1.0 + E), E / (1.0 + E))


def forward(
    X: np.ndarray, parameters: Params, hidden: str = "relu"
) -> tuple[np.ndarray, list[Cache]]:
    """A[L] for the examples X, and one cache (A[l-1], W[l], Z[l], A[l]) per layer l = 1..L."""
    L = len(parameters) // 2
    A = np.asarray(X, dtype=np.float64)
    caches = []
    for l in range(1, L + 1):
        W = parameters[f"W{l}"]
        Z = W @ A + parameters[f"b{l}"]
        A_next = sigmoid(Z) if l == L else ACTIVATIONS[hidden](Z)
        caches.append((A, W, Z, A_next))
        A = A_next
    return A, caches


def cost(AL: np.ndarray, Y: np.ndarray) -> float:
    """Cross-entropy J = -(1/m) sum_i [y_i log a_i + (1 - y_i) log(1 - a_i)].

    AL is clipped to [1e-15, 1 - 1e-15] first, so a saturated output gives a large finite cost.
    """
    A = np.clip(AL, 1e-15, 1.0 - 1e-15)
    return float(-np.mean(Y * np.log(A) + (1.0 - Y) * np.log(1.0 - A)))


def backward(AL: np.ndarray, Y: np.ndarray, caches: list[Cache], hidden: str = "relu") -> Params:
    """Gradients of :func:`cost` with respect to every W[l] and b[l].

    dZ[L] = A[L] - Y                       (sigmoid and cross-entropy together)
    dW[l] = (1/m) dZ[l] A[l-1]^T,   db[l] = (1/m) sum over examples of dZ[l]
    dZ[l-1] = (W[l]^T dZ[l]) * g'(Z[l-1])
    """
    m = Y.shape[1]
    L = len(caches)
    grads: Params = {}
    dZ = AL - Y
    for l in range(L, 0, -1):
        A_prev, W, _, _ = caches[l - 1]
        grads[f"dW{l}"] = dZ @ A_prev.T / m
        grads[f"db{l}"] = np.sum(dZ, axis=1, keepdims=True) / m
        if l > 1:
            _, _, Z_prev, A_prev_out = caches[l - 2]
            dZ = (W.T @ dZ) * DERIVATIVES[hidden](Z_prev, A_prev_out)
    return grads


def predict(X: np.ndarray, parameters: Params, hidden: str = "relu") -> np.ndarray:
    """y_hat = 1 where A[L] > 1/2, else 0; shape (1, m), float64."""
    AL, _ = forward(X, parameters, hidden)
    return (AL > 0.5).astype(np.float64)


def accuracy(X: np.ndarray, Y: np.ndarray, parameters: Params, hidden: str = "relu") -> float:
    """The fraction of examples whose prediction equals the label."""
    return float(np.mean(predict(X, parameters, hidden) == Y))


# --- optimizers as data -------------------------------------------------------------------------
# step(parameters, grads, state, t, learning_rate, **hyper) -> (parameters, state); each step
# takes the hyperparameters it needs by name and ignores the rest. t counts updates from 1.


def _gd_step(
    parameters: Params, grads: Params, state: GDState, t: int, learning_rate: float, **_: float
) -> tuple[Params, GDState]:
    return optimizers.update_parameters_with_gd(parameters, grads, learning_rate), state


def _momentum_step(
    parameters: Params,
    grads: Params,
    state: MomentumState,
    t: int,
    learning_rate: float,
    *,
    beta: float,
    **_: float,
) -> tuple[Params, MomentumState]:
    parameters, v = optimizers.update_parameters_with_momentum(
        parameters, grads, state.v, beta, learning_rate
    )
    return parameters, MomentumState(v)


def _rmsprop_step(
    parameters: Params,
    grads: Params,
    state: RMSpropState,
    t: int,
    learning_rate: float,
    *,
    beta2: float,
    epsilon: float,
    **_: float,
) -> tuple[Params, RMSpropState]:
    parameters, s = optimizers.update_parameters_with_rmsprop(
        parameters, grads, state.s, beta2, learning_rate, epsilon
    )
    return parameters, RMSpropState(s)


def _adam_step(
    parameters: Params,
    grads: Params,
    state: AdamState,
    t: int,
    learning_rate: float,
    *,
    beta1: float,
    beta2: float,
    epsilon: float,
    **_: float,
) -> tuple[Params, AdamState]:
    parameters, v, s, _, _ = optimizers.update_parameters_with_adam(
        parameters, grads, state.v, state.s, t, learning_rate, beta1, beta2, epsilon
    )
    return parameters, AdamState(v, s)


#: name -> (init(parameters) -> state, step).
OPTIMIZERS: dict[str, tuple[Callable[[Params], State], Callable[..., tuple[Params, State]]]] = {
    "gd": (lambda parameters: GDState(), _gd_step),
    "momentum": (lambda parameters: MomentumState(optimizers.initialize_velocity(parameters)),
                 _momentum_step),
    "rmsprop": (lambda parameters: RMSpropState(optimizers.initialize_rmsprop(parameters)),
                _rmsprop_step),
    "adam": (lambda parameters: AdamState(*optimizers.initialize_adam(parameters)), _adam_step),
}

#: Hyperparameter defaults shared by :func:`train` and :func:`reference.landscapes.trajectory`,
#: those of :mod:`reference.optimizers`.
DEFAULT_HYPER: dict[str, float] = {"beta": optimizers.BETA, "beta1": optimizers.BETA1,
                                   "beta2": optimizers.BETA2, "epsilon": optimizers.EPSILON}


def train(
    X: np.ndarray,
    Y: np.ndarray,
    layers_dims: Sequence[int],
    optimizer: str = "gd",
    learning_rate: float = LEARNING_RATE,
    mini_batch_size: int = optimizers.MINI_BATCH_SIZE,
    num_epochs: int = 5000,
    beta: float = optimizers.BETA,
    beta1: float = optimizers.BETA1,
    beta2: float = optimizers.BETA2,
    epsilon: float = optimizers.EPSILON,
    decay: Callable[[float, int], float] | None = None,
    seed: int = 0,
    initializer: str = "he",
    hidden: str = "relu",
) -> tuple[Params, np.ndarray]:
    """Mini-batch training of the network ``layers_dims`` on (X, Y).

    Algorithm::

        parameters = initialize(layers_dims, initializer, default_rng(seed));  t = 0
        for epoch e = 0 .. num_epochs - 1:
            rate = learning_rate, or decay(learning_rate, e)
            for (X_b, Y_b) in random_mini_batches(X, Y, mini_batch_size, seed + 1 + e):
                t = t + 1;  one step of ``optimizer`` on the gradients of the cost of (X_b, Y_b)

    Args:
        X, Y: the examples, shapes (n_x, m) and (1, m).
        layers_dims: the widths [n_x, n_1, ..., 1].
        optimizer: "gd", "momentum", "rmsprop" or "adam", a key of OPTIMIZERS (default "gd").
        learning_rate: the step size (default 0.0007, the course's for two moons).
        mini_batch_size: examples per batch (default 64).
        num_epochs: passes over the examples (default 5000).
        beta: momentum's decay of v (default 0.9).
        beta1: Adam's decay of v (default 0.9).
        beta2: the decay of s, RMSprop's and Adam's (default 0.999).
        epsilon: RMSprop's and Adam's term outside the square root (default 1e-8).
        decay: the rate of epoch e as decay(learning_rate, e), e.g.
            ``functools.partial(schedule_lr_decay, decay_rate=1)`` (default None: constant).
        seed: the seed of the initialization and of every epoch's shuffle (default 0).
        initializer: a rule of :func:`reference.initializers.initialize` (default "he").
        hidden: the hidden layers' activation, "relu" or "tanh" (default "relu").

    Returns:
        (parameters, costs): the final parameters, and the cost of every epoch, the mean over
        its examples of the cross-entropy measured during the epoch (before each batch's update).
    """
    init, step = OPTIMIZERS[optimizer]
    hyper = {"beta": beta, "beta1": beta1, "beta2": beta2, "epsilon": epsilon}
    parameters = initialize(layers_dims, initializer, np.random.default_rng(seed))
    state = init(parameters)
    m = X.shape[1]
    t = 0
    costs = np.empty(num_epochs)
    for epoch in range(num_epochs):
        rate = learning_rate if decay is None else decay(learning_rate, epoch)
        total = 0.0
        for X_b, Y_b in optimizers.random_mini_batches(X, Y, mini_batch_size, seed + 1 + epoch):
            AL, caches = forward(X_b, parameters, hidden)
            total += cost(AL, Y_b) * Y_b.shape[1]
            t += 1
            grads = backward(AL, Y_b, caches, hidden)
            parameters, state = step(parameters, grads, state, t, rate, **hyper)
        costs[epoch] = total / m
    return parameters, costs


def scaled_identity_activations(x: np.ndarray, scale: float, L: int) -> list[np.ndarray]:
    """a[1], ..., a[L] of a deep linear network whose every W[l] = scale * I and b[l] = 0.

    a[l] = scale^l x, so a scale of 1.5 explodes (1.5^50 ~ 6e8) and 0.5 vanishes (0.5^50 ~ 9e-16).
    """
    a = np.asarray(x, dtype=np.float64)
    W = scale * np.eye(a.shape[0])
    activations = []
    for _ in range(L):
        a = W @ a
        activations.append(a)
    return activations
