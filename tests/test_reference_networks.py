"""Specification of reference.networks and reference.datasets."""

from __future__ import annotations

import copy
from functools import partial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference import networks as nn
from reference.datasets import circles, two_moons
from reference.initializers import initialize
from reference.optimizers import schedule_lr_decay

# --- datasets -----------------------------------------------------------------------------------

DATASETS = {"two_moons": two_moons, "circles": circles}


@pytest.mark.parametrize("name", DATASETS)
@given(m=st.integers(2, 400), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=30)
def test_datasets_have_the_contract_layout_and_balanced_labels(name, m, seed):
    X, Y = DATASETS[name](m=m, seed=seed)
    assert X.shape == (2, m) and Y.shape == (1, m)
    assert X.dtype == np.float64 and Y.dtype == np.float64
    assert set(np.unique(Y)) == {0.0, 1.0}
    assert Y.sum() == m - m // 2  # class 1 takes the odd example


@pytest.mark.parametrize("name", DATASETS)
def test_datasets_are_deterministic_for_a_seed_and_vary_with_it(name):
    X1, Y1 = DATASETS[name](seed=3)
    X2, Y2 = DATASETS[name](seed=3)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(Y1, Y2)
    assert not np.array_equal(X1, DATASETS[name](seed=4)[0])


def test_noise_free_moons_lie_on_their_arcs():
    X, Y = two_moons(m=100, noise=0.0)
    upper, lower = X[:, Y[0] == 0], X[:, Y[0] == 1]
    np.testing.assert_allclose(np.hypot(*upper), 1.0)  # unit circle, y >= 0
    np.testing.assert_allclose(np.hypot(lower[0] - 1.0, lower[1] - 0.5), 1.0)
    assert np.all(upper[1] >= 0) and np.all(lower[1] <= 0.5)


def test_noise_free_circles_have_radii_one_and_factor():
    X, Y = circles(m=100, noise=0.0, factor=0.3)
    radius = np.hypot(*X)
    np.testing.assert_allclose(radius[Y[0] == 0], 1.0)
    np.testing.assert_allclose(radius[Y[0] == 1], 0.3)


# --- forward, cost, backward --------------------------------------------------------------------


def test_forward_hand_value():
    # x = [1, 2]; W1 = [[1, -1], [0.5, 0.5]], b1 = [0, 0] -> z1 = [-1, 1.5], relu a1 = [0, 1.5]
    # W2 = [[2, 2]], b2 = -3 -> z2 = 0, sigmoid(0) = 1/2
    parameters = {
        "W1": np.array([[1.0, -1.0], [0.5, 0.5]]),
        "b1": np.zeros((2, 1)),
        "W2": np.array([[2.0, 2.0]]),
        "b2": np.array([[-3.0]]),
    }
    AL, caches = nn.forward(np.array([[1.0], [2.0]]), parameters)
    np.testing.assert_allclose(AL, [[0.5]])
    np.testing.assert_allclose(caches[0][3], [[0.0], [1.5]])
    assert len(caches) == 2


def test_cost_hand_value():
    # -(log 0.8 + log(1 - 0.4)) / 2 = -(ln 0.8 + ln 0.6) / 2 ~ 0.3669845875
    assert nn.cost(np.array([[0.8, 0.4]]), np.array([[1.0, 0.0]])) == pytest.approx(
        0.3669845875, rel=1e-9
    )


def test_sigmoid_is_finite_and_exact_at_extremes():
    np.testing.assert_allclose(nn.sigmoid(np.array([-1000.0, 0.0, 1000.0])), [0.0, 0.5, 1.0])


def numerical_gradients(X, Y, parameters, hidden, h=1e-6):
    """Central differences (J(theta + h) - J(theta - h)) / 2h, one entry at a time."""
    grads = {}
    for key, value in parameters.items():
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            shifted = {}
            for sign in (1, -1):
                moved = value.copy()
                moved[index] += sign * h
                shifted[sign] = nn.cost(nn.forward(X, {**parameters, key: moved}, hidden)[0], Y)
            grad[index] = (shifted[1] - shifted[-1]) / (2 * h)
        grads["d" + key] = grad
    return grads


