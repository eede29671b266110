"""Self-checks for the optimization and initialization exercises.

This one file serves two places and must stay standalone (NumPy and the standard library only):

* students get a copy beside each released notebook and call ``selfcheck.check(name, fn)``
  on the public cases stored in ``selfcheck_data.json``;
* the grader uses the very same comparison, property and statistics functions on the hidden
  cases, so a self-check and a grade can never disagree about what "right" means, nor about
  which classic mistake an answer makes.

Tolerances: numbers are equal when ``|got - expected| <= ATOL + RTOL * |expected|``.
Statistics: every bound is two-sided with a false-failure probability of at most 1e-9 per check.

What is wrong with an answer is a list of :class:`Finding`: a sentence, and the catalogued
mistakes that would produce it. :func:`explain` picks the fewest mistakes that account for all
the findings of a graded name, so the same code is told the same mistake whatever the cases.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

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
#: Goodness of fit: for n iid draws of a continuous F, P(sqrt(n) sup|F_n - F| > x) <= 2 exp(-2 x**2)
#: (Dvoretzky-Kiefer-Wolfowitz with Massart's constant, any n), which is 1e-9 at this x.
KS_BOUND = math.sqrt(math.log(2e9) / 2)
#: The largest error of :func:`normal_cdf`, added to the KS bound so the 1e-9 stays exact.
CDF_ERROR = 1e-7
#: The n entries of a N(0, v) matrix share one sign with probability 2**(1 - n): below 1e-9 here.
SIGN_MIN_ENTRIES = 31
#: Shuffling is only judged from this many examples on: a right shuffle of m examples leaves them
#: in order (or repeats another seed's order) with probability 1/m!, below 1e-13 here.
SHUFFLE_MIN_EXAMPLES = 16
FALSE_FAILURE = 1e-9


class SelfCheckFailed(AssertionError):
    """A self-check failed; the message says what to fix. Jupyter shows it without a traceback."""

    def _render_traceback_(self) -> list[str]:
        return [f"\033[31mSelf-check failed:\033[0m {self}"]


# --------------------------------------------------------------------------------------------
# Findings and the mistakes that explain them


class Finding(NamedTuple):
    """One thing wrong in one case.

    ``where`` names the part (a returned component such as ``"s"``, a weight matrix ``"W2"``, or
    ``""`` for the whole answer); ``text`` says what is wrong in that case; ``mistakes`` are the
    messages of the catalogued mistakes that would give exactly this (empty: none does).
    """

    where: str
    text: str
    mistakes: tuple[str, ...] = ()


def summary(findings: Sequence[Finding], chosen: Sequence[str]) -> str:
    """One case's findings in a sentence: the chosen mistake that explains each, else its text.

    Parts told the same mistake are named together ("W1, W2: ..."), and not at all when the
    message starts with the part's name already ("s uses beta1: ...").
    """
    said: dict[str, list[str]] = {}
    for finding in findings:
        message = next((m for m in chosen if m in finding.mistakes), None)
        if message is None:
            said.setdefault(finding.text, [])
        elif finding.where and not re.match(rf"{re.escape(finding.where)}\b", message):
            said.setdefault(message, []).append(finding.where)
        else:
            said.setdefault(message, [])
    return "; ".join(
        f"{', '.join(dict.fromkeys(wheres))}: {text}" if wheres else text
        for text, wheres in said.items()
    )


def explain(findings: Sequence[Finding], catalogue: Sequence[str]) -> list[str]:
    """The fewest catalogued mistakes that explain the findings, in catalogue order.

    Greedy: take the mistake that explains the most findings not yet explained (the earlier in
    the catalogue on a tie) until no mistake explains any more. Findings no mistake explains
    stay unexplained. The choice depends only on which findings each mistake explains, so an
    answer that makes one catalogued mistake is told that mistake whatever the cases.
    """
    rank = {message: index for index, message in enumerate(catalogue)}
    open_ = [set(f.mistakes) & set(rank) for f in findings]
    chosen: list[str] = []
    while True:
        counts: dict[str, int] = {}
        for candidates in open_:
            for message in candidates:
                counts[message] = counts.get(message, 0) + 1
        if not counts:
            return sorted(chosen, key=rank.__getitem__)
        best = max(counts, key=lambda message: (counts[message], -rank[message]))
        chosen.append(best)
        open_ = [candidates if best not in candidates else set() for candidates in open_]


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


def _close(expected: np.ndarray, got: np.ndarray, equal_nan: bool) -> np.ndarray:
    """Entrywise |got - expected| <= ATOL + RTOL |expected| (np.isclose's rule, without its
    overhead); equal infinities are close, and NaNs are when ``equal_nan``."""
    with np.errstate(invalid="ignore", over="ignore"):
        near = np.abs(got - expected) <= ATOL + RTOL * np.abs(expected)
        close = (got == expected) | (near & np.isfinite(expected))
    if equal_nan:
        close |= np.isnan(got) & np.isnan(expected)
    return close


def _dtype_problem(expected: np.ndarray, got: np.ndarray, where: str) -> str | None:
    """Floats must stay float64: integer arrays truncate every update, float32 loses digits."""
    if got.dtype.kind not in "fiu":
        return f"{where} has dtype {got.dtype}; expected numbers ({expected.dtype})"
    if expected.dtype == np.float64 and got.dtype != np.float64:
        why = "integer arrays truncate every update" if got.dtype.kind in "iu" else "keep float64"
        return f"{where} has dtype {got.dtype}; expected float64 ({why}: np.zeros gives float64)"
    if expected.dtype.kind in "iu" and got.dtype.kind not in "iu":
        return f"{where} has dtype {got.dtype}; expected integers ({expected.dtype})"
    return None


def _array_difference(
    expected: np.ndarray, got: object, where: str, equal_nan: bool = False
) -> str | None:
    if type(got) is not np.ndarray:
        hint = ": wrap it in np.array(...)" if type(got) in (list, tuple) else ""
        kind = _type_name(got)
        return f"{where} is a {kind}; expected a NumPy array of shape {expected.shape}{hint}"
    if got.shape != expected.shape:
        return f"{where} has shape {got.shape}; expected {expected.shape}"
    problem = _dtype_problem(expected, got, where)
    if problem:
        return problem
    if not equal_nan and not np.isfinite(got).all():
        return f"{where} contains NaN or infinity"
    # Most right answers are the same numbers bit for bit: close, without the arithmetic.
    if got.dtype == expected.dtype and got.tobytes() == expected.tobytes():
        return None
    close = _close(expected, got, equal_nan)
    if not close.all():
        index = tuple(int(i) for i in np.argwhere(~close)[0])
        at = ", ".join(map(str, index))
        return f"{where}[{at}] is {got[index]:.6g}; expected {expected[index]:.6g}"
    return None


def describe_difference(
    expected: object, got: object, where: str = "the result", equal_nan: bool = False
) -> str | None:
    """None when ``got`` equals ``expected`` within tolerance, else the first difference in words.

    Only plain types pass: NumPy arrays of the expected kind (float64 where float64 is expected),
    dicts with the same keys, lists or tuples of the same length, and real numbers. Lists and
    tuples are interchangeable as containers. NaN never equals anything unless ``equal_nan``
    (used to recognise mistakes that produce NaN).
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


