"""Specification of reference.optimizers: hand-worked values, then properties of the rules."""

from __future__ import annotations

import copy
import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference import optimizers as opt

# --- strategies ---------------------------------------------------------------------------------

values = st.floats(-10.0, 10.0, allow_nan=False, allow_infinity=False)
# |x| in [0.1, 10]: gradients with no zero entry, so 0/0 cannot occur when epsilon = 0.
nonzero = st.tuples(st.floats(0.1, 10.0), st.sampled_from([-1.0, 1.0])).map(lambda p: p[0] * p[1])
layer_widths = st.lists(st.integers(1, 4), min_size=2, max_size=4)


def shapes(layers_dims: list[int]) -> dict[str, tuple[int, int]]:
    """W{l}: (n_l, n_{l-1}), b{l}: (n_l, 1)."""
    return {
        key: shape
        for l in range(1, len(layers_dims))
        for key, shape in (
            (f"W{l}", (layers_dims[l], layers_dims[l - 1])),
            (f"b{l}", (layers_dims[l], 1)),
        )
    }


def dicts(draw, layers_dims: list[int], prefix: str = "", elements=values) -> dict:
    return {
        prefix + key: draw(hnp.arrays(np.float64, shape, elements=elements))
        for key, shape in shapes(layers_dims).items()
    }


@st.composite
def problems(draw, grad_elements=values):
    """(parameters, grads) of one random network."""
    layers_dims = draw(layer_widths)
    return dicts(draw, layers_dims), dicts(draw, layers_dims, "d", grad_elements)


@st.composite
def problems_with_state(draw):
    """(parameters, grads, v, s) of one random network; s >= 0 like a real second moment."""
    layers_dims = draw(layer_widths)
    return (
        dicts(draw, layers_dims),
        dicts(draw, layers_dims, "d"),
        dicts(draw, layers_dims, "d"),
        dicts(draw, layers_dims, "d", st.floats(0.0, 10.0)),
    )


def zeros_like(grads: dict) -> dict:
    return {key: np.zeros_like(value) for key, value in grads.items()}


def assert_dicts_equal(actual: dict, expected: dict, **tolerance) -> None:
    assert actual.keys() == expected.keys()
    for key, value in expected.items():
        np.testing.assert_allclose(actual[key], value, **{"err_msg": key, **tolerance})


def one_layer(W: float, b: float) -> dict:
    return {"W1": np.array([[W]]), "b1": np.array([[b]])}


def one_layer_grads(dW: float, db: float) -> dict:
    return {"dW1": np.array([[dW]]), "db1": np.array([[db]])}


# --- hand-worked values -------------------------------------------------------------------------


def test_gd_hand_value():
    # W = 1 - 0.1 * 2 = 0.8;  b = -1 - 0.1 * (-3) = -0.7
    result = opt.update_parameters_with_gd(one_layer(1.0, -1.0), one_layer_grads(2.0, -3.0), 0.1)
    assert_dicts_equal(result, one_layer(0.8, -0.7), rtol=1e-15)


def test_momentum_hand_value():
    # v_dW = 0.9 * 0.5 + 0.1 * 2 = 0.65, W = 1 - 0.1 * 0.65 = 0.935
    # v_db = 0.9 * 0 + 0.1 * (-1) = -0.1, b = 0 - 0.1 * (-0.1) = 0.01
    parameters, v = opt.update_parameters_with_momentum(
        one_layer(1.0, 0.0), one_layer_grads(2.0, -1.0), one_layer_grads(0.5, 0.0), 0.9, 0.1
    )
    assert_dicts_equal(v, one_layer_grads(0.65, -0.1), rtol=1e-14)
    assert_dicts_equal(parameters, one_layer(0.935, 0.01), rtol=1e-14)


