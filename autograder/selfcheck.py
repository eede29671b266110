"""Self-checks for the optimization and initialization exercises.

This one file serves two places and must stay standalone (NumPy and the standard library only):

* students get a copy beside each released notebook and call ``selfcheck.check(name, fn)``
  on the public cases stored in ``selfcheck_data.json``;
* the grader uses the very same comparison, property and statistics functions on the hidden
  cases, so a self-check and a grade can never disagree about what "right" means.

Tolerances: numbers are equal when ``|got - expected| <= ATOL + RTOL * |expected|``.
Statistics: every bound is two-sided with a false-failure probability of at most 1e-9 per check.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

RTOL = 1e-6
ATOL = 1e-9
#: Two-sided standard normal quantile for a false-failure probability of 1e-9.
Z_BOUND = 6.109410204869
#: Bound on the self-normalized mean sum(w) / sqrt(sum(w**2)): for symmetric w,
#: P(|.| > x) <= 2 exp(-x**2 / 2) (Efron 1969), which is 1e-9 at x = sqrt(2 ln 2e9).
MEAN_BOUND = math.sqrt(2 * math.log(2e9))
#: Kurtosis is only tested on this many entries or more, against twice the normal-theory bound,
#: because the sample kurtosis has a heavier right tail than the normal approximation.
KURTOSIS_MIN_ENTRIES = 5000
#: Shuffling is only judged from this many examples on: a right shuffle of m examples leaves them
#: in order (or repeats another seed's order) with probability 1/m!, below 1e-13 here.
SHUFFLE_MIN_EXAMPLES = 16


class SelfCheckFailed(AssertionError):
    """A self-check failed; the message says what to fix. Jupyter shows it without a traceback."""

    def _render_traceback_(self) -> list[str]:
        return [f"\033[31mSelf-check failed:\033[0m {self}"]


# --------------------------------------------------------------------------------------------
# Plain data <-> JSON (the public data file)


def to_json(value: object) -> object:
    """Encode plain data (arrays, dicts, lists, tuples, numbers, strings) as JSON values."""
    if isinstance(value, np.ndarray):
        return {"__array__": value.tolist(), "dtype": str(value.dtype), "shape": list(value.shape)}
    if isinstance(value, tuple):
        return {"__tuple__": [to_json(item) for item in value]}
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def from_json(value: object) -> object:
    """Inverse of :func:`to_json`."""
    if isinstance(value, dict):
        if "__array__" in value:
            return np.array(value["__array__"], dtype=value["dtype"]).reshape(value["shape"])
        if "__tuple__" in value:
            return tuple(from_json(item) for item in value["__tuple__"])
        return {key: from_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_json(item) for item in value]
    return value


# --------------------------------------------------------------------------------------------
# Comparing a returned value with the expected one


def _type_name(value: object) -> str:
    # The grader stands in an ``Unsupported(type_name)`` marker for objects that are not plain data.
    if type(value).__name__ == "Unsupported":
        return str(getattr(value, "type_name", "object"))
    return type(value).__name__


def _first_difference(expected: np.ndarray, got: np.ndarray) -> tuple[int, ...]:
    bad = ~np.isclose(got, expected, rtol=RTOL, atol=ATOL)
    return tuple(int(i) for i in np.argwhere(bad)[0])


def _array_difference(expected: np.ndarray, got: object, where: str, equal_nan: bool = False) -> str | None:
    if type(got) is not np.ndarray:
        hint = ": wrap it in np.array(...)" if type(got) in (list, tuple) else ""
        return f"{where} is a {_type_name(got)}; expected a NumPy array of shape {expected.shape}{hint}"
    if got.shape != expected.shape:
        return f"{where} has shape {got.shape}; expected {expected.shape}"
    if got.dtype.kind not in "fiu":
        return f"{where} has dtype {got.dtype}; expected numbers ({expected.dtype})"
    if not equal_nan and not np.all(np.isfinite(got)):
        return f"{where} contains NaN or infinity"
    if not np.allclose(got, expected, rtol=RTOL, atol=ATOL, equal_nan=equal_nan):
        index = _first_difference(expected, got)
        return f"{where}[{', '.join(map(str, index))}] is {got[index]:.6g}; expected {expected[index]:.6g}"
    return None


def describe_difference(
    expected: object, got: object, where: str = "the result", equal_nan: bool = False
) -> str | None:
    """None when ``got`` equals ``expected`` within tolerance, else the first difference in words.

    Only plain types pass: NumPy arrays, dicts with the same keys, lists or tuples of the same
    length, and real numbers. Lists and tuples are interchangeable as containers. NaN never
    equals anything unless ``equal_nan`` (used to recognise mistakes that produce NaN).
    """
    if isinstance(expected, np.ndarray):
        return _array_difference(expected, got, where, equal_nan)
    if isinstance(expected, dict):
        if type(got) is not dict:
            return f"{where} is a {_type_name(got)}; expected a dict with keys {sorted(expected)}"
        missing, extra = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
        if missing:
            return f"{where} has no key {missing[0]!r}"
        if extra:
            return f"{where} has an unexpected key {extra[0]!r}"
        for key in expected:
            problem = describe_difference(expected[key], got[key], f"{where}[{key!r}]", equal_nan)
            if problem:
                return problem
        return None
    if isinstance(expected, (tuple, list)):
        if type(got) not in (tuple, list):
            return f"{where} is a {_type_name(got)}; expected a tuple of {len(expected)} values"
        if len(got) != len(expected):
            return f"{where} has {len(got)} values; expected {len(expected)}"
        for index, (want, have) in enumerate(zip(expected, got)):
            problem = describe_difference(want, have, f"{where}[{index}]", equal_nan)
            if problem:
                return problem
        return None
    if isinstance(expected, float):
        if type(got) not in (float, int, np.float64, np.float32):
            return f"{where} is a {_type_name(got)}; expected a float"
        if equal_nan and math.isnan(got) and math.isnan(expected):
            return None
        if not math.isfinite(got) and not (equal_nan and got == expected):
            return f"{where} is {got}; expected a finite number"
        if not math.isclose(got, expected, rel_tol=RTOL, abs_tol=ATOL):
            return f"{where} is {got:.6g}; expected {expected:.6g}"
        return None
    raise TypeError(f"cannot compare against a {_type_name(expected)}")


def diagnose(got: object, mistakes: Sequence[tuple[str, object]]) -> str | None:
    """The message of the first catalogued mistake whose output ``got`` reproduces."""
    for message, wrong in mistakes:
        if describe_difference(wrong, got, equal_nan=True) is None:
            return message
    return None


# --------------------------------------------------------------------------------------------
# Mini-batches: graded by their properties, not by one RNG sequence


def minibatch_problems(
    X: np.ndarray, Y: np.ndarray, mini_batch_size: int, batches: object
) -> list[str]:
    """What is wrong with ``batches`` as the mini-batches of (X, Y); empty when nothing is.

    X must hold distinct columns (the checker makes them so). Right means: a list of (X_b, Y_b)
    pairs, floor(m / size) full batches then one of m % size if that is non-zero, the columns of
    all X_b together a permutation of the columns of X, and Y_b following the same permutation.
    """
    n_x, m = X.shape
    if type(batches) is not list:
        return [f"returned a {_type_name(batches)}; expected a list of (X_batch, Y_batch) pairs"]
    full, rest = divmod(m, mini_batch_size)
    sizes = [mini_batch_size] * full + ([rest] if rest else [])
    for index, pair in enumerate(batches):
        if type(pair) not in (tuple, list) or len(pair) != 2:
            return [f"batch {index} is not an (X_batch, Y_batch) pair"]
        for label, part, rows in (("X", pair[0], n_x), ("Y", pair[1], 1)):
            if type(part) is not np.ndarray or part.ndim != 2 or part.shape[0] != rows:
                shape = getattr(part, "shape", _type_name(part))
                return [f"{label} of batch {index} has shape {shape}; expected ({rows}, batch size)"]
    got_sizes = [pair[0].shape[1] for pair in batches]
    if got_sizes != sizes:
        if got_sizes == sizes[:-1] and rest:
            return [f"the last batch of {rest} examples is missing: keep the m % mini_batch_size leftovers"]
        return [f"batch sizes are {got_sizes}; expected {sizes}"]
    if any(pair[1].shape[1] != pair[0].shape[1] for pair in batches):
        return ["an X batch and its Y batch hold different numbers of examples"]
    X_all = np.concatenate([pair[0] for pair in batches], axis=1)
    Y_all = np.concatenate([pair[1] for pair in batches], axis=1)
    order = _column_order(X, X_all)
    if order is None:
        if _column_order(X.T, X_all.T) is not None:
            return ["the rows (features) were shuffled instead of the columns (examples)"]
        return ["the batches are not a partition of the examples: each column of X must appear exactly once"]
    problems = []
    if not np.array_equal(Y_all, Y[:, order]):
        problems.append("X and Y were shuffled differently: use one permutation for both")
    if m >= SHUFFLE_MIN_EXAMPLES and np.array_equal(order, np.arange(m)):
        problems.append("the examples are in their original order: shuffle the columns first")
    return problems


def _column_order(X: np.ndarray, X_all: np.ndarray) -> np.ndarray | None:
    """The permutation p with X_all == X[:, p], or None when there is none."""
    if X_all.shape != X.shape:
        return None
    index = {X[:, j].tobytes(): j for j in range(X.shape[1])}
    order = [index.get(np.ascontiguousarray(X_all[:, j]).tobytes()) for j in range(X.shape[1])]
    if None in order or len(set(order)) != len(order):
        return None
    return np.array(order)


def seeding_problems(m: int, same_a: object, same_b: object, other: object) -> list[str]:
    """Two calls with one seed must agree; a call with another seed must differ (m >= 16)."""
    problems = []
    if describe_difference(_as_plain(same_a), same_b) is not None:
        problems.append("two calls with the same seed gave different batches: seed the shuffle with `seed`")
    elif m >= SHUFFLE_MIN_EXAMPLES and describe_difference(_as_plain(same_a), other) is None:
        problems.append("different seeds gave the same batches: the shuffle ignores `seed`")
    return problems


def _as_plain(batches: object) -> object:
    if type(batches) is list:
        return [tuple(pair) if type(pair) in (tuple, list) else pair for pair in batches]
    return batches


# --------------------------------------------------------------------------------------------
# Initializers: graded statistically, whatever RNG the student used


def variance_bounds(variance: float, n: int) -> tuple[float, float]:
    """Bounds on the mean of n squared N(0, variance) draws (chi-square, Wilson-Hilferty).

    Each side fails a right draw with probability at most 5e-10 (1e-9 together).
    """
    if variance == 0:
        return 0.0, 0.0
    spread = 2.0 / (9.0 * n)
    low = (1 - spread - Z_BOUND * math.sqrt(spread)) ** 3 if 1 - spread - Z_BOUND * math.sqrt(spread) > 0 else 0.0
    high = (1 - spread + Z_BOUND * math.sqrt(spread)) ** 3
    return variance * low, variance * high


def kurtosis_bound(n: int) -> float:
    """|sample kurtosis - 3| of n normal draws stays below this (twice the normal-theory bound)."""
    return 2 * Z_BOUND * math.sqrt(24.0 / n)


# Each test below takes summary statistics of n entries (works elementwise on arrays of them)
# and is True when they are consistent with n iid N(0, variance) draws.


def mean_ok(total: float, sum_of_squares: float) -> bool:
    """Centred on 0: the self-normalized sum stays within MEAN_BOUND."""
    return np.abs(total) <= MEAN_BOUND * np.sqrt(sum_of_squares)


def variance_ok(mean_square: float, variance: float, n: int) -> bool:
    low, high = variance_bounds(variance, n)
    return (low <= mean_square) & (mean_square <= high)


def kurtosis_ok(mean_fourth: float, mean_square: float, n: int) -> bool:
    """Normal tails (kurtosis 3); only judged from KURTOSIS_MIN_ENTRIES entries on."""
    if n < KURTOSIS_MIN_ENTRIES:
        return np.ones_like(mean_square, dtype=bool)
    return np.abs(mean_fourth / mean_square**2 - 3.0) <= kurtosis_bound(n)


def weight_problems(
    name: str, W: np.ndarray, variance: float, alternatives: Sequence[tuple[str, float]] = ()
) -> list[str]:
    """Statistical problems of one weight matrix W that should be N(0, variance), entrywise iid.

    ``alternatives`` are (message, variance) pairs of classic mistakes: when the observed
    variance fits one of them instead, its message names the mistake.
    """
    n = W.size
    if variance == 0:
        return [] if not np.any(W) else [f"{name} is not all zeros"]
    second = float(np.mean(W**2))
    if not mean_ok(float(W.sum()), second * n):
        return [f"{name} has mean {W.mean():.3g}; the weights should be centred on 0 (np.random.randn, not rand)"]
    if not variance_ok(second, variance, n):
        for message, wrong in alternatives:
            if variance_ok(second, wrong, n):
                return [f"{name}: {message}"]
        return [f"{name} has variance {second:.4g}; expected {variance:.4g} (from {n} entries)"]
    fourth = float(np.mean(W**4))
    if not kurtosis_ok(fourth, second, n):
        kurtosis = fourth / second**2
        return [f"{name} does not look normally distributed (kurtosis {kurtosis:.2f}, normal is 3): use np.random.randn"]
    if W.shape[0] > 1 and len({row.tobytes() for row in W}) < W.shape[0]:
        return [f"{name} has repeated rows: every unit must get its own random weights"]
    if W.shape[1] > 1 and len({col.tobytes() for col in np.ascontiguousarray(W.T)}) < W.shape[1]:
        return [f"{name} has repeated columns: draw every weight independently"]
    return []


def parameter_structure_problems(layers_dims: Sequence[int], parameters: object) -> list[str]:
    """Keys, types, shapes, dtype and zero biases of an initializer's output."""
    if type(parameters) is not dict:
        return [f"returned a {_type_name(parameters)}; expected a dict of W1, b1, ..."]
    L = len(layers_dims) - 1
    expected_keys = {f"{kind}{l}" for l in range(1, L + 1) for kind in "Wb"}
    if set(parameters) != expected_keys:
        missing = sorted(expected_keys - set(parameters))
        extra = sorted(set(parameters) - expected_keys)
        return [f"keys should be W1, b1, ..., W{L}, b{L}" + (f"; missing {missing}" if missing else f"; unexpected {extra}")]
    for l in range(1, L + 1):
        for kind, shape in (("W", (layers_dims[l], layers_dims[l - 1])), ("b", (layers_dims[l], 1))):
            key, value = f"{kind}{l}", parameters[f"{kind}{l}"]
            if type(value) is not np.ndarray:
                return [f"{key} is a {_type_name(value)}; expected a NumPy array"]
            if value.shape != shape:
                return [f"{key} has shape {value.shape}; expected {shape} (n_{l}, n_{l - 1})" if kind == "W" else f"{key} has shape {value.shape}; expected {shape}"]
            if value.dtype != np.float64:
                return [f"{key} has dtype {value.dtype}; expected float64"]
            if not np.all(np.isfinite(value)):
                return [f"{key} contains NaN or infinity"]
        if np.any(parameters[f"b{l}"]):
            return [f"b{l} is not zero: biases start at 0"]
    return []