def matches(expected: object, got: object) -> bool:
    """``got`` is what a catalogued mistake returns (NaN and infinities included)."""
    return describe_difference(expected, got, equal_nan=True) is None


_REAL_SCALARS = (int, float, np.float64, np.int64)


def as_vector(got: object) -> np.ndarray | None:
    """A 1-D sequence of real numbers as a float64 array (None when ``got`` is something else).

    For results the course asks for as "a 1-D array of L numbers": a list or tuple of floats, of
    NumPy scalars or of 0-d arrays, and a 1-D array of any real dtype are all judged by value.
    """
    if type(got) is np.ndarray:
        return got.astype(np.float64) if got.ndim == 1 and got.dtype.kind in "fiu" else None
    if type(got) not in (list, tuple):
        return None
    items = []
    for item in got:
        if type(item) is np.ndarray and item.ndim == 0 and item.dtype.kind in "fiu":
            item = item.item()
        if type(item) not in _REAL_SCALARS:
            return None
        items.append(float(item))
    return np.array(items, dtype=np.float64)


def vector_note(name: str, got: object) -> str:
    return f"{name} returned a {_type_name(got)}; a NumPy array (np.array(...)) is preferred"


class Part(NamedTuple):
    """A returned component: its name, its place in the returned tuple (None: the whole value),
    and the components it is computed from."""

    name: str
    index: int | None
    after: tuple[str, ...] = ()


class Wrong(NamedTuple):
    """What one catalogued mistake returns in one case: component -> the values it can give.

    A ``together`` mistake (say, beta1 and beta2 swapped) only explains an answer that shows it
    in every one of its components; the others explain any component they change.
    """

    message: str
    outputs: Mapping[str, list]
    together: bool = False


