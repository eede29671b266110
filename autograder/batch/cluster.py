"""Grading on a Dask distributed cluster: its workers run the sandbox, nothing else.

For each submission, in the calling process: load it, pick the student's cells, draw the hidden
cases from the student's seed (`grader.prepare_job`). One Dask task per submission then runs
`autograder.sandbox.run_steps` on a worker host, under that host's own isolation layers, and
sends back the step results (plain data: values re-validated by the host's sandbox parent) and
the host's isolation report. The calling process judges them, builds the notebook copy, and
records (`run.recorder`): results.json, autograded/, the gradebook stay on its machine.

What travels to a worker: the steps (the student's solution cells as text, and the calls'
inputs), the limits, the project version and the isolation requirement. What never does: the
expected values, judges, mistake catalogue, quiz keys, points, seeds, the course secret, any
course file or the submission file itself; so workers need the project installed (the same
version, checked: `connect` and every task refuse another) and no shared filesystem.

Dask's own trust model applies to the cluster's hosts: a worker runs whatever a client sends,
and the client unpickles what workers send back, so the scheduler and worker hosts are part of
the grader and must be trusted like the instructor's machine (use ``tls://`` on a network you
do not control). Student code on them runs only inside the sandbox.

Resilience: a worker that dies mid-task loses nothing, the scheduler runs the task again on
another worker; a submission whose task kills workers more often than the scheduler's
``distributed.scheduler.allowed-failures`` (1: two workers in a row) becomes that student's
failure row (`KilledWorker`); a task that raises is retried once (``retries=1``). At most
`WINDOW_PER_THREAD` tasks per worker thread are in flight, so Ctrl-C or a killed client loses
only those (their results.json is not written: the next run grades them).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import deque
from collections.abc import Iterator, Sequence

import distributed

import autograder
from autograder.batch.executors import OnResult, notebook_copy
from autograder.batch.grader import failed_job, job_results, prepare_job
from autograder.batch.roster import Job
from autograder.grading import Prepared, Report
from autograder.sandbox import policy
from autograder.sandbox.steps import Limits, Step, StepResult

#: Tasks in flight per worker thread: one running, one waiting (the scheduler's queue).
WINDOW_PER_THREAD = 2
CONNECT_SECONDS = 10  # to reach the scheduler
WORKERS_SECONDS = 60  # for its first worker to join
KILLED_WORKERS = "the grading workers running it died, more than once"
_REFRESH_SECONDS = 1.0  # how often the number of worker threads is read again


class ClusterError(Exception):
    """The cluster cannot grade this round: unreachable, no workers, or another version."""


class IsolationMissing(ClusterError):
    """A worker host lacks an isolation layer the course requires."""


class WrongVersion(Exception):
    """Raised on a worker whose project version is not the caller's."""


# --- On a worker ----------------------------------------------------------------------------


def worker_status() -> dict[str, object]:
    """This worker's project version and isolation report; starts its worker template."""
    from autograder.sandbox import isolation_report, zygote

    zygote.prestart()
    return {"version": autograder.__version__, "isolation": isolation_report()}


def run_on_worker(steps: Sequence[Step], limits: Limits, version: str,
                  required: tuple[str, ...]) -> tuple[list[StepResult], dict[str, str]]:
    """The Dask task: the steps in this host's sandbox; (step results, isolation report)."""
    from autograder.sandbox import run_steps

    if autograder.__version__ != version:
        raise WrongVersion(_version_message(autograder.__version__, version))
    # What the sandbox's workers check before their first step. The variable is the worker
    # process's: a caller with another requirement on the same worker may race this one, which
    # the caller's own check of the returned isolation report catches (`DaskCluster._judged`).
    if required:
        os.environ[policy.REQUIRE_VARIABLE] = ",".join(required)
    else:
        os.environ.pop(policy.REQUIRE_VARIABLE, None)
    return run_steps(steps, limits)


def _version_message(theirs: object, ours: str, where: str = "a Dask worker") -> str:
    return (f"{where} runs optinit-grader {theirs}, this grader {ours}: install the same "
            "version on every worker host (pip install the same checkout or wheel with [dask])")


# --- In the calling process -----------------------------------------------------------------


@contextlib.contextmanager
def connect(address: str, required: tuple[str, ...] = ()) -> Iterator[DaskCluster]:
    """A `DaskCluster` on the scheduler at ``address`` whose workers run this project's version
    and have the ``required`` isolation layers on; raises ClusterError (IsolationMissing)."""
    try:
        client = distributed.Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        raise ClusterError(f"cannot reach the Dask scheduler at {address} ({error})") from None
    try:
        check_workers(client, required)
        yield DaskCluster(client, required)
    finally:
        client.close()


