"""Submissions that never return: sleeping, busy and SIGTERM-proof functions and cells.

Each costs step timeouts, so most runs use short limits (``grading.grade(limits=...)``); one CLI
run keeps the default limits to check the real 1 s step timeout end to end.
"""

from __future__ import annotations

import time

import pytest
from support.grading import (
    OPTIMIZATION_NAMES,
    by_name,
    cell_of,
    full_marks,
    named_tests,
    optimizers_with,
    read_results,
    run_cli,
    source_notebook,
    write,
    write_notebook,
)

from autograder import grading, sandbox

HANGS = r'''
import signal, time


def update_parameters_with_gd(parameters, grads, learning_rate):
    time.sleep(1000)


def initialize_velocity(parameters):
    while True:
        pass


def initialize_rmsprop(parameters):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    while True:
        try:
            time.sleep(1000)
        except BaseException:
            pass
'''
HANGING = ["update_parameters_with_gd", "initialize_velocity", "initialize_rmsprop"]
STEP = 1.0


@pytest.fixture(scope="module")
def hangs(tmp_path_factory):
    path = write(tmp_path_factory.mktemp("hangs") / "hangs.py", optimizers_with(HANGS))
    started = time.monotonic()
    report = grading.grade(path, "optimization", seed=21, limits=sandbox.Limits(step_seconds=STEP))
    return report, by_name(report), time.monotonic() - started


@pytest.mark.parametrize("name", HANGING)
def test_sleeping_busy_and_sigterm_proof_functions_time_out_and_score_zero(hangs, name):
    _, results, _ = hangs
    assert results[name].score == 0
    assert f"timed out after {STEP:g} s" in results[name].output


def test_functions_beside_hanging_ones_keep_their_points(hangs):
    _, results, _ = hangs
    for name in OPTIMIZATION_NAMES:
        if name not in HANGING:
            assert full_marks(results[name]), results[name].output


def test_hanging_functions_cost_at_most_a_timeout_per_call(hangs):
    report, _, seconds = hangs
    calls = 3 * len(HANGING)
    assert seconds < calls * (STEP + 1.0) + 5
    assert report.seconds <= seconds


def test_a_module_that_hangs_at_import_scores_zero_with_a_reason(tmp_path):
    path = write(tmp_path / "hang.py", optimizers_with("while True:\n    pass\n"))
    report = grading.grade(path, "optimization", seed=22, limits=sandbox.Limits(step_seconds=STEP))
    assert report.score == 0
    for result in report.results:
        assert result.output.startswith("your file could not run: timed out"), result.output


def test_one_hanging_function_does_not_use_up_the_budget_of_the_others(tmp_path):
    source = optimizers_with('''
        def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
            while True:
                pass
    ''')
    # The default limits scaled down by 2 (step 1 s -> 0.5 s, budget 30 s -> 15 s).
    limits = sandbox.Limits(step_seconds=0.5, total_seconds=15.0)
    results = by_name(grading.grade(write(tmp_path / "loop.py", source), "optimization", seed=23,
                                    limits=limits))
    assert results["random_mini_batches"].score == 0
    for name in OPTIMIZATION_NAMES:
        if name != "random_mini_batches":
            assert full_marks(results[name]), results[name].output
            assert "could not start" not in results[name].output


def test_a_cell_sleeping_at_module_level_costs_its_name_only_with_default_limits(tmp_path):
    notebook = source_notebook("optimization")
    cell = cell_of(notebook, "update_lr")
    cell.source = "import time\ntime.sleep(1000)\n" + cell.source
    path = write_notebook(notebook, tmp_path / "optimization.ipynb")
    out = tmp_path / "results.json"
    started = time.monotonic()
    process = run_cli("grade", str(path), "--assignment", "optimization", "--results", str(out),
                      "-q")
    assert process.returncode == 0, process.stderr
    assert time.monotonic() - started < 30
    tests = named_tests(read_results(out))
    assert tests["update_lr"]["score"] == 0
    assert "timed out after 1 s" in tests["update_lr"]["output"]
    assert "could not run" in tests["update_lr"]["output"]
    for name in OPTIMIZATION_NAMES:
        if name != "update_lr":
            assert tests[name]["score"] == tests[name]["max_score"], tests[name]["output"]
