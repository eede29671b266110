"""Demo machinery for the optimization notebook (nothing here is graded).

Each demo takes your own functions from the notebook and runs them on a small problem: a ravine,
a noisy regression, a three-layer network on two moons. If one of your functions is not written
yet, the demo says so instead of failing. Plots need matplotlib; without it you get the table only.
"""

from __future__ import annotations

import itertools
import time

import numpy as np
from demo_support import demo, print_table, pyplot, snapshot, student

Arrays = dict[str, np.ndarray]


# ---------------------------------------------------------------------------------------------
# Optimizers as (state, step) pairs built from the student's functions


def _optimizers(gd, velocity, momentum, rmsprop_state, rmsprop, adam_state, adam) -> dict:
    """Name -> (make_state(params), step(params, grads, state, step_number, lr) ->
    (params, state))."""

    def gd_step(params, grads, state, _, lr):
        return student(gd, params, grads, lr), state

    def momentum_step(params, grads, state, _, lr):
        return student(momentum, params, grads, state, 0.9, lr)

    def rmsprop_step(params, grads, state, _, lr):
        return student(rmsprop, params, grads, state, 0.9, lr)

    def adam_step(params, grads, state, step_number, lr):
        first, second = state
        new_params, first, second, *_ = student(adam, params, grads, first, second, step_number, lr)
        return new_params, (first, second)

    return {
        "gd": (lambda params: None, gd_step),
        "momentum": (lambda params: student(velocity, params), momentum_step),
        "rmsprop": (lambda params: student(rmsprop_state, params), rmsprop_step),
        "adam": (lambda params: student(adam_state, params), adam_step),
    }


# ---------------------------------------------------------------------------------------------
# Demo 1: a ravine

#: Curvature along x and along y: the surface is 50 times steeper across the ravine than along it.
RAVINE_CURVATURE = (0.5, 25.0)
RAVINE_START = (-7.0, 2.0)
RAVINE_LEARNING_RATES = {"gd": 0.075, "momentum": 0.075, "rmsprop": 0.15, "adam": 0.3}