def initializer_problems(
    layers_dims: Sequence[int],
    parameters: object,
    variances: Sequence[float],
    alternatives: Sequence[tuple[str, Sequence[float]]] = (),
) -> list[str]:
    """Everything wrong with one draw of an initializer; ``variances[l-1]`` is Var(W[l])."""
    problems = parameter_structure_problems(layers_dims, parameters)
    if problems:
        return problems
    for l, variance in enumerate(variances, start=1):
        layer_alternatives = [(message, wrong[l - 1]) for message, wrong in alternatives]
        problems += weight_problems(f"W{l}", parameters[f"W{l}"], variance, layer_alternatives)
    return problems


# --------------------------------------------------------------------------------------------
# The notebook side: run the public cases of one graded name


def _load_data() -> dict:
    return json.loads((Path(__file__).with_name("selfcheck_data.json")).read_text())


def _call(fn: Callable, name: str, args: list, kwargs: dict) -> object:
    try:
        return fn(*copy.deepcopy(args), **copy.deepcopy(kwargs))
    except NotImplementedError:
        raise SelfCheckFailed(
            f"{name} is not implemented yet: replace `raise NotImplementedError()` with your code."
        ) from None
    except Exception as error:  # noqa: BLE001 -- the student's error, reported in one line
        raise SelfCheckFailed(f"{name} raised {type(error).__name__}: {error}") from None


