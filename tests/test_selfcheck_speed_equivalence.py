"""The shortcuts that keep judging cheap decide exactly what the plain formulas decide.

``autograder.selfcheck`` settles most answers without the costly step: arrays identical bit for
bit skip the tolerance arithmetic, a matrix of n distinct entries skips the search for repeated
rows and columns, the fourth moment is (W * W)**2 rather than W**4, and the goodness-of-fit test
first tries a bound from a grid of the entries. Each must give the verdict, and the numbers in
the feedback, of the step it stands in for.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograder import selfcheck
from autograder.selfcheck import INIT_REPEATED_COLUMNS, INIT_REPEATED_ROWS

# ---------------------------------------------------------------------------------------------
# Comparing arrays


@pytest.mark.parametrize("equal_nan", [False, True])
def test_an_identical_array_is_equal_unless_it_holds_nan_or_infinity(equal_nan):
    finite = np.array([0.5, -0.0, 1e300, -3.0])
    assert selfcheck.describe_difference(finite, finite.copy(), equal_nan=equal_nan) is None
    special = np.array([[0.5, np.nan], [np.inf, -np.inf]])
    told = None if equal_nan else "the result contains NaN or infinity"
    assert selfcheck.describe_difference(special, special.copy(), equal_nan=equal_nan) == told


def test_arrays_equal_only_within_the_tolerance_are_still_equal():
    expected = np.array([[1.0, 0.0], [-2.5, 1e-12]])
    got = expected * (1 + 1e-9)
    got[0, 1] = -0.0  # equal to 0.0, not the same bits
    assert selfcheck.describe_difference(expected, got) is None


def test_the_same_bytes_in_another_dtype_are_not_equal():
    expected = np.array([1, 2], dtype=np.int64)
    got = expected.view(np.float64)
    assert selfcheck.describe_difference(expected, got) == (
        "the result has dtype float64; expected integers (int64)"
    )


@pytest.mark.parametrize("equal_nan", [False, True])
def test_arrays_are_equal_exactly_when_the_tolerance_rule_says_so(equal_nan):
    rng = np.random.default_rng(12)
    for _ in range(2_000):
        expected = rng.standard_normal(rng.integers(1, 6)) * 10.0 ** rng.integers(-12, 4)
        expected[rng.random(expected.size) < 0.1] = np.nan
        got = expected.copy()
        if rng.random() < 0.5:  # off by about the tolerance, or equal bit for bit
            got += rng.choice([-1, 1]) * rng.choice([0.5, 2.0]) * selfcheck.ATOL
        rule = np.isfinite(got).all() or equal_nan
        rule = rule and selfcheck._close(expected, got, equal_nan).all()
        assert (selfcheck.describe_difference(expected, got, equal_nan=equal_nan) is None) == rule


# ---------------------------------------------------------------------------------------------
# Repeated rows and columns


def _with(W: np.ndarray, *changes: tuple[tuple, object]) -> np.ndarray:
    W = W.copy()
    for index, value in changes:
        W[index] = value
    return W


NORMAL = np.random.default_rng(13).standard_normal((6, 5))
MATRICES = {
    "distinct entries": NORMAL,
    "a repeated row": _with(NORMAL, ((4,), NORMAL[1])),
    "a repeated column": _with(NORMAL, ((slice(None), 3), NORMAL[:, 0])),
    "rows equal but for the sign of a zero": _with(
        NORMAL, ((0, 0), 0.0), ((1,), NORMAL[0]), ((1, 0), -0.0)
    ),
    "rows of NaN": np.full((2, 2), np.nan),
    "one entry": np.array([[0.3]]),
    "three empty rows": np.zeros((3, 0)),
    "three empty columns": np.zeros((0, 3)),
    "integers with a repeated row": np.array([[1, 2, 3], [4, 5, 6], [1, 2, 3]]),
    "distinct integers": np.arange(12).reshape(3, 4) - 6,
}


@pytest.mark.parametrize("W", MATRICES.values(), ids=MATRICES.keys())
def test_repeated_rows_and_columns_are_told_exactly_when_they_repeat(W):
    with np.errstate(invalid="ignore"):
        findings, _ = selfcheck.weight_findings("W1", W, 1.0)
    told = set(findings[0].mistakes) if findings else set()
    assert (INIT_REPEATED_ROWS in told) == selfcheck._repeats(W)
    assert (INIT_REPEATED_COLUMNS in told) == selfcheck._repeats(np.ascontiguousarray(W.T))


# ---------------------------------------------------------------------------------------------
# The fourth moment


def _laplace(rng, shape):
    return rng.laplace(size=shape)


def _student(rng, shape):
    return rng.standard_t(8, size=shape)


def _uniform(rng, shape):
    return rng.uniform(-1, 1, size=shape)


def _normal(rng, shape):
    return rng.standard_normal(shape)


@pytest.mark.parametrize("draw", [_normal, _uniform, _laplace, _student])
def test_the_fourth_moment_without_pow_decides_and_reads_like_w_to_the_fourth(draw):
    rng = np.random.default_rng(14)
    for _ in range(300):
        W = draw(rng, (rng.integers(50, 120), rng.integers(100, 200)))
        n, squares = W.size, W * W
        second, power, product = np.mean(squares), np.mean(W**4), np.mean(squares * squares)
        assert abs(power - product) <= 8 * np.spacing(power)
        assert selfcheck.kurtosis_ok(power, second, n) == selfcheck.kurtosis_ok(product, second, n)
        assert f"{power / second**2:.2f}" == f"{product / second**2:.2f}"


def test_the_kurtosis_told_is_that_of_w_to_the_fourth():
    W = np.random.default_rng(15).uniform(-0.5, 0.5, (100, 80)) * math.sqrt(12 / 80)
    (finding,), _ = selfcheck.weight_findings("W1", W, 1 / 80)
    kurtosis = np.mean(W**4) / np.mean(W**2) ** 2
    assert finding.text.startswith(f"W1 has kurtosis {kurtosis:.2f} (normal is 3)")


# ---------------------------------------------------------------------------------------------
# Goodness of fit: the bound first, the exact distance when the bound does not settle it


def _runs(rng, draw, sizes):
    return [np.sort(draw(rng, size)) for size in sizes]


def _three_point(rng, shape):
    return rng.choice([-math.sqrt(3), 0.0, math.sqrt(3)], size=shape, p=[1 / 6, 2 / 3, 1 / 6])


def _scaled_normal(rng, shape):
    return rng.standard_normal(shape) * 1.05


DRAWS = [_normal, _scaled_normal, _uniform, _laplace, _student, _three_point]
SIZES = [[1], [2], [6, 2], [30, 12, 5], [766], [5_000], [32_144], [68_000, 9_000, 55]]
SIZES += [[16_384] * 10]


@pytest.mark.parametrize("sizes", SIZES, ids=map(str, SIZES))
@pytest.mark.parametrize("draw", DRAWS)
def test_the_bound_is_never_below_the_distance_and_the_test_is_the_ks_test(draw, sizes):
    rng = np.random.default_rng(sum(sizes))
    for _ in range(20 if sum(sizes) < 100_000 else 3):
        runs = _runs(rng, draw, sizes)
        distance = float(selfcheck.ks_distance(np.concatenate(runs)))
        assert selfcheck.ks_bound(runs) >= distance
        failed = distance > selfcheck.ks_limit(sum(sizes))
        assert selfcheck.normal_fit_distance(runs) == (distance if failed else None)


@pytest.mark.parametrize("sizes", [[16_384] * 10, [78_000, 9_570, 55], [32_144], [5_000]])
def test_right_draws_of_the_hidden_sizes_are_settled_by_the_bound(sizes):
    rng = np.random.default_rng(len(sizes))
    limit = selfcheck.ks_limit(sum(sizes))
    assert all(selfcheck.ks_bound(_runs(rng, _normal, sizes)) <= limit for _ in range(100))