def test_rmsprop_hand_value():
    # s_dW = 0.75 * 0 + 0.25 * 2^2 = 1, W = 1 - 0.1 * 2 / (1 + 1e-8)          = 0.800000002
    # s_db = 0.75 * 4 + 0.25 * 4^2 = 7, b = 0 - 0.1 * 4 / (2.6457513111 + 1e-8) ~ -0.1511857886
    parameters, s = opt.update_parameters_with_rmsprop(
        one_layer(1.0, 0.0), one_layer_grads(2.0, 4.0), one_layer_grads(0.0, 4.0), 0.75, 0.1
    )
    assert_dicts_equal(s, one_layer_grads(1.0, 7.0), rtol=1e-15)
    assert_dicts_equal(parameters, one_layer(0.800000002, -0.1511857886), rtol=1e-9)


def test_adam_hand_value_at_t2():
    # beta1 = beta2 = 1/2, t = 2, v = s = 0, dW = 2, db = -2, epsilon = 0:
    # v = 1, s = 2, v_corrected = 1 / (3/4) = 4/3, s_corrected = 2 / (3/4) = 8/3,
    # step = 0.3 * (4/3) / sqrt(8/3) = 0.3 * sqrt(2/3) ~ 0.2449489743, so W = 1 - step;
    # db = -2 gives the mirror image: b = 0 + step.
    parameters, v, s, v_corrected, s_corrected = opt.update_parameters_with_adam(
        one_layer(1.0, 0.0),
        one_layer_grads(2.0, -2.0),
        one_layer_grads(0.0, 0.0),
        one_layer_grads(0.0, 0.0),
        t=2,
        learning_rate=0.3,
        beta1=0.5,
        beta2=0.5,
        epsilon=0.0,
    )
    assert_dicts_equal(v, one_layer_grads(1.0, -1.0), rtol=1e-15)
    assert_dicts_equal(s, one_layer_grads(2.0, 2.0), rtol=1e-15)
    assert_dicts_equal(v_corrected, one_layer_grads(4 / 3, -4 / 3), rtol=1e-15)
    assert_dicts_equal(s_corrected, one_layer_grads(8 / 3, 8 / 3), rtol=1e-15)
    assert_dicts_equal(parameters, one_layer(1 - 0.2449489743, 0.2449489743), rtol=1e-10)


def test_adam_hand_value_with_history():
    # v = 0.2, s = 0.004, dW = 1, beta1 = 0.9, beta2 = 0.999, t = 3, epsilon = 1e-8:
    # v = 0.18 + 0.1 = 0.28;  s = 0.003996 + 0.001 = 0.004996
    # v_corrected = 0.28 / (1 - 0.729) ~ 1.0332103321
    # s_corrected = 0.004996 / (1 - 0.997002999) ~ 1.6669997774
    # W = 0 - 0.01 * 1.0332103321 / (1.2911234555 + 1e-8) ~ -0.0080024131
    parameters, v, s, v_corrected, s_corrected = opt.update_parameters_with_adam(
        one_layer(0.0, 0.0),
        one_layer_grads(1.0, 0.0),
        one_layer_grads(0.2, 0.0),
        one_layer_grads(0.004, 0.0),
        t=3,
    )
    np.testing.assert_allclose(v["dW1"], [[0.28]], rtol=1e-14)
    np.testing.assert_allclose(s["dW1"], [[0.004996]], rtol=1e-14)
    np.testing.assert_allclose(v_corrected["dW1"], [[1.0332103321]], rtol=1e-9)
    np.testing.assert_allclose(s_corrected["dW1"], [[1.6669997774]], rtol=1e-9)
    np.testing.assert_allclose(parameters["W1"], [[-0.0080024131]], rtol=1e-8)