def component_of(got: object, part: Part) -> object:
    return got if part.index is None else got[part.index]


def value_findings(
    got: object,
    expected: object,
    parts: Sequence[Part],
    right: dict[str, list],
    wrongs: Sequence[Wrong],
    judge_downstream: bool,
) -> list[Finding]:
    """Findings for one returned value, component by component.

    ``right[c]`` holds the values that are right for component c (the course's rule applied to
    the right inputs, and, for the grader, to the student's own earlier components, so a
    mistake in s is not blamed again on s_corrected). Without ``judge_downstream`` (the
    self-check, which only knows the right values), a component computed from a wrong one is
    not judged. A component that is wrong lists the mistakes whose output it reproduces.
    """
    tuple_like = type(got) in (tuple, list) and len(got) == len(expected)
    if parts[0].index is not None and not tuple_like:
        return [Finding("", describe_difference(expected, got) or "has the wrong structure")]
    wrong_parts, judged, differences = set(), set(), []
    for part in parts:
        if not judge_downstream and wrong_parts & set(part.after):
            wrong_parts.add(part.name)
            continue
        judged.add(part.name)
        value = component_of(got, part)
        if describe_difference(right[part.name][0], value) is None:
            continue
        if any(matches(candidate, value) for candidate in right[part.name][1:]):
            continue  # right, given the student's own (possibly NaN) earlier components
        wrong_parts.add(part.name)
        differences.append((part, value))
    by_name = {part.name: part for part in parts}

    def shows(wrong: Wrong, name: str) -> bool:
        value = component_of(got, by_name[name])
        return any(matches(out, value) for out in wrong.outputs[name])

    findings = []
    for part, value in differences:
        where = part.name if part.index is not None else ""
        text = describe_difference(right[part.name][0], value, part.name if where else "the result")
        mistakes = tuple(
            wrong.message
            for wrong in wrongs
            if part.name in wrong.outputs
            and shows(wrong, part.name)
            and (
                not wrong.together
                or all(shows(wrong, name) for name in wrong.outputs if name in judged)
            )
        )
        findings.append(Finding(where, text or "differs from the expected value", mistakes))
    return findings


# --------------------------------------------------------------------------------------------
# Mini-batches: graded by their properties, not by one RNG sequence

MB_TWO_PERMUTATIONS = "X and Y were shuffled differently: use one permutation for both"
MB_NOT_SHUFFLED = "the examples are in their original order: shuffle the columns first"
MB_STRUCTURED = (
    "the examples are reordered by a fixed pattern (rotated, reversed or strided), not shuffled: "
    "use np.random.permutation(m)"
)
MB_ROWS = "the rows (features) were shuffled instead of the columns (examples)"
MB_LAST_MISSING = (
    "the last batch is missing: keep the m % mini_batch_size examples left after the full batches"
)
MB_LAST_LENGTH = (
    "the last batch has the wrong length: it holds the m - floor(m / mini_batch_size) * "
    "mini_batch_size examples left after the full batches, no more and no fewer"
)
MB_LOOP_VARIABLE = (
    "the last batch is sliced with the loop variable after the loop (the loop never runs when "
    "m < mini_batch_size): start it at floor(m / mini_batch_size) * mini_batch_size"
)
MB_SEED_IGNORED = (
    "two calls with the same seed gave different batches: seed the shuffle with `seed`"
)
MB_SAME_FOR_EVERY_SEED = "different seeds gave the same batches: the shuffle ignores `seed`"
MB_DTYPE = "the batches must keep the dtype of X and Y (float64): slice them, do not convert them"

_LOOP_VARIABLE_ERROR = re.compile(r"^(UnboundLocalError|NameError)\b.*'\w+'")


def loop_variable_error(error: str, m: int, mini_batch_size: int) -> bool:
    """A variable used before assignment, when m < mini_batch_size: the loop over the full
    batches never ran, so its variable (k) does not exist when the last batch is cut."""
    return m < mini_batch_size and bool(_LOOP_VARIABLE_ERROR.match(error))


def repeated_step_limit(m: int) -> int:
    """The smallest c with (m - 1) / c! <= 1e-9: see :func:`structured_order`."""
    c, tail = 1, m - 1.0
    while tail > FALSE_FAILURE:
        c += 1
        tail /= c
    return c


