"""Run the student's functions again, in the isolated worker, on public inputs for the pictures.

Only public things go to the worker: the ravine (its formula is in the course), a start point,
learning rates and layer widths. What comes back is re-validated here (exact types, shapes,
finiteness, bounded size); a function that fails or returns something unusable gives a one-line
note instead of a picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from autograder import sandbox
from autograder.grading import select_cells
from autograder.submission import Submission
from reference.networks import DEFAULT_HYPER

#: The ravine J(w) = (a w0^2 + b w1^2) / 2 of :func:`reference.landscapes.ravine`.
RAVINE_SHAPE = {"a": 1.0, "b": 20.0}
RAVINE_START = (-4.0, 1.5)
RAVINE_STEPS = 40
#: graded name -> (optimizer of :data:`reference.networks.OPTIMIZERS`, learning rate)
RAVINE_RUNS: dict[str, tuple[str, float]] = {
    "update_parameters_with_gd": ("gd", 0.09),
    "update_parameters_with_momentum": ("momentum", 0.09),
    "update_parameters_with_rmsprop": ("rmsprop", 0.1),
    "update_parameters_with_adam": ("adam", 0.3),
}

#: graded name -> (rule of :data:`reference.initializers.WEIGHT_VARIANCE`, activation)
INITIALIZER_RUNS: dict[str, tuple[str, str]] = {
    "initialize_parameters_zeros": ("zeros", "tanh"),
    "initialize_parameters_random": ("random", "relu"),
    "initialize_parameters_xavier": ("xavier", "tanh"),
    "initialize_parameters_he": ("he", "relu"),
}
INITIALIZER_DIMS = [128] * 11
#: a coordinate this far out is a path that diverged; it is drawn up to there
RUNAWAY = 1e12

_PREFIX = "_autograder_feedback"
#: Written by the grader, run in the worker beside the student's code. v and s start as zeros
#: made here, so a bug in an initialize_* function cannot spoil the picture of an update rule.
_RAVINE_LOOP = f'''
def {_PREFIX}_ravine(optimizer, start, steps, learning_rate, a, b, beta, beta1, beta2, epsilon):
    import numpy
    w0, w1 = float(start[0]), float(start[1])
    parameters = {{"W1": numpy.array([[w0]]), "b1": numpy.array([[w1]])}}
    v = {{"dW1": numpy.zeros((1, 1)), "db1": numpy.zeros((1, 1))}}
    s = {{"dW1": numpy.zeros((1, 1)), "db1": numpy.zeros((1, 1))}}
    path = [[w0, w1]]
    for t in range(1, steps + 1):
        grads = {{"dW1": numpy.array([[a * w0]]), "db1": numpy.array([[b * w1]])}}
        if optimizer == "gd":
            parameters = update_parameters_with_gd(parameters, grads, learning_rate)
        elif optimizer == "momentum":
            parameters, v = update_parameters_with_momentum(
                parameters, grads, v, beta, learning_rate)
        elif optimizer == "rmsprop":
            parameters, s = update_parameters_with_rmsprop(
                parameters, grads, s, beta2, learning_rate, epsilon)
        else:
            parameters, v, s, _, _ = update_parameters_with_adam(
                parameters, grads, v, s, t, learning_rate, beta1, beta2, epsilon)
        w0, w1 = float(parameters["W1"][0, 0]), float(parameters["b1"][0, 0])
        path.append([w0, w1])
    return numpy.array(path, dtype=numpy.float64)
'''
#: The worker's own limits for the pictures: each run is tiny, a stuck one is cut short.
PROBE_LIMITS = sandbox.Limits(step_seconds=5.0, total_seconds=60.0)


@dataclass
class Probes:
    """What the student's functions did on the public inputs, validated; notes where they failed."""

    #: graded name -> points visited on the ravine, shape (RAVINE_STEPS + 1, 2); may end early
    paths: dict[str, np.ndarray] = field(default_factory=dict)
    #: graded name -> the student's parameters for INITIALIZER_DIMS, float64
    initializations: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    #: graded name -> one line for the student (why there is no picture, or what to notice)
    notes: dict[str, str] = field(default_factory=dict)


def _ravine_steps(names: Sequence[str]) -> list[sandbox.Exec | sandbox.Fetch]:
    steps: list[sandbox.Exec | sandbox.Fetch] = [sandbox.Exec("feedback ravine loop", _RAVINE_LOOP)]
    hyper = {key: DEFAULT_HYPER[key] for key in ("beta", "beta1", "beta2", "epsilon")}
    for name in names:
        optimizer, learning_rate = RAVINE_RUNS[name]
        arguments = dict(optimizer=optimizer, start=RAVINE_START, steps=RAVINE_STEPS,
                         learning_rate=learning_rate, **RAVINE_SHAPE, **hyper)
        call = ", ".join(f"{key}={value!r}" for key, value in arguments.items())
        steps.append(sandbox.Exec(f"ravine {name}", f"{_PREFIX}_{name} = {_PREFIX}_ravine({call})"))
        steps.append(sandbox.Fetch(f"path {name}", f"{_PREFIX}_{name}"))
    return steps


