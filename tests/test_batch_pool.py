"""The batch's grading processes: the grader's settings reach them whenever the fork server
started, and each uses one BLAS thread."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from autograder.batch import pool
from autograder.sandbox import policy

REPOSITORY = Path(__file__).resolve().parents[1]


def test_the_isolation_requirement_reaches_processes_of_a_fork_server_started_before_it(
        monkeypatch):
    monkeypatch.delenv(policy.REQUIRE_VARIABLE, raising=False)
    pool.warm_up()  # as `autograder autograde` does, before --require-isolation is read
    monkeypatch.setenv(policy.REQUIRE_VARIABLE, "seccomp,processes")
    with pool.pool(1) as executor:
        assert executor.submit(os.getenv, policy.REQUIRE_VARIABLE).result() == "seccomp,processes"
    monkeypatch.delenv(policy.REQUIRE_VARIABLE)
    with pool.pool(1) as executor:
        assert executor.submit(os.getenv, policy.REQUIRE_VARIABLE).result() is None


def test_each_grading_process_uses_one_blas_thread_whatever_it_inherits():
    script = (
        "import sys, threadpoolctl\n"
        f"sys.path.insert(0, {str(REPOSITORY)!r})\n"
        "from autograder.batch import pool\n"
        "with pool.pool(1) as executor:\n"
        "    print([entry['num_threads'] for entry in "
        "executor.submit(threadpoolctl.threadpool_info).result()])\n"
    )
    # a fresh fork server's
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                          timeout=120, check=True)
    threads = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    assert threads and set(threads) == {1}, threads
