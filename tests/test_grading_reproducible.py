"""The same code gets the same grade whatever the hidden cases drawn; wrong code never full marks.

Every catalogued mistake (its ``example``), every alternative right answer of the suite and the
wrong and right forms below are judged under 20 seeds in this process: ``grading.judge_exercise``
on what the functions return for that seed's hidden cases, with no worker in between (the
worker is exercised by one end-to-end grading per assignment, under two seeds). A catalogued
mistake must score exactly its declared share of the points under every seed, and be named.
The batch draws each student's cases from a seed derived from the course secret.
"""

from __future__ import annotations

import copy
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from support.alternatives import DRAWS, FUNCTIONAL, IN_PLACE, INITIALIZERS
from support.grading import (
    COURSE,
    INITIALIZERS_SOURCE,
    by_name,
    drawing_initializer,
    full_marks,
    write,
)

from autograder import course, grading, sandbox, selfcheck
from autograder.batch import grader as batch_grader
from autograder.batch.roster import Job
from autograder.exercises import ASSIGNMENTS
from autograder.exercises.base import case_rng
from autograder.exercises.initialization import XAVIER_MISTAKES
from autograder.exercises.optimization import EPS_INSIDE
from autograder.sandbox import wire

SEEDS = range(20)
EXERCISES = {
    exercise.name: exercise for exercises in ASSIGNMENTS.values() for exercise in exercises
}
ASSIGNMENT_OF = {exercise.name: a for a, exercises in ASSIGNMENTS.items() for exercise in exercises}
POINTS = {
    name: points
    for assignment, exercises in ASSIGNMENTS.items()
    for name, points in course.points(COURSE, assignment, [e.name for e in exercises]).items()
}


def _call(function, args, kwargs, through_wire: bool) -> sandbox.StepResult:
    """One call as the worker makes it: fresh copies of the inputs, errors as "<Type>: message"."""
    try:
        with np.errstate(all="ignore"):
            value = function(*copy.deepcopy(tuple(args)), **copy.deepcopy(dict(kwargs)))
    except Exception as error:  # noqa: BLE001 -- reported like the worker does
        return sandbox.StepResult("", False, error=f"{type(error).__name__}: {error}")
    return sandbox.StepResult("", True, wire.decode(wire.encode(value)) if through_wire else value)


def judged(name: str, function, seed: int, through_wire: bool = False) -> grading.NameResult:
    """``function`` graded as ``name`` on the hidden cases of ``seed``, in this process."""
    exercise = EXERCISES[name]
    cases = exercise.cases(case_rng(seed, name))
    results = {
        f"{name}/{i}/{j}": _call(function, args, kwargs, through_wire)
        for i, case in enumerate(cases)
        for j, (args, kwargs) in enumerate(case.calls)
    }
    return grading.judge_exercise(exercise, cases, results, POINTS[name], None)


def _defined(source: str) -> dict:
    namespace: dict = {"__name__": "__main__"}
    code = compile(textwrap.dedent(source), "<student>", "exec")
    exec(code, namespace)  # noqa: S102 -- the tests' own student sources
    return namespace


# ---------------------------------------------------------------------------------------------
# Every catalogued mistake: its credit, under every seed

CATALOGUE = [
    pytest.param(exercise.name, mistake, id=f"{exercise.name}-{index}")
    for exercise in EXERCISES.values()
    for index, mistake in enumerate(exercise.catalogue)
]


def test_a_names_hidden_cases_depend_only_on_the_seed_and_the_name():
    def drawn(names):
        return {
            name: selfcheck.to_json([c.calls for c in EXERCISES[name].cases(case_rng(7, name))])
            for name in names
        }

    assert drawn(EXERCISES) == drawn(reversed(list(EXERCISES)))
    assert drawn(["update_lr"]) != {
        "update_lr": selfcheck.to_json(
            [c.calls for c in EXERCISES["update_lr"].cases(case_rng(8, "update_lr"))]
        )
    }


@pytest.mark.parametrize("name, mistake", CATALOGUE)
def test_every_catalogued_mistake_gets_its_declared_credit_under_20_seeds(name, mistake):
    results = [judged(name, mistake.example, seed) for seed in SEEDS]
    scores = {result.score for result in results}
    assert scores == {round(POINTS[name] * mistake.credit, 4)}, [
        r.output for r in results if r.score not in scores
    ]
    unnamed = [seed for seed, result in zip(SEEDS, results) if mistake.message not in result.output]
    assert unnamed == [], results[unnamed[0]].output if unnamed else ""


