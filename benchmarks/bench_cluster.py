"""The same course graded by the local pool and by a local 2-worker Dask cluster, side by side.

    .venv/bin/python benchmarks/bench_cluster.py [--students 100] [--jobs 2] [--rounds 2]

Builds one throw-away course of ``--students`` submissions (the completed notebook's code
cells, every other one with one of the classic mistakes, cycled) and starts a Dask
``LocalCluster`` in this process: a scheduler and 2 worker processes of one thread each, on this
machine. Then, ``--rounds`` times, alternating, it regrades the whole course with
``autograder autograde optimization --force --require-isolation all`` and either ``--jobs N``
(the local pool) or ``--scheduler <the cluster>`` (the workers run the sandbox; the command's
own process prepares, judges and records). Prints the machine, then per executor the median
whole-command wall time and submissions/s, the grading phase's rate (first to last results.json
written, so without start-up), the difference per submission (the cluster's overhead: a task's
round trip through the scheduler, the steps and results pickled, judging serialised in the
calling process), and the cluster's extra start-up (connecting, checking the workers' version
and isolation). Checks that both executors give every student the same tests, scores and
feedback, every unedited submission full marks and every mistaken one less, and that every
isolation layer was on; exits 1 if a check fails.

On one 2-core machine the two executors share the same two cores, so this measures the
cluster's overhead, not its scaling: a real cluster adds the worker hosts' cores.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from course import (
    ASSIGNMENT,
    Graded,
    autograde,
    file_mixed,
    machine,
    new_course,
    reported_wall,
    score_check,
)


def main() -> None:
    import dask
    import distributed

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    at_start = machine()
    print(at_start, flush=True)

    with tempfile.TemporaryDirectory() as scratch, \
            dask.config.set({"distributed.scheduler.allowed-failures": 1}), \
            distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                     dashboard_address=":0") as local:
        course = new_course(Path(scratch) / "course")
        plan = file_mixed(course, args.students)
        students = list(plan)
        options = {"local pool": (), "cluster": ("--scheduler", local.scheduler_address)}
        # Per executor and round: whole-command seconds, the summary's wall time, phase rate.
        measured: dict[str, list[tuple[float, float, float]]] = {"local pool": [], "cluster": []}
        last: dict[str, Graded] = {}
        for round_ in range(args.rounds):
            for name, extra in options.items():
                graded = last[name] = autograde(course, students, args.jobs, *extra)
                wall = reported_wall(graded.run.output) or float("nan")
                phase = graded.phase[1] if graded.phase else float("nan")
                measured[name].append((graded.run.seconds, wall, phase))
                print(f"round {round_ + 1}: {name}: {graded.run.seconds:.1f} s", flush=True)

    n = args.students
    median = {name: [statistics.median(column) for column in zip(*rows)]
              for name, rows in measured.items()}
    print()
    print(at_start)
    print(f"autograder autograde {ASSIGNMENT} --force --require-isolation all, {n} submissions "
          f"(code cells only, every other one with a classic mistake), median of {args.rounds}")
    print(f"{'executor':<34} {'command s':>9} {'subm/s':>8} {'phase subm/s':>13}")
    for name, label in (("local pool", f"local pool (--jobs {args.jobs})"),
                        ("cluster", "LocalCluster, 2 workers x 1 thread")):
        seconds, _, phase = median[name]
        print(f"{label:<34} {seconds:9.1f} {n / seconds:8.2f} {phase:13.2f}")
    per_submission = (1 / median["cluster"][2] - 1 / median["local pool"][2]) * 1000
    start_up = ((median["cluster"][0] - median["cluster"][1])
                - (median["local pool"][0] - median["local pool"][1]))
    print(f"cluster overhead per submission (grading phase): {per_submission:+.1f} ms of the "
          "round's wall time")
    print(f"cluster extra start-up (command time outside the summary's wall time): "
          f"{start_up:+.2f} s")

    checks = []
    for name, graded in last.items():
        checks.append(score_check(name, plan, graded.scores, graded.top))
        off = graded.isolation_off
        line = f"{'CHECK FAILED' if off else 'ok'}: {name}: isolation layers off: {off or 'none'}"
        checks.append((line, not off))
    found = {name: graded.found for name, graded in last.items()}
    differ = [student for student in students
              if found["cluster"][student]["tests"] != found["local pool"][student]["tests"]]
    line = (f"{'CHECK FAILED' if differ else 'ok'}: the cluster gives every student the local "
            f"pool's tests, scores and feedback ({len(differ)} differ)")
    checks.append((line, not differ))
    for line, _ in checks:
        print(line)
    sys.exit(0 if all(ok for _, ok in checks) else 1)


if __name__ == "__main__":
    main()