@pytest.mark.parametrize("hidden", ["relu", "tanh"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_backward_matches_finite_differences(hidden, seed):
    rng = np.random.default_rng(seed)
    parameters = initialize([3, 4, 3, 1], "xavier", rng)
    parameters = {
        key: value + 0.1 * rng.standard_normal(value.shape) for key, value in parameters.items()
    }
    X, Y = rng.standard_normal((3, 7)), rng.integers(0, 2, (1, 7)).astype(np.float64)
    AL, caches = nn.forward(X, parameters, hidden)
    grads = nn.backward(AL, Y, caches, hidden)
    expected = numerical_gradients(X, Y, parameters, hidden)
    assert grads.keys() == expected.keys()
    for key, value in expected.items():
        assert grads[key].shape == value.shape
        np.testing.assert_allclose(grads[key], value, rtol=1e-5, atol=1e-8, err_msg=key)


def test_predict_and_accuracy():
    # a single sigmoid unit a = sigma(x): predicts 1 exactly where x > 0
    parameters = {"W1": np.array([[1.0]]), "b1": np.array([[0.0]])}
    X = np.array([[-2.0, -0.5, 0.5, 3.0]])
    np.testing.assert_array_equal(nn.predict(X, parameters), [[0.0, 0.0, 1.0, 1.0]])
    assert nn.accuracy(X, np.array([[0.0, 1.0, 1.0, 1.0]]), parameters) == 0.75


def test_forward_and_backward_do_not_mutate_their_inputs():
    rng = np.random.default_rng(0)
    parameters = initialize([2, 3, 1], "he", rng)
    X, Y = rng.standard_normal((2, 5)), np.ones((1, 5))
    before = copy.deepcopy((X, Y, parameters))
    AL, caches = nn.forward(X, parameters)
    nn.backward(AL, Y, caches)
    np.testing.assert_array_equal(X, before[0])
    np.testing.assert_array_equal(Y, before[1])
    for key, value in before[2].items():
        np.testing.assert_array_equal(parameters[key], value)


# --- training -----------------------------------------------------------------------------------

MOONS = two_moons(m=300, noise=0.2, seed=0)
LAYERS = [2, 5, 2, 1]


@pytest.mark.parametrize(
    ("optimizer", "learning_rate"),
    [("gd", 0.05), ("momentum", 0.05), ("rmsprop", 0.005), ("adam", 0.01)],
)
def test_training_lowers_the_cost_on_two_moons(optimizer, learning_rate):
    parameters, costs = nn.train(*MOONS, LAYERS, optimizer, learning_rate, num_epochs=300)
    assert costs.shape == (300,)
    assert costs[-10:].mean() < 0.8 * costs[:10].mean()
    assert nn.accuracy(*MOONS, parameters) > 0.75


def test_adam_with_step_decay_trains_and_differs_from_constant_rate():
    decay = partial(schedule_lr_decay, decay_rate=1.0, time_interval=50)
    decayed, costs = nn.train(*MOONS, LAYERS, "adam", 0.01, num_epochs=200, decay=decay)
    constant, _ = nn.train(*MOONS, LAYERS, "adam", 0.01, num_epochs=200)
    assert costs[-1] < costs[0]
    assert not np.allclose(decayed["W1"], constant["W1"])


def test_training_is_deterministic_for_a_seed():
    first, costs1 = nn.train(*MOONS, LAYERS, "adam", 0.01, num_epochs=20, seed=5)
    second, costs2 = nn.train(*MOONS, LAYERS, "adam", 0.01, num_epochs=20, seed=5)
    np.testing.assert_array_equal(costs1, costs2)
    for key, value in first.items():
        np.testing.assert_array_equal(second[key], value)


def test_a_zero_learning_rate_returns_the_seeded_initialization():
    parameters, _ = nn.train(
        *MOONS, LAYERS, "momentum", 0.1, num_epochs=3, seed=4, decay=lambda lr0, epoch: 0.0
    )
    expected = initialize(LAYERS, "he", np.random.default_rng(4))
    for key, value in expected.items():
        np.testing.assert_array_equal(parameters[key], value)


def test_train_does_not_mutate_the_data():
    X, Y = MOONS[0].copy(), MOONS[1].copy()
    nn.train(X, Y, LAYERS, "adam", 0.01, num_epochs=2)
    np.testing.assert_array_equal(X, MOONS[0])
    np.testing.assert_array_equal(Y, MOONS[1])


# --- exploding and vanishing activations ----------------------------------------------------------


@pytest.mark.parametrize(("scale", "L"), [(1.5, 50), (0.5, 50), (1.0, 5)])
def test_scaled_identity_activations_are_powers_of_the_scale(scale, L):
    x = np.array([[1.0, -2.0], [3.0, 0.5]])
    activations = nn.scaled_identity_activations(x, scale, L)
    assert len(activations) == L
    for l, a in enumerate(activations, start=1):
        np.testing.assert_allclose(a, scale**l * x, rtol=1e-12)


def test_scaled_identity_explodes_above_one_and_vanishes_below():
    x = np.ones((3, 1))
    assert np.abs(nn.scaled_identity_activations(x, 1.5, 50)[-1]).min() > 1e8  # 1.5^50 ~ 6.4e8
    assert np.abs(nn.scaled_identity_activations(x, 0.5, 50)[-1]).max() < 1e-14  # 0.5^50 ~ 8.9e-16
