"""One submission, graded in a pool worker with the same engine as ``autograder grade``.

Student code never runs here: ``grade`` and ``grade_quiz`` spawn their own isolated worker and
judge its plain-data answers in this process. If the grader itself raises, the student still gets
a row (score 0 and a message) and the batch goes on. On a cluster the calling process runs the
two halves, `prepare_job` and the judge (then `job_results`), and a worker host the sandbox.

Each submission's hidden cases come from its own seed, HMAC-SHA256(course secret, "<assignment>/
<student>/<digest of the code it runs>"), so a regrade (``autograde --force``) reproduces the
grade, while changed code (a resubmission built from what the last feedback showed) is graded on
other cases; ``Job.fresh`` draws fresh cases instead. The secret is a file in the nbgrader
course root, created on first use (mode 0600): ``nbgrader generate_assignment`` only copies
``source/<id>/``, the Gradescope bundle only ``assignments/source/<id>``, and the grading worker
cannot read the course root (Landlock).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tempfile
import time
from pathlib import Path

from autograder.batch.roster import Job
from autograder.grading import Prepared, Report, failed_report

GRADER_FAILED = (
    "Your submission could not be graded because the grader failed ({error}); "
    "this is not your fault, and your instructor will regrade it."
)
SECRET_FILE = ".autograder_secret"
SEED_FROM_SECRET, SEED_FRESH = "course secret", "fresh"
_SECRET_BYTES = 4096


def _read_secret(path: Path) -> bytes:
    handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(handle, "rb") as file:
        secret = file.read(_SECRET_BYTES).strip()
    if len(secret) < 32:
        raise ValueError(f"{path} holds no usable secret; delete it to make a new one")
    return secret


def course_secret(course_root: Path) -> bytes:
    """The course's secret, made on first use: parallel first uses agree (link, not rename)."""
    path = Path(course_root) / SECRET_FILE
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    handle, temporary = tempfile.mkstemp(dir=course_root, prefix=f"{SECRET_FILE}.")  # mode 0600
    try:
        with os.fdopen(handle, "w") as file:
            file.write(secrets.token_hex(32) + "\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another grading process made it first: use theirs
    finally:
        os.unlink(temporary)
    return _read_secret(path)


def student_seed(course_root: Path, assignment: str, student: str, code: str) -> int:
    """The seed of one student's code (``code``: `grading.code_digest`): the first 32 bits of
    HMAC-SHA256(secret, "<assignment>/<student>/<code>")."""
    message = f"{assignment}/{student}/{code}".encode("utf-8", "surrogatepass")
    digest = hmac.new(course_secret(course_root), message, hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big")


def crashed_report(job: Job, error: str) -> Report:
    return failed_report(
        job.assignment, job.points, GRADER_FAILED.format(error=error), time.perf_counter()
    )


def prepare_job(job: Job) -> Prepared | Report:
    """The steps that grade ``job`` and their judge (`autograder.grading.prepare`), with the
    student's own seed; raises when the grader itself fails."""
    if job.is_quiz:
        from autograder.quiz.grade import prepare_quiz

        # The variant is the one of the student the submission is filed under, whatever it says.
        return prepare_quiz(
            job.submission, job.assignment, job.course_root.parent, job.student, job.course_root
        )
    from autograder.grading import prepare

    def seed(code: str) -> int:
        return student_seed(job.course_root, job.assignment, job.student, code)

    return prepare(job.submission, job.assignment, job.course_root, None if job.fresh else seed)


def job_results(job: Job, report: Report) -> dict:
    """The Gradescope results of a judged submission, saying where its seed came from."""
    from autograder.results import to_gradescope

    results = to_gradescope(report)
    if not job.is_quiz and isinstance(results.get("extra_data"), dict):
        results["extra_data"]["seed_source"] = SEED_FRESH if job.fresh else SEED_FROM_SECRET
    return results


def failed_job(job: Job, error: str) -> tuple[dict, bool]:
    """The row of a submission the grader itself failed on: score 0, and ``error`` named."""
    from autograder.results import to_gradescope

    return to_gradescope(crashed_report(job, error)), True


def grade_job(job: Job) -> tuple[dict, bool]:
    """(Gradescope results, whether the grader itself failed) for one submission."""
    from autograder.grading import run

    try:
        report = run(prepare_job(job))
    except Exception as error:  # noqa: BLE001 -- one submission must never stop the batch
        return failed_job(job, type(error).__name__)
    return job_results(job, report), False
