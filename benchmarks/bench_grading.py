"""Grade one course with ``autograder autograde``, ``nbgrader autograde`` and Otter, in one run.

    .venv/bin/python benchmarks/bench_grading.py [--students 200] [--jobs 2]
        [--nbgrader-students 20 | --nbgrader-students all]
        [--otter-venv /tmp/otter-venv | --no-otter]
        [--cold 5]

Builds throw-away nbgrader courses from assignments/ and files the instructor's completed
``optimization`` notebook for every student, every other one with one of eight classic mistakes
(each edit checked to change its cell). Then times, on the same notebooks:

1. ``autograder autograde optimization --jobs N --require-isolation all`` on all ``--students``
   (every isolation layer required, results.json and nbgrader's gradebook written), and again
   on the first ``--nbgrader-students`` of them;
2. ``nbgrader autograde optimization`` on those first ``--nbgrader-students`` (about 5 s a
   notebook: it executes every cell, demos included; ``all`` grades every one);
3. Otter's ``otter run`` on the same subset, ``--jobs`` at once, when Otter is installed in
   ``--otter-venv`` (see benchmarks/otter_course.py); otherwise a line says why it is skipped;
4. ``autograder grade <completed notebook> --assignment optimization`` cold from the command
   line, median of ``--cold`` runs, beside the floor: ``python -c "import numpy"``.

Prints the machine, then one row per command: notebooks, whole-command wall time and
submissions/s (the honest figure), the grading phase (first to last result file written: the
steady rate, without start-up), the peak RSS of the command's own process (VmHWM; not its
kernels, pool or sandboxes) and the mean score; then the ratios of submissions/s, the mean
score per mistake under each grader (so a reader sees the mistakes were graded), and the checks:
every right notebook full marks and every mistaken one less, under ours. Exits 1 if a check of
ours fails. The machine is shared and noisy: compare figures from one run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import otter_course
from course import (
    ASSIGNMENT,
    BIN,
    MISTAKES,
    Edit,
    autograde,
    completed_notebook,
    grading_phase,
    machine,
    max_score,
    mixed_plan,
    new_course,
    reported_wall,
    run,
    score_check,
    submit,
)
from nbformat import NotebookNode


@dataclass
class Row:
    label: str  # the command
    name: str  # a column heading
    seconds: float
    phase: tuple[float, float] | None
    peak_rss_mib: float | None
    scores: dict[str, float]
    max_score: float

    def line(self) -> str:
        count = len(self.scores)
        phase = f"{self.phase[1]:8.2f}" if self.phase else "       -"
        peak = f"{self.peak_rss_mib:8.0f}" if self.peak_rss_mib else "       -"
        mean = statistics.mean(self.scores.values())
        return (f"{self.label:<44} {count:>9} {self.seconds:8.1f} {count / self.seconds:8.2f} "
                f"{phase} {peak}   {mean:5.2f} / {self.max_score:g}")

    @property
    def rate(self) -> float:
        return len(self.scores) / self.seconds


HEADER = (f"{'command':<44} {'notebooks':>9} {'wall s':>8} {'subm/s':>8} {'phase/s':>8} "
          f"{'RSS MiB':>8}   mean score")


def _ours(label: str, name: str, course: Path, students: list[str],
          jobs: int) -> tuple[Row, str]:
    graded = autograde(course, students, jobs)
    note = (f"{label}: its own summary says wall {reported_wall(graded.run.output)} s (roster to "
            "last gradebook row; no interpreter start or imports); isolation layers off: "
            + (", ".join(f"{layer} ({state})" for layer, state in graded.isolation_off.items())
               or "none"))
    row = Row(label, name, graded.run.seconds, graded.phase, graded.run.peak_rss_mib,
              graded.scores, graded.top)
    return row, note


def _nbgrader(course: Path, students: list[str]) -> Row:
    from nbgrader.api import Gradebook

    timed = run([BIN / "nbgrader", "autograde", ASSIGNMENT, "--create", "--force"], cwd=course)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {student: float(gradebook.find_submission(ASSIGNMENT, student).score)
                  for student in students}
        top = float(gradebook.find_assignment(ASSIGNMENT).max_score)
    files = [course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
             for student in students]
    return Row("nbgrader autograde", "nbgrader", timed.seconds, grading_phase(files),
               timed.peak_rss_mib, scores, top)


def _otter(course: Path, students: list[str], venv: Path, jobs: int, tmp: Path) -> Row:
    autograder = otter_course.build_autograder(course, venv, tmp / "otter")
    notebooks = {student: course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
                 for student in students}
    seconds, scores, files = otter_course.grade(venv, autograder, notebooks, tmp / "otter-out",
                                                jobs)
    return Row(f"otter run, {jobs} at once", "Otter", seconds, grading_phase(files), None, scores,
               sum(otter_course.graded_points(course).values()))


def _cold(course: Path, notebook: Path, times: int, scratch: Path) -> list[str]:
    results_path = scratch / "cold.json"
    grade = [BIN / "autograder", "grade", notebook, "--assignment", ASSIGNMENT, "--course", course,
             "--results", results_path]
    lines = []
    python = sys.executable
    for label, command in (("autograder grade <completed notebook> (score checked)", grade),
                           ('python -c "import numpy" (the floor)', [python, "-c", "import numpy"]),
                           ('python -c "pass"', [python, "-c", "pass"])):
        seconds = [run(command).seconds for _ in range(times)]
        lines.append(f"{label:<52} median {statistics.median(seconds):6.3f} s of {times} "
                     f"(min {min(seconds):.3f}, max {max(seconds):.3f})")
    result = json.loads(results_path.read_text())
    if result["score"] != max_score(result):
        lines.append(f"CHECK FAILED: the cold grade scored {result['score']} / {max_score(result)}")
    return lines


def _by_mistake(plan: dict[str, Edit | None], rows: list[Row]) -> list[str]:
    """Mean score per kind of submission under each grader (each on the students it graded)."""
    kinds: list[Edit | None] = [None, *MISTAKES]
    lines = [f"{'submission':<46}" + "".join(f"{row.name:>16}" for row in rows)]
    for kind in kinds:
        cells = []
        for row in rows:
            scores = [score for student, score in row.scores.items() if plan[student] == kind]
            cells.append(f"{statistics.mean(scores):.2f} of {len(scores)}" if scores else "-")
        label = "right (no mistake)" if kind is None else kind.what
        lines.append(f"{label:<46}" + "".join(f"{cell:>16}" for cell in cells))
    return lines


def _time_subset(subset: dict[str, Edit | None], notebook: NotebookNode, ours: Row | None,
                 args: argparse.Namespace, tmp: Path) -> tuple[Row, list[Row], list[str]]:
    """Ours (unless ``ours`` already graded exactly these), nbgrader and Otter on ``subset``.

    Returns ours' row on the subset, the others' rows, and notes.
    """
    k, notes = len(subset), []
    if ours is None:
        course = new_course(tmp / "ours-subset")
        submit(course, list(subset.values()), notebook, subset)
        print(f"timing autograder autograde on the first {k} ...", flush=True)
        ours, note = _ours(f"autograder autograde --jobs {args.jobs} (first {k})", f"ours ({k})",
                           course, list(subset), args.jobs)
        notes.append(note)
    course = new_course(tmp / "nbgrader")
    submit(course, list(subset.values()), notebook, subset)
    print(f"timing nbgrader autograde on the first {k} (about 5 s each) ...", flush=True)
    others = [_nbgrader(course, list(subset))]
    skip = "--no-otter" if args.no_otter else otter_course.skip_reason(args.otter_venv)
    if skip:
        notes.append(f"Otter: skipped: {skip}")
    else:
        print(f"timing otter run on the first {k} ...", flush=True)
        notes.append(f"Otter: {otter_course.docker_note()}; one process per notebook, tests = "
                     "the notebook's own selfcheck.check calls")
        others.append(_otter(course, list(subset), args.otter_venv, args.jobs, tmp))
    return ours, others, notes


def _subset(value: str) -> int | None:
    return None if value == "all" else int(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--nbgrader-students", type=_subset, default=20, metavar="K|all",
                        help="time nbgrader (and Otter) on the first K submissions (0: skip)")
    parser.add_argument("--otter-venv", type=Path, default=otter_course.DEFAULT_VENV)
    parser.add_argument("--no-otter", action="store_true")
    parser.add_argument("--cold", type=int, default=5, help="runs of the one-notebook command")
    args = parser.parse_args()
    at_start = machine()
    print(at_start, flush=True)
    n = args.students
    k = n if args.nbgrader_students is None else min(args.nbgrader_students, n)

    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        ours_course = new_course(tmp / "ours")
        notebook = completed_notebook(ours_course)
        plan = submit(ours_course, mixed_plan(n), notebook)
        print(f"timing autograder autograde on {n} notebooks ...", flush=True)
        ours, note = _ours(f"autograder autograde --jobs {args.jobs}", f"ours ({n})",
                           ours_course, list(plan), args.jobs)
        rows, notes = [ours], [note]
        if k:
            subset = {student: plan[student] for student in list(plan)[:k]}
            same, others, more = _time_subset(subset, notebook, ours if k == n else None, args, tmp)
            rows += [same] if k < n else []
            rows += others
            notes += more
        print(f"timing the cold one-notebook command, {args.cold} times ...", flush=True)
        first = next(student for student, edit in plan.items() if edit is None)
        cold = _cold(ours_course, ours_course / "submitted" / first / ASSIGNMENT
                     / f"{ASSIGNMENT}.ipynb", args.cold, tmp)

    print()
    print(at_start)
    print(f"course: {n} completed '{ASSIGNMENT}' notebooks, every other one with one of "
          f"{len(MISTAKES)} classic mistakes; nbgrader and Otter on "
          + (f"the first {k}" if k < n else "all of them"))
    print(HEADER)
    for row in rows:
        print(row.line())
    for row in others if k else []:
        print(f"submissions/s, {ours.name} / {row.name} ({len(row.scores)}): "
              f"{ours.rate / row.rate:.1f} x; on the same notebooks, {same.name} / {row.name}: "
              f"{same.rate / row.rate:.1f} x")
    for note in notes:
        print(note)
    print("wall s / subm/s: the whole command; phase/s: first to last result file written; "
          "RSS: VmHWM of the command's own process")
    print()
    print("mean score per kind of submission, of how many:")
    print("\n".join(_by_mistake(plan, rows)))
    print()
    print("\n".join(cold))
    outcomes = [score_check(row.label, plan, row.scores, row.max_score) for row in rows]
    for line, _ in outcomes:
        print(line)
    ours_ok = all(ok for (_, ok), row in zip(outcomes, rows) if row.label.startswith("autograder"))
    sys.exit(0 if ours_ok and not any("CHECK FAILED" in line for line in cold) else 1)


if __name__ == "__main__":
    main()
