"""Quiz keys stay secret until they may be read.

With ``explanations: immediately`` a student sees the feedback at once, so no answer may pull
the key out of the explanations. With ``explanations: after_due_date`` nothing of the key may
reach anything the student sees before then: the results.json their own repository's workflow
uploads, its job log and its job summary.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from autograder.packaging.summary import HIDDEN
from autograder.packaging.workflow import public_results, workflow_text
from autograder.quiz import load_quiz, score_item, score_quiz
from autograder.quiz.bank import MULTIPLE, SINGLE
from autograder.quiz.personalize import right_answers, variants_for

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
OPTIMIZATION = load_quiz(REPO / "quizzes" / "optimization_quiz.yaml")
AFTER_DUE = dataclasses.replace(OPTIMIZATION, explanations="after_due_date")
CHOICE_ITEMS = [item for item in OPTIMIZATION.items if item.type in (SINGLE, MULTIPLE)]
#: The choice items every student sees alike (their letters are the key's).
FIXED_ITEMS = [item for item in CHOICE_ITEMS if not item.per_student]
KEY = {item.id: item.answer[0] if item.type == SINGLE else list(item.answer)
       for item in FIXED_ITEMS}
SALT = "5a" * 32
ADA = variants_for(OPTIMIZATION, SALT, "ada")


def _secrets(quiz=OPTIMIZATION) -> list[str]:
    """Text that gives the key away: every explanation, the verdict words they start with."""
    texts = [text for item in quiz.items for text in item.explanations.values()]
    return [*texts, "Right.", "Wrong.", "The answer:"]


def _leaks(text: str) -> list[str]:
    return [secret[:40] for secret in _secrets() if secret in text]


# --- immediate feedback ----------------------------------------------------------------------


@pytest.mark.parametrize("item", [i for i in CHOICE_ITEMS if i.type == MULTIPLE],
                         ids=lambda i: i.id)
def test_picking_every_letter_explains_no_letter(item):
    result = score_item(item, list(item.letters), OPTIMIZATION)
    assert result.score < result.max_score
    assert _leaks(result.feedback) == []
    assert "once your whole answer is right" in result.feedback


@pytest.mark.parametrize("item", [i for i in CHOICE_ITEMS if i.type == MULTIPLE],
                         ids=lambda i: i.id)
def test_a_partly_right_multiple_choice_explains_nothing_of_its_picks(item):
    right = item.answer[0]
    wrong = next(letter for letter in item.letters if letter not in item.answer)
    for picks in ([right], [right, wrong], [wrong]):
        assert _leaks(score_item(item, picks, OPTIMIZATION).feedback) == []


def test_a_fully_right_multiple_choice_explains_every_pick():
    item = OPTIMIZATION.item("different_influence")
    feedback = score_item(item, list(item.answer), OPTIMIZATION).feedback
    assert feedback.startswith("Correct.")
    assert all(item.explanations[letter] in feedback for letter in item.answer)


@pytest.mark.parametrize("item", [i for i in CHOICE_ITEMS if i.type == SINGLE], ids=lambda i: i.id)
def test_a_single_choice_explains_only_the_letter_picked(item):
    variant = ADA.get(item.id)
    for letter in item.letters:
        feedback = score_item(item, letter, OPTIMIZATION, variant).feedback
        # the choice shown as letter
        bank = variant.bank_letters(item)[letter] if variant else letter
        assert item.explanations[bank] in feedback  # its rightness is what the score says
        others = [item.explanations[other] for other in item.letters if other != bank]
        assert not [text for text in others if text in feedback]


def test_every_wrong_numeric_answer_reads_the_same_and_holds_no_digit_of_the_answer():
    item = OPTIMIZATION.item("scheduled_learning_rate")
    variant = ADA[item.id]
    (answer,) = item.answer_function.answer(variant.values)
    feedbacks = {score_item(item, wrong, OPTIMIZATION, variant).feedback
                 for wrong in (0.0, answer * 1.01, answer / 2, -answer, 1e9)}
    assert len(feedbacks) == 1
    (feedback,) = feedbacks
    assert feedback.startswith("Incorrect.") and repr(answer)[:6] not in feedback
    assert item.explanation not in feedback  # it says how to compute the answer


def test_after_the_due_date_everything_is_explained():
    item = OPTIMIZATION.item("different_influence")
    feedback = score_item(item, ["A", "B"], AFTER_DUE).feedback
    assert "The answer: A, D." in feedback
    assert all(item.explanations[letter] in feedback for letter in ("A", "B", "D"))


# --- after the due date: what the student's own repository gets -----------------------------


def test_the_public_copy_hides_the_output_and_score_of_results_not_yet_visible():
    results = {
        "score": 3.0, "max_score": 6.0, "output": "optimization_quiz: 3 / 6 points.",
        "tests": [
            {"name": "a", "score": 1.0, "max_score": 1.0, "status": "passed",
             "output": "Correct. A. x: Right. because", "visibility": "after_due_date"},
            {"name": "b", "score": 2.0, "max_score": 2.0, "status": "passed", "output": "fine",
             "visibility": "visible"},
            {"name": "c", "score": 0.0, "max_score": 3.0, "output": "The answer: B.",
             "visibility": "hidden"},
        ],
    }
    public = public_results(results)
    assert [test["output"] for test in public["tests"]] == [HIDDEN, "fine", HIDDEN]
    assert [test["score"] for test in public["tests"]] == [None, 2.0, None]
    assert "status" not in public["tests"][0]
    assert [test["max_score"] for test in public["tests"]] == [1.0, 2.0, 3.0]
    assert (public["score"], public["max_score"]) == (3.0, 6.0)  # the total stays: see README
    assert results["tests"][0]["output"].startswith("Correct.")  # the original is untouched


def _course_with_an_after_due_date_quiz(root: Path) -> None:
    """The grader's files the workflow clones: this repository's quiz, its explanations hidden."""
    (root / "quizzes").mkdir(parents=True)
    bank = yaml.safe_load((REPO / "quizzes" / "optimization_quiz.yaml").read_text())
    bank["explanations"] = "after_due_date"
    (root / "quizzes" / "optimization_quiz.yaml").write_text(yaml.safe_dump(bank))
    shutil.copytree(REPO / "assignments", root / "assignments",
                    ignore=shutil.ignore_patterns("release", "submitted", "autograded", "feedback",
                                                  "gradebook.db", "*.log"))


def test_the_workflow_uploads_logs_and_summarises_nothing_of_the_key(tmp_path):
    workspace, runner_temp = tmp_path / "workspace", tmp_path / "runner"
    workspace.mkdir()
    _course_with_an_after_due_date_quiz(runner_temp / "grader")
    wrong = {item_id: "C" if isinstance(answer, str) else ["B", "C"]
             for item_id, answer in KEY.items()}
    (workspace / "answers.py").write_text("".join(f"{k} = {v!r}\n" for k, v in wrong.items()))
    (job,) = yaml.safe_load(workflow_text("optimization_quiz", "answers.py"))["jobs"].values()
    steps = {step["name"]: step for step in job["steps"]}
    summary = tmp_path / "step_summary.md"
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
           "RUNNER_TEMP": str(runner_temp), "GITHUB_STEP_SUMMARY": str(summary),
           "GITHUB_OUTPUT": str(tmp_path / "github_output")}

    log = ""
    for name in ("Grade", "Report"):
        done = subprocess.run(["bash", "-e", "-c", steps[name]["run"]], cwd=workspace, env=env,
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        log += done.stdout + done.stderr
    uploaded = Path(steps["Upload results.json"]["with"]["path"].replace(
        "${{ runner.temp }}", str(runner_temp)))

    private = (runner_temp / "results.json").read_text()
    assert _leaks(private), "the grader's own results.json holds the key (else this test is void)"
    assert not [path for path in workspace.rglob("*") if path.name != "answers.py"]
    assert uploaded.is_file() and _leaks(uploaded.read_text()) == []
    assert _leaks(log) == [] and _leaks(summary.read_text()) == []
    total = sum(item.points for item in OPTIMIZATION.items)
    assert [line for line in log.splitlines() if line.endswith(f"Points 0/{total:g}")]
    assert json.loads(uploaded.read_text())["tests"][0]["output"] == HIDDEN


def test_ci_public_writes_the_public_copy(tmp_path):
    from click.testing import CliRunner

    from autograder.cli import main

    results = {"score": 1.0, "max_score": 1.0, "tests": [
        {"name": "a", "score": 1.0, "max_score": 1.0, "output": "Right.", "visibility": "hidden"}]}
    (tmp_path / "results.json").write_text(json.dumps(results))
    out = tmp_path / "public" / "results.json"
    done = CliRunner().invoke(
        main, ["ci", "public", str(tmp_path / "results.json"), "-o", str(out)])
    assert done.exit_code == 0, done.output
    assert json.loads(out.read_text()) == public_results(results)
    printed = CliRunner().invoke(main, ["ci", "public", str(tmp_path / "results.json")])
    assert json.loads(printed.stdout) == public_results(results)


def test_score_quiz_with_the_key_still_earns_full_marks():
    results = score_quiz(OPTIMIZATION, right_answers(OPTIMIZATION, ADA), ADA)
    assert all(r.score == r.max_score for r in results)