def ravine_height(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """f(x, y) = (c_x x^2 + c_y y^2) / 2, a long narrow valley along the x axis."""
    c_x, c_y = RAVINE_CURVATURE
    return 0.5 * (c_x * x**2 + c_y * y**2)


def _ravine_params(point: tuple[float, float]) -> Arrays:
    # The point (x, y) is stored as a 1-by-2 weight matrix; the bias stays zero.
    return {"W1": np.array([point], dtype=np.float64), "b1": np.zeros((1, 1))}


def _ravine_grads(params: Arrays) -> Arrays:
    slope = np.array([RAVINE_CURVATURE], dtype=np.float64) * params["W1"]
    return {"dW1": slope, "db1": np.zeros((1, 1))}


@demo
def ravine_race(
    update_parameters_with_gd,
    initialize_velocity,
    update_parameters_with_momentum,
    initialize_rmsprop,
    update_parameters_with_rmsprop,
    initialize_adam,
    update_parameters_with_adam,
    steps: int = 60,
) -> None:
    """Run your four optimizers on the ravine from the same start; draw their paths."""
    optimizers = _optimizers(
        update_parameters_with_gd,
        initialize_velocity,
        update_parameters_with_momentum,
        initialize_rmsprop,
        update_parameters_with_rmsprop,
        initialize_adam,
        update_parameters_with_adam,
    )
    paths = {}
    for name, (make_state, step) in optimizers.items():
        params = _ravine_params(RAVINE_START)
        state = make_state(params)
        path = [params["W1"][0].copy()]
        for step_number in range(1, steps + 1):
            params, state = step(
                params, _ravine_grads(params), state, step_number, RAVINE_LEARNING_RATES[name]
            )
            params = snapshot(params)
            path.append(params["W1"][0].copy())
        paths[name] = np.array(path)

    rows = []
    for name, path in paths.items():
        x, y = path[-1]
        rows.append(
            [name, RAVINE_LEARNING_RATES[name], float(x), float(y), float(ravine_height(x, y))]
        )
    print(f"{steps} steps from (x, y) = {RAVINE_START}; the minimum is at (0, 0)")
    print_table(["optimizer", "lr", "final x", "final y", "final f"], rows)

    plt = pyplot()
    if plt is None:
        return
    grid_x, grid_y = np.meshgrid(np.linspace(-8, 2, 200), np.linspace(-2.5, 2.5, 120))
    figure, axes = plt.subplots(2, 2, figsize=(10, 6), sharex=True, sharey=True)
    for axis, (name, path) in zip(axes.ravel(), paths.items()):
        axis.contour(
            grid_x, grid_y, ravine_height(grid_x, grid_y), levels=15, cmap="Greys", linewidths=0.7
        )
        axis.plot(path[:, 0], path[:, 1], ".-", color="tab:red", markersize=3, linewidth=1)
        axis.plot(0, 0, "k*", markersize=10)
        axis.set_title(f"{name} (lr {RAVINE_LEARNING_RATES[name]})")
    figure.suptitle("Paths on the ravine f = (0.5 x² + 25 y²) / 2")
    figure.tight_layout()
    plt.show()


# ---------------------------------------------------------------------------------------------
# Demo 2: how noisy are the updates of SGD, mini-batch and full-batch gradient descent?


def regression_data(m: int = 1024, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Y = [2, -1] X + 0.5 + noise, X of shape (2, m), Y of shape (1, m)."""
    generator = np.random.default_rng(seed)
    X = generator.standard_normal((2, m))
    Y = np.array([[2.0, -1.0]]) @ X + 0.5 + 0.5 * generator.standard_normal((1, m))
    return X, Y


def _regression_cost(params: Arrays, X: np.ndarray, Y: np.ndarray) -> float:
    residual = params["W1"] @ X + params["b1"] - Y
    return float(np.mean(residual**2) / 2)


def _regression_grads(params: Arrays, X: np.ndarray, Y: np.ndarray) -> Arrays:
    residual = params["W1"] @ X + params["b1"] - Y
    count = X.shape[1]
    return {"dW1": residual @ X.T / count, "db1": residual.sum(axis=1, keepdims=True) / count}


@demo
def batch_noise(
    random_mini_batches, update_parameters_with_gd, updates: int = 150, learning_rate: float = 0.05
) -> None:
    """Same number of updates with batches of 1, 64 and all m examples: path, cost and time."""
    X, Y = regression_data()
    m = X.shape[1]
    variants = {"stochastic (1)": 1, "mini-batch (64)": 64, f"full batch ({m})": m}
    results = {}
    for label, size in variants.items():
        params = {"W1": np.array([[-1.0, 1.5]]), "b1": np.zeros((1, 1))}
        path, costs, epoch = [params["W1"][0].copy()], [_regression_cost(params, X, Y)], 0
        started = time.perf_counter()
        while len(costs) <= updates:
            batches = student(random_mini_batches, X, Y, size, epoch)
            epoch += 1
            for X_batch, Y_batch in batches[: updates + 1 - len(costs)]:
                grads = _regression_grads(params, X_batch, Y_batch)
                params = snapshot(student(update_parameters_with_gd, params, grads, learning_rate))
                path.append(params["W1"][0].copy())
                costs.append(_regression_cost(params, X, Y))
        elapsed = time.perf_counter() - started
        results[label] = (np.array(path), np.array(costs), elapsed, size)

    rows = [
        [label, size * updates, 1e3 * elapsed, costs[-1], float(np.std(np.diff(costs[-30:])))]
        for label, (_, costs, elapsed, size) in results.items()
    ]
    print(f"{updates} updates of gradient descent, learning rate {learning_rate}, on {m} examples")
    print_table(["variant", "examples used", "time (ms)", "final cost", "cost jitter"], rows)

    plt = pyplot()
    if plt is None:
        return
    figure, (paths_axis, cost_axis) = plt.subplots(1, 2, figsize=(11, 4.2))
    grid_a, grid_b = np.meshgrid(np.linspace(-1.5, 3, 120), np.linspace(-2, 2, 100))
    centred = Y - Y.mean()
    heights = np.zeros_like(grid_a)
    for i in range(grid_a.shape[0]):
        weights = np.stack([grid_a[i], grid_b[i]], axis=1)
        heights[i] = (
            np.mean((weights @ (X - X.mean(axis=1, keepdims=True)) - centred) ** 2, axis=1) / 2
        )
    paths_axis.contour(grid_a, grid_b, heights, levels=20, cmap="Greys", linewidths=0.6)
    for label, (path, costs, _, _) in results.items():
        paths_axis.plot(path[:, 0], path[:, 1], ".-", markersize=2, linewidth=0.8, label=label)
        cost_axis.plot(costs, linewidth=1, label=label)
    paths_axis.set_xlabel("w1")
    paths_axis.set_ylabel("w2")
    paths_axis.set_title("path of the two weights")
    paths_axis.legend(fontsize=8)
    cost_axis.set_yscale("log")
    cost_axis.set_xlabel("update")
    cost_axis.set_ylabel("cost on all m examples")
    cost_axis.set_title("cost after each update")
    figure.tight_layout()
    plt.show()


# ---------------------------------------------------------------------------------------------
# Demo 3: learning-rate schedules


@demo
def schedules(
    update_lr, schedule_lr_decay, learning_rate0: float = 0.1, epochs: int = 3000
) -> None:
    """Draw both decay rules over the epochs."""
    epoch_numbers = np.arange(epochs)
    smooth = np.array([student(update_lr, learning_rate0, int(e), 0.01) for e in epoch_numbers])
    stepped = np.array(
        [student(schedule_lr_decay, learning_rate0, int(e), 1.0, 500) for e in epoch_numbers]
    )
    shown = [0, 1, 10, 100, 499, 500, 1000, epochs - 1]
    print_table(
        ["epoch", "update_lr (decay 0.01)", "schedule_lr_decay (decay 1, every 500)"],
        [[e, float(smooth[e]), float(stepped[e])] for e in shown],
    )
    plt = pyplot()
    if plt is None:
        return
    figure, axis = plt.subplots(figsize=(7, 3.5))
    axis.plot(epoch_numbers, smooth, label="update_lr, decay_rate 0.01")
    axis.plot(epoch_numbers, stepped, label="schedule_lr_decay, decay_rate 1, every 500")
    axis.set_xlabel("epoch")
    axis.set_ylabel("learning rate")
    axis.legend()
    figure.tight_layout()
    plt.show()


# ---------------------------------------------------------------------------------------------
# Demo 4: a three-layer network on two moons


def two_moons(m: int = 300, noise: float = 0.2, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles; X of shape (2, m), labels Y of shape (1, m)."""
    generator = np.random.default_rng(seed)
    label = np.arange(m) % 2
    angle = generator.uniform(0.0, np.pi, m)
    upper = np.stack([np.cos(angle), np.sin(angle)])
    lower = np.stack([1.0 - np.cos(angle), 0.5 - np.sin(angle)])
    X = np.where(label == 0, upper, lower) + noise * generator.standard_normal((2, m))
    return X, label[np.newaxis, :].astype(np.float64)


MOONS_LAYERS = (2, 5, 2, 1)
MOONS_LEARNING_RATES = {"gd": 0.1, "momentum": 0.1, "rmsprop": 0.01, "adam": 0.01}


def _moons_network(seed: int = 2) -> Arrays:
    """He-scaled random weights for MOONS_LAYERS, the same for every optimizer."""
    generator = np.random.default_rng(seed)
    params = {}
    for index, (fan_in, fan_out) in enumerate(itertools.pairwise(MOONS_LAYERS), start=1):
        params[f"W{index}"] = generator.standard_normal((fan_out, fan_in)) * np.sqrt(2.0 / fan_in)
        params[f"b{index}"] = np.zeros((fan_out, 1))
    return params


def _activations(params: Arrays, X: np.ndarray) -> list[np.ndarray]:
    """[a0, a1, ..., aL]: ReLU hidden layers, a sigmoid unit on top."""
    depth = len(MOONS_LAYERS) - 1
    outputs = [X]
    for index in range(1, depth + 1):
        z = params[f"W{index}"] @ outputs[-1] + params[f"b{index}"]
        outputs.append(1.0 / (1.0 + np.exp(-z)) if index == depth else np.maximum(z, 0.0))
    return outputs


def _network_grads(params: Arrays, X: np.ndarray, Y: np.ndarray) -> Arrays:
    """Gradients of the mean cross-entropy, by backpropagation."""
    outputs = _activations(params, X)
    delta = (outputs[-1] - Y) / X.shape[1]
    grads = {}
    for index in range(len(outputs) - 1, 0, -1):
        grads[f"dW{index}"] = delta @ outputs[index - 1].T
        grads[f"db{index}"] = np.sum(delta, axis=1, keepdims=True)
        delta = (params[f"W{index}"].T @ delta) * (outputs[index - 1] > 0)
    return grads


def _accuracy(params: Arrays, X: np.ndarray, Y: np.ndarray) -> float:
    return float(np.mean((_activations(params, X)[-1] > 0.5) == (Y > 0.5)))


def _train(make_state, step, X, Y, lr0, epochs, decay) -> Arrays:
    params = _moons_network()
    state = make_state(params)
    step_number = 0
    for epoch in range(epochs):
        lr = decay(lr0, epoch)
        for X_batch, Y_batch in _shuffled_batches(X, Y, 64, epoch):
            step_number += 1
            params, state = step(
                params, _network_grads(params, X_batch, Y_batch), state, step_number, lr
            )
            params = snapshot(params)
    return params


def _shuffled_batches(X, Y, size, seed):
    order = np.random.default_rng(1000 + seed).permutation(X.shape[1])
    return [
        (X[:, order[i : i + size]], Y[:, order[i : i + size]]) for i in range(0, X.shape[1], size)
    ]


@demo
def moons_race(
    update_parameters_with_gd,
    initialize_velocity,
    update_parameters_with_momentum,
    initialize_rmsprop,
    update_parameters_with_rmsprop,
    initialize_adam,
    update_parameters_with_adam,
    schedule_lr_decay,
    epochs: int = 400,
) -> None:
    """Train the same network with each optimizer, with and without learning-rate decay."""
    X, Y = two_moons()
    optimizers = _optimizers(
        update_parameters_with_gd,
        initialize_velocity,
        update_parameters_with_momentum,
        initialize_rmsprop,
        update_parameters_with_rmsprop,
        initialize_adam,
        update_parameters_with_adam,
    )
    student(schedule_lr_decay, 0.1, 0, 1.0, 100)  # fail early, before any training, if missing
    decays = {
        "constant": lambda lr0, epoch: lr0,
        "decay": lambda lr0, epoch: student(schedule_lr_decay, lr0, epoch, 1.0, 100),
    }
    trained, rows = {}, []
    for decay_name, decay in decays.items():
        for name, (make_state, step) in optimizers.items():
            started = time.perf_counter()
            params = _train(make_state, step, X, Y, MOONS_LEARNING_RATES[name], epochs, decay)
            trained[name, decay_name] = params
            rows.append(
                [
                    name,
                    decay_name,
                    MOONS_LEARNING_RATES[name],
                    100 * _accuracy(params, X, Y),
                    time.perf_counter() - started,
                ]
            )
    print(
        f"network {list(MOONS_LAYERS)}, {X.shape[1]} examples, mini-batches of 64, {epochs} epochs"
    )
    print("decay: schedule_lr_decay(lr0, epoch, decay_rate=1, time_interval=100)")
    print_table(["optimizer", "schedule", "lr0", "train accuracy %", "seconds"], rows)

    plt = pyplot()
    if plt is None:
        return
    grid_x, grid_y = np.meshgrid(np.linspace(-1.6, 2.6, 150), np.linspace(-1.2, 1.7, 110))
    grid = np.stack([grid_x.ravel(), grid_y.ravel()])
    figure, axes = plt.subplots(2, 4, figsize=(14, 6), sharex=True, sharey=True)
    for axis, ((name, decay_name), params) in zip(axes.ravel(), trained.items()):
        probability = _activations(params, grid)[-1].reshape(grid_x.shape)
        axis.contourf(
            grid_x,
            grid_y,
            probability > 0.5,
            levels=[-0.5, 0.5, 1.5],
            colors=["#f4c7c3", "#c6dbef"],
        )
        axis.scatter(X[0], X[1], c=Y[0], cmap="coolwarm", s=6)
        axis.set_title(f"{name}, {decay_name}: {100 * _accuracy(params, X, Y):.0f}%", fontsize=10)
    figure.suptitle("Decision boundaries after training")
    figure.tight_layout()
    plt.show()