@pytest.mark.parametrize(("epoch", "expected"), [(0, 0.5), (1, 0.25), (3, 0.125), (9, 0.05)])
def test_update_lr_hand_values(epoch, expected):
    # 0.5 / (1 + 1 * epoch)
    assert opt.update_lr(0.5, epoch, 1.0) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(
    ("epoch", "expected"), [(0, 0.5), (999, 0.5), (1000, 0.25), (2500, 0.5 / 3), (9999, 0.05)]
)
def test_schedule_lr_decay_hand_values(epoch, expected):
    # 0.5 / (1 + 1 * floor(epoch / 1000))
    assert opt.schedule_lr_decay(0.5, epoch, 1.0) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(
    ("m", "size", "expected"),
    [(5, 2, [2, 2, 1]), (4, 2, [2, 2]), (3, 5, [3]), (130, 64, [64, 64, 2])],
)
def test_mini_batch_sizes_hand_values(m, size, expected):
    batches = opt.random_mini_batches(np.zeros((2, m)), np.zeros((1, m)), size, seed=1)
    assert [X_b.shape[1] for X_b, _ in batches] == expected
    assert all(Y_b.shape == (1, X_b.shape[1]) for X_b, Y_b in batches)


@pytest.mark.parametrize(
    "initializer",
    [opt.initialize_velocity, opt.initialize_rmsprop, lambda p: opt.initialize_adam(p)[1]],
)
def test_state_initializers_are_zeros_shaped_like_parameters(initializer):
    parameters = {
        "W1": np.ones((3, 2)),
        "b1": np.ones((3, 1)),
        "W2": np.ones((1, 3)),
        "b2": np.ones((1, 1)),
    }
    state = initializer(parameters)
    assert state.keys() == {"dW1", "db1", "dW2", "db2"}
    for key, value in state.items():
        assert value.shape == parameters[key[1:]].shape
        assert value.dtype == np.float64
        assert not value.any()


def test_initialize_adam_returns_two_distinct_zero_dicts():
    v, s = opt.initialize_adam({"W1": np.ones((2, 2)), "b1": np.ones((2, 1))})
    assert v is not s and v["dW1"] is not s["dW1"]
    assert not v["dW1"].any() and not s["db1"].any()


# --- properties ---------------------------------------------------------------------------------


@given(problems(), st.floats(1e-4, 1.0))
def test_gd_with_zero_gradient_leaves_parameters_unchanged(problem, learning_rate):
    parameters, grads = problem
    assert_dicts_equal(
        opt.update_parameters_with_gd(parameters, zeros_like(grads), learning_rate),
        parameters,
        rtol=0,
    )


@given(problems(), st.floats(0.0, 0.999), st.floats(1e-4, 1.0))
def test_momentum_from_zero_velocity_with_zero_gradient_leaves_parameters_unchanged(
    problem, beta, lr
):
    parameters, grads = problem
    zeros = zeros_like(grads)
    updated, v = opt.update_parameters_with_momentum(
        parameters, zeros, opt.initialize_velocity(parameters), beta, lr
    )
    assert_dicts_equal(updated, parameters, rtol=0)
    assert_dicts_equal(v, zeros, rtol=0)


@given(problems_with_state(), st.floats(0.0, 0.999), st.floats(1e-4, 1.0))
def test_rmsprop_with_zero_gradient_leaves_parameters_unchanged(problem, beta2, lr):
    parameters, grads, _, s = problem
    updated, _ = opt.update_parameters_with_rmsprop(parameters, zeros_like(grads), s, beta2, lr)
    assert_dicts_equal(updated, parameters, rtol=0)


@given(problems_with_state(), st.integers(1, 100), st.floats(1e-4, 1.0))
def test_adam_from_zero_v_with_zero_gradient_leaves_parameters_unchanged(problem, t, lr):
    parameters, grads, _, s = problem
    zeros = zeros_like(grads)
    updated, *_ = opt.update_parameters_with_adam(parameters, zeros, zeros, s, t, lr)
    assert_dicts_equal(updated, parameters, rtol=0)


@given(problems_with_state(), st.floats(1e-4, 1.0))
def test_momentum_with_beta_zero_is_gradient_descent(problem, learning_rate):
    # beta = 0: v = dW whatever the old v, so W -= lr * dW.
    parameters, grads, v, _ = problem
    updated, new_v = opt.update_parameters_with_momentum(parameters, grads, v, 0.0, learning_rate)
    assert_dicts_equal(
        updated, opt.update_parameters_with_gd(parameters, grads, learning_rate), rtol=1e-15
    )
    assert_dicts_equal(new_v, grads, rtol=0)


