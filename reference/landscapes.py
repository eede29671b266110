"""Two-dimensional loss surfaces, and the path an optimizer takes across them.

A point w = (w0, w1) is packed as the parameters of a one-unit "network",
``{"W1": [[w0]], "b1": [[w1]]}``, and moved by the step functions of
:data:`reference.networks.OPTIMIZERS`: the pictures show the graded update rules themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from reference.networks import DEFAULT_HYPER, OPTIMIZERS

Gradient = Callable[[np.ndarray], np.ndarray]


def ravine(w: np.ndarray, a: float = 1.0, b: float = 20.0) -> float:
    """An elongated bowl: J(w) = (a w0^2 + b w1^2) / 2, steep along w1 when b >> a.

    Args:
        w: the point (w0, w1).
        a: the curvature along w0 (default 1.0).
        b: the curvature along w1 (default 20.0).

    Returns:
        J(w), a float; the minimum is J(0, 0) = 0.
    """
    return 0.5 * (a * w[0] ** 2 + b * w[1] ** 2)


def ravine_gradient(w: np.ndarray, a: float = 1.0, b: float = 20.0) -> np.ndarray:
    """dJ/dw = (a w0, b w1): the gradient of :func:`ravine`, with its a and b and defaults.

    Returns:
        The gradient at w, shape (2,), float64.
    """
    return np.array([a * w[0], b * w[1]], dtype=np.float64)


def rosenbrock(w: np.ndarray, a: float = 1.0, b: float = 100.0) -> float:
    """Rosenbrock's banana valley: J(w) = (a - w0)^2 + b (w1 - w0^2)^2, minimum at (a, a^2).

    Args:
        w: the point (w0, w1).
        a: where the minimum is (default 1.0).
        b: how steep the valley's walls are (default 100.0).

    Returns:
        J(w), a float; the minimum is J(a, a^2) = 0.
    """
    return (a - w[0]) ** 2 + b * (w[1] - w[0] ** 2) ** 2


def rosenbrock_gradient(w: np.ndarray, a: float = 1.0, b: float = 100.0) -> np.ndarray:
    """dJ/dw0 = -2 (a - w0) - 4 b w0 (w1 - w0^2),   dJ/dw1 = 2 b (w1 - w0^2): the gradient of
    :func:`rosenbrock`, with its a and b and defaults.

    Returns:
        The gradient at w, shape (2,), float64.
    """
    return np.array(
        [-2.0 * (a - w[0]) - 4.0 * b * w[0] * (w[1] - w[0] ** 2), 2.0 * b * (w[1] - w[0] ** 2)],
        dtype=np.float64,
    )


#: name -> (J, dJ/dw) with the default shape constants.
LANDSCAPES: dict[str, tuple[Callable[[np.ndarray], float], Gradient]] = {
    "ravine": (ravine, ravine_gradient),
    "rosenbrock": (rosenbrock, rosenbrock_gradient),
}


def trajectory(
    landscape: str | Gradient,
    optimizer: str,
    start: Sequence[float],
    steps: int,
    learning_rate: float = 0.01,
    **hyper: float,
) -> np.ndarray:
    """The path ``optimizer`` takes across a landscape.

    Algorithm::

        w_0 = start
        for t = 1 .. steps:  w_t = one step of ``optimizer`` from w_{t-1} with dJ/dw(w_{t-1})

    Args:
        landscape: a name in :data:`LANDSCAPES`, or any gradient function of w (for instance
            ``functools.partial(ravine_gradient, b=50)``).
        optimizer: "gd", "momentum", "rmsprop" or "adam" (:data:`reference.networks.OPTIMIZERS`).
        start: the first point w_0.
        steps: how many steps to take.
        learning_rate: the step size (default 0.01).
        hyper: beta, beta1, beta2 and epsilon, each defaulting to
            :data:`reference.networks.DEFAULT_HYPER` (0.9, 0.9, 0.999, 1e-8).

    Returns:
        The points w_0, w_1, ..., w_steps, shape (steps + 1, 2), float64.
    """
    gradient = LANDSCAPES[landscape][1] if isinstance(landscape, str) else landscape
    init, step = OPTIMIZERS[optimizer]
    hyper = {**DEFAULT_HYPER, **hyper}
    w = np.asarray(start, dtype=np.float64)
    parameters = {"W1": w[0].reshape(1, 1), "b1": w[1].reshape(1, 1)}
    state = init(parameters)
    path = [w]
    for t in range(1, steps + 1):
        dw = gradient(w).reshape(2, 1, 1)
        parameters, state = step(
            parameters, {"dW1": dw[0], "db1": dw[1]}, state, t, learning_rate, **hyper
        )
        w = np.array([parameters["W1"][0, 0], parameters["b1"][0, 0]])
        path.append(w)
    return np.stack(path)
