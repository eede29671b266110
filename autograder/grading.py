"""The grading engine: submission -> student cells -> worker -> judges -> scores.

In two halves, so that the worker may run anywhere: `prepare` (submission -> the steps the worker
runs, and a judge for their results) and the judge (step results -> `Report`). `grade` is both
with a local worker in between. The worker only ever sees the student's cells and the inputs of
the calls; expected values, judges and the mistake catalogue stay in the judge, in this process.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from autograder import course, sandbox, selfcheck
from autograder.exercises import ASSIGNMENTS, Case, Exercise
from autograder.exercises.base import Raised, Verdict, case_rng
from autograder.selfcheck import Finding
from autograder.submission import Submission, SubmissionError, defines, load

_EXCEPTION = re.compile(r"[A-Za-z_][\w.]*(: |$)")
NOT_IMPLEMENTED = "is not implemented yet: replace `raise NotImplementedError()` with your code"


@dataclass(frozen=True)
class NameResult:
    """The grade of one graded name (a function or a quiz item)."""

    name: str
    score: float
    max_score: float
    output: str
    visibility: str = "visible"
    #: What the grade is made of, for the class's statistics (results.json's per-test
    #: ``extra_data``): an exercise's ``mistakes`` named and ``unexplained`` cases; a quiz item's
    #: ``picked`` letters (of the bank's choices) and whether it waits for a ``manual`` grade.
    data: dict = field(default_factory=dict)


@dataclass
class Report:
    assignment: str
    results: list[NameResult]
    seed: int | None = None
    seconds: float = 0.0
    isolation: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return sum(result.score for result in self.results)

    @property
    def max_score(self) -> float:
        return sum(result.max_score for result in self.results)


def failed_report(assignment: str, names: dict[str, float], message: str, started: float) -> Report:
    """Every graded name gets 0 with the same message (the submission could not be used)."""
    results = [NameResult(name, 0.0, points, message) for name, points in names.items()]
    return Report(assignment, results, seconds=time.perf_counter() - started, notes=[message])


def select_cells(
    submission: Submission, names: Sequence[str]
) -> tuple[list[sandbox.Exec], dict[str, str]]:
    """The student's code to run, and for each graded name the label of the step defining it.

    Notebook cells count when their grade_id is a graded name; a graded name whose tagged cell
    is gone is looked for in the untagged cells. Everything else in the notebook is ignored.
    """
    if submission.kind == "module":
        return (
            [sandbox.Exec("module", submission.cells[0].source)],
            {name: "module" for name in names},
        )
    steps, owner = [sandbox.Exec("setup", "import numpy as np")], {}  # the locked setup cell's np
    for index, cell in enumerate(submission.cells):
        if cell.kind == "code" and cell.grade_id in names:
            label = f"cell {cell.grade_id}"
            if cell.grade_id in owner:
                submission.notes.append(
                    f"two cells have grade_id {cell.grade_id}; the last one counts"
                )
                label = f"{label} ({index})"
            steps.append(sandbox.Exec(label, cell.source))
            owner[cell.grade_id] = label
    for name in names:
        if name in owner:
            continue
        for index, cell in enumerate(submission.cells):
            if cell.kind == "code" and cell.grade_id is None and defines(cell.source, name):
                label = f"cell {index} defining {name}"
                steps.append(sandbox.Exec(label, cell.source))
                owner[name] = label
                submission.notes.append(f"{name} was found in a cell without its grade_id")
    return steps, owner


def _call_label(name: str, case_index: int, call_index: int) -> str:
    return f"{name}/{case_index}/{call_index}"


def _outcomes(exercise: Exercise, results: list[sandbox.StepResult]) -> list[object] | str:
    """The calls' values, a Raised for each call that failed, or the sentence that ends the
    grading of this name (it is not implemented)."""
    outcomes: list[object] = []
    for result in results:
        if result.ok:
            outcomes.append(result.value)
            continue
        error = result.error or "failed without a message"
        if error.startswith("NotImplementedError"):
            return f"{exercise.name} {NOT_IMPLEMENTED}"
        if error.startswith(f"NameError: function '{exercise.name}'"):
            name = exercise.name
            sentence = f"{name} is not defined: write `def {name}(...)` in your submission"
        else:
            # The worker reports the student's exceptions as "<Type>: message"; its own failures
            # (timeouts, crashes, budget) are already sentences.
            sentence = f"{exercise.name} raised {error}" if _EXCEPTION.match(error) else error
        outcomes.append(Raised(error, sentence))
    return outcomes


def _case_problem(
    exercise: Exercise, case: Case, results: list[sandbox.StepResult]
) -> Verdict | str:
    """What the judge finds in one case, or the sentence that ends the grading of this name."""
    outcomes = _outcomes(exercise, results)
    if isinstance(outcomes, str):
        return outcomes
    try:
        return exercise.judge(case, outcomes)
    except Exception as error:  # noqa: BLE001 -- a hostile value that slipped past the type checks must not crash grading
        text = (
            f"the result could not be checked ({type(error).__name__}); "
            "return plain NumPy arrays, dicts and floats"
        )
        return [Finding("", text)], []


def _credit(exercise: Exercise, verdicts: list[Verdict]) -> tuple[float, list[str], int]:
    """The rubric: (share of the points, the mistakes named, the cases no mistake explains).

    Each catalogued mistake the answer makes keeps its declared share of the points, however
    many cases show it; two mistakes multiply. When some case fails in a way no catalogued
    mistake explains, only the cases passed outright count: the share is then that product
    times the share of the cases passed.
    """
    findings = [finding for case_findings, _ in verdicts for finding in case_findings]
    credits = exercise.credits
    chosen = selfcheck.explain(findings, list(credits))
    unexplained = sum(
        any(not set(f.mistakes) & set(chosen) for f in case_findings)
        for case_findings, _ in verdicts
    )
    share = math.prod(credits[message] for message in chosen)
    if unexplained:
        share *= sum(not case_findings for case_findings, _ in verdicts) / len(verdicts)
    return share, chosen, unexplained


def _rubric_lines(
    exercise: Exercise, share: float, chosen: list[str], unexplained: int, cases: int
) -> list[str]:
    credits = exercise.credits
    lines = [f"Credit {share * 100:.4g}% of the points:"]
    lines += [f"- {message} (keeps {credits[message]:.0%})" for message in chosen]
    if unexplained:
        lines.append(
            f"- {unexplained} of {cases} cases fail in a way no catalogued mistake explains: "
            "only the cases passed count"
        )
    return lines


def judge_exercise(
    exercise: Exercise,
    cases: list[Case],
    results: dict[str, sandbox.StepResult],
    points: float,
    cell_error: str | None,
) -> NameResult:
    """Score = points x the rubric's credit, with one feedback line per case.

    Right on every hidden case: full points. Wrong only in catalogued ways: each mistake keeps
    its declared share (``Mistake.credit``), whatever the cases drawn. Wrong in a way the
    catalogue does not explain: that share times the share of cases passed (see :func:`_credit`).
    A cell that raised still counts when it defined the function before raising; the feedback
    then mentions the error. A function that was never defined scores 0 with the cell's error.
    The result's ``data`` (results.json's ``extra_data``, read by ``autograder stats``): the
    mistakes named, the cases no named mistake explains, the cases passed, and, when no case
    could be judged, the ``problem`` (no cell defines it, its cell could not run, not implemented).
    """

    def unchecked(output: str, problem: str) -> NameResult:
        """0 points: no case could be judged, so no catalogued mistake explains any of them."""
        data = {"mistakes": [], "unexplained": len(cases), "passed": 0, "cases": len(cases),
                "problem": problem}
        return NameResult(exercise.name, 0.0, points, output, data=data)

    first = results[_call_label(exercise.name, 0, 0)] if cases else None
    if cell_error is not None and (first is None or (first.error or "").startswith("NameError")):
        missing = cell_error.startswith(f"no cell defines {exercise.name}")
        return unchecked(cell_error, "no cell defines it" if missing else "its cell could not run")
    verdicts: list[Verdict] = []
    for index, case in enumerate(cases):
        calls = [results[_call_label(exercise.name, index, j)] for j in range(len(case.calls))]
        verdict = _case_problem(exercise, case, calls)
        if isinstance(verdict, str):
            return unchecked(verdict, "not implemented")
        verdicts.append(verdict)
    share, chosen, unexplained = _credit(exercise, verdicts)
    passed = sum(not findings for findings, _ in verdicts)
    lines = [f"{passed}/{len(cases)} hidden checks passed"]
    if passed < len(cases):
        lines += _rubric_lines(exercise, share, chosen, unexplained, len(cases))
    notes = dict.fromkeys(note for _, case_notes in verdicts for note in case_notes)
    lines += [f"Note: {note}" for note in ([cell_error] if cell_error else []) + list(notes)]
    for case, (findings, _) in zip(cases, verdicts):
        said = selfcheck.summary(findings, chosen)
        lines.append(f"\u2718 {case.label}: {said}" if findings else f"\u2714 {case.label}")
    score = points if passed == len(cases) else points * share
    data = {"mistakes": chosen if passed < len(cases) else [], "unexplained": unexplained,
            "passed": passed, "cases": len(cases)}
    return NameResult(exercise.name, round(score, 4), points, "\n".join(lines), data=data)


def _cell_errors(
    names: Sequence[str], owner: dict[str, str], results: dict[str, sandbox.StepResult]
) -> dict[str, str | None]:
    errors: dict[str, str | None] = {}
    for name in names:
        label = owner.get(name)
        if label is None:
            errors[name] = (
                f"no cell defines {name}: the solution cell (grade_id {name}) is missing. "
                "Copy it back from the released notebook and fill it in."
            )
        elif not results[label].ok:
            where = "your file" if label == "module" else f"the cell that defines {name}"
            errors[name] = f"{where} could not run: {results[label].error}"
        else:
            errors[name] = None
    return errors


@dataclass(frozen=True)
class Prepared:
    """A submission ready for a worker: the steps to run there, and how to judge what comes back.

    Only ``steps`` and ``limits`` go to the worker. ``judge`` holds the hidden cases, the points
    and the owner of each graded name; it turns the worker's results and isolation report into
    the `Report`, in the process that prepared it.
    """

    steps: tuple[sandbox.Exec | sandbox.Call | sandbox.Fetch, ...]
    limits: sandbox.Limits
    judge: Callable[[list[sandbox.StepResult], dict[str, str]], Report]


#: A seed, or the rule that makes one from the digest of the code a submission runs
#: (`code_digest`), so that changed code is graded on other cases (see `batch.grader`).
Seed = int | Callable[[str], int] | None


def code_digest(execs: Sequence[sandbox.Exec]) -> str:
    """SHA-256 of the cells a submission runs, in order: any change to the code changes it."""
    digest = hashlib.sha256()
    for step in execs:
        source = step.source.encode("utf-8", "surrogatepass")
        digest.update(len(source).to_bytes(8, "big") + source)
    return digest.hexdigest()


def run(prepared: Prepared | Report) -> Report:
    """Run a prepared submission in a worker of this machine and judge it (a Report is final)."""
    if isinstance(prepared, Report):
        return prepared
    return prepared.judge(*sandbox.run_steps(prepared.steps, prepared.limits))


def prepare(
    submission_path: Path,
    assignment: str,
    course_root: Path | None = None,
    seed: Seed = None,
    limits: sandbox.Limits | None = None,
) -> Prepared | Report:
    """The steps that grade one submission on hidden cases drawn from ``seed`` (fresh if None;
    a callable gets the digest of the code to run), and their judge; the final Report when the
    submission cannot be read (nothing to run)."""
    started = time.perf_counter()
    exercises = ASSIGNMENTS[assignment]
    names = [exercise.name for exercise in exercises]
    points = course.points(course_root or course.default_course_root(), assignment, names)
    try:
        submission = load(submission_path, assignment)
    except SubmissionError as error:
        return failed_report(
            assignment, points, f"Your submission could not be read: {error}.", started
        )

    execs, owner = select_cells(submission, names)
    if callable(seed):
        seed = seed(code_digest(execs))
    elif seed is None:
        seed = secrets.randbits(32)
    plan = {exercise.name: exercise.cases(case_rng(seed, exercise.name)) for exercise in exercises}
    calls = [
        sandbox.Call(_call_label(name, i, j), name, args, kwargs, group=name)
        for name, cases in plan.items()
        for i, case in enumerate(cases)
        for j, (args, kwargs) in enumerate(case.calls)
    ]

    def judge(step_results: list[sandbox.StepResult], isolation: dict[str, str]) -> Report:
        by_label = {result.label: result for result in step_results}
        cell_errors = _cell_errors(names, owner, by_label)
        results = [
            judge_exercise(
                exercise,
                plan[exercise.name],
                by_label,
                points[exercise.name],
                cell_errors[exercise.name],
            )
            for exercise in exercises
        ]
        return Report(
            assignment, results, seed, time.perf_counter() - started, isolation, submission.notes
        )

    return Prepared((*execs, *calls), limits or sandbox.Limits(), judge)


def grade(
    submission_path: Path,
    assignment: str,
    course_root: Path | None = None,
    seed: Seed = None,
    limits: sandbox.Limits | None = None,
) -> Report:
    """Grade one submission of an assignment on fresh hidden cases (``seed`` reproduces them)."""
    return run(prepare(submission_path, assignment, course_root, seed, limits))
