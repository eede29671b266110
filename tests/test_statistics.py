"""The statistical checks of the initializers: right draws pass, classic mistakes are named.

Every bound in ``autograder.selfcheck`` claims a false-failure probability of at most 1e-9 per
check; here each check meets 10,000 right draws (the deep-network behaviour check, which costs
ten matrix products per draw, meets 200: its bound sits more than 7 standard deviations from
the reference, measured over 2,000 draws) and must never fail. The mean and variance checks are
run on summary statistics drawn exactly from their distributions, so sizes up to 60,000 entries
cost nothing. The goodness-of-fit (Kolmogorov-Smirnov) bound is also checked against the exact
distribution of the KS statistic (scipy's ``kstwo``), and the shuffle-pattern bound of the
mini-batches against its derivation.
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

INITIALIZERS = {exercise.name: exercise for exercise in ASSIGNMENTS["initialization"]
                if exercise.kind == "initializer"}
RULES = {"initialize_parameters_random": "random", "initialize_parameters_xavier": "xavier",
         "initialize_parameters_he": "he"}


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
        assert np.all(
            selfcheck.kurtosis_ok(np.mean(squares**2, axis=1), np.mean(squares, axis=1), n))


@pytest.mark.parametrize("rule", ["random", "xavier", "he"])
def test_all_weight_checks_together_pass_10000_right_draws_of_a_small_layer(rule):
    rng = np.random.default_rng(sum(map(ord, rule)))
    variance = WEIGHT_VARIANCE[rule](12)
    for _ in range(DRAWS):
        W = rng.standard_normal((8, 12)) * math.sqrt(variance)
        assert selfcheck.weight_findings("W1", W, variance) == ([], True)


@pytest.mark.parametrize("rule", ["random", "xavier", "he"])
def test_all_weight_checks_together_pass_1000_right_draws_of_a_large_layer(rule):
    rng = np.random.default_rng(sum(map(ord, rule)))
    variance = WEIGHT_VARIANCE[rule](100)
    for _ in range(1_000):
        W = rng.standard_normal((60, 100)) * math.sqrt(variance)
        assert selfcheck.weight_findings("W1", W, variance) == ([], True)
        assert selfcheck.normal_fit_ok(W / math.sqrt(variance))


@pytest.mark.parametrize("rule", sorted(BEHAVIOUR_NET))
def test_behaviour_check_passes_200_right_draws(rule):
    _, width, depth, _ = BEHAVIOUR_NET[rule]
    rng = np.random.default_rng(7)
    failures = [p for _ in range(200)
                if (p := _behaviour_problems(rule, initialize([width] * (depth + 1), rule, rng)))]
    assert failures == []


def test_behaviour_check_catches_xavier_with_relu_and_he_with_tanh():
    _, width, depth, _ = BEHAVIOUR_NET["he"]
    xavier_draw = initialize([width] * (depth + 1), "xavier", np.random.default_rng(1))
    assert "shrinks" in _behaviour_problems("he", xavier_draw)[0]
    he_draw = initialize([width] * (depth + 1), "he", np.random.default_rng(1))
    assert "grows" in _behaviour_problems("xavier", he_draw)[0]


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_catalogued_variance_mistake_explains_every_finding_of_the_hidden_cases(name):
    exercise = INITIALIZERS[name]
    rng = np.random.default_rng(11)
    for mistake in [m for m in exercise.catalogue if m.variance is not None]:
        findings = []
        for case in exercise.cases(rng):
            (args, _), = case.calls
            findings += exercise.judge(case, [mistake.example(args[0])])[0]
        assert findings, mistake.message
        assert all(mistake.message in finding.mistakes for finding in findings), (
            mistake.message, findings)
        assert (selfcheck.explain(findings, [m.message for m in exercise.catalogue])
                == [mistake.message])


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
def test_right_draws_pass_every_hidden_case_for_many_seeds(name):
    exercise = INITIALIZERS[name]
    rule = RULES.get(name, "zeros")
    for seed in range(4):
        rng = np.random.default_rng(seed)
        for case in exercise.cases(rng):
            (args, _), = case.calls
            assert exercise.judge(case, [initialize(args[0], rule, rng)]) == ([], []), (
                seed, case.label)


def test_uniform_weights_are_told_to_use_randn():
    rng = np.random.default_rng(3)
    W = rng.uniform(0, 1, (100, 80))
    (finding,), _ = selfcheck.weight_findings("W1", W, 1 / 80)
    assert finding.mistakes == (selfcheck.INIT_NOT_CENTRED,) and "np.random.randn" in finding.text
    # the right variance, the wrong shape
    centred = (rng.uniform(-0.5, 0.5, (100, 80))) * math.sqrt(12 / 80)
    (finding,), _ = selfcheck.weight_findings("W1", centred, 1 / 80)
    assert (finding.mistakes == (selfcheck.INIT_NOT_NORMAL,)
            and "normally distributed" in finding.text)


# ---------------------------------------------------------------------------------------------
# Structure before statistics


def test_every_row_the_same_is_told_repeated_rows_whatever_its_variance():
    rng = np.random.default_rng(4)
    for _ in range(500):
        row = rng.standard_normal((1, 50)) * math.sqrt(2 / 50)  # a He row; 30 copies of it
        (finding,), joins = selfcheck.weight_findings("W1", np.repeat(row, 30, axis=0), 2 / 50,
                                                      HE_ALTERNATIVES(50, 30))
        assert finding.mistakes[0] == selfcheck.INIT_REPEATED_ROWS and not joins
        assert selfcheck.INIT_REPEATED_ROWS in finding.text and "Glorot" not in finding.text


def test_one_repeated_row_in_a_he_draw_is_told_repeated_rows_never_glorot():
    rng = np.random.default_rng(5)
    for _ in range(500):
        W = rng.standard_normal((30, 50)) * math.sqrt(2 / 50)
        W[17] = W[3]
        (finding,), _ = selfcheck.weight_findings("W2", W, 2 / 50, HE_ALTERNATIVES(50, 30))
        assert finding.mistakes == (selfcheck.INIT_REPEATED_ROWS,) and "Glorot" not in finding.text


def test_a_repeated_column_is_told_repeated_columns():
    W = np.random.default_rng(6).standard_normal((40, 20))
    W[:, 5] = W[:, 0]
    (finding,), _ = selfcheck.weight_findings("W1", W, 1.0)
    assert finding.mistakes == (selfcheck.INIT_REPEATED_COLUMNS,)


def HE_ALTERNATIVES(n_in: int, n_out: int) -> list[tuple[str, float]]:
    he = INITIALIZERS["initialize_parameters_he"]
    return [(m.message, m.variance(n_in, n_out)) for m in he.catalogue if m.variance is not None]


# ---------------------------------------------------------------------------------------------
# Goodness of fit: a real test of normality on the standardized weights


@pytest.mark.parametrize("n", [1, 2, 5, 30, 100, 1_000, 10_000, 100_000, 1_000_000])
def test_ks_limit_fails_a_right_draw_with_probability_below_1e_9(n):
    assert stats.kstwo.sf(selfcheck.ks_limit(n), n) <= selfcheck.FALSE_FAILURE


def test_normal_cdf_is_within_the_error_the_ks_limit_allows_for():
    z = np.linspace(-40, 40, 400_001)
    assert np.max(np.abs(selfcheck.normal_cdf(z) - stats.norm.cdf(z))) <= selfcheck.CDF_ERROR / 2


def test_ks_distance_is_scipys_statistic():
    z = np.random.default_rng(8).standard_normal((5, 300))
    for row in z:
        assert selfcheck.ks_distance(row) == pytest.approx(stats.kstest(row, "norm").statistic,
                                                           abs=1e-7)


@pytest.mark.parametrize("n", [5, 50, 500, 5_000])
def test_normal_fit_check_passes_10000_right_draws(n):
    rng = np.random.default_rng(n + 2)
    batch = max(1, 2_000_000 // n)
    for start in range(0, DRAWS, batch):
        z = rng.standard_normal((min(batch, DRAWS - start), n))
        assert np.all(selfcheck.ks_distance(z) <= selfcheck.ks_limit(n))


def _three_point(rng, shape):
    """-sqrt(3), 0, sqrt(3) with probabilities 1/6, 2/3, 1/6: mean, variance and kurtosis of
    N(0, 1)."""
    return rng.choice([-math.sqrt(3), 0.0, math.sqrt(3)], size=shape, p=[1 / 6, 2 / 3, 1 / 6])


#: Two centred uniforms mixed 70 / 30, tuned to variance 1 and kurtosis 3 (the mixture of two
#: uniforms with these moments nearest to N(0, 1): KS distance 0.037 from it).
MIXTURE = (0.7, 1.1817074716381604, 2.5964701782947444)


def _uniform_mixture(rng, shape):
    p, a, b = MIXTURE
    return np.where(rng.random(shape) < p, rng.uniform(-a, a, shape), rng.uniform(-b, b, shape))


def test_the_mixture_and_the_three_point_distribution_match_the_normal_moments():
    rng = np.random.default_rng(9)
    for draw in (_three_point, _uniform_mixture):
        w = draw(rng, 2_000_000)
        assert (abs(np.mean(w)) < 0.01 and abs(np.mean(w**2) - 1) < 0.01
                and abs(np.mean(w**4) - 3) < 0.05)


@pytest.mark.parametrize("draw", [_three_point, _uniform_mixture])
@pytest.mark.parametrize("name", ["initialize_parameters_xavier", "initialize_parameters_he"])
def test_non_normal_draws_with_normal_moments_fail_the_hidden_cases_every_time(name, draw):
    exercise, rng = INITIALIZERS[name], np.random.default_rng(10)
    variance = WEIGHT_VARIANCE[RULES[name]]
    for _ in range(50):
        case = exercise.cases(rng)[0]  # three layers: 30,000 entries or more
        dims = case.context["layers_dims"]
        parameters = {}
        for l in range(1, len(dims)):
            parameters[f"W{l}"] = (draw(rng, (dims[l], dims[l - 1]))
                                   * math.sqrt(variance(dims[l - 1])))
            parameters[f"b{l}"] = np.zeros((dims[l], 1))
        findings, _ = exercise.judge(case, [parameters])
        assert findings and all(selfcheck.INIT_NOT_NORMAL in f.mistakes for f in findings), findings
        assert (selfcheck.explain(findings, [m.message for m in exercise.catalogue])
                == [selfcheck.INIT_NOT_NORMAL])


# ---------------------------------------------------------------------------------------------
# Mini-batches: a fixed reordering is not a shuffle


@pytest.mark.parametrize("m", [16, 27, 28, 40, 64, 100, 319, 1_000])
def test_repeated_step_limit_is_the_union_bound_at_1e_9(m):
    c = selfcheck.repeated_step_limit(m)
    assert (m - 1) / math.factorial(c) <= selfcheck.FALSE_FAILURE < (m - 1) / math.factorial(c - 1)


@pytest.mark.parametrize("m", [28, 33, 64, 100, 319])
def test_right_shuffles_never_look_structured_in_10000_draws(m):
    rng = np.random.default_rng(m)
    assert not any(selfcheck.structured_order(rng.permutation(m)) for _ in range(DRAWS))


@pytest.mark.parametrize("m", [28, 33, 64, 319])
def test_rotations_and_reversals_look_structured_from_28_examples_on(m):
    index = np.arange(m)
    for shift in range(1, m):
        assert selfcheck.structured_order(np.roll(index, shift))
        assert selfcheck.structured_order(np.roll(index[::-1], shift))


@pytest.mark.parametrize("m", [40, 64, 319])
def test_strided_and_batchwise_orders_look_structured(m):
    index = np.arange(m)
    for stride in (2, 3):
        assert selfcheck.structured_order(np.concatenate([index[k::stride] for k in range(stride)]))
    blocks = [index[k : k + 16] for k in range(0, m, 16)]
    # the batches shuffled, not the examples
    assert selfcheck.structured_order(np.concatenate(blocks[::-1]))
