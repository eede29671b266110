"""Specification of reference.landscapes and a smoke test of reference.tour."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference import landscapes as ls
from reference import tour
from reference.optimizers import update_parameters_with_momentum

points = st.tuples(st.floats(-3.0, 3.0), st.floats(-3.0, 3.0)).map(np.array)


def central_difference(f, w, h=1e-6):
    return np.array([(f(w + h * e) - f(w - h * e)) / (2 * h) for e in np.eye(2)])


@pytest.mark.parametrize("name", ls.LANDSCAPES)
@given(w=points)
def test_gradients_match_finite_differences(name, w):
    f, gradient = ls.LANDSCAPES[name]
    np.testing.assert_allclose(gradient(w), central_difference(f, w), rtol=1e-6, atol=1e-5)


def test_landscape_hand_values():
    # ravine(3, 1) = (9 + 20) / 2 = 14.5, gradient (3, 20)
    assert ls.ravine(np.array([3.0, 1.0])) == 14.5
    np.testing.assert_array_equal(ls.ravine_gradient(np.array([3.0, 1.0])), [3.0, 20.0])
    # rosenbrock(0, 1) = 1 + 100, gradient (-2, 200); minimum 0 at (1, 1)
    assert ls.rosenbrock(np.array([0.0, 1.0])) == 101.0
    np.testing.assert_array_equal(ls.rosenbrock_gradient(np.array([0.0, 1.0])), [-2.0, 200.0])
    assert ls.rosenbrock(np.array([1.0, 1.0])) == 0.0


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "rmsprop", "adam"])
def test_trajectory_starts_at_start_and_has_steps_plus_one_points(optimizer):
    path = ls.trajectory("rosenbrock", optimizer, (-1.0, 2.0), 25, learning_rate=0.001)
    assert path.shape == (26, 2) and path.dtype == np.float64
    np.testing.assert_array_equal(path[0], [-1.0, 2.0])


def test_trajectory_runs_the_reference_update_rule():
    # Two momentum steps on the ravine, by hand through the graded function itself.
    path = ls.trajectory("ravine", "momentum", (2.0, 1.0), 2, learning_rate=0.05, beta=0.8)
    w = np.array([2.0, 1.0])
    parameters = {"W1": w[:1].reshape(1, 1), "b1": w[1:].reshape(1, 1)}
    v = {"dW1": np.zeros((1, 1)), "db1": np.zeros((1, 1))}
    for point in path[1:]:
        g = ls.ravine_gradient(np.array([parameters["W1"][0, 0], parameters["b1"][0, 0]]))
        grads = {"dW1": g[:1].reshape(1, 1), "db1": g[1:].reshape(1, 1)}
        parameters, v = update_parameters_with_momentum(parameters, grads, v, 0.8, 0.05)
        np.testing.assert_allclose(
            point, [parameters["W1"][0, 0], parameters["b1"][0, 0]], rtol=1e-15
        )


def test_trajectory_accepts_a_gradient_function():
    path = ls.trajectory(
        partial(ls.ravine_gradient, a=2.0, b=4.0), "gd", (1.0, 1.0), 1, learning_rate=0.1
    )
    # w1 = w0 - 0.1 * (2 * 1, 4 * 1) = (0.8, 0.6)
    np.testing.assert_allclose(path[1], [0.8, 0.6])


RAVINE = partial(ls.ravine_gradient, a=1.0, b=50.0)
START = (-4.0, 1.0)


def test_gd_on_the_ravine_oscillates_along_the_steep_axis():
    # lr * b = 0.03 * 50 = 1.5: w1 <- (1 - 1.5) w1 = -w1 / 2 flips sign every step,
    # while w0 <- (1 - 0.03) w0 creeps monotonically towards 0.
    path = ls.trajectory(RAVINE, "gd", START, 20, learning_rate=0.03)
    np.testing.assert_allclose(path[1:, 1], -0.5 * path[:-1, 1], rtol=1e-12)
    assert np.all(np.sign(path[1:, 1]) == -np.sign(path[:-1, 1]))
    np.testing.assert_allclose(path[1:, 0], 0.97 * path[:-1, 0], rtol=1e-12)


def test_momentum_gets_closer_than_gd_at_the_same_learning_rate():
    # Same lr = 0.03, 100 steps. Along the shallow axis gd contracts by 0.97 per step
    # (4 * 0.97^100 ~ 0.19); momentum with beta = 0.9 is underdamped there and contracts
    # by sqrt(beta) ~ 0.95 per step, so it ends about 5x closer.
    gd = ls.trajectory(RAVINE, "gd", START, 100, learning_rate=0.03)
    momentum = ls.trajectory(RAVINE, "momentum", START, 100, learning_rate=0.03, beta=0.9)
    assert np.linalg.norm(momentum[-1]) < 0.5 * np.linalg.norm(gd[-1])


def test_momentum_converges_where_gd_diverges():
    # lr * b = 0.05 * 50 = 2.5 > 2: gd's steep-axis factor is -1.5. Momentum averages the
    # alternating gradients away and stays stable (lr (1 - beta) b < 2 (1 + beta)).
    gd = ls.trajectory(RAVINE, "gd", START, 100, learning_rate=0.05)
    momentum = ls.trajectory(RAVINE, "momentum", START, 100, learning_rate=0.05, beta=0.9)
    assert np.linalg.norm(gd[-1]) > 1e10
    assert np.linalg.norm(momentum[-1]) < 0.1


def test_momentum_and_adam_descend_rosenbrock_at_a_rate_where_gd_blows_up():
    # lr = 0.01 from (-1.5, 2), 2000 steps. Across the valley the curvature is ~1900 at the
    # start and ~1000 at the minimum, so lr * curvature > 2: gd overshoots and overflows.
    # Momentum's averaging and Adam's normalized steps stay stable and end near the minimum
    # J(1, 1) = 0. (At lr = 0.001 the ranking is the other way round for Adam: its steps of
    # about lr cover only ~2 units in 2000 steps.)
    with np.errstate(over="ignore", invalid="ignore"):
        gd = ls.trajectory("rosenbrock", "gd", (-1.5, 2.0), 2000, learning_rate=0.01)
    assert not np.all(np.isfinite(gd[-1])) or ls.rosenbrock(gd[-1]) > 1e10
    for optimizer in ("momentum", "adam"):
        path = ls.trajectory("rosenbrock", optimizer, (-1.5, 2.0), 2000, learning_rate=0.01)
        assert ls.rosenbrock(path[-1]) < 0.05, optimizer


def test_tour_compares_every_run():
    rows = tour.compare(num_epochs=3)
    assert [row["label"] for row in rows] == [label for label, _ in tour.RUNS]
    for row in rows:
        assert np.isfinite(row["cost"]) and 0.0 <= row["accuracy"] <= 1.0 and row["seconds"] >= 0
    assert tour.table(rows, 3).row_count == len(tour.RUNS)