# ---------------------------------------------------------------------------------------------
# Right answers written differently: full marks under every seed

RIGHT_SOURCES = {
    "in place": (IN_PLACE, "optimization"),
    "functional": (FUNCTIONAL, "optimization"),
    **{
        f"initializers {kind}": (INITIALIZERS.format(draw=draw), "initialization")
        for kind, draw in DRAWS.items()
    },
}


@pytest.mark.parametrize("label", sorted(RIGHT_SOURCES))
def test_alternative_right_answers_get_full_marks_under_20_seeds(label):
    source, assignment = RIGHT_SOURCES[label]
    namespace = _defined(source)
    for exercise in ASSIGNMENTS[assignment]:
        for seed in SEEDS:
            result = judged(exercise.name, namespace[exercise.name], seed)
            assert full_marks(result), (exercise.name, seed, result.output)


VARIANCES_AS = {
    "a list of floats": "[float(np.var(a)) for a in activations]",
    "a list of NumPy floats": "[np.var(a) for a in activations]",
    "a tuple": "tuple(np.var(a) for a in activations)",
    "a list of 0-d arrays": "[np.array(np.var(a)) for a in activations]",
    "a float32 array": "np.array([np.var(a) for a in activations], dtype=np.float32)",
}


@pytest.mark.parametrize("form", sorted(VARIANCES_AS))
def test_activation_variances_is_judged_by_its_values_whatever_the_sequence(form):
    function = _defined(f"""
        import numpy as np

        def activation_variances(X, parameters, activation):
            g = {{"linear": lambda z: z, "tanh": np.tanh,
                  "relu": lambda z: np.maximum(z, 0)}}[activation]
            a, activations = X, []
            for l in range(1, len(parameters) // 2 + 1):
                a = g(parameters["W" + str(l)] @ a + parameters["b" + str(l)])
                activations.append(a)
            return {VARIANCES_AS[form]}
    """)["activation_variances"]
    for seed in SEEDS:
        result = judged("activation_variances", function, seed, through_wire=True)
        assert full_marks(result), result.output
        if "array" not in form or "0-d" in form:
            assert "a NumPy array (np.array(...)) is preferred" in result.output


# ---------------------------------------------------------------------------------------------
# Wrong forms that used to score (or not be named): less than full marks, the same every time

MB = """
def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
    np.random.seed(seed)
    m = X.shape[1]
    permutation = list(np.random.permutation(m))
    shuffled_X, shuffled_Y = X[:, permutation], Y[:, permutation].reshape((1, m))
    mini_batches = []
    num_complete = m // mini_batch_size
    for k in range(num_complete):
        mini_batches.append((shuffled_X[:, k * mini_batch_size:(k + 1) * mini_batch_size],
                             shuffled_Y[:, k * mini_batch_size:(k + 1) * mini_batch_size]))
    if m % mini_batch_size != 0:
        {last}
    return mini_batches
"""
LAST = "mini_batches.append((shuffled_X[:, {start}:{stop}], shuffled_Y[:, {start}:{stop}]))"
ADAM = """
def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9,
                                beta2=0.999, epsilon=1e-8):
    v = {{k: beta1 * v[k] + (1 - beta1) * grads[k] for k in v}}
    s = {{k: {s_beta} * s[k] + (1 - {s_beta}) * grads[k] ** 2 for k in s}}
    vc = {{k: v[k] / (1 - beta1 ** t) for k in v}}
    sc = {{k: s[k] / (1 - beta2 ** t) for k in s}}
    step = {{k: vc["d" + k] / {denominator} for k in parameters}}
    return {{k: w - learning_rate * step[k] for k, w in parameters.items()}}, v, s, vc, sc
"""
SQRT_PLUS_EPS, SQRT_OF_SUM = '(np.sqrt(sc["d" + k]) + epsilon)', 'np.sqrt(sc["d" + k] + epsilon)'
ZEROS = """
def {name}(parameters):
    return {{"d" + k: np.zeros(w.shape, dtype={dtype}) for k, w in parameters.items()}}
"""
THREE_POINT = (
    "np.random.choice([-1.0, 0.0, 1.0], (n_out, n_in), p=[1 / 6, 2 / 3, 1 / 6]) * np.sqrt(3 * {v})"
)
MIXTURE = (
    "np.where(np.random.rand(n_out, n_in) < 0.7, "
    "np.random.uniform(-1.1817074716381604, 1.1817074716381604, (n_out, n_in)), "
    "np.random.uniform(-2.5964701782947444, 2.5964701782947444, (n_out, n_in))) * np.sqrt({v})"
)
ONE_REPEATED_ROW = (
    "(lambda W: np.vstack([W, W[:1]]))(np.random.randn(n_out - 1, n_in) * np.sqrt({v})) "
    "if n_out > 1 else np.random.randn(1, n_in) * np.sqrt({v})"
)