@given(problems(), st.floats(0.0, 0.999), st.floats(0.0, 0.9999))
def test_adam_bias_correction_at_t1_recovers_the_gradient(problem, beta1, beta2):
    # t = 1 from zeros: v = (1 - beta1) dW, so v / (1 - beta1^1) = dW; likewise s_corrected = dW^2.
    parameters, grads = problem
    v, s = opt.initialize_adam(parameters)
    *_, v_corrected, s_corrected = opt.update_parameters_with_adam(
        parameters, grads, v, s, 1, 0.01, beta1, beta2
    )
    assert_dicts_equal(v_corrected, grads, rtol=1e-12, atol=1e-300)
    assert_dicts_equal(s_corrected, {k: g**2 for k, g in grads.items()}, rtol=1e-12, atol=1e-300)


@given(problems(grad_elements=nonzero), st.floats(0.01, 100.0), st.floats(0.0, 0.999))
def test_rmsprop_step_is_invariant_to_scaling_the_gradient(problem, scale, beta2):
    # With epsilon = 0 the step lr * dW / sqrt(beta2 s + (1 - beta2) dW^2) is homogeneous of
    # degree 0 in (dW, sqrt(s)): scaling dW by c (and s, the running dW^2, by c^2) changes
    # nothing. epsilon > 0 breaks this for small gradients, which is what it is for; the
    # gradients here have no zero entry, so epsilon = 0 never divides by zero.
    parameters, grads = problem
    s = {key: g**2 / 3 for key, g in grads.items()}
    scaled_grads = {key: scale * g for key, g in grads.items()}
    scaled_s = {key: scale**2 * value for key, value in s.items()}
    updated, _ = opt.update_parameters_with_rmsprop(parameters, grads, s, beta2, 0.01, epsilon=0.0)
    updated_scaled, _ = opt.update_parameters_with_rmsprop(
        parameters, scaled_grads, scaled_s, beta2, 0.01, epsilon=0.0
    )
    assert_dicts_equal(updated_scaled, updated, rtol=1e-12, atol=1e-12)


@given(
    st.floats(1e-4, 1.0),
    st.integers(0, 50),
    st.integers(0, 999),
    st.floats(0.0, 10.0),
    st.integers(1, 1000),
)
def test_schedule_lr_decay_is_constant_inside_an_interval(
    lr0, k, offset, decay_rate, time_interval
):
    epoch = k * time_interval + offset % time_interval
    assert opt.schedule_lr_decay(lr0, epoch, decay_rate, time_interval) == opt.schedule_lr_decay(
        lr0, k * time_interval, decay_rate, time_interval
    )


@given(st.floats(1e-4, 1.0), st.integers(1, 50), st.floats(0.01, 10.0), st.integers(1, 1000))
def test_schedule_lr_decay_steps_at_multiples_of_the_interval(lr0, k, decay_rate, time_interval):
    at = opt.schedule_lr_decay(lr0, k * time_interval, decay_rate, time_interval)
    before = opt.schedule_lr_decay(lr0, k * time_interval - 1, decay_rate, time_interval)
    assert at == pytest.approx(lr0 / (1 + decay_rate * k), rel=1e-12)
    assert before == pytest.approx(lr0 / (1 + decay_rate * (k - 1)), rel=1e-12)
    assert at < before


@given(st.floats(1e-6, 10.0), st.integers(0, 10**6), st.floats(0.0, 10.0))
def test_update_lr_matches_inverse_time_decay(lr0, epoch, decay_rate):
    assert opt.update_lr(lr0, epoch, decay_rate) == pytest.approx(
        lr0 / (1 + decay_rate * epoch), rel=1e-12
    )