def _check_values(name: str, fn: Callable, case: dict) -> list[str]:
    args, kwargs = from_json(case["args"]), from_json(case["kwargs"])
    got = _call(fn, name, args, kwargs)
    problem = describe_difference(from_json(case["expected"]), got)
    if problem is None:
        return []
    mistakes = [(m["message"], from_json(m["output"])) for m in case["mistakes"]]
    return [diagnose(got, mistakes) or problem]


def _check_minibatches(name: str, fn: Callable, case: dict) -> list[str]:
    X, Y, size = from_json(case["X"]), from_json(case["Y"]), case["mini_batch_size"]
    first = _call(fn, name, [X, Y, size, case["seed"]], {})
    problems = minibatch_problems(X, Y, size, first)
    if problems:
        return problems
    again = _call(fn, name, [X, Y, size, case["seed"]], {})
    other = _call(fn, name, [X, Y, size, case["seed"] + 1], {})
    return seeding_problems(X.shape[1], first, again, other)


def _check_initializer(name: str, fn: Callable, case: dict) -> list[str]:
    alternatives = [(a["message"], a["variances"]) for a in case["alternatives"]]
    got = _call(fn, name, [list(case["layers_dims"])], {})
    return initializer_problems(case["layers_dims"], got, case["variances"], alternatives)


_CHECKERS = {"values": _check_values, "minibatches": _check_minibatches, "initializer": _check_initializer}


def check(name: str, fn: Callable) -> None:
    """Run the public self-checks of ``name`` on the function ``fn``; raise SelfCheckFailed if wrong."""
    exercise = _load_data()["exercises"].get(name)
    if exercise is None:
        raise SelfCheckFailed(f"there are no self-checks for {name!r}")
    for number, case in enumerate(exercise["cases"], start=1):
        problems = _CHECKERS[exercise["kind"]](name, fn, case)
        if problems:
            raise SelfCheckFailed(f"{name}, case {number} ({case['label']}): {problems[0]}")
    print(f"\u2714 {name}: all {len(exercise['cases'])} self-checks passed.")
