"""``autograder autograde --scheduler``: a round graded on a Dask distributed cluster.

The clusters are real: a scheduler and two worker processes on localhost (``LocalCluster`` with
processes, and once ``dask scheduler`` / ``dask worker`` as commands). The course is test_batch's
(one ``nbgrader generate_assignment`` per session). Each cluster's scheduler gives up on a task
after it killed two workers (``allowed-failures`` 1, as the README tells instructors to start
theirs).
"""

from __future__ import annotations

import importlib
import json
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import cloudpickle
import dask
import distributed
import nbformat
import pytest
from click.testing import CliRunner
from support.batch import (
    ASSIGNMENT,
    BIN,
    ENV,
    FULL_MARKS,
    _batch,
    _gradebook,
    _per_name,
    _results,
    _results_path,
    _source,
    _submit,
    _with_mistake,
)

import autograder
from autograder.batch import cluster as dask_cluster
from autograder.batch import grader, roster
from autograder.batch.gradebook import course_directory
from autograder.batch.run import run_batch
from autograder.batch.spec import spec_for
from autograder.cli import main as autograder_main
from autograder.quiz import load_quiz
from autograder.quiz.personalize import right_answers, student_variants
from autograder.sandbox import policy

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import tests/
#: A line in the student's code that `dies_for_mallory` looks for.
KILLS_ITS_WORKER = "# this submission kills the Dask worker grading it"
#: Seconds each "slow" submission sleeps in its own code: a round long enough to kill a worker in.
SLOW_SECONDS = 0.3


def _local_cluster() -> distributed.LocalCluster:
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        return distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                        dashboard_address=":0")


@pytest.fixture(scope="module")
def scheduler():
    """The address of a 2-worker cluster shared by this module's tests that leave it as it was."""
    with _local_cluster() as local:
        yield local.scheduler_address


@pytest.fixture
def fragile_scheduler():
    """A 2-worker cluster of the test's own, for the tests that kill its workers."""
    with _local_cluster() as local:
        yield local.scheduler_address


def _autograde(course: Path, address: str, *args: str):
    done = CliRunner().invoke(autograder_main, ["autograde", ASSIGNMENT, "--course", str(course),
                                                "--scheduler", address, *args])
    if done.exception and not isinstance(done.exception, SystemExit):
        raise done.exception
    return done


def _with_code_in(course: Path, grade_id: str, code: str) -> nbformat.NotebookNode:
    notebook = _source(course)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = code + "\n" + cell.source
    return notebook


def _slow(course: Path) -> nbformat.NotebookNode:
    return _with_code_in(course, "update_lr", f"import time\ntime.sleep({SLOW_SECONDS})")


def _sent(monkeypatch) -> list[tuple]:
    """The (function, arguments) of every task this process submits to a cluster."""
    sent, submit = [], distributed.Client.submit

    def recorded(client, function, *args, **kwargs):
        sent.append((function, args))
        return submit(client, function, *args, **kwargs)

    monkeypatch.setattr(distributed.Client, "submit", recorded)
    return sent


def _set_version(version: str) -> None:
    """On a worker: the project version it reports."""
    importlib.import_module("autograder").__version__ = version


def _quiet():
    from rich.console import Console

    return Console(file=open(os.devnull, "w"))  # closed with the test process


def _count_writes(monkeypatch) -> Counter:
    """How many times each student's results.json is written."""
    writes, write_results = Counter(), roster.write_results

    def counted(job, results):
        writes[job.student] += 1
        write_results(job, results)

    monkeypatch.setattr(roster, "write_results", counted)
    return writes


# ---------------------------------------------------------------------------------------------
# The same round as the local pool, recorded by the calling process