def indexed_examples(m: int, n_x: int) -> tuple[np.ndarray, np.ndarray]:
    """X[r, j] = j + r / 10 and Y[0, j] = j: every column carries its own index."""
    index = np.arange(m, dtype=np.float64)
    return index + np.arange(n_x)[:, np.newaxis] / 10, index[np.newaxis, :]


@given(st.integers(1, 300), st.integers(1, 100), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_mini_batches_partition_the_examples_with_one_shared_permutation(m, size, n_x, seed):
    X, Y = indexed_examples(m, n_x)
    batches = opt.random_mini_batches(X, Y, size, seed)
    X_all = np.concatenate([X_b for X_b, _ in batches], axis=1)
    Y_all = np.concatenate([Y_b for _, Y_b in batches], axis=1)
    np.testing.assert_array_equal(np.sort(Y_all[0]), np.arange(m))  # every column exactly once
    np.testing.assert_array_equal(X_all, X[:, Y_all[0].astype(int)])  # X moved with Y
    expected = [size] * (m // size) + ([m % size] if m % size else [])
    assert [X_b.shape[1] for X_b, _ in batches] == expected


@given(st.integers(1, 200), st.integers(1, 64), st.integers(0, 2**32 - 1))
def test_mini_batches_are_reproducible_for_a_seed(m, size, seed):
    X, Y = indexed_examples(m, 2)
    first, second = (
        opt.random_mini_batches(X, Y, size, seed),
        opt.random_mini_batches(X, Y, size, seed),
    )
    for (X1, Y1), (X2, Y2) in zip(first, second, strict=True):
        np.testing.assert_array_equal(X1, X2)
        np.testing.assert_array_equal(Y1, Y2)


def test_mini_batches_shuffle_the_examples():
    X, Y = indexed_examples(100, 1)
    Y_all = np.concatenate([Y_b for _, Y_b in opt.random_mini_batches(X, Y, 64, seed=0)], axis=1)
    assert not np.array_equal(Y_all[0], np.arange(100))


CALLS = {
    "update_parameters_with_gd": lambda p, g, v, s: opt.update_parameters_with_gd(p, g, 0.1),
    "update_parameters_with_momentum": lambda p, g, v, s: opt.update_parameters_with_momentum(
        p, g, v, 0.9, 0.1
    ),
    "update_parameters_with_rmsprop": lambda p, g, v, s: opt.update_parameters_with_rmsprop(
        p, g, s, 0.9, 0.1
    ),
    "update_parameters_with_adam": lambda p, g, v, s: opt.update_parameters_with_adam(
        p, g, v, s, 2
    ),
    "initialize_velocity": lambda p, g, v, s: opt.initialize_velocity(p),
    "initialize_rmsprop": lambda p, g, v, s: opt.initialize_rmsprop(p),
    "initialize_adam": lambda p, g, v, s: opt.initialize_adam(p),
}


@given(problem=problems_with_state())
def test_no_update_or_initializer_mutates_its_inputs(problem):
    before = copy.deepcopy(problem)
    for name, call in CALLS.items():
        call(*problem)
        for original, now in zip(before, problem, strict=True):
            assert_dicts_equal(now, original, rtol=0, err_msg=name)


@given(st.integers(1, 50), st.integers(1, 20), st.integers(0, 1000))
def test_random_mini_batches_does_not_mutate_its_inputs(m, size, seed):
    X, Y = indexed_examples(m, 2)
    X_before, Y_before = X.copy(), Y.copy()
    opt.random_mini_batches(X, Y, size, seed)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(Y, Y_before)


def test_schedule_lr_decay_uses_floor_not_rounding():
    # 1999 / 1000 = 1.999 -> floor 1, so 1 / (1 + 1) = 0.5 (rounding would give 1/3)
    assert opt.schedule_lr_decay(1.0, 1999, 1.0) == 0.5
    assert math.isclose(opt.schedule_lr_decay(1.0, 2000, 1.0), 1 / 3)
