"""Shared helpers of the feedback-report tests (tests/test_feedback_*.py); holds no tests.

A course root in a temporary folder gets submissions under ``submitted/<student>/<ID>/`` and
their results.json under ``autograded/<student>/<ID>/``, made with the real grading engine.
"""

from __future__ import annotations

import inspect
import json
import re
import shutil
import subprocess
from pathlib import Path

import reference.initializers
import reference.optimizers
from autograder.grading import grade
from autograder.quiz.grade import grade_quiz
from autograder.results import to_gradescope

REPO = Path(__file__).resolve().parents[2]
BUNDLED_COURSE = REPO / "assignments"
SEED = 20250101
HOSTILE = "<script>alert(1)</script>"

OPTIMIZERS_SOURCE = inspect.getsource(reference.optimizers)
INITIALIZERS_SOURCE = inspect.getsource(reference.initializers)
MISTAKES_SOURCE = (REPO / "autograder" / "samples" / "optimization_mistakes.py").read_text()
QUIZ_ANSWERS_SOURCE = (REPO / "autograder" / "samples" / "optimization_quiz_answers.py").read_text()

#: Every kind of failure a picture must survive: an exception with a hostile message, a missing
#: function, a wrong return type, a path that runs away to infinity.
BROKEN_OPTIMIZERS_SOURCE = OPTIMIZERS_SOURCE + f'''

def update_parameters_with_gd(parameters, grads, learning_rate):
    raise ValueError({HOSTILE!r})


del update_parameters_with_momentum


def update_parameters_with_rmsprop(parameters, grads, s, beta2, learning_rate, epsilon=1e-8):
    return "not a tuple"


def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9,
                                beta2=0.999, epsilon=1e-8):
    return {{key: value * 1e9 for key, value in parameters.items()}}, v, s, v, s
'''

BROKEN_INITIALIZERS_SOURCE = INITIALIZERS_SOURCE + f'''

def initialize_parameters_xavier(layers_dims):
    raise RuntimeError({HOSTILE!r})


def initialize_parameters_he(layers_dims):
    return {{"W1": np.zeros((2, 2))}}


def initialize_parameters_random(layers_dims):
    parameters = initialize(layers_dims, "random")
    parameters["W1"][0, 0] = np.inf
    return parameters
'''


def place_submission(course: Path, student: str, assignment: str, source: str) -> Path:
    """``submitted/<student>/<assignment>/<assignment>.py``; returns the folder."""
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{assignment}.py").write_text(source)
    return folder


def autograde(course: Path, student: str, assignment: str, source: str, seed: int = SEED) -> dict:
    """Place the submission, grade it, write autograded/<student>/<ID>/results.json; return it."""
    folder = place_submission(course, student, assignment, source)
    if assignment.endswith("_quiz"):
        report = grade_quiz(folder, assignment, REPO)
    else:
        report = grade(folder, assignment, BUNDLED_COURSE, seed=seed)
    results_json = to_gradescope(report)
    results_path = course / "autograded" / student / assignment / "results.json"
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(results_json, ensure_ascii=False))
    return results_json


CHROMIUM = shutil.which("chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1200,2000",
]


def chromium(page: Path, profile: Path, *extra: str) -> str:
    """Run headless chromium on the page; its stdout (the DOM with --dump-dom)."""
    done = subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    )
    return done.stdout


#: Added to a copy of a page only (the pages themselves run no script and forbid any).
COUNT_DECODED_IMAGES = """<script>
window.addEventListener("load", () => {
  const decoded = [...document.images].filter((img) => img.complete && img.naturalWidth > 0);
  document.body.dataset.decodedImages = decoded.length;
  document.body.dataset.images = document.images.length;
});
</script></body>"""


def decoded_images(page: Path, tmp_path: Path) -> tuple[int, int, str]:
    """(images, decoded images, the DOM) of a copy of the page with a counting script."""
    probe = tmp_path / "probe.html"
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page.read_text())
    probe.write_text(html.replace("</body>", COUNT_DECODED_IMAGES))
    for attempt in range(3):  # on a loaded machine chromium may dump the DOM before the load event
        dom = chromium(probe, tmp_path / f"profile{attempt}", "--virtual-time-budget=10000",
                       "--dump-dom")
        counted = re.search(r'data-images="(\d+)" data-decoded-images="(\d+)"|'
                            r'data-decoded-images="(\d+)" data-images="(\d+)"', dom)
        if counted:
            break
    images = int(counted.group(1) or counted.group(4))
    decoded = int(counted.group(2) or counted.group(3))
    return images, decoded, dom