#: label -> (graded name, student source, what the feedback must say)
WRONG_FORMS = {
    "int zeros for v": (
        "initialize_velocity",
        ZEROS.format(name="initialize_velocity", dtype="int"),
        "integer zeros",
    ),
    "int zeros for s": (
        "initialize_rmsprop",
        ZEROS.format(name="initialize_rmsprop", dtype="np.int32"),
        "integer zeros",
    ),
    "int zeros for Adam": (
        "initialize_adam",
        """
        def initialize_adam(parameters):
            v = {"d" + k: np.zeros(w.shape, dtype=int) for k, w in parameters.items()}
            return v, {"d" + k: np.zeros(w.shape) for k, w in parameters.items()}
    """,
        "integer zeros",
    ),
    "velocity of ones": (
        "initialize_velocity",
        ZEROS.format(name="initialize_velocity", dtype="float").replace("np.zeros", "np.ones"),
        "not ones",
    ),
    "mini-batches as float32": (
        "random_mini_batches",
        MB.format(last=LAST.format(start="num_complete * mini_batch_size", stop="m")).replace(
            "shuffled_X, shuffled_Y = X[:, permutation]",
            "shuffled_X, shuffled_Y = X[:, permutation].astype(np.float32)",
        ),
        selfcheck.MB_DTYPE,
    ),
    "mini-batches as int64 views": (
        "random_mini_batches",
        MB.format(last=LAST.format(start="num_complete * mini_batch_size", stop="m")).replace(
            "shuffled_X, shuffled_Y = X[:, permutation]",
            "shuffled_X, shuffled_Y = X[:, permutation].view(np.int64)",
        ),
        selfcheck.MB_DTYPE,
    ),
    "a seed-dependent rotation": (
        "random_mini_batches",
        """
        def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
            m = X.shape[1]
            order = np.roll(np.arange(m), seed % m)
            X, Y = X[:, order], Y[:, order]
            return [(X[:, i:i + mini_batch_size], Y[:, i:i + mini_batch_size])
                    for i in range(0, m, mini_batch_size)]
    """,
        selfcheck.MB_STRUCTURED,
    ),
    "the last batch from the loop variable (k + 1)": (
        "random_mini_batches",
        MB.format(last=LAST.format(start="(k + 1) * mini_batch_size", stop="m")),
        selfcheck.MB_LOOP_VARIABLE,
    ),
    "the last batch from the loop variable (k)": (
        "random_mini_batches",
        MB.format(last=LAST.format(start="k * mini_batch_size", stop="m")),
        selfcheck.MB_LOOP_VARIABLE,
    ),
    "the last batch one short": (
        "random_mini_batches",
        MB.format(last=LAST.format(start="num_complete * mini_batch_size", stop="m - 1")),
        selfcheck.MB_LAST_LENGTH,
    ),
    "no shuffle": (
        "random_mini_batches",
        """
        def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
            return [(X[:, i:i + mini_batch_size], Y[:, i:i + mini_batch_size])
                    for i in range(0, X.shape[1], mini_batch_size)]
    """,
        selfcheck.MB_NOT_SHUFFLED,
    ),
    "round in the schedule": (
        "schedule_lr_decay",
        """
        def schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval=1000):
            return learning_rate0 / (1 + decay_rate * np.round(epoch_num / time_interval))
    """,
        "round()",
    ),
    "decay only at multiples": (
        "schedule_lr_decay",
        """
        def schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval=1000):
            learning_rate = learning_rate0
            if epoch_num % time_interval == 0:
                learning_rate = learning_rate0 / (
                    1 + decay_rate * np.floor(epoch_num / time_interval))
            return learning_rate
    """,
        "only decays on the epochs that are multiples",
    ),
    "|dW| in RMSprop": (
        "update_parameters_with_rmsprop",
        """
        def update_parameters_with_rmsprop(parameters, grads, s, beta2, learning_rate,
                                           epsilon=1e-8):
            s = {k: beta2 * s[k] + (1 - beta2) * np.abs(grads[k]) for k in s}
            return {k: w - learning_rate * grads["d" + k] / (np.sqrt(s["d" + k]) + epsilon)
                    for k, w in parameters.items()}, s
    """,
        "not |dW|",
    ),
    "b updated with dW": (
        "update_parameters_with_gd",
        """
        def update_parameters_with_gd(parameters, grads, learning_rate):
            for l in range(1, len(parameters) // 2 + 1):
                parameters["W" + str(l)] = (parameters["W" + str(l)]
                                            - learning_rate * grads["dW" + str(l)])
                parameters["b" + str(l)] = (parameters["b" + str(l)]
                                            - learning_rate * grads["dW" + str(l)])
            return parameters
    """,
        "db, not dW",
    ),
    "return inside the loop": (
        "update_parameters_with_momentum",
        """
        def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
            for l in range(1, len(parameters) // 2 + 1):
                for p in "Wb":
                    v[f"d{p}{l}"] = beta * v[f"d{p}{l}"] + (1 - beta) * grads[f"d{p}{l}"]
                    parameters[f"{p}{l}"] = parameters[f"{p}{l}"] - learning_rate * v[f"d{p}{l}"]
                return parameters, v
    """,
        "the `return` is inside the loop",
    ),
    "Adam with epsilon inside the square root": (
        "update_parameters_with_adam",
        ADAM.format(s_beta="beta2", denominator=SQRT_OF_SUM),
        "epsilon is inside the square root",
    ),
    "Adam whose s uses beta1": (
        "update_parameters_with_adam",
        ADAM.format(s_beta="beta1", denominator=SQRT_PLUS_EPS),
        "s uses beta1: the second moment decays with beta2",
    ),
    "Adam whose s uses beta1, with epsilon inside the square root": (
        "update_parameters_with_adam",
        ADAM.format(s_beta="beta1", denominator=SQRT_OF_SUM),
        "s uses beta1",
    ),
    "a three-point Xavier": (
        "initialize_parameters_xavier",
        drawing_initializer(
            "initialize_parameters_xavier", THREE_POINT.format(v="1 / n_in")
        ),
        selfcheck.INIT_NOT_NORMAL,
    ),
    "a three-point He": (
        "initialize_parameters_he",
        drawing_initializer("initialize_parameters_he",
                            expression=THREE_POINT.format(v="2 / n_in")),
        selfcheck.INIT_NOT_NORMAL,
    ),
    "a uniform mixture tuned to variance and kurtosis": (
        "initialize_parameters_xavier",
        drawing_initializer("initialize_parameters_xavier",
                            expression=MIXTURE.format(v="1 / n_in")),
        selfcheck.INIT_NOT_NORMAL,
    ),
    "a He draw with one repeated row": (
        "initialize_parameters_he",
        drawing_initializer(
            "initialize_parameters_he", ONE_REPEATED_ROW.format(v="2 / n_in")
        ),
        selfcheck.INIT_REPEATED_ROWS,
    ),
    "Glorot for Xavier": (
        "initialize_parameters_xavier",
        drawing_initializer(
            "initialize_parameters_xavier",
            expression="np.random.randn(n_out, n_in) * np.sqrt(2 / (n_in + n_out))",
        ),
        XAVIER_MISTAKES[1].message,
    ),
}