def test_a_round_on_the_cluster_gives_the_local_pools_results_and_fills_the_gradebook(
        course, scheduler):
    _submit(course, "ada", _source(course))
    _submit(course, "bob", _with_mistake(course))
    _batch(course)  # the local pool
    local = {student: _results(course, student) for student in ("ada", "bob")}

    done = _autograde(course, scheduler, "--force")
    assert done.exit_code == 0, done.output
    assert "graded" in done.output and "mean score" in done.output
    for student in ("ada", "bob"):
        on_cluster = _results(course, student)
        assert on_cluster["tests"] == local[student]["tests"]  # every score and feedback line
        assert on_cluster["extra_data"]["seed"] == local[student]["extra_data"]["seed"]
        with _gradebook(course) as gradebook:
            for name, score in _per_name(on_cluster).items():
                grade = gradebook.find_grade(f"test_{name}", ASSIGNMENT, ASSIGNMENT, student)
                assert grade.auto_score == score
    assert _results(course, "bob")["score"] < FULL_MARKS
    assert (course / "autograded" / "ada" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()

    again = _autograde(course, scheduler)
    assert again.exit_code == 0 and "2 already graded" in again.output


def test_the_sandbox_runs_on_the_workers_with_every_layer_on(course, scheduler, monkeypatch):
    from autograder import sandbox

    def nowhere(*args, **kwargs):
        raise AssertionError("the calling process ran a sandbox")

    monkeypatch.setattr(sandbox, "run_steps", nowhere, raising=False)
    _submit(course, "ada", _source(course))
    assert _autograde(course, scheduler, "--require-isolation", "all").exit_code == 0
    isolation = _results(course, "ada")["extra_data"]["isolation"]
    assert set(policy.LAYERS) <= set(isolation) and set(isolation.values()) == {"on"}
    assert _results(course, "ada")["score"] == FULL_MARKS


def test_only_the_sandboxs_steps_travel_to_the_workers(course, scheduler, monkeypatch):
    from autograder import sandbox

    sent = _sent(monkeypatch)
    _submit(course, "ada", _with_mistake(course))
    assert _autograde(course, scheduler).exit_code == 0
    ((function, (steps, limits, version, required)),) = sent
    assert function is dask_cluster.run_on_worker and version == autograder.__version__
    assert isinstance(limits, sandbox.Limits) and required == ()
    assert {type(step) for step in steps} == {sandbox.Exec, sandbox.Call}
    payload = pickle.dumps((steps, limits))  # as Dask sends them: no judge, key or secret
    assert b"autograder.exercises" not in payload and b"reference" not in payload
    assert b"selfcheck" not in payload and grader.course_secret(course) not in payload


def test_a_quiz_is_scored_on_the_cluster_with_the_key_kept_here(course, scheduler, monkeypatch):
    from autograder import sandbox

    quiz_id = "optimization_quiz"
    quiz = load_quiz(course.parent / "quizzes" / f"{quiz_id}.yaml")
    notebook = nbformat.read(course / "release" / quiz_id / f"{quiz_id}.ipynb", as_version=4)
    right = right_answers(quiz, student_variants(quiz, course, "ada"))  # ada's own variant
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        item = next((item for item in quiz.items if item.id == grade_id), None)
        if item is not None and item.id in right:
            cell.source = f"{item.id} = {right[item.id]!r}"
    _submit(course, "ada", notebook, quiz_id)
    _batch(course, quiz_id)
    local = _results(course, "ada", quiz_id)
    sent = _sent(monkeypatch)

    done = CliRunner().invoke(autograder_main, ["autograde", quiz_id, "--course", str(course),
                                                "--scheduler", scheduler, "--force"])
    assert done.exit_code == 0, done.output
    on_cluster = _results(course, "ada", quiz_id)
    assert on_cluster["tests"] == local["tests"]
    assert on_cluster["score"] == sum(item.points for item in quiz.items)
    ((_, (steps, *_)),) = sent
    assert {type(step) for step in steps} == {sandbox.Exec, sandbox.Fetch}


# ---------------------------------------------------------------------------------------------
# Resilience: dead workers, hostile submissions, a killed client


def test_killing_a_worker_mid_round_grades_every_student_once(course, fragile_scheduler,
                                                              monkeypatch):
    students = [f"s{index}" for index in range(6)]
    for student in students:
        _submit(course, student, _slow(course))
    writes = _count_writes(monkeypatch)
    with distributed.Client(fragile_scheduler) as client:
        pids = client.run(os.getpid)
    outcome = {}
    batch = threading.Thread(
        target=lambda: outcome.update(done=_autograde(course, fragile_scheduler)))
    batch.start()
    deadline = time.monotonic() + 60
    while (not any(_results_path(course, s).exists() for s in students)
           and time.monotonic() < deadline):
        time.sleep(0.01)
    os.kill(next(iter(pids.values())), signal.SIGKILL)  # busy with its next submission by now
    graded_before = sum(_results_path(course, s).exists() for s in students)
    batch.join(120)
    assert 1 <= graded_before < len(students), "the kill should land mid-round"

    assert outcome["done"].exit_code == 0, outcome["done"].output
    assert writes == Counter(students)
    assert all(_results(course, student)["score"] == FULL_MARKS for student in students)


def dies_for_mallory(steps, *args):
    """The Dask task, except that the worker process dies on mallory's submission."""
    if any(KILLS_ITS_WORKER in getattr(step, "source", "") for step in steps):
        os._exit(1)
    return dask_cluster.run_on_worker(steps, *args)


def test_a_submission_that_kills_two_workers_costs_only_its_row(course, fragile_scheduler):
    for student in ("ada", "bob"):
        _submit(course, student, _source(course))
    _submit(course, "mallory", _with_code_in(course, "update_lr", KILLS_ITS_WORKER))
    spec = spec_for(ASSIGNMENT, course)
    with distributed.Client(fragile_scheduler) as client:
        executor = dask_cluster.DaskCluster(client, task=dies_for_mallory)
        summary = run_batch(spec, course_directory(course), [], 0, False, _quiet(),
                            executor=executor)

    assert (summary.graded, summary.failed) == (3, 1)
    assert _results(course, "mallory")["score"] == 0
    assert dask_cluster.KILLED_WORKERS in _results(course, "mallory")["tests"][0]["output"]
    assert all(_results(course, student)["score"] == FULL_MARKS for student in ("ada", "bob"))


def test_hostile_submissions_cost_only_their_own_rows(course, scheduler):
    _submit(course, "ada", _source(course))
    hostile = {
        "busy": ("def update_lr(learning_rate0, epoch_num, decay_rate):\n"
                 "    while True:\n        pass"),
        "exits": "import os\nos._exit(1)",
        "bomb": "import numpy as np\nhoard = []\nwhile True:\n    hoard.append(np.ones(1 << 24))",
    }
    for student, code in hostile.items():
        notebook = _source(course)
        for cell in notebook.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == "update_lr":
                cell.source = code
        _submit(course, student, notebook)

    done = _autograde(course, scheduler)
    assert done.exit_code == 0, done.output
    assert _results(course, "ada")["score"] == FULL_MARKS
    for student in hostile:
        scores = _per_name(_results(course, student))
        assert scores.pop("update_lr") == 0, student
        assert sum(scores.values()) == FULL_MARKS - 1, student  # every other name full marks
    with _gradebook(course) as gradebook:
        assert len(gradebook.assignment_submissions(ASSIGNMENT)) == 4


def test_a_killed_client_leaves_a_course_the_next_run_finishes(course, scheduler):
    students = [f"s{index}" for index in range(6)]
    for student in students:
        _submit(course, student, _slow(course))
    command = [str(BIN / "autograder"), "autograde", ASSIGNMENT, "--course", str(course),
               "--scheduler", scheduler]
    client = subprocess.Popen(command, env=ENV, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while (not any(_results_path(course, s).exists() for s in students)
           and time.monotonic() < deadline):
        time.sleep(0.01)
    os.killpg(client.pid, signal.SIGKILL)
    client.wait()
    before = {s: _results_path(course, s).stat().st_mtime_ns for s in students
              if _results_path(course, s).exists()}
    assert 1 <= len(before) < len(students), "the kill should land half-way"

    done = _autograde(course, scheduler)
    assert done.exit_code == 0 and f"{len(before)} already graded" in done.output
    assert all(_results_path(course, s).stat().st_mtime_ns == mtime for s, mtime in before.items())
    with _gradebook(course) as gradebook:
        for student in students:
            assert gradebook.find_submission(ASSIGNMENT, student).score == FULL_MARKS


# ---------------------------------------------------------------------------------------------
# What the calling process refuses, and what it never imports


def test_workers_of_another_version_are_refused_before_anything_is_graded(course, scheduler):
    _submit(course, "ada", _source(course))
    with distributed.Client(scheduler) as client:
        client.run(_set_version, "0.0.0-old")
        try:
            done = _autograde(course, scheduler)
        finally:
            client.run(_set_version, autograder.__version__)
    assert done.exit_code == 1
    assert "runs optinit-grader 0.0.0-old" in done.stderr
    assert f"this grader {autograder.__version__}" in done.stderr
    assert not (course / "autograded").exists()


def test_a_task_refuses_to_run_for_a_caller_of_another_version():
    with pytest.raises(dask_cluster.WrongVersion, match="runs optinit-grader"):
        dask_cluster.run_on_worker([], None, "0.0.0-new", ())


def test_an_unreachable_scheduler_is_one_line_and_exit_1(course, monkeypatch):
    monkeypatch.setattr(dask_cluster, "CONNECT_SECONDS", 1)
    _submit(course, "ada", _source(course))
    done = _autograde(course, "tcp://127.0.0.1:9")
    assert (done.exit_code == 1
            and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in done.stderr)
    assert done.stderr.count("\n") == 1
    assert not (course / "autograded").exists()


def test_without_a_scheduler_dask_is_never_imported(course):
    _submit(course, "ada", _source(course))
    script = (
        "import sys\n"
        "from autograder.cli import main\n"
        "try:\n"
        f"    main(['autograde', {ASSIGNMENT!r}, '--course', {str(course)!r}, '--jobs', '1'])\n"
        "except SystemExit as done:\n"
        "    assert not done.code, done.code\n"
        "print(sorted(name for name in sys.modules"
        " if name.split('.')[0] in ('dask', 'distributed')))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], env=ENV, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert _results(course, "ada")["score"] == FULL_MARKS


def test_the_course_config_can_name_the_scheduler(course, scheduler, monkeypatch):
    with (course / "nbgrader_config.py").open("a") as config:
        config.write(f"\nc.Autograder.scheduler = {scheduler!r}\n")
    _submit(course, "ada", _source(course))
    sent = _sent(monkeypatch)
    done = CliRunner().invoke(autograder_main, ["autograde", ASSIGNMENT, "--course", str(course)])
    assert done.exit_code == 0, done.output
    assert len(sent) == 1 and _results(course, "ada")["score"] == FULL_MARKS


# ---------------------------------------------------------------------------------------------
# The cluster as instructors start it: `dask scheduler` and `dask worker` commands


def test_a_cluster_started_with_the_dask_commands_grades_the_round(course, tmp_path):
    _submit(course, "ada", _source(course))
    _submit(course, "bob", _with_mistake(course))
    address_file = tmp_path / "scheduler.json"
    env = {**ENV, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1"}
    dask_command = str(BIN / "dask")
    processes = [subprocess.Popen(
        [dask_command, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
         "--scheduler-file", str(address_file)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)]
    try:
        deadline = time.monotonic() + 60
        while not address_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        address = json.loads(address_file.read_text())["address"]
        processes.append(subprocess.Popen(
            [dask_command, "worker", address, "--nworkers", "2", "--nthreads", "1",
             "--no-dashboard"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        with distributed.Client(address) as client:
            client.wait_for_workers(2, timeout=60)
        done = subprocess.run(
            [str(BIN / "autograder"), "autograde", ASSIGNMENT, "--course", str(course),
             "--scheduler", address, "--require-isolation", "all"],
            env=env, capture_output=True, text=True, timeout=120, check=False)
    finally:
        for process in reversed(processes):
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(30)

    assert done.returncode == 0, done.stderr
    assert _results(course, "ada")["score"] == FULL_MARKS
    assert _results(course, "bob")["score"] < FULL_MARKS
    with _gradebook(course) as gradebook:
        assert {s.student.id: s.score for s in gradebook.assignment_submissions(ASSIGNMENT)} == {
            "ada": FULL_MARKS, "bob": _results(course, "bob")["score"]}
