"""Where the batch grades: an executor takes the jobs and hands back each result as it comes.

An executor is a callable ``executor(jobs, on_result)`` that grades every job once and calls
``on_result(job, results, failed, copy)`` for each, in the calling process (which alone records):
``results`` is the Gradescope dict, ``failed`` whether the grader itself failed (the row then
says so), ``copy`` the bytes of the notebook copy for ``autograded/`` (None: no copy).

- `LocalPool`: grading processes on this machine (`autograder.batch.pool`), each running the
  whole of `grade_job` (load, pick cells, draw cases, sandbox, judge).
- `autograder.batch.cluster.DaskCluster`: a Dask distributed cluster, whose workers run only the
  sandbox; imported only when a scheduler is named, so the local path never imports Dask.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Protocol

from autograder.batch import pool, roster
from autograder.batch.grader import failed_job, grade_job
from autograder.batch.roster import Job

Grader = Callable[[Job], tuple[dict, bool]]
OnResult = Callable[[Job, dict, bool, bytes | None], None]


class Executor(Protocol):
    def __call__(self, jobs: Sequence[Job], on_result: OnResult) -> None:
        """Grade every job once; ``on_result`` for each, in this process, as it finishes."""


def notebook_copy(job: Job) -> bytes | None:
    """The notebook copy for ``autograded/``, or None (no copy costs only the copy)."""
    try:
        return roster.notebook_copy(job)
    except Exception:  # noqa: BLE001 -- no copy costs only the copy
        return None


@dataclass(frozen=True)
class LocalPool:
    """At most ``workers`` submissions at once, each in a grading process of this machine.

    A grading process that dies takes down the pool; the submissions in flight then are graded
    again one at a time, so a crash has exactly one cause and only that submission gets a
    failure row.
    """

    workers: int
    grader: Grader = grade_job

    def __call__(self, jobs: Sequence[Job], on_result: OnResult) -> None:
        if jobs:
            grade_jobs(list(jobs), max(1, min(self.workers, len(jobs))), self.grader, on_result)


def graded(grader: Grader, job: Job) -> tuple[dict, bool, bytes | None]:
    """In a grading process: the grade, and the notebook copy the main process will write."""
    results, failed = grader(job)
    return results, failed, notebook_copy(job)


def _run_pool(queue: deque[Job], workers: int, grader: Grader, on_result: OnResult) -> list[Job]:
    """Grade the queue with at most ``workers`` submissions in flight; the jobs in flight if the
    pool broke."""
    with pool.pool(workers) as executor:
        in_flight = {}
        while queue or in_flight:
            while queue and len(in_flight) < workers:
                try:
                    in_flight[executor.submit(graded, grader, queue[0])] = queue[0]
                except BrokenProcessPool:
                    return list(in_flight.values())
                queue.popleft()
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            broken = []
            for future in done:
                job = in_flight.pop(future)
                try:
                    results, failed, copy = future.result()
                except BrokenProcessPool:
                    broken.append(job)
                    continue
                except Exception as error:  # noqa: BLE001 -- e.g. a result that cannot come back
                    (results, failed), copy = failed_job(job, type(error).__name__), None
                on_result(job, results, failed, copy)
            if broken:
                return [*broken, *in_flight.values()]
    return []


def grade_jobs(jobs: list[Job], workers: int, grader: Grader, on_result: OnResult) -> None:
    """Grade every job once in pools of ``workers``; the suspects of a broken pool one at a time."""
    queue, suspects = deque(jobs), deque()
    while queue:
        suspects += _run_pool(queue, workers, grader, on_result)
    while suspects:
        for job in _run_pool(suspects, 1, grader, on_result):
            on_result(job, *failed_job(job, "the grading process died"), None)
