"""The command-line contract of ``autograder grade``: exit statuses, one-line usage errors, seeds
recorded and reproducible, and quiz grading of a .py of answers (right, wrong, partial,
malformed, hostile).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support.grading import (
    OPTIMIZATION_NAMES,
    REPO,
    answers_module,
    invoke_cli,
    named_tests,
    optimizers_with,
    read_results,
    run_cli,
    write,
)

from autograder.quiz.bank import load_quiz

# ---------------------------------------------------------------------------------------------
# Usage errors: exit 2, exactly one line on stderr, nothing written


@pytest.mark.parametrize("args, says", [
    (["grade", "SUB", "--assignment", "no_such_assignment"], "unknown assignment"),
    (["grade", "--assignment", "optimization"], "SUBMISSION"),
    (["grade", "SUB"], "--assignment"),
    (["grade", "SUB", "--assignment", "optimization", "--seed", "abc"], "seed"),
], ids=["unknown-assignment", "missing-submission", "missing-assignment", "bad-seed"])
def test_usage_errors_exit_2_with_one_line_on_stderr_and_write_nothing(tmp_path, args, says):
    submission = write(tmp_path / "sub.py", "x = 1\n")
    args = [str(submission) if a == "SUB" else a for a in args]
    out = tmp_path / "results.json"
    process = run_cli(*args, "--results", str(out), cwd=tmp_path)
    assert process.returncode == 2
    lines = process.stderr.splitlines()
    assert len(lines) == 1, process.stderr
    assert says in lines[0]
    assert not out.exists() and not (tmp_path / "results.json").exists()


def test_the_default_results_path_is_results_json_in_the_working_directory(tmp_path):
    submission = write(tmp_path / "sub.py", optimizers_with(""))
    process = run_cli("grade", str(submission), "--assignment", "optimization", "--quiet",
                      cwd=tmp_path)
    assert process.returncode == 0, process.stderr
    data = read_results(tmp_path / "results.json")
    assert data["score"] == data["max_score"] == 15
    assert process.stdout == ""


# ---------------------------------------------------------------------------------------------
# Seeds: recorded in results.json, and --seed reproduces the hidden cases exactly

WRONG_NUMBERS = '''
def update_lr(learning_rate0, epoch_num, decay_rate):
    return learning_rate0 * 0.99

def update_parameters_with_gd(parameters, grads, learning_rate):
    return {k: w - 0.9 * learning_rate * grads["d" + k] for k, w in parameters.items()}
'''


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("seeded")
    submission = write(tmp / "sub.py", optimizers_with(WRONG_NUMBERS))
    runs = {}
    for key, seed in (("a", ["--seed", "4242"]), ("b", ["--seed", "4242"]),
                      ("c", ["--seed", "4243"]), ("free", [])):
        out = tmp / f"{key}.json"
        code, stdout, stderr = invoke_cli("grade", str(submission), "-a", "optimization",
                                          "--results", str(out), *seed)
        assert code == 0, stderr
        runs[key] = (read_results(out), stdout)
    free_seed = runs["free"][0]["extra_data"]["seed"]
    out = tmp / "again.json"
    assert invoke_cli("grade", str(submission), "-a", "optimization", "--results", str(out),
                      "--seed", str(free_seed))[0] == 0
    runs["again"] = (read_results(out), "")
    return runs


def _feedback(data: dict) -> dict:
    return {test["name"]: (test["score"], test["output"]) for test in data["tests"]}


def test_the_seed_is_recorded_in_results_json_and_the_table(seeded):
    data, stdout = seeded["a"]
    assert data["extra_data"]["seed"] == 4242
    assert "--seed 4242" in data["output"]
    assert "4242" in stdout


def test_the_same_seed_reproduces_the_same_results(seeded):
    assert _feedback(seeded["a"][0]) == _feedback(seeded["b"][0])
    assert "expected" in named_tests(seeded["a"][0])["update_lr"]["output"]


def test_another_seed_draws_other_hidden_cases(seeded):
    assert _feedback(seeded["a"][0]) != _feedback(seeded["c"][0])


def test_a_run_without_seed_records_one_that_reproduces_it(seeded):
    free = seeded["free"][0]
    assert isinstance(free["extra_data"]["seed"], int)
    assert _feedback(free) == _feedback(seeded["again"][0])


# ---------------------------------------------------------------------------------------------
# Quizzes: a .py of answers, graded with --assignment optimization_quiz

QUIZ = load_quiz(REPO / "quizzes" / "optimization_quiz.yaml")
POINTS = {item.id: item.points for item in QUIZ.items}
RIGHT = {"most_variance": "A", "not_true_gradient_descent": "B", "always_global_minimum": "E",
         "least_successful_ravine": "B", "different_influence": ["A", "D"]}

QUIZ_SUBMISSIONS = {
    "right": ('''
        most_variance = " a "
        not_true_gradient_descent = "B"
        always_global_minimum = "e"
        least_successful_ravine = "B"
        different_influence = ["d", " a ", "A"]
    ''', {name: POINTS[name] for name in RIGHT}),
    "wrong": (answers_module({
        "most_variance": "C", "not_true_gradient_descent": "A", "always_global_minimum": "D",
        "least_successful_ravine": "A", "different_influence": ["B", "C"],
    }), dict.fromkeys(RIGHT, 0.0)),
    "malformed": ('''
        class MyStr(str):
            def __eq__(self, other):
                return True
            __hash__ = str.__hash__

        most_variance = 1
        not_true_gradient_descent = MyStr("B")
        always_global_minimum = ["E"]
        least_successful_ravine = "Z"
        different_influence = ["A"]
    ''', {"most_variance": 0.0, "not_true_gradient_descent": 0.0, "always_global_minimum": 0.0,
          "least_successful_ravine": 0.0, "different_influence": 1.0}),
    "hostile": (f'''
        import os
        try:
            key = open({str(REPO / "quizzes" / "optimization_quiz.yaml")!r}).read()
            most_variance = key.split("answer: ")[1][0]
        except OSError:
            most_variance = "C"
        not_true_gradient_descent = "B"
        always_global_minimum = "E"
        different_influence = ["A", "D", "B"]
    ''', {"most_variance": 0.0, "not_true_gradient_descent": 1.0, "always_global_minimum": 1.0,
          "least_successful_ravine": 0.0, "different_influence": 1.0}),
    "cancelling": (answers_module({**RIGHT, "different_influence": ["A", "B"]}),
                   {**{name: POINTS[name] for name in RIGHT}, "different_influence": 0.0}),
    "non_str_entry": (answers_module({**RIGHT, "different_influence": [1, "A", "D"]}),
                      {**{name: POINTS[name] for name in RIGHT}, "different_influence": 0.0}),
}


@pytest.fixture(scope="module")
def quizzes(tmp_path_factory):
    import textwrap

    tmp = tmp_path_factory.mktemp("quiz")
    graded = {}
    for key, (source, _) in QUIZ_SUBMISSIONS.items():
        path = write(tmp / f"{key}.py", textwrap.dedent(source))
        out = tmp / f"{key}.json"
        code, _, stderr = invoke_cli("grade", str(path), "--assignment", "optimization_quiz",
                                     "--results", str(out))
        graded[key] = (code, stderr, out)
    return graded


#: The quiz's items of one variant for everyone (RIGHT); the others differ per student and,
#: graded without --student as here, score 0 (tests/test_quiz_variants.py grades them).
PER_STUDENT = [item.id for item in QUIZ.items if item.per_student]


def test_the_quiz_items_are_the_ones_these_tests_expect():
    key = {item.id: [item.answer] if isinstance(item.answer, str) else list(item.answer)
           for item in QUIZ.items if not item.per_student}
    assert key == {name: [answer] if isinstance(answer, str) else answer
                   for name, answer in RIGHT.items()}
    assert PER_STUDENT and [item.id for item in QUIZ.items] == [*RIGHT, *PER_STUDENT]


@pytest.mark.parametrize("key", sorted(QUIZ_SUBMISSIONS))
def test_quiz_answers_are_scored_item_by_item(quizzes, key):
    code, stderr, out = quizzes[key]
    assert code == 0, stderr
    data = read_results(out)
    expected = {**QUIZ_SUBMISSIONS[key][1], **dict.fromkeys(PER_STUDENT, 0.0)}
    assert {test["name"]: test["score"] for test in data["tests"]} == pytest.approx(expected)


@pytest.mark.parametrize("key, item, says", [
    ("malformed", "most_variance", "an int"),
    ("malformed", "not_true_gradient_descent", "MyStr"),
    ("malformed", "always_global_minimum", "got a list"),
    ("malformed", "least_successful_ravine", "not one of the choices"),
    ("malformed", "different_influence", "Partially correct"),
    # as any 0: "cancel" would say a pick is right
    ("cancelling", "different_influence", "Incorrect."),
    ("non_str_entry", "different_influence", "every entry of the list must be one letter string"),
    ("hostile", "least_successful_ravine", "not answered"),
    ("wrong", "most_variance", "Incorrect"),
    ("right", "different_influence", "Correct"),
])
def test_quiz_feedback_says_what_was_wrong(quizzes, key, item, says):
    _, _, out = quizzes[key]
    assert says in named_tests(read_results(out))[item]["output"]


def test_the_quiz_key_is_not_readable_from_a_submission(quizzes):
    _, _, out = quizzes["hostile"]
    data = read_results(out)
    assert named_tests(data)["most_variance"]["score"] == 0
    # the open() failed: it picked C
    assert "Right." not in named_tests(data)["most_variance"]["output"]


def test_grading_an_assignment_submission_as_a_quiz_scores_zero_without_crashing(tmp_path):
    submission = write(tmp_path / "sub.py", optimizers_with(""))
    out = tmp_path / "results.json"
    code, _, stderr = invoke_cli("grade", str(submission), "-a", "optimization_quiz",
                                 "--results", str(out))
    assert code == 0, stderr
    data = read_results(out)
    assert data["score"] == 0 and [t["name"] for t in data["tests"]] == [*RIGHT, *PER_STUDENT]
    assert not set(OPTIMIZATION_NAMES) & {t["name"] for t in data["tests"]}


def test_the_console_script_reports_usage_errors_the_same_way(tmp_path):
    script = Path(sys.executable).with_name("autograder")
    if not script.exists():
        pytest.skip("no console script in this environment")
    process = subprocess.run([str(script), "grade", "--assignment", "nope", str(tmp_path)],
                             capture_output=True, text=True, cwd=tmp_path, check=False)
    assert process.returncode == 2 and len(process.stderr.splitlines()) == 1
    assert not (tmp_path / "results.json").exists()
