"""Classic mistakes lose points on their own graded name only, and the feedback names them.

Every entry of the mistake catalogue (``Exercise.catalogue`` of every assignment) is graded
through ``grading.grade`` with an in-process stand-in for the worker, because each entry's
example (a function that makes exactly that mistake) is a Python object of the grader, not
source text; results still travel through the worker's wire format. Each keeps exactly its
declared share of the points. The mistakes the brief lists for mini-batches and initializers,
and a few value mistakes, are also written as student source and graded in the real worker.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from support.grading import (
    INITIALIZERS_SOURCE,
    OPTIMIZERS_SOURCE,
    by_name,
    drawing_initializer,
    full_marks,
    initializers_with,
    optimizers_with,
    write,
)

from autograder import grading, sandbox, selfcheck
from autograder.exercises import ASSIGNMENTS
from autograder.exercises.initialization import (
    HE_MISTAKES,
    RANDOM_MISTAKES,
    UNSCALED,
    XAVIER_MISTAKES,
)
from autograder.exercises.optimization import EPS_INSIDE, KEYS, PRECEDENCE
from autograder.sandbox import wire

BASE_SOURCE = {"optimization": OPTIMIZERS_SOURCE, "initialization": INITIALIZERS_SOURCE}


def _in_process_worker(overrides: dict):
    """Stands in for sandbox.run_steps: runs trusted code here, values through the wire format."""

    def run_steps(steps, limits=None):
        namespace: dict = {"__name__": "__main__"}
        results = []
        for step in steps:
            if isinstance(step, sandbox.Exec):
                exec(compile(step.source, f"<{step.label}>", "exec"), namespace)  # noqa: S102 -- our own source
                namespace.update(overrides)
                results.append(sandbox.StepResult(step.label, True))
                continue
            try:
                with np.errstate(all="ignore"):
                    value = namespace[step.function](*copy.deepcopy(tuple(step.args)),
                                                     **copy.deepcopy(dict(step.kwargs)))
                results.append(
                    sandbox.StepResult(step.label, True, wire.decode(wire.encode(value))))
            except Exception as error:  # noqa: BLE001 -- reported like the worker does
                results.append(sandbox.StepResult(step.label, False,
                                                  error=f"{type(error).__name__}: {error}"))
        return results, {"worker": "off: in-process test double"}

    return run_steps



CATALOGUE = [
    pytest.param(assignment, exercise.name, index, mistake, id=f"{exercise.name}-{index}")
    for assignment, exercises in ASSIGNMENTS.items()
    for exercise in exercises
    for index, mistake in enumerate(exercise.catalogue)
]
KINDS = {exercise.name: exercise.kind
         for exercises in ASSIGNMENTS.values() for exercise in exercises}


def test_the_catalogue_is_not_empty_and_every_entry_has_an_example_and_a_credit():
    assert len(CATALOGUE) >= 100
    assert {KINDS[p.values[1]] for p in CATALOGUE} == {"values", "minibatches", "initializer"}
    for param in CATALOGUE:
        mistake = param.values[3]
        assert callable(mistake.example) and 0 < mistake.credit < 1, mistake.message


@pytest.mark.parametrize("assignment, name, index, mistake", CATALOGUE)
def test_every_catalogued_mistake_keeps_its_credit_on_its_name_only_and_is_named(
        monkeypatch, tmp_path, assignment, name, index, mistake):
    seed = 100 + index  # other hidden cases for every entry
    monkeypatch.setattr(grading.sandbox, "run_steps", _in_process_worker({name: mistake.example}))
    path = write(tmp_path / "submission.py", BASE_SOURCE[assignment])
    results = by_name(grading.grade(path, assignment, seed=seed))
    assert results[name].score == round(results[name].max_score * mistake.credit, 4), (
        results[name].output)
    assert mistake.message in results[name].output
    for other, result in results.items():
        if other != name:
            assert full_marks(result), (other, result.output)


# ---------------------------------------------------------------------------------------------
# The same kind of mistakes written as student source, graded in the real worker

MINIBATCH_MISTAKES = {
    "two permutations": ('''
        def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
            rng = np.random.default_rng(seed)
            X, Y = X[:, rng.permutation(X.shape[1])], Y[:, rng.permutation(X.shape[1])]
            return [(X[:, i:i + mini_batch_size], Y[:, i:i + mini_batch_size])
                    for i in range(0, X.shape[1], mini_batch_size)]
    ''', "X and Y were shuffled differently: use one permutation for both"),
    "no shuffle": ('''
        def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
            return [(X[:, i:i + mini_batch_size], Y[:, i:i + mini_batch_size])
                    for i in range(0, X.shape[1], mini_batch_size)]
    ''', "the examples are in their original order: shuffle the columns first"),
    "dropped last batch": ('''
        def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
            m = X.shape[1]
            p = np.random.default_rng(seed).permutation(m)
            X, Y = X[:, p], Y[:, p]
            return [(X[:, k * mini_batch_size:(k + 1) * mini_batch_size],
                     Y[:, k * mini_batch_size:(k + 1) * mini_batch_size])
                    for k in range(m // mini_batch_size)]
    ''', selfcheck.MB_LAST_MISSING),
    "rows shuffled": ('''
        def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
            rows = np.roll(np.random.default_rng(seed).permutation(X.shape[0]), 1)
            X = X[rows, :]
            return [(X[:, i:i + mini_batch_size], Y[:, i:i + mini_batch_size])
                    for i in range(0, X.shape[1], mini_batch_size)]
    ''', "the rows (features) were shuffled instead of the columns (examples)"),
    "seed ignored": ('''
        def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
            p = np.random.permutation(X.shape[1])
            X, Y = X[:, p], Y[:, p]
            return [(X[:, i:i + mini_batch_size], Y[:, i:i + mini_batch_size])
                    for i in range(0, X.shape[1], mini_batch_size)]
    ''', "two calls with the same seed gave different batches"),
}


@pytest.fixture(scope="module", params=sorted(MINIBATCH_MISTAKES))
def minibatch_mistake(request, tmp_path_factory):
    source, message = MINIBATCH_MISTAKES[request.param]
    path = write(tmp_path_factory.mktemp("mb") / "mistake.py", optimizers_with(source))
    return by_name(grading.grade(path, "optimization", seed=31)), message


def test_minibatch_mistakes_lose_points_on_random_mini_batches_only(minibatch_mistake):
    results, message = minibatch_mistake
    result = results["random_mini_batches"]
    assert result.score < result.max_score
    assert message in result.output, result.output
    assert all(full_marks(r) for n, r in results.items() if n != "random_mini_batches")




INIT_MISTAKES = {
    "first": {
        "initialize_parameters_xavier": ("np.random.randn(n_out, n_in) * np.sqrt(1 / n_out)",
                                         XAVIER_MISTAKES[0].message),
        "initialize_parameters_he": ("np.random.randn(n_out, n_in) * np.sqrt(1 / n_in)",
                                     HE_MISTAKES[0].message),
        "initialize_parameters_random": ("np.random.randn(n_out, n_in)",
                                         RANDOM_MISTAKES[0].message),
    },
    "second": {
        "initialize_parameters_xavier": (
            "np.random.randn(n_out, n_in) * np.sqrt(2 / (n_in + n_out))", XAVIER_MISTAKES[1].message
        ),
        "initialize_parameters_he": ("np.random.randn(n_out, n_in) * (2 / n_in)",
                                     HE_MISTAKES[2].message),
        "initialize_parameters_random": ("np.random.randn(n_out, n_in) * 100",
                                         RANDOM_MISTAKES[1].message),
    },
    "third": {
        "initialize_parameters_xavier": ("np.random.rand(n_out, n_in) * np.sqrt(1 / n_in)",
                                         selfcheck.INIT_NOT_CENTRED),
        "initialize_parameters_he": ("np.random.randn(n_out, n_in)", UNSCALED),
        "initialize_parameters_random": ("np.random.randn(n_out, n_in) * 0.01",
                                         RANDOM_MISTAKES[2].message),
    },
    "fourth": {
        "initialize_parameters_xavier": ("np.random.randn(n_out, n_in) * (1 / n_in)",
                                         XAVIER_MISTAKES[3].message),
        "initialize_parameters_he": ("np.random.randn(n_out, n_in) * np.sqrt(2 / (n_in + n_out))",
                                     HE_MISTAKES[3].message),
    },
    "fifth": {
        "initialize_parameters_xavier": ("np.random.randn(n_out, n_in) * np.sqrt(2 / n_in)",
                                         XAVIER_MISTAKES[2].message),
        "initialize_parameters_he": ("np.random.randn(n_out, n_in) * np.sqrt(2 / n_out)",
                                     HE_MISTAKES[1].message),
    },
    "sixth": {
        "initialize_parameters_xavier": ("np.random.randn(n_out, n_in)", UNSCALED),
    },
}


@pytest.fixture(scope="module", params=sorted(INIT_MISTAKES))
def init_mistakes(request, tmp_path_factory):
    mistakes = INIT_MISTAKES[request.param]
    source = initializers_with("\n".join(drawing_initializer(name, expression)
                                         for name, (expression, _) in mistakes.items()))
    path = write(tmp_path_factory.mktemp("init") / "mistakes.py", source)
    return by_name(grading.grade(path, "initialization", seed=32)), mistakes


def test_initializer_mistakes_lose_points_and_are_named(init_mistakes):
    results, mistakes = init_mistakes
    for name, (_, message) in mistakes.items():
        assert results[name].score < results[name].max_score, name
        assert message in results[name].output, results[name].output
    for name, result in results.items():
        if name not in mistakes:
            assert full_marks(result), result.output


VALUE_MISTAKES = r'''
def update_parameters_with_gd(parameters, grads, learning_rate):
    return {k: w + learning_rate * grads["d" + k] for k, w in parameters.items()}


def initialize_velocity(parameters):
    return {k: np.zeros_like(w) for k, w in parameters.items()}


def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    v = {k: beta * v[k] + grads[k] for k in v}
    return {k: w - learning_rate * v["d" + k] for k, w in parameters.items()}, v


def update_parameters_with_rmsprop(parameters, grads, s, beta2, learning_rate, epsilon=1e-8):
    s = {k: beta2 * s[k] + (1 - beta2) * grads[k] ** 2 for k in s}
    return {k: w - learning_rate * grads["d" + k] / np.sqrt(s["d" + k] + epsilon)
            for k, w in parameters.items()}, s


def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9,
                                beta2=0.999, epsilon=1e-8):
    v = {k: beta1 * v[k] + (1 - beta1) * grads[k] for k in v}
    s = {k: beta2 * s[k] + (1 - beta2) * grads[k] ** 2 for k in s}
    step = {k: v["d" + k] / (np.sqrt(s["d" + k]) + epsilon) for k in parameters}
    return {k: w - learning_rate * step[k] for k, w in parameters.items()}, v, s, v, s


def update_lr(learning_rate0, epoch_num, decay_rate):
    return learning_rate0 / 1 + decay_rate * epoch_num


def schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval=1000):
    return learning_rate0 / (1 + decay_rate * epoch_num / time_interval)
'''
VALUE_MESSAGES = {
    "update_parameters_with_gd": "the update goes up the gradient",
    "initialize_velocity": KEYS,
    "update_parameters_with_momentum": "the (1 - beta) factor is missing",
    "update_parameters_with_rmsprop": EPS_INSIDE,
    "update_parameters_with_adam": "no bias correction",
    "update_lr": PRECEDENCE,
    "schedule_lr_decay": "the floor is missing",
}


@pytest.fixture(scope="module")
def value_mistakes(tmp_path_factory):
    path = write(tmp_path_factory.mktemp("values") / "mistakes.py", optimizers_with(VALUE_MISTAKES))
    return by_name(grading.grade(path, "optimization", seed=33))


@pytest.mark.parametrize("name", sorted(VALUE_MESSAGES))
def test_value_mistakes_written_by_a_student_are_named(value_mistakes, name):
    assert value_mistakes[name].score < value_mistakes[name].max_score
    assert VALUE_MESSAGES[name] in value_mistakes[name].output, value_mistakes[name].output


def test_names_without_mistakes_keep_their_points(value_mistakes):
    for name, result in value_mistakes.items():
        if name not in VALUE_MESSAGES:
            assert full_marks(result), result.output