def _failure(name: str, error: str | None, where: str, cell_error: str | None) -> str:
    """Why there is no picture, in one line."""
    error = error or "failed"
    if error.startswith("NotImplementedError"):
        return f"{name} is not implemented yet, so there is no picture."
    if error.startswith("NameError") and name in error:
        if cell_error:
            return f"No picture: the code that defines {name} could not run ({cell_error})."
        return f"{name} is not defined, so there is no picture."
    return f"No picture: {name} failed when run {where} ({error})."


def validate_path(name: str, value: object) -> tuple[np.ndarray | None, str | None]:
    """The finite beginning of a path of shape (RAVINE_STEPS + 1, 2), and a note if cut short."""
    shape = (RAVINE_STEPS + 1, 2)
    if type(value) is not np.ndarray or value.dtype != np.float64 or value.shape != shape:
        return None, f"No picture: {name} did not give back a point on the ravine at every step."
    with np.errstate(invalid="ignore"):
        finite = np.all(np.abs(value) < RUNAWAY, axis=1)  # False for NaN and infinity too
    if finite.all():
        return value, None
    stop = int(np.argmin(finite))
    note = (f"Your {name} path ran away (beyond {RUNAWAY:g}, infinity or NaN) at step {stop}; "
            "it is drawn up to there.")
    return (value[:stop], note) if stop >= 2 else (None, f"No picture: {note.split(';')[0]}.")


def validate_parameters(name: str, value: object,
                        dims: Sequence[int]) -> tuple[dict | None, str | None]:
    """The student's parameters as float64 arrays if they have the contract's keys and shapes."""
    layers = range(1, len(dims))
    shapes = {**{f"W{l}": (dims[l], dims[l - 1]) for l in layers},
              **{f"b{l}": (dims[l], 1) for l in layers}}
    if type(value) is not dict or set(value) != set(shapes):
        last = len(dims) - 1
        return None, (f"No picture: {name} did not return a dict with keys "
                      f"W1, b1, ..., W{last}, b{last}.")
    for key, shape in shapes.items():
        array = value[key]
        if type(array) is not np.ndarray or array.dtype.kind != "f" or array.shape != shape:
            return None, f"No picture: {key} from {name} is not a float array of shape {shape}."
        if not np.all(np.isfinite(array)):
            return None, f"No picture: {key} from {name} holds infinity or NaN."
    return {key: value[key].astype(np.float64) for key in shapes}, None


def run_probes(submission: Submission, assignment_names: Sequence[str],
               limits: sandbox.Limits = PROBE_LIMITS) -> Probes:
    """Run the ravine loops and the initializers the pictures need, in one worker session."""
    ravine = [name for name in assignment_names if name in RAVINE_RUNS]
    initializers = [name for name in assignment_names if name in INITIALIZER_RUNS]
    probes = Probes()
    if not ravine and not initializers:
        return probes
    execs, owner = select_cells(submission, list(assignment_names))
    calls = [sandbox.Call(f"initialize {name}", name, (list(INITIALIZER_DIMS),))
             for name in initializers]
    results, _ = sandbox.run_steps(
        [*execs, *(_ravine_steps(ravine) if ravine else []), *calls], limits)
    by_label = {result.label: result for result in results}

    def outcome(name: str, labels: Sequence[str], where: str) -> object | None:
        """The fetched value, or None with a note saying why there is none."""
        if name not in owner:
            probes.notes[name] = f"{name} is not in your submission, so there is no picture."
            return None
        failed = [by_label[label] for label in labels if not by_label[label].ok]
        if failed:
            probes.notes[name] = _failure(name, failed[0].error, where, by_label[owner[name]].error)
            return None
        return by_label[labels[-1]].value

    for name in ravine:
        value = outcome(name, [f"ravine {name}", f"path {name}"], "step by step on the ravine")
        path, note = validate_path(name, value) if name not in probes.notes else (None, None)
        if path is not None:
            probes.paths[name] = path
        if note:
            probes.notes[name] = note
    for name in initializers:
        value = outcome(name, [f"initialize {name}"],
                        f"with layers_dims [128] * {len(INITIALIZER_DIMS)}")
        parameters, note = (validate_parameters(name, value, INITIALIZER_DIMS)
                            if name not in probes.notes else (None, None))
        if parameters is not None:
            probes.initializations[name] = parameters
        if note:
            probes.notes[name] = note
    return probes
