"""The hidden shapes and the classic mistakes of ``random_mini_batches``.

Mini-batches are judged by their properties (:func:`~autograder.exercises.base.minibatch_exercise`),
so each mistake is a property's message (``selfcheck.MB_*``); its example is the course's
function with one part changed: the permutation (`_shuffled_by`), the last batch
(`_full_batches_then`), what is shuffled or cut.
"""

from __future__ import annotations

import numpy as np

from autograder import selfcheck
from autograder.exercises.base import DETAIL, METHOD, PART, Mistake


def minibatch_shapes(rng: np.random.Generator) -> list[tuple[str, int, int, int]]:
    """(label, n_x, m, mini_batch_size) of each hidden case."""
    size = int(rng.choice([16, 32, 64]))
    n_x = int(rng.integers(5, 9))  # enough rows that shuffling them never leaves them in order
    return [
        ("m not a multiple of the batch size", n_x,
         size * int(rng.integers(2, 5)) + int(rng.integers(1, size)), size),
        ("m a multiple of the batch size", n_x, size * int(rng.integers(2, 5)), size),
        ("m equal to the batch size", n_x, size, size),
        ("m smaller than the batch size", n_x, int(rng.integers(9, size)), size),
        ("m = 1", n_x, 1, size),
    ]


def _cut(X, Y, size, x_order, y_order=None):
    """The columns of X (in ``x_order``) and Y (in ``y_order``, else the same) cut into batches."""
    X, Y = X[:, x_order], Y[:, x_order if y_order is None else y_order]
    return [(X[:, k : k + size], Y[:, k : k + size]) for k in range(0, X.shape[1], size)]


def _shuffled_by(order_of):
    """random_mini_batches with the permutation order_of(m, seed) and right cutting."""

    def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
        return _cut(X, Y, mini_batch_size, order_of(X.shape[1], seed))

    return random_mini_batches


def _full_batches_then(last):
    """The classic loop: full batches, then the last one cut as last(m, size, k) says (none
    when ``last`` is None)."""

    def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
        m, size = X.shape[1], mini_batch_size
        order = np.random.default_rng(seed).permutation(m)
        X, Y = X[:, order], Y[:, order]
        batches, k = [], None
        for k in range(m // size):
            batches.append((X[:, k * size : (k + 1) * size], Y[:, k * size : (k + 1) * size]))
        if m % size and last is not None:
            start, stop = last(m, size, k)
            batches.append((X[:, start:stop], Y[:, start:stop]))
        return batches

    return random_mini_batches


def _from_the_loop_variable(m, size, k):
    """The last batch cut from k * size, k being the loop's variable after the loop."""
    if k is None:  # what Python does to the student's k when the loop never ran
        raise UnboundLocalError(
            "cannot access local variable 'k' where it is not associated with a value"
        )
    return k * size, m


def _rows_shuffled_too(X, Y, mini_batch_size=64, seed=0):
    rows = np.roll(np.arange(X.shape[0]), 1)
    return _cut(X[rows], Y, mini_batch_size, np.random.default_rng(seed).permutation(X.shape[1]))


def _two_permutations(X, Y, mini_batch_size=64, seed=0):
    rng = np.random.default_rng(seed)
    return _cut(X, Y, mini_batch_size, rng.permutation(X.shape[1]), rng.permutation(X.shape[1]))


def _converted_to_float32(X, Y, mini_batch_size=64, seed=0):
    order = np.random.default_rng(seed).permutation(X.shape[1])
    return _cut(X.astype(np.float32), Y, mini_batch_size, order)


MINIBATCH_MISTAKES = [
    Mistake(selfcheck.MB_TWO_PERMUTATIONS, METHOD, example=_two_permutations),
    Mistake(selfcheck.MB_NOT_SHUFFLED, METHOD,
            example=_shuffled_by(lambda m, seed: np.arange(m))),
    Mistake(selfcheck.MB_STRUCTURED, METHOD,
            example=_shuffled_by(lambda m, seed: np.roll(np.arange(m), seed % max(m - 1, 1) + 1))),
    Mistake(selfcheck.MB_ROWS, METHOD, example=_rows_shuffled_too),
    Mistake(selfcheck.MB_LAST_MISSING, PART, example=_full_batches_then(None)),
    Mistake(selfcheck.MB_LAST_LENGTH, DETAIL,
            example=_full_batches_then(lambda m, size, k: (m // size * size, m - 1))),
    Mistake(selfcheck.MB_LOOP_VARIABLE, PART, example=_full_batches_then(_from_the_loop_variable)),
    Mistake(selfcheck.MB_SEED_IGNORED, PART,
            example=_shuffled_by(lambda m, seed: np.random.default_rng().permutation(m))),
    Mistake(selfcheck.MB_SAME_FOR_EVERY_SEED, PART,
            example=_shuffled_by(lambda m, seed: np.random.default_rng(0).permutation(m))),
    Mistake(selfcheck.MB_DTYPE, DETAIL, example=_converted_to_float32),
]
