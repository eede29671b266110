"""The statistical checks of the initializers: right draws pass, classic mistakes are named.

Every bound in ``autograder.selfcheck`` claims a false-failure probability of at most 1e-9 per
check; here each check meets 10,000 right draws (the deep-network behaviour check, which costs
ten matrix products per draw, meets 200: its bound sits more than 7 standard deviations from
the reference, measured over 2,000 draws) and must never fail. The mean and variance checks are
run on summary statistics drawn exactly from their distributions, so sizes up to 60,000 entries
cost nothing.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from autograder import selfcheck
from autograder.exercises import ASSIGNMENTS
from autograder.exercises.base import BEHAVIOUR_NET, _behaviour_problems
from reference.initializers import WEIGHT_VARIANCE, initialize

INITIALIZERS = {exercise.name: exercise for exercise in ASSIGNMENTS["initialization"] if exercise.kind == "initializer"}
RULES = {"initialize_parameters_random": "random", "initialize_parameters_xavier": "xavier", "initialize_parameters_he": "he"}


@pytest.mark.parametrize("n", [1, 2, 5, 10, 30, 100, 1_000, 10_000, 100_000])
def test_variance_bounds_fail_a_right_draw_with_probability_below_5e_10_per_side(n):
    low, high = selfcheck.variance_bounds(1.0, n)
    assert stats.chi2.cdf(n * low, n) <= 5e-10
    assert stats.chi2.sf(n * high, n) <= 5e-10


def test_mean_bound_is_the_efron_bound_at_1e_9():
    assert 2 * math.exp(-selfcheck.MEAN_BOUND**2 / 2) == pytest.approx(1e-9)


DRAWS = 10_000
SIZES = [1, 2, 3, 7, 40, 300, 6_000, 60_000]


def _summaries(rng: np.random.Generator, n: int, variance: float) -> tuple[np.ndarray, np.ndarray]:
    """(sum, sum of squares) of n N(0, variance) entries, for DRAWS matrices at once.

    Exact in distribution: the sum is sqrt(n) Z and the sum of squares Z**2 + chi2(n - 1).
    """
    z = rng.standard_normal(DRAWS)
    rest = rng.chisquare(n - 1, DRAWS) if n > 1 else np.zeros(DRAWS)
    return math.sqrt(n * variance) * z, variance * (z**2 + rest)


@pytest.mark.parametrize("n", SIZES)
def test_mean_check_passes_10000_right_draws(n):
    total, squares = _summaries(np.random.default_rng(n), n, 0.02)
    assert np.all(selfcheck.mean_ok(total, squares))


@pytest.mark.parametrize("n", SIZES)
def test_variance_check_passes_10000_right_draws(n):
    _, squares = _summaries(np.random.default_rng(n + 1), n, 0.02)
    assert np.all(selfcheck.variance_ok(squares / n, 0.02, n))


def test_kurtosis_check_passes_10000_right_draws():
    n = selfcheck.KURTOSIS_MIN_ENTRIES
    rng = np.random.default_rng(n)
    for _ in range(DRAWS // 500):
        squares = rng.standard_normal((500, n), dtype=np.float32) ** 2
        assert np.all(selfcheck.kurtosis_ok(np.mean(squares**2, axis=1), np.mean(squares, axis=1), n))


@pytest.mark.parametrize("rule", ["random", "xavier", "he"])
def test_all_weight_checks_together_pass_10000_right_draws_of_a_small_layer(rule):
    rng = np.random.default_rng(sum(map(ord, rule)))
    variance = WEIGHT_VARIANCE[rule](12)
    for _ in range(DRAWS):
        W = rng.standard_normal((8, 12)) * math.sqrt(variance)
        assert selfcheck.weight_problems("W1", W, variance) == []


@pytest.mark.parametrize("rule", ["random", "xavier", "he"])
def test_all_weight_checks_together_pass_1000_right_draws_of_a_large_layer(rule):
    rng = np.random.default_rng(sum(map(ord, rule)))
    variance = WEIGHT_VARIANCE[rule](100)
    for _ in range(1_000):
        W = rng.standard_normal((60, 100)) * math.sqrt(variance)
        assert selfcheck.weight_problems("W1", W, variance) == []


@pytest.mark.parametrize("rule", sorted(BEHAVIOUR_NET))
def test_behaviour_check_passes_200_right_draws(rule):
    _, width, depth, _ = BEHAVIOUR_NET[rule]
    rng = np.random.default_rng(7)
    failures = [p for _ in range(200) if (p := _behaviour_problems(rule, initialize([width] * (depth + 1), rule, rng)))]
    assert failures == []


def test_behaviour_check_catches_xavier_with_relu_and_he_with_tanh():
    _, width, depth, _ = BEHAVIOUR_NET["he"]
    xavier_draw = initialize([width] * (depth + 1), "xavier", np.random.default_rng(1))
    assert "shrinks" in _behaviour_problems("he", xavier_draw)[0]
    he_draw = initialize([width] * (depth + 1), "he", np.random.default_rng(1))
    assert "grows" in _behaviour_problems("xavier", he_draw)[0]


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_catalogued_variance_mistake_is_named_on_the_hidden_cases(name):
    exercise = INITIALIZERS[name]
    rng = np.random.default_rng(11)
    for message, wrong_variance in exercise.catalogue:
        case = exercise.cases(rng)[0]  # three layers of unequal, large widths
        dims = case.context["layers_dims"]
        parameters = {}
        for l in range(1, len(dims)):
            std = math.sqrt(wrong_variance(dims[l - 1], dims[l]))
            parameters[f"W{l}"] = rng.standard_normal((dims[l], dims[l - 1])) * std
            parameters[f"b{l}"] = np.zeros((dims[l], 1))
        problems = exercise.judge(case, [parameters])
        assert problems and message in problems[0], (message, problems)


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
def test_right_draws_pass_every_hidden_case_for_many_seeds(name):
    exercise = INITIALIZERS[name]
    rule = RULES.get(name, "zeros")
    for seed in range(4):
        rng = np.random.default_rng(seed)
        for case in exercise.cases(rng):
            (args, _), = case.calls
            assert exercise.judge(case, [initialize(args[0], rule, rng)]) == [], (seed, case.label)


def test_uniform_weights_are_told_to_use_randn():
    rng = np.random.default_rng(3)
    W = rng.uniform(0, 1, (100, 80))
    assert "np.random.randn" in selfcheck.weight_problems("W1", W, 1 / 80)[0]
    centred = (rng.uniform(-0.5, 0.5, (100, 80))) * math.sqrt(12 / 80)  # right variance, wrong shape
    assert "normally distributed" in selfcheck.weight_problems("W1", centred, 1 / 80)[0]


def test_repeated_rows_are_caught():
    row = np.random.default_rng(4).standard_normal((1, 50)) * math.sqrt(1 / 50)
    assert "repeated rows" in selfcheck.weight_problems("W1", np.repeat(row, 30, axis=0), 1 / 50)[0]
