"""Peak memory and rate of ``autograder autograde`` itself on thousands of submissions.

    .venv/bin/python benchmarks/bench_scale.py [--students 1000 [N ...]] [--jobs 2]
    .venv/bin/python benchmarks/bench_scale.py --students 10000     # the long one: 10-20 min

For each size, side by side in one run: builds a throw-away course of that many synthetic
submissions (the completed notebook's code cells only, every other one with one of the classic
mistakes, cycled; filed in seconds), runs
``autograder autograde optimization --jobs N --force --require-isolation all`` and reads the
peak RSS of that one process from the kernel (``VmHWM`` of its pid, polled): its children, the
fork server, the grading pool and the sandboxes, are not in the figure. Prints the machine, then
per size: submissions, whole-command wall time and submissions/s, the grading phase (first to
last results.json), the peak RSS of the batch process and its growth per 1,000 submissions from
the previous size, the mean score; then a check that every unedited submission has full marks
and every mistaken one less. Exits 1 if a check fails.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from course import (
    ASSIGNMENT,
    autograde,
    file_mixed,
    machine,
    new_course,
    score_check,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, nargs="+", default=[1000])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    at_start = machine()
    print(at_start, flush=True)

    lines, checks, previous = [], [], None
    for n in args.students:
        with tempfile.TemporaryDirectory() as scratch:
            course = new_course(Path(scratch) / "course")
            started = time.perf_counter()
            plan = file_mixed(course, n)
            print(f"{n}: filed in {time.perf_counter() - started:.1f} s; grading ...", flush=True)
            graded = autograde(course, plan, args.jobs)
        timed, phase, scores, top = graded.run, graded.phase, graded.scores, graded.top
        growth = ("" if previous is None else
                  f"{(timed.peak_rss_mib - previous[1]) / (n - previous[0]) * 1000:+8.1f}")
        lines.append(f"{n:>11} {timed.seconds:8.1f} {n / timed.seconds:8.2f} "
                     f"{phase[1] if phase else float('nan'):8.2f} {timed.peak_rss_mib:13.0f} "
                     f"{growth:>16}   {statistics.mean(scores.values()):.2f} / {top:g}")
        checks.append(score_check(f"{n} submissions", plan, scores, top))
        off = graded.isolation_off
        if off:
            checks.append((f"note: {n} submissions: isolation layers off: {off}", True))
        previous = (n, timed.peak_rss_mib)

    print()
    print(at_start)
    print(f"autograder autograde {ASSIGNMENT} --jobs {args.jobs} --require-isolation all, "
          "synthetic submissions (code cells only, every other one with a classic mistake)")
    print(f"{'submissions':>11} {'wall s':>8} {'subm/s':>8} {'phase/s':>8} {'peak RSS MiB':>13} "
          f"{'MiB / 1k more':>16}   mean score")
    print("\n".join(lines))
    print("peak RSS: VmHWM of the autograde process itself (not its fork server, pool or "
          "sandboxes); phase/s: first to last results.json written")
    for line, _ in checks:
        print(line)
    sys.exit(0 if all(ok for _, ok in checks) else 1)


if __name__ == "__main__":
    main()