@pytest.mark.parametrize("label", sorted(WRONG_FORMS))
def test_wrong_forms_score_less_than_full_marks_the_same_under_20_seeds_and_are_named(label):
    name, source, message = WRONG_FORMS[label]
    function = _defined("import numpy as np\n" + textwrap.dedent(source))[name]
    results = [judged(name, function, seed, through_wire=True) for seed in SEEDS]
    assert len({result.score for result in results}) == 1, [result.score for result in results]
    assert results[0].score < results[0].max_score
    assert all(message in result.output for result in results), results[0].output
    if "repeated row" in label:
        assert not any("Glorot" in result.output for result in results)


def test_combined_adam_mistakes_are_named_per_component_and_their_credits_multiply():
    name, source, _ = WRONG_FORMS["Adam whose s uses beta1, with epsilon inside the square root"]
    result = judged(name, _defined("import numpy as np\n" + source)[name], 3)
    assert (
        "\u2718 t = 1, first step: s uses beta1" in result.output
        and "parameters: epsilon is inside the square root" in result.output
    )
    credits = EXERCISES[name].credits
    expected = credits["s uses beta1: the second moment decays with beta2"] * credits[EPS_INSIDE]
    assert result.score == round(POINTS[name] * expected, 4)


def test_an_unexplained_mistake_scores_the_share_of_cases_passed():
    function = _defined("""
        import numpy as np

        def update_lr(learning_rate0, epoch_num, decay_rate):
            return learning_rate0 / (1 + decay_rate * epoch_num) if epoch_num < 1000 else 0.5
    """)["update_lr"]
    result = judged("update_lr", function, 0)
    assert result.score == round(POINTS["update_lr"] * 3 / 4, 4)
    assert "no catalogued mistake explains" in result.output