def structured_order(order: np.ndarray) -> bool:
    """Does the order keep one step p[j] - p[j-1] (mod m) too often to come from a shuffle?

    Rotations, reversals, strides and batch-wise reorderings repeat one step almost everywhere.
    Only the first half is counted (j = 1 .. m // 2): there each p[j] of a uniform shuffle is one
    of at least m / 2 values left, so c given steps all equal d with probability at most
    (2 / m)**c, c of the m // 2 steps with probability at most 1 / c!, and some step d != 0
    c times with probability at most (m - 1) / c! <= 1e-9 at c = repeated_step_limit(m).
    """
    m = order.size
    half, limit = m // 2, repeated_step_limit(m)
    if limit > half:
        return False
    steps = np.diff(order[: half + 1]) % m
    return int(np.bincount(steps, minlength=m).max()) >= limit


def _batch_sizes_finding(sizes: list[int], got_sizes: list[int], size: int, rest: int) -> Finding:
    full = len(sizes) - bool(rest)
    text = f"batch sizes are {got_sizes}; expected {sizes}"
    if rest and got_sizes == sizes[:-1]:
        return Finding("", MB_LAST_MISSING, (MB_LAST_MISSING,))
    if rest and full and got_sizes == sizes[:-1] + [size + rest]:
        return Finding("", MB_LOOP_VARIABLE, (MB_LOOP_VARIABLE,))
    if got_sizes[:-1] == (sizes[:-1] if rest else sizes) and got_sizes:
        return Finding("", f"{MB_LAST_LENGTH} ({text})", (MB_LAST_LENGTH,))
    return Finding("", text)


def minibatch_findings(
    X: np.ndarray, Y: np.ndarray, mini_batch_size: int, batches: object
) -> list[Finding]:
    """What is wrong with ``batches`` as the mini-batches of (X, Y); empty when nothing is.

    X must hold distinct columns (the checker makes them so). Right means: a list of (X_b, Y_b)
    pairs of X's and Y's dtype, floor(m / size) full batches then one of m % size if that is
    non-zero, the columns of all X_b together a permutation of the columns of X that looks like
    a shuffle, and Y_b following the same permutation.
    """
    n_x, m = X.shape
    if type(batches) is not list:
        return [
            Finding(
                "", f"returned a {_type_name(batches)}; expected a list of (X_batch, Y_batch) pairs"
            )
        ]
    full, rest = divmod(m, mini_batch_size)
    sizes = [mini_batch_size] * full + ([rest] if rest else [])
    for index, pair in enumerate(batches):
        if type(pair) not in (tuple, list) or len(pair) != 2:
            return [Finding("", f"batch {index} is not an (X_batch, Y_batch) pair")]
        for label, part, rows in (("X", pair[0], n_x), ("Y", pair[1], 1)):
            if type(part) is not np.ndarray or part.ndim != 2 or part.shape[0] != rows:
                shape = getattr(part, "shape", _type_name(part))
                text = f"{label} of batch {index} has shape {shape}; expected ({rows}, batch size)"
                return [Finding("", text)]
    for pair in batches:
        if pair[0].dtype != X.dtype or pair[1].dtype != Y.dtype:
            text = f"{MB_DTYPE} (got {pair[0].dtype} and {pair[1].dtype})"
            return [Finding("", text, (MB_DTYPE,))]
    got_sizes = [pair[0].shape[1] for pair in batches]
    if got_sizes != sizes:
        return [_batch_sizes_finding(sizes, got_sizes, mini_batch_size, rest)]
    if any(pair[1].shape[1] != pair[0].shape[1] for pair in batches):
        return [Finding("", "an X batch and its Y batch hold different numbers of examples")]
    X_all = np.concatenate([pair[0] for pair in batches], axis=1)
    Y_all = np.concatenate([pair[1] for pair in batches], axis=1)
    findings = []
    order = _column_order(X, X_all)
    if order is None:
        rows = _row_order(X, X_all)
        order = None if rows is None else _column_order(X[rows], X_all)
        if order is None:
            text = "the batches are not a partition of the examples: each column must appear once"
            return [Finding("", text)]
        findings.append(Finding("", MB_ROWS, (MB_ROWS,)))
    if not np.array_equal(Y_all, Y[:, order]):
        findings.append(Finding("", MB_TWO_PERMUTATIONS, (MB_TWO_PERMUTATIONS,)))
    if m >= SHUFFLE_MIN_EXAMPLES and np.array_equal(order, np.arange(m)):
        findings.append(
            Finding("", MB_NOT_SHUFFLED, (MB_NOT_SHUFFLED, MB_STRUCTURED))
        )  # order = a rotation by 0
    elif structured_order(order):
        findings.append(Finding("", MB_STRUCTURED, (MB_STRUCTURED,)))
    return findings