def check_workers(client: distributed.Client, required: tuple[str, ...]) -> None:
    """Refuse a cluster without workers, with a worker of another version, or one without a
    required isolation layer."""
    try:
        client.wait_for_workers(1, timeout=WORKERS_SECONDS)
    except TimeoutError:
        raise ClusterError(f"the Dask scheduler has no worker after {WORKERS_SECONDS} s") from None
    statuses = client.run(worker_status, on_error="return")
    for worker, status in sorted(statuses.items()):
        if isinstance(status, BaseException) or not isinstance(status, dict):
            raise ClusterError(
                f"cannot check the worker at {worker} ({type(status).__name__}: {status}): "
                f"install optinit-grader {autograder.__version__} with [dask] on every worker host")
        if status.get("version") != autograder.__version__:
            raise ClusterError(_version_message(status.get("version"), autograder.__version__,
                                                f"the worker at {worker}"))
        missing = policy.missing(status.get("isolation", {}), required)
        if missing:
            raise IsolationMissing(f"{policy.refusal(missing)} (the worker at {worker})")


class DaskCluster:
    """The executor that runs each submission's steps as a task on the cluster's workers."""

    def __init__(self, client: distributed.Client, required: tuple[str, ...] = (),
                 task=run_on_worker):
        self.client, self.required, self.task = client, required, task
        self._window, self._read_at = 0, float("-inf")

    def window(self) -> int:
        """Tasks to keep in flight: `WINDOW_PER_THREAD` per worker thread (read once a second)."""
        if time.monotonic() - self._read_at > _REFRESH_SECONDS:
            threads = sum(self.client.nthreads().values())
            self._window, self._read_at = max(2, WINDOW_PER_THREAD * threads), time.monotonic()
        return self._window

    def __call__(self, jobs: Sequence[Job], on_result: OnResult) -> None:
        """Grade every job once. A task that dies with its workers may only have been queued on
        a worker another submission killed: such jobs are graded again one at a time, as the
        local pool does, so only a submission that kills workers on its own gets a failure row."""
        suspects = self._round(deque(jobs), on_result, window=self.window)
        self._round(deque(suspects), on_result, window=lambda: 1)

    def _round(self, queue: deque[Job], on_result: OnResult, window) -> list[Job]:
        """Grade the queue with at most ``window()`` tasks in flight; the jobs whose workers died
        while others were in flight (graded alone, a death is the job's own)."""
        in_flight, suspects = {}, []
        finished = distributed.as_completed(loop=self.client.loop)
        try:
            self._fill(queue, in_flight, finished, on_result, window)
            for future in finished:
                job, prepared = in_flight.pop(future)
                if window() > 1 and future.status == "error" and isinstance(
                        future.exception(), distributed.KilledWorker):
                    suspects.append(job)
                else:
                    on_result(job, *self._judged(job, prepared, future), notebook_copy(job))
                self._fill(queue, in_flight, finished, on_result, window)
        finally:
            if in_flight:  # Ctrl-C, or the batch stopped: the scheduler forgets them
                with contextlib.suppress(Exception):
                    self.client.cancel(list(in_flight))
        return suspects

    def _fill(self, queue: deque[Job], in_flight: dict, finished: distributed.as_completed,
              on_result: OnResult, window) -> None:
        """Prepare jobs and submit their tasks until the window is full (or the queue empty)."""
        while queue and len(in_flight) < window():
            job = queue.popleft()
            try:
                prepared = prepare_job(job)
            except Exception as error:  # noqa: BLE001 -- one submission must never stop the batch
                on_result(job, *failed_job(job, type(error).__name__), notebook_copy(job))
                continue
            if isinstance(prepared, Report):  # nothing to run: the submission could not be read
                on_result(job, job_results(job, prepared), False, notebook_copy(job))
                continue
            future = self.client.submit(self.task, prepared.steps, prepared.limits,
                                        autograder.__version__, self.required, pure=False,
                                        retries=1)
            in_flight[future] = job, prepared
            finished.add(future)

    def _judged(self, job: Job, prepared: Prepared,
                future: distributed.Future) -> tuple[dict, bool]:
        """The task's results judged here: (Gradescope results, whether the grader failed).

        A submission that killed workers, or whose task raised twice, gets a failure row;
        a lost scheduler, a worker of another version or without a required layer stop the
        batch (ClusterError), leaving the rest for the next run.
        """
        if future.status == "cancelled":
            raise ClusterError("the Dask scheduler dropped the round's tasks (was it restarted?); "
                               "run the command again to grade what is left")
        try:
            step_results, isolation = future.result()
        except WrongVersion as error:
            raise ClusterError(str(error)) from None
        except distributed.KilledWorker:
            return failed_job(job, KILLED_WORKERS)
        except Exception as error:  # noqa: BLE001 -- one submission must never stop the batch
            return failed_job(job, type(error).__name__)
        missing = policy.missing(isolation, self.required)
        if missing:
            raise IsolationMissing(policy.refusal(missing))
        try:
            return job_results(job, prepared.judge(step_results, isolation)), False
        except Exception as error:  # noqa: BLE001 -- one submission must never stop the batch
            return failed_job(job, type(error).__name__)