# ---------------------------------------------------------------------------------------------
# End to end, in the real worker: two seeds, one grade

OPTIMIZATION_MISTAKES = Path(grading.__file__).with_name("samples") / "optimization_mistakes.py"
INITIALIZATION_MISTAKES = INITIALIZERS_SOURCE + textwrap.dedent(
    drawing_initializer("initialize_parameters_xavier",
        expression="np.random.randn(n_out, n_in) * np.sqrt(2 / (n_in + n_out))",
    )
    + drawing_initializer("initialize_parameters_he", expression=THREE_POINT.format(v="2 / n_in"))
)


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_two_seeds_give_the_same_grade_in_the_real_worker(tmp_path, assignment):
    if assignment == "optimization":
        path, expected = (
            OPTIMIZATION_MISTAKES,
            {
                "random_mini_batches": selfcheck.MB_TWO_PERMUTATIONS,
                "update_parameters_with_momentum": "the (1 - beta) factor is missing",
                "update_parameters_with_adam": "epsilon is inside the square root",
            },
        )
    else:
        path, expected = (
            write(tmp_path / "mistakes.py", INITIALIZATION_MISTAKES),
            {
                "initialize_parameters_xavier": XAVIER_MISTAKES[1].message,
                "initialize_parameters_he": selfcheck.INIT_NOT_NORMAL,
            },
        )
    first, second = (by_name(grading.grade(path, assignment, seed=seed)) for seed in (1, 2))
    assert {n: r.score for n, r in first.items()} == {n: r.score for n, r in second.items()}
    for name, result in first.items():
        if name in expected:
            credit = EXERCISES[name].credits
            named = [message for message in credit if expected[name] in message]
            assert result.score == round(result.max_score * credit[named[0]], 4), result.output
            assert expected[name] in result.output and expected[name] in second[name].output
        else:
            assert full_marks(result), result.output


# ---------------------------------------------------------------------------------------------
# The batch: a student's seed comes from the course secret


@pytest.fixture
def small_course(tmp_path) -> Path:
    root = tmp_path / "course"
    (root / "source" / "optimization").mkdir(parents=True)
    shutil.copy(
        COURSE / "source" / "optimization" / "optimization.ipynb", root / "source" / "optimization"
    )
    return root


def _job(course_root: Path, student: str, submission: Path, fresh: bool = False) -> Job:
    points = course.points(
        course_root, "optimization", [e.name for e in ASSIGNMENTS["optimization"]]
    )
    results = course_root / "autograded" / student / "optimization" / "results.json"
    return Job(student, "optimization", submission, results, course_root, False, points, fresh)


def test_the_course_secret_is_made_once_private_and_outside_every_assignment(small_course):
    secret = batch_grader.course_secret(small_course)
    path = small_course / batch_grader.SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert batch_grader.course_secret(small_course) == secret and len(secret) >= 64
    assert path.parent == small_course and not path.is_relative_to(small_course / "source")
    assert [
        p.name for p in small_course.iterdir() if p.name.startswith(batch_grader.SECRET_FILE)
    ] == [path.name]


