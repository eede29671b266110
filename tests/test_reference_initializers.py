"""Specification of reference.initializers: shapes, distributions and activation variances.

The graded initializers draw from an unseeded generator, so their distributions are checked
statistically. Each statistical check below fails a correct implementation with probability
ALPHA = 1e-6; there are 12 of them (3 rules x 2 layers x {mean, variance}), so a correct
implementation fails this file by chance with probability at most 1.2e-5.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from reference import initializers as init

ALPHA = 1e-6
GRADED = {
    "zeros": init.initialize_parameters_zeros,
    "random": init.initialize_parameters_random,
    "xavier": init.initialize_parameters_xavier,
    "he": init.initialize_parameters_he,
}
#: Var(W[l]) from CONTRACT section 3, written out here rather than read from the module.
CONTRACT_VARIANCE = {
    "random": lambda n_in: 100.0,
    "xavier": lambda n_in: 1 / n_in,
    "he": lambda n_in: 2 / n_in,
}

layers_dims_strategy = st.lists(st.integers(1, 6), min_size=2, max_size=5)


@pytest.mark.parametrize("rule", GRADED)
@given(layers_dims=layers_dims_strategy)
def test_initializers_have_contract_shapes_float64_and_zero_bias(rule, layers_dims):
    parameters = GRADED[rule](layers_dims)
    L = len(layers_dims) - 1
    assert parameters.keys() == {f"{kind}{l}" for l in range(1, L + 1) for kind in "Wb"}
    for l in range(1, L + 1):
        W, b = parameters[f"W{l}"], parameters[f"b{l}"]
        assert W.shape == (layers_dims[l], layers_dims[l - 1])
        assert b.shape == (layers_dims[l], 1)
        assert W.dtype == np.float64 and b.dtype == np.float64
        assert not b.any()


@given(layers_dims=layers_dims_strategy)
def test_zeros_initializer_is_all_zeros(layers_dims):
    assert not any(value.any() for value in init.initialize_parameters_zeros(layers_dims).values())


@pytest.mark.parametrize("rule", ["random", "xavier", "he"])
def test_weights_have_mean_zero_and_the_contract_variance(rule):
    # W / sigma has N iid N(0, 1) entries, so sum(W^2) / sigma^2 ~ chi2(N) and
    # sqrt(N) * mean(W) / sigma ~ N(0, 1). Two-sided bounds at level ALPHA for each.
    layers_dims = [60, 40, 30]
    parameters = GRADED[rule](layers_dims)
    for l in (1, 2):
        W = parameters[f"W{l}"]
        N, sigma2 = W.size, CONTRACT_VARIANCE[rule](layers_dims[l - 1])
        statistic = np.sum(W**2) / sigma2
        assert stats.chi2.ppf(ALPHA / 2, N) < statistic < stats.chi2.isf(ALPHA / 2, N), (
            l,
            statistic / N,
        )
        z = np.sqrt(N) * W.mean() / np.sqrt(sigma2)
        assert abs(z) < stats.norm.isf(ALPHA / 2), (l, z)


@pytest.mark.parametrize("rule", ["random", "xavier", "he"])
def test_graded_initializers_are_not_all_the_same_draw(rule):
    first, second = GRADED[rule]([5, 4]), GRADED[rule]([5, 4])
    assert not np.array_equal(first["W1"], second["W1"])


def test_initialize_with_a_seeded_generator_is_reproducible():
    first = init.initialize([3, 4, 1], "he", np.random.default_rng(7))
    second = init.initialize([3, 4, 1], "he", np.random.default_rng(7))
    for key, value in first.items():
        np.testing.assert_array_equal(second[key], value)


# --- activation_variances -----------------------------------------------------------------------

# X = [1, -1] (one feature, two examples); W1 = 2, b1 = 0; W2 = 1/2, b2 = 1.
TINY_X = np.array([[1.0, -1.0]])
TINY = {
    "W1": np.array([[2.0]]),
    "b1": np.array([[0.0]]),
    "W2": np.array([[0.5]]),
    "b2": np.array([[1.0]]),
}
T = np.tanh(2.0)  # ~ 0.9640275801


@pytest.mark.parametrize(
    ("activation", "expected"),
    [
        # z1 = [2, -2]: a1 = [2, -2], var 4;  z2 = [2, 0], var 1
        ("linear", [4.0, 1.0]),
        # a1 = [2, 0], var 1;  z2 = [2, 1], var 1/4
        ("relu", [1.0, 0.25]),
        # a1 = [T, -T], var T^2;  a2 = [tanh(1 + T/2), tanh(1 - T/2)], var (difference / 2)^2
        ("tanh", [T**2, ((np.tanh(1 + T / 2) - np.tanh(1 - T / 2)) / 2) ** 2]),
    ],
)
def test_activation_variances_hand_values(activation, expected):
    np.testing.assert_allclose(
        init.activation_variances(TINY_X, TINY, activation), expected, rtol=1e-12
    )


def test_activation_variances_does_not_mutate_its_inputs():
    X, parameters = TINY_X.copy(), {key: value.copy() for key, value in TINY.items()}
    init.activation_variances(X, parameters, "relu")
    np.testing.assert_array_equal(X, TINY_X)
    for key, value in TINY.items():
        np.testing.assert_array_equal(parameters[key], value)


DEEP = [300] * 11  # 10 layers of width 300


def deep_variances(rule: str, activation: str, seed: int) -> np.ndarray:
    X = np.random.default_rng(1000 + seed).standard_normal((300, 1000))
    return init.activation_variances(
        X, init.initialize(DEEP, rule, np.random.default_rng(seed)), activation
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_xavier_tanh_neither_saturates_nor_collapses_while_large_random_saturates(seed):
    # Xavier keeps Var(z) ~ Var(a_prev); tanh contracts, so Var(a) drifts down slowly
    # (about 0.39 -> 0.05 over 10 layers, roughly like 1/l, not geometrically).
    xavier = deep_variances("xavier", "tanh", seed)
    assert np.all((xavier > 0.02) & (xavier < 0.5))
    assert xavier[-1] / xavier[0] > 0.05
    # N(0, 100) weights: Var(z) ~ 100 * 300 * Var(a), every unit pinned at +-1, Var(a) ~ 1.
    assert np.all(deep_variances("random", "tanh", seed) > 0.98)


@pytest.mark.parametrize("seed", [0, 1])
def test_large_random_init_explodes_without_a_squashing_activation(seed):
    variances = deep_variances("random", "linear", seed)
    # each layer multiplies Var(a) by n * 100 = 3e4
    assert np.all(variances[1:] / variances[:-1] > 1e4)


@pytest.mark.parametrize("seed", [0, 1])
def test_he_keeps_relu_variance_while_xavier_halves_it_every_layer(seed):
    he = deep_variances("he", "relu", seed)
    assert 0.25 < he[-1] / he[0] < 4
    xavier = deep_variances("xavier", "relu", seed)
    # ReLU keeps half of E[z^2]: with Var(W) = 1/n the second moment halves per layer, 2^-9 ~ 0.002
    assert xavier[-1] / xavier[0] < 0.01
