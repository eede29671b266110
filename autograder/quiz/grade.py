"""Grading a quiz submission: the answers come back from the isolated worker as plain data.

`prepare_quiz` makes the steps (the answer cells, then one ``Fetch`` per item) and a judge that
holds the key; the worker only runs the steps. Choice answers are the values the student bound
to the item ids (run in the worker, read back with ``Fetch``). Free-response answers are the
text of the markdown cell with the item's grade_id (or, in a ``.py`` submission, the string
bound to the item id); they are recorded for the hand grader, never scored here. The key stays
in this process.

Per-student items are scored in the variant of ``student``, the id the submission is filed under
(the batch's ``submitted/<student>/``, ``autograder grade --student``), drawn from the salt in
the instructor's source folder (``personalize``); nothing the submission says about its student
or its variant is read. Without a usable id or salt those items score 0 and say why; the others
are graded as usual.
"""

from __future__ import annotations

import time
from pathlib import Path

from autograder import sandbox
from autograder.grading import NameResult, Prepared, Report, failed_report, run, select_cells
from autograder.quiz.bank import FREE_RESPONSE, Item, Quiz, load_quiz
from autograder.quiz.personalize import Variant, VariantsUnavailable, student_variants
from autograder.quiz.scoring import ItemScore, score_item, unassigned
from autograder.submission import Submission, SubmissionError, load


def _to_result(score: ItemScore) -> NameResult:
    output = score.feedback + ("\n(Graded by hand after the due date.)" if score.manual else "")
    data = {"picked": list(score.picked), "manual": score.manual, "variant": score.variant}
    return NameResult(score.item_id, score.score, score.max_score, output, score.visibility, data)


def _markdown_answers(submission: Submission, quiz: Quiz) -> dict[str, str]:
    free = {item.id for item in quiz.items if item.type == FREE_RESPONSE}
    return {cell.grade_id: cell.source for cell in submission.cells
            if cell.kind == "markdown" and cell.grade_id in free}


def _variants(quiz: Quiz, course_root: Path,
              student: str | None) -> tuple[dict[str, Variant], str | None]:
    """The student's variant of each per-student item, or why there is none."""
    try:
        return student_variants(quiz, course_root, student), None
    except VariantsUnavailable as error:
        return {}, str(error)


def prepare_quiz(submission_path: Path, quiz_id: str, repo_root: Path, student: str | None = None,
                 course_root: Path | None = None) -> Prepared | Report:
    """The steps that fetch the student's answers, and their judge (which holds the key); the
    final Report when the submission cannot be read. ``student``: the id the submission is
    filed under; ``course_root`` (default ``repo_root/assignments``) holds the quiz's salt."""
    started = time.perf_counter()
    quiz = load_quiz(Path(repo_root) / "quizzes" / f"{quiz_id}.yaml")
    points = {item.id: item.points for item in quiz.items}
    variants, unavailable = _variants(
        quiz, Path(course_root or Path(repo_root) / "assignments"), student
    )
    try:
        submission = load(submission_path, quiz_id)
    except SubmissionError as error:
        return failed_report(quiz_id, points,
                             f"Your submission could not be read: {error}.", started)
    if unavailable is not None:
        submission.notes.append(
            f"Questions different for each student got no credit: {unavailable}.")

    markdown = _markdown_answers(submission, quiz)
    wanted = [item.id for item in quiz.items if item.id not in markdown]
    execs, owner = select_cells(submission, wanted)
    fetches = [sandbox.Fetch(f"answer {item_id}", item_id)
               for item_id in wanted if item_id in owner]

    def judge(step_results: list[sandbox.StepResult], isolation: dict[str, str]) -> Report:
        fetched = {result.label.removeprefix("answer "): result for result in step_results
                   if result.label.startswith("answer ")}
        results = [
            _item_result(item, quiz, markdown, owner, fetched, variants.get(item.id), unavailable)
            for item in quiz.items
        ]
        return Report(quiz_id, results, None, time.perf_counter() - started, isolation,
                      submission.notes)

    return Prepared((*execs, *fetches), sandbox.Limits(), judge)


def _item_result(item: Item, quiz: Quiz, markdown: dict[str, str], owner: dict[str, str],
                 fetched: dict[str, sandbox.StepResult], variant: Variant | None,
                 unavailable: str | None) -> NameResult:
    if item.per_student and variant is None:
        return _to_result(unassigned(item, quiz, unavailable or "its variant is unknown"))
    if item.id in markdown:
        return _to_result(score_item(item, markdown[item.id], quiz))
    if item.id not in owner:
        message = (f"No credit: there is no answer cell for {item.id} (grade_id {item.id}); "
                   "copy it back from the released quiz.")
        return NameResult(item.id, 0.0, item.points, message, quiz.visibility)
    answer = fetched[item.id]
    if not answer.ok and (answer.error or "").startswith("NameError"):
        message = f"No credit: not answered ({item.id} is not defined)."
        return NameResult(item.id, 0.0, item.points, message, quiz.visibility)
    if not answer.ok:
        message = f"No credit: your answer cell for {item.id} could not run: {answer.error}"
        return NameResult(item.id, 0.0, item.points, message, quiz.visibility)
    return _to_result(score_item(item, answer.value, quiz, variant))


def grade_quiz(submission_path: Path, quiz_id: str, repo_root: Path, student: str | None = None,
               course_root: Path | None = None) -> Report:
    return run(prepare_quiz(submission_path, quiz_id, repo_root, student, course_root))