def test_a_seed_depends_on_the_secret_the_assignment_the_student_and_the_code(
    small_course, tmp_path
):
    code = "0" * 64
    seed = batch_grader.student_seed(small_course, "optimization", "alice", code)
    assert seed == batch_grader.student_seed(small_course, "optimization", "alice", code)
    assert 0 <= seed < 2**32
    assert seed != batch_grader.student_seed(small_course, "optimization", "bob", code)
    assert seed != batch_grader.student_seed(small_course, "initialization", "alice", code)
    assert seed != batch_grader.student_seed(small_course, "optimization", "alice", "1" * 64)
    other = tmp_path / "other"
    other.mkdir()
    assert seed != batch_grader.student_seed(other, "optimization", "alice", code)


def _code_digest(submission: Path) -> str:
    from autograder.grading import code_digest, select_cells
    from autograder.submission import load

    names = [e.name for e in ASSIGNMENTS["optimization"]]
    return code_digest(select_cells(load(submission, "optimization"), names)[0])


def test_a_batch_regrade_reproduces_the_grade_and_fresh_draws_other_cases(small_course):
    job = _job(small_course, "alice", OPTIMIZATION_MISTAKES)
    first, failed = batch_grader.grade_job(job)
    again, _ = batch_grader.grade_job(job)
    fresh, _ = batch_grader.grade_job(
        _job(small_course, "alice", OPTIMIZATION_MISTAKES, fresh=True)
    )
    assert not failed
    code = _code_digest(OPTIMIZATION_MISTAKES)
    assert (
        first["extra_data"]["seed"]
        == again["extra_data"]["seed"]
        == batch_grader.student_seed(small_course, "optimization", "alice", code)
    )
    assert (
        first["extra_data"]["seed_source"] == "course secret"
        and fresh["extra_data"]["seed_source"] == "fresh"
    )
    assert fresh["extra_data"]["seed"] != first["extra_data"]["seed"]
    assert (
        [t["score"] for t in first["tests"]]
        == [t["score"] for t in again["tests"]]
        == [t["score"] for t in fresh["tests"]]
    )
    assert [t["output"] for t in first["tests"]] == [t["output"] for t in again["tests"]]


def test_changed_code_is_graded_on_other_cases_and_the_same_code_on_the_same(
    small_course, tmp_path
):
    """A resubmission differing by one comment is drawn other cases (what the last feedback
    showed does not help), while the same code under another file name keeps its seed."""
    edited = tmp_path / "edited.py"
    edited.write_text(OPTIMIZATION_MISTAKES.read_text() + "\n# resubmitted\n")
    renamed = tmp_path / "renamed.py"
    renamed.write_text(OPTIMIZATION_MISTAKES.read_text())
    seeds = {
        path.name: batch_grader.grade_job(
            _job(small_course, "alice", path))[0]["extra_data"]["seed"]
        for path in (OPTIMIZATION_MISTAKES, edited, renamed)
    }
    assert seeds[OPTIMIZATION_MISTAKES.name] == seeds["renamed.py"] != seeds["edited.py"]


def test_autograde_has_a_fresh_flag():
    from click.testing import CliRunner

    from autograder.cli import main

    result = CliRunner().invoke(main, ["autograde", "--help"])
    assert result.exit_code == 0 and "--fresh" in result.output


def test_nbgrader_never_releases_the_course_secret(tmp_path):
    root = tmp_path / "assignments"
    shutil.copytree(
        COURSE,
        root,
        ignore=shutil.ignore_patterns(
            "release",
            "submitted",
            "autograded",
            "feedback",
            "gradebook.db",
            "*.log",
            batch_grader.SECRET_FILE,
        ),
    )
    secret = batch_grader.course_secret(root)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("nbgrader")),
            "generate_assignment",
            "optimization",
            "--force",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    released = [p for p in (root / "release").rglob("*") if p.is_file()]
    assert released and not any(p.name.startswith(batch_grader.SECRET_FILE) for p in released)
    assert not any(secret in p.read_bytes() for p in released)