def _column_order(X: np.ndarray, X_all: np.ndarray) -> np.ndarray | None:
    """The permutation p with X_all == X[:, p], or None when there is none."""
    if X_all.shape != X.shape:
        return None
    index = {X[:, j].tobytes(): j for j in range(X.shape[1])}
    order = [index.get(np.ascontiguousarray(X_all[:, j]).tobytes()) for j in range(X.shape[1])]
    if None in order or len(set(order)) != len(order):
        return None
    return np.array(order)


def _row_order(X: np.ndarray, X_all: np.ndarray) -> np.ndarray | None:
    """The row permutation r with X_all == X[r][:, p] for some p (rows compared as sets)."""
    if X_all.shape != X.shape:
        return None
    return _column_order(np.sort(X, axis=1).T, np.sort(X_all, axis=1).T)


def seeding_findings(
    m: int, same_a: object, same_b: object, other: object, otherwise_right: bool = True
) -> list[Finding]:
    """Two calls with one seed must agree; a call with another seed must differ (m >= 16).

    The second is only judged on batches that are ``otherwise_right``: batches that are never
    shuffled, or empty, are the same for every seed as a consequence of their own mistake.
    """
    if describe_difference(_as_plain(same_a), same_b) is not None:
        return [Finding("", MB_SEED_IGNORED, (MB_SEED_IGNORED,))]
    if (
        otherwise_right
        and m >= SHUFFLE_MIN_EXAMPLES
        and describe_difference(_as_plain(same_a), other) is None
    ):
        return [Finding("", MB_SAME_FOR_EVERY_SEED, (MB_SAME_FOR_EVERY_SEED,))]
    return []


def _as_plain(batches: object) -> object:
    if type(batches) is list:
        return [tuple(pair) if type(pair) in (tuple, list) else pair for pair in batches]
    return batches


def minibatch_case_findings(
    X: np.ndarray, Y: np.ndarray, mini_batch_size: int, outputs: Sequence[object]
) -> list[Finding]:
    """The first call judged by its properties, the three calls together for their seeding."""
    findings = minibatch_findings(X, Y, mini_batch_size, outputs[0])
    if any(type(output) is not list for output in outputs):
        return findings or [
            Finding("", f"returned a {_type_name(outputs[1])}; expected a list of batches")
        ]
    return findings + seeding_findings(X.shape[1], *outputs, otherwise_right=not findings)


# --------------------------------------------------------------------------------------------
# Initializers: graded statistically, whatever RNG the student used

INIT_NOT_CENTRED = "the weights are not centred on 0: draw with np.random.randn, not np.random.rand"
INIT_NOT_NORMAL = "the weights are not normally distributed: draw them with np.random.randn"
INIT_REPEATED_ROWS = "rows of W repeat: every unit must get its own random weights"
INIT_REPEATED_COLUMNS = "columns of W repeat: draw every weight independently"
INIT_BIAS = "the biases must start at 0: b = np.zeros((n_l, 1))"
INIT_DTYPE = "the parameters must be float64 arrays (np.random.randn and np.zeros give float64)"


def variance_bounds(variance: float, n: int) -> tuple[float, float]:
    """Bounds on the mean of n squared N(0, variance) draws (chi-square, Wilson-Hilferty).

    Each side fails a right draw with probability at most 5e-10 (1e-9 together).
    """
    if variance == 0:
        return 0.0, 0.0
    spread = 2.0 / (9.0 * n)
    low = (
        (1 - spread - Z_BOUND * math.sqrt(spread)) ** 3
        if 1 - spread - Z_BOUND * math.sqrt(spread) > 0
        else 0.0
    )
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


def normal_cdf(z: np.ndarray) -> np.ndarray:
    """Phi(z) to within 5e-8 (Numerical Recipes' erfc, fractional error below 1.2e-7)."""
    x = np.abs(z) / math.sqrt(2)
    t = 1 / (1 + 0.5 * x)
    coefficients = (
        0.17087277,
        -0.82215223,
        1.48851587,
        -1.13520398,
        0.27886807,
        -0.18628806,
        0.09678418,
        0.37409196,
        1.00002368,
        -1.26551223,
    )
    poly = np.zeros_like(t)
    for coefficient in coefficients:
        poly *= t
        poly += coefficient
    tail = t * np.exp(-x * x + poly) / 2
    return np.where(z >= 0, 1 - tail, tail)


