"""One submission, graded in a pool worker with the same engine as ``autograder grade``.

Student code never runs here: ``grade`` and ``grade_quiz`` spawn their own isolated worker and
judge its plain-data answers in this process. If the grader itself raises, the student still gets
a row (score 0 and a message) and the batch goes on.
"""

from __future__ import annotations

import ctypes
import signal
import sys
import time

from autograder.batch.roster import Job
from autograder.grading import Report, failed_report

GRADER_FAILED = (
    "Your submission could not be graded because the grader failed ({error}); "
    "this is not your fault, and your instructor will regrade it."
)
_PR_SET_PDEATHSIG = 1


def prepare_worker() -> None:
    """Pool initializer: die with the batch (a killed batch leaves no orphans), leave Ctrl-C to it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass


def crashed_report(job: Job, error: str) -> Report:
    return failed_report(
        job.assignment, job.points, GRADER_FAILED.format(error=error), time.perf_counter()
    )


def grade_job(job: Job) -> tuple[dict, bool]:
    """(Gradescope results, whether the grader itself failed) for one submission."""
    from autograder.results import to_gradescope

    try:
        if job.is_quiz:
            from autograder.quiz.grade import grade_quiz

            report = grade_quiz(job.submission, job.assignment, job.course_root.parent)
        else:
            from autograder.grading import grade

            report = grade(job.submission, job.assignment, job.course_root)
    except Exception as error:  # noqa: BLE001 -- one submission must never stop the batch
        return to_gradescope(crashed_report(job, type(error).__name__)), True
    return to_gradescope(report), False
