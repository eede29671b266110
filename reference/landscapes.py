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
    """An elongated bowl: J(w) = (a w0^2 + b w1^2) / 2, steep along w1 when b >> a."""
    return 0.5 * (a * w[0] ** 2 + b * w[1] ** 2)


def ravine_gradient(w: np.ndarray, a: float = 1.0, b: float = 20.0) -> np.ndarray:
    """dJ/dw = (a w0, b w1)."""
    return np.array([a * w[0], b * w[1]], dtype=np.float64)


def rosenbrock(w: np.ndarray, a: float = 1.0, b: float = 100.0) -> float:
    """Rosenbrock's banana valley: J(w) = (a - w0)^2 + b (w1 - w0^2)^2, minimum at (a, a^2)."""
    return (a - w[0]) ** 2 + b * (w[1] - w[0] ** 2) ** 2


def rosenbrock_gradient(w: np.ndarray, a: float = 1.0, b: float = 100.0) -> np.ndarray:
    """dJ/dw0 = -2 (a - w0) - 4 b w0 (w1 - w0^2),   dJ/dw1 = 2 b (w1 - w0^2)."""
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
    """The points w_0 = start, w_1, ..., w_steps visited by ``optimizer``; shape (steps + 1, 2).

    ``landscape`` is a name in :data:`LANDSCAPES` or any gradient function of w (for instance
    ``functools.partial(ravine_gradient, b=50)``). ``hyper`` overrides beta, beta1, beta2 and
    epsilon (defaults :data:`reference.networks.DEFAULT_HYPER`); step t counts from 1.
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