def ks_distance(z: np.ndarray, presorted: bool = False) -> np.ndarray:
    """sup |F_n - Phi| of the standardized draws along the last axis (works on a stack of draws)."""
    z = z if presorted else np.sort(z, axis=-1)
    n = z.shape[-1]
    cdf = normal_cdf(z)
    above = np.arange(1, n + 1) / n - cdf
    below = cdf - np.arange(n) / n
    return np.maximum(above.max(axis=-1), below.max(axis=-1))


def ks_limit(n: int) -> float:
    """The KS distance a right draw of n entries exceeds with probability at most 1e-9."""
    return KS_BOUND / math.sqrt(n) + CDF_ERROR


def ks_bound(runs: Sequence[np.ndarray]) -> float:
    """An upper bound on the KS distance of the pooled entries of ``runs`` (each sorted), from
    normal_cdf at a grid of about 4 sqrt(n) of them instead of at all n.

    With N(g) entries at or below a grid point g, an entry z in (g, h] (h the next point) has
    rank i with N(g) <= i < N(h) in the pooled order. F_n and Phi increase, and normal_cdf is
    within CDF_ERROR of Phi (within half of it: the rest covers rounding), so
    (i + 1) / n - cdf(z) <= N(h) / n - cdf(g) + 2 CDF_ERROR and
    cdf(z) - i / n <= cdf(h) - N(g) / n + 2 CDF_ERROR. Grid points about 1 / (4 sqrt(n)) of
    the probability apart leave the bound within about 1 / (2 sqrt(n)) of the distance, so a
    right draw of thousands of entries stays below ks_limit with it but for a chance below 1e-6.
    """
    n = sum(run.size for run in runs)
    longest = max(runs, key=len)
    step = max(1, longest.size // (4 * math.isqrt(n)))
    grid = longest[step - 1 :: step]
    at_or_below = sum(np.searchsorted(run, grid, side="right") for run in runs)
    empirical = np.concatenate(([0], at_or_below, [n])) / n  # F_n at -inf, the grid, +inf
    cdf = np.concatenate(([0.0], normal_cdf(grid), [1.0]))
    above = empirical[1:] - cdf[:-1]
    below = cdf[1:] - empirical[:-1]
    return float(max(above.max(), below.max())) + 2 * CDF_ERROR


def normal_fit_distance(runs: Sequence[np.ndarray]) -> float | None:
    """The KS distance of the pooled entries of ``runs`` (each sorted) from N(0, 1) when it
    exceeds ks_limit, else None (the fit is good). :func:`ks_bound` settles most draws cheaply."""
    n = sum(run.size for run in runs)
    if ks_bound(runs) <= ks_limit(n):
        return None
    distance = float(ks_distance(np.sort(np.concatenate(runs), kind="stable"), presorted=True))
    return distance if distance > ks_limit(n) else None


def normal_fit_ok(z: np.ndarray) -> bool:
    """Are the standardized weights z consistent with iid N(0, 1)? (Kolmogorov-Smirnov, DKW.)"""
    z = np.sort(z, axis=None)
    return z.size == 0 or normal_fit_distance([z]) is None


def _repeats(rows: np.ndarray) -> bool:
    return rows.shape[0] > 1 and len({row.tobytes() for row in rows}) < rows.shape[0]


def weight_findings(
    name: str,
    W: np.ndarray,
    variance: float,
    alternatives: Sequence[tuple[str, float]] = (),
    ordered: np.ndarray | None = None,
) -> tuple[list[Finding], bool]:
    """Findings for one weight matrix W that should be N(0, variance), entrywise iid, and
    whether W joins the pooled goodness-of-fit test (it passed everything else).

    Structure comes before statistics, so a repeated row is never mistaken for a wrong
    variance. ``alternatives`` are (message, variance) pairs of classic mistakes: every one
    the observed variance fits is listed. ``ordered`` is np.sort(W, axis=None), if known.
    """
    n = W.size
    if variance == 0:
        return ([] if not np.any(W) else [Finding(name, f"{name} is not all zeros")]), False
    ordered = np.sort(W, axis=None) if ordered is None else ordered
    distinct = 1 + int(np.count_nonzero(ordered[1:] != ordered[:-1])) if n >= 2 else n
    # n distinct numbers (NaN, never equal to itself, sorts last) leave no row or column repeated.
    all_distinct = 0 < distinct == n and not np.isnan(ordered[-1])
    # Repeats: a few distinct values, rows or columns. In a small matrix one implies the others
    # (a 2 x 1 matrix with a repeated row has one value), so each lists all that hold.
    repeats = {
        INIT_REPEATED_ROWS: not all_distinct and _repeats(W),
        INIT_REPEATED_COLUMNS: not all_distinct and _repeats(np.ascontiguousarray(W.T)),
        INIT_NOT_NORMAL: distinct <= n / 2,
    }
    if any(repeats.values()):
        mistakes = tuple(message for message, holds in repeats.items() if holds)
        detail = (
            f"takes only {distinct} distinct values; " if mistakes[0] == INIT_NOT_NORMAL else ""
        )
        return [Finding(name, f"{name}: {detail}{mistakes[0]}", mistakes)], False
    squares = W * W
    second = float(np.mean(squares))
    if (n >= SIGN_MIN_ENTRIES and (W.min() >= 0 or W.max() <= 0)) or not mean_ok(
        float(W.sum()), second * n
    ):
        text = f"{name} has mean {W.mean():.3g}; {INIT_NOT_CENTRED}"
        return [Finding(name, text, (INIT_NOT_CENTRED,))], False
    if not variance_ok(second, variance, n):
        fits = tuple(message for message, wrong in alternatives if variance_ok(second, wrong, n))
        text = f"{name} has variance {second:.4g}; expected {variance:.4g} (from {n} entries)"
        return [Finding(name, text, fits)], False
    # (W * W)**2 rather than W**4 (NumPy's generic power, far slower): it may differ in
    # the last bit, which a bound on the kurtosis and its display to 2 decimals cannot see.
    fourth = float(np.mean(squares * squares))
    if not kurtosis_ok(fourth, second, n):
        text = f"{name} has kurtosis {fourth / second**2:.2f} (normal is 3): {INIT_NOT_NORMAL}"
        return [Finding(name, text, (INIT_NOT_NORMAL,))], False
    return [], True


def parameter_structure_findings(layers_dims: Sequence[int], parameters: object) -> list[Finding]:
    """Keys, types, shapes, dtype, finiteness and zero biases of an initializer's output."""
    if type(parameters) is not dict:
        return [Finding("", f"returned a {_type_name(parameters)}; expected a dict of W1, b1, ...")]
    L = len(layers_dims) - 1
    expected_keys = {f"{kind}{l}" for l in range(1, L + 1) for kind in "Wb"}
    if set(parameters) != expected_keys:
        missing = sorted(expected_keys - set(parameters))
        extra = sorted(set(parameters) - expected_keys)
        detail = f"; missing {missing}" if missing else f"; unexpected {extra}"
        return [Finding("", f"keys should be W1, b1, ..., W{L}, b{L}{detail}")]
    findings = []
    for l in range(1, L + 1):
        for kind, shape in (
            ("W", (layers_dims[l], layers_dims[l - 1])),
            ("b", (layers_dims[l], 1)),
        ):
            key, value = f"{kind}{l}", parameters[f"{kind}{l}"]
            if type(value) is not np.ndarray:
                return [Finding(key, f"{key} is a {_type_name(value)}; expected a NumPy array")]
            if value.shape != shape:
                hint = f" (n_{l}, n_{l - 1})" if kind == "W" else ""
                return [Finding(key, f"{key} has shape {value.shape}; expected {shape}{hint}")]
            if value.dtype.kind not in "fiu":
                return [Finding(key, f"{key} has dtype {value.dtype}; expected float64")]
            if not np.isfinite(value).all():
                return [Finding(key, f"{key} contains NaN or infinity")]
            if value.dtype != np.float64:
                findings.append(
                    Finding(key, f"{key} has dtype {value.dtype}; {INIT_DTYPE}", (INIT_DTYPE,))
                )
        if np.any(parameters[f"b{l}"]):
            findings.append(Finding(f"b{l}", f"b{l} is not zero: {INIT_BIAS}", (INIT_BIAS,)))
    return findings


def initializer_findings(
    layers_dims: Sequence[int],
    parameters: object,
    variances: Sequence[float],
    alternatives: Sequence[tuple[str, Sequence[float]]] = (),
) -> list[Finding]:
    """Everything wrong with one draw of an initializer; ``variances[l-1]`` is Var(W[l]).

    The layers that pass every other check are pooled, each standardized by its contract
    variance, into one goodness-of-fit test against N(0, 1).
    """
    findings = parameter_structure_findings(layers_dims, parameters)
    if any(not finding.mistakes for finding in findings):
        return findings
    pooled = []
    for l, variance in enumerate(variances, start=1):
        if parameters[f"W{l}"].dtype != np.float64:
            continue  # told already; float32 repeats values, which its statistics would blame
        weights = parameters[f"W{l}"]
        ordered = np.sort(weights, axis=None) if variance != 0 else None  # zeros: no statistics
        layer_alternatives = [(message, wrong[l - 1]) for message, wrong in alternatives]
        layer_findings, fits = weight_findings(
            f"W{l}", weights, variance, layer_alternatives, ordered
        )
        findings += layer_findings
        if fits:
            pooled.append(ordered / math.sqrt(variance))
    distance = normal_fit_distance(pooled) if pooled else None
    if distance is not None:
        n = sum(run.size for run in pooled)
        text = (
            f"the weights do not follow a normal distribution (Kolmogorov-Smirnov distance "
            f"{distance:.3f} over {n} entries, allowed {ks_limit(n):.3f}): {INIT_NOT_NORMAL}"
        )
        findings.append(Finding("W", text, (INIT_NOT_NORMAL,)))
    return findings


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


def _check_values(
    name: str, fn: Callable, case: dict, exercise: dict
) -> tuple[list[Finding], list[str]]:
    args, kwargs = from_json(case["args"]), from_json(case["kwargs"])
    got, notes = _call(fn, name, args, kwargs), []
    if exercise.get("vector") and as_vector(got) is not None:
        if type(got) is not np.ndarray:
            notes.append(vector_note(name, got))
        got = as_vector(got)
    parts = [Part(p["name"], p["index"], tuple(p["after"])) for p in exercise["parts"]]
    right = {part.name: [from_json(value)] for part, value in zip(parts, case["right"])}
    wrongs = [
        Wrong(
            m["message"],
            {c: [from_json(v) for v in values] for c, values in m["outputs"].items()},
            m["together"],
        )
        for m in case["mistakes"]
    ]
    return value_findings(got, from_json(case["expected"]), parts, right, wrongs, False), notes


def _check_minibatches(
    name: str, fn: Callable, case: dict, exercise: dict
) -> tuple[list[Finding], list[str]]:
    X, Y, size = from_json(case["X"]), from_json(case["Y"]), case["mini_batch_size"]
    try:
        first = _call(fn, name, [X, Y, size, case["seed"]], {})
    except SelfCheckFailed as failed:
        error = failed.__context__  # the student's exception, judged like the grader does
        if error is not None and loop_variable_error(
            f"{type(error).__name__}: {error}", X.shape[1], size
        ):
            return [Finding("", MB_LOOP_VARIABLE, (MB_LOOP_VARIABLE,))], []
        raise
    again = _call(fn, name, [X, Y, size, case["seed"]], {})
    other = _call(fn, name, [X, Y, size, case["seed"] + 1], {})
    return minibatch_case_findings(X, Y, size, [first, again, other]), []


def _check_initializer(
    name: str, fn: Callable, case: dict, exercise: dict
) -> tuple[list[Finding], list[str]]:
    alternatives = [(a["message"], a["variances"]) for a in case["alternatives"]]
    got = _call(fn, name, [list(case["layers_dims"])], {})
    return initializer_findings(case["layers_dims"], got, case["variances"], alternatives), []


_CHECKERS = {
    "values": _check_values,
    "minibatches": _check_minibatches,
    "initializer": _check_initializer,
}


def check(name: str, fn: Callable) -> None:
    """Run the public self-checks of ``name`` on ``fn``; raise SelfCheckFailed if it is wrong."""
    exercise = _load_data()["exercises"].get(name)
    if exercise is None:
        raise SelfCheckFailed(f"there are no self-checks for {name!r}")
    results = [
        (case, *_CHECKERS[exercise["kind"]](name, fn, case, exercise)) for case in exercise["cases"]
    ]
    chosen = explain([f for _, findings, _ in results for f in findings], exercise["catalogue"])
    for number, (case, findings, _) in enumerate(results, start=1):
        if findings:
            raise SelfCheckFailed(
                f"{name}, case {number} ({case['label']}): {summary(findings, chosen)}"
            )
    notes = sorted({note for _, _, case_notes in results for note in case_notes})
    print(
        f"\u2714 {name}: all {len(exercise['cases'])} self-checks passed."
        + "".join(f" ({n})" for n in notes)
    )
