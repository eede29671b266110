"""Honest submissions' throughput when every tenth submission is hostile, beside an honest course.

    .venv/bin/python benchmarks/bench_hostile.py [--students 100] [--jobs 2] [--rounds 1]

Builds two throw-away courses of ``--students`` submissions each: an honest one (the completed
notebook for everybody) and a hostile one, the same but every tenth submission puts one attack in
its ``update_lr`` cell, cycled over: a busy loop, a memory bomb (128 MiB arrays, every page
touched, until the limit) and ``os._exit(1)``, each inside ``update_lr`` and at the cell's top
level. Grades both with ``autograder autograde optimization --jobs N --force
--require-isolation all``, alternating ``--rounds`` times. Prints the machine, then per course
the median whole-command wall time and the honest submissions/s, and their ratio (target: at
least 0.5); per attack its score, grading time (``execution_time``) and the line of the
feedback on ``update_lr`` that says what stopped it; then the checks, read from
``autograded/<student>/optimization/results.json``: every honest submission full marks, every
attack named in its feedback (a failed update_lr, or for a top-level attack in a cell that had
already defined a right update_lr, which the grader keeps, a note that the cell could not run).
Exits 1 if a check fails.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from course import (
    HOSTILE,
    Edit,
    Graded,
    autograde,
    completed_notebook,
    grading_phase,
    machine,
    max_score,
    new_course,
    results_files,
    score_check,
    submit,
)

TARGET = 0.5


def hostile_plan(count: int) -> list[Edit | None]:
    """Every tenth submission (the 10th, 20th, ...) hostile, the attacks cycled."""
    return [HOSTILE[(index // 10) % len(HOSTILE)] if index % 10 == 9 else None
            for index in range(count)]


def _why(result: dict) -> str:
    """The line of the feedback on update_lr that says what happened to the attack."""
    feedback = next((test["output"] for test in result["tests"] if test["name"] == "update_lr"),
                    "(no update_lr entry)")
    lines = [line.strip() for line in feedback.splitlines() if line.strip()] or ["(empty)"]
    return next((line for line in lines if line.startswith("✘") or "could not run" in line),
                lines[0])


def _attacks_named(plan: dict[str, Edit | None], found: dict[str, dict]) -> tuple[str, bool]:
    """Every attack shows in its feedback on update_lr: the function failed, or (an attack at
    the top level of a cell that had defined a right update_lr: the grader's rule keeps the
    definition) a note that the cell could not run."""
    attacked = [student for student, edit in plan.items() if edit is not None]
    named = [student for student in attacked
             if "could not run" in _why(found[student]) or _why(found[student]).startswith("✘")]
    ok = len(named) == len(attacked)
    return (f"{'ok' if ok else 'CHECK FAILED'}: every attack is named in its feedback "
            f"{len(named)}/{len(attacked)}"), ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1, help="alternating runs of each course")
    args = parser.parse_args()
    at_start = machine()
    print(at_start, flush=True)
    n = args.students

    with tempfile.TemporaryDirectory() as scratch:
        plans = {"honest": [None] * n, "hostile": hostile_plan(n)}
        courses, filed, walls, phases = {}, {}, {}, {}
        for name, plan in plans.items():
            courses[name] = new_course(Path(scratch) / name)
            filed[name] = submit(courses[name], plan, completed_notebook(courses[name]))
            walls[name], phases[name] = [], []
        last: dict[str, Graded] = {}
        for round_ in range(args.rounds):
            for name, course in courses.items():
                print(f"round {round_ + 1}: grading the {name} course ...", flush=True)
                last[name] = autograde(course, filed[name], args.jobs)
                walls[name].append(last[name].run.seconds)
                honest_students = [student for student, edit in filed[name].items()
                                   if edit is None]
                phases[name].append(grading_phase(results_files(course, honest_students)))
        found = {name: graded.found for name, graded in last.items()}

    print()
    print(at_start)
    print(f"{n} submissions per course, autograder autograde --jobs {args.jobs} "
          f"--require-isolation all, median of {args.rounds} alternating round(s)")
    print(f"{'course':<10} {'honest':>7} {'hostile':>8} {'wall s':>8} {'honest subm/s':>14} "
          f"{'honest phase/s':>15}")
    rates = {}
    for name, plan in filed.items():
        honest = sum(edit is None for edit in plan.values())
        wall = statistics.median(walls[name])
        rates[name] = honest / wall
        steady = [phase[1] for phase in phases[name] if phase]
        print(f"{name:<10} {honest:>7} {n - honest:>8} {wall:8.1f} {rates[name]:14.2f} "
              f"{statistics.median(steady) if steady else float('nan'):15.2f}")
    ratio = rates["hostile"] / rates["honest"]
    verdict = "met" if ratio >= TARGET else "NOT met"
    print(f"honest submissions/s, hostile course / honest course: {ratio:.2f} "
          f"(target at least {TARGET}: {verdict}); phase/s: first to last honest results.json")
    print()
    print(f"{'attack':<28} {'student':<11} {'score':>10} {'seconds':>8}  feedback on update_lr")
    for student, edit in filed["hostile"].items():
        if edit is not None:
            result = found["hostile"][student]
            print(f"{edit.what:<28} {student:<11} {result['score']:>5g} / {max_score(result):g} "
                  f"{result.get('execution_time', 0):8.2f}  {_why(result)[:100]}")
    print()
    checks = []
    for name in courses:
        scores, top = last[name].scores, last[name].top
        if name == "honest":
            checks.append(score_check(f"{name} course", filed[name], scores, top,
                                      ("honest", "hostile")))
            continue
        honest = [student for student in scores if filed[name][student] is None]
        full = sum(scores[student] == top for student in honest)
        line = (f"{'ok' if full == len(honest) else 'CHECK FAILED'}: {name} course: "
                f"honest notebooks with full marks {full}/{len(honest)}")
        checks.append((line, full == len(honest)))
    checks.append(_attacks_named(filed["hostile"], found["hostile"]))
    for line, _ in checks:
        print(line)
    sys.exit(0 if all(ok for _, ok in checks) else 1)


if __name__ == "__main__":
    main()
