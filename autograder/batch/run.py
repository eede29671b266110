"""The batch, a pipeline: collect the submissions -> grade them with an executor -> record each.

- `collect`: one `Job` per ``submitted/<student>/<id>/``; `pending` then skips those already
  graded (a newer results.json), syncing to the gradebook any that a killed batch left out.
- grade: an executor (`autograder.batch.executors`) grades the pending jobs: the local pool of
  grading processes by default, or a Dask cluster (`autograder.batch.cluster`).
- `recorder`: for each result, in this process only and in this order: the student's notebook
  copy, then ``results.json`` (atomically: the marker that the submission is graded), then the
  gradebook.

A batch killed at any point loses nothing on the next run: a submission without results.json is
graded again, one with results.json but without its gradebook row is synced without regrading.

One student never stops the batch. When recording a student's result fails (a full disk, a
folder name the gradebook refuses, ...), the batch prints a warning naming the student, counts
them as failed, and goes on; their results.json, if it can still be written, gets score 0 and
the reason, dated 1970 so that it never counts as graded: the next run grades them again.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from autograder import safe_files
from autograder.batch import gradebook as gb
from autograder.batch import roster
from autograder.batch.executors import Executor, Grader, LocalPool, OnResult
from autograder.batch.grader import crashed_report, grade_job
from autograder.batch.roster import Job
from autograder.batch.spec import Spec
from autograder.results import to_gradescope


@dataclass
class Summary:
    students: int = 0
    graded: int = 0
    skipped: int = 0
    failed: int = 0
    synced: int = 0  # skipped, but missing from the gradebook (a batch killed before recording it)
    scores: list[float] = field(default_factory=list)
    max_score: float = 0.0
    seconds: float = 0.0

    @property
    def mean_score(self) -> float | None:
        return sum(self.scores) / len(self.scores) if self.scores else None

    @property
    def rate(self) -> float:
        return self.graded / self.seconds if self.seconds else 0.0


class MissingStudents(LookupError):
    pass


def run_batch(
    spec: Spec,
    coursedir,
    only: list[str],
    workers: int,
    force: bool,
    console: Console | None = None,
    grader: Grader = grade_job,
    fresh: bool = False,
    executor: Executor | None = None,
) -> Summary:
    """Grade the round: collect -> grade (``executor``, default a local pool of ``workers``
    processes running ``grader``) -> record."""
    console = console or Console()
    started = time.perf_counter()
    jobs = collect(spec, coursedir, only, fresh)
    summary = Summary(students=len(jobs), max_score=spec.max_score)
    with gb.open_gradebook(coursedir, spec.cells) as gradebook:
        todo = pending(jobs, gradebook, spec, force, summary, console)
        gb.add_submissions(gradebook, spec.cells,
                           {job.student: roster.read_timestamp(job.submission) for job in todo})
        if todo:
            with _progress_bar(spec, console, len(todo)) as advance:
                on_result = recorder(gradebook, spec, summary, console, advance)
                (executor or LocalPool(workers, grader))(todo, on_result)
    summary.seconds = time.perf_counter() - started
    return summary


def collect(spec: Spec, coursedir, only: list[str], fresh: bool = False) -> list[Job]:
    """One job per student with a ``submitted/<student>/<id>`` (only those of ``only``, if any)."""
    root = Path(coursedir.root)
    submitted = root / coursedir.submitted_directory
    found = roster.students(submitted, spec.assignment)
    missing = sorted(set(only) - set(found))
    if missing:
        raise MissingStudents(
            f"no submission {submitted}/<student>/{spec.assignment}/ for {', '.join(missing)}"
        )
    return [
        Job(
            student,
            spec.assignment,
            submitted / student / spec.assignment,
            root / coursedir.autograded_directory / student / spec.assignment / roster.RESULTS,
            spec.course_root,
            spec.is_quiz,
            spec.points,
            fresh,
        )
        for student in found
        if not only or student in only
    ]


def pending(jobs: list[Job], gradebook, spec: Spec, force: bool, summary: Summary,
            console: Console) -> list[Job]:
    """The jobs to grade: all with ``force``, else those without a newer results.json. A skipped
    one missing from the gradebook (a batch killed before recording it) is synced now."""
    todo = []
    for job in jobs:
        results = None if force or not roster.is_graded(job) else roster.read_results(job.results)
        if results is None:
            todo.append(job)
            continue
        summary.skipped += 1
        try:
            if not gb.is_recorded(gradebook, spec.cells, job.student, results):
                gb.record(gradebook, spec.cells, job.student, results,
                          roster.read_timestamp(job.submission))
                summary.synced += 1
            summary.scores.append(float(results.get("score", 0.0)))
        except Exception as error:  # noqa: BLE001 -- one student must never stop the batch
            _warn(console, job, "its results.json could not be synced to the gradebook", error)
            _roll_back(gradebook)
            summary.failed += 1
    if summary.skipped:
        synced = f", {summary.synced} of them synced to the gradebook" if summary.synced else ""
        console.print(
            f"{summary.skipped} already graded (newer results.json){synced}; --force regrades them"
        )
    return todo


def recorder(gradebook, spec: Spec, summary: Summary, console: Console,
             advance: Callable[[int], None]) -> OnResult:
    """What the executor calls with each result: record it, count it, move the progress bar."""

    def on_result(job: Job, results: dict, failed: bool, copy: bytes | None) -> None:
        try:
            _record(gradebook, spec, job, results, copy)
        except Exception as error:  # noqa: BLE001 -- one student must never stop the batch
            _warn(console, job, "the result could not be recorded; the next run tries again",
                  error)
            results, failed = _record_failure(gradebook, job, error), True
        summary.graded += 1
        summary.failed += failed
        summary.scores.append(float(results["score"]))
        advance(summary.graded)

    return on_result


@contextlib.contextmanager
def _progress_bar(spec: Spec, console: Console, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar of ``total`` submissions; yields ``advance(graded so far)``."""
    progress = Progress(
        TextColumn(f"grading {spec.assignment}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )
    started = time.perf_counter()
    with progress:
        task = progress.add_task("grading", total=total, rate="")

        def advance(graded: int) -> None:
            rate = graded / (time.perf_counter() - started)
            progress.update(task, advance=1, rate=f"{rate:.2f} students/s")

        yield advance


def _warn(console: Console, job: Job, what: str, error: Exception) -> None:
    reason = safe_files.problem(error)
    line = f"warning: {safe_files.shown(job.student)}: {what} ({reason})"
    console.print(Text(line, style="yellow"))


def _record(gradebook, spec: Spec, job: Job, results: dict, copy: bytes | None) -> None:
    roster.write_copy(job, copy)
    roster.write_results(job, results)
    gb.record(gradebook, spec.cells, job.student, results, roster.read_timestamp(job.submission))


def _roll_back(gradebook) -> None:
    """Undo a failed record: SQLAlchemy refuses every later one until the session rolls back."""
    with contextlib.suppress(Exception):  # a session that cannot must not stop the others either
        gradebook.db.rollback()


def _record_failure(gradebook, job: Job, error: Exception) -> dict:
    """After recording ``job`` failed: roll the gradebook back, and leave a zero results.json
    that never counts as graded (if it can still be written)."""
    _roll_back(gradebook)
    reason = f"the result could not be recorded: {type(error).__name__}"
    results = to_gradescope(crashed_report(job, reason))
    with contextlib.suppress(Exception):
        roster.write_results(job, results)
        os.utime(job.results, ns=(0, 0))
    return results


