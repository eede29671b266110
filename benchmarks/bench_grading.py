"""Grade one course of completed notebooks with ``nbgrader autograde`` and with ours, in one run.

    .venv/bin/python benchmarks/bench_grading.py [--students 200] [--jobs 2]

Builds a throw-away nbgrader course from assignments/, files the instructor's completed
``optimization`` notebook for every student (every other one with a classic mistake patched in),
then times, on the same files:

1. ``nbgrader autograde optimization`` (one notebook at a time, in the student's kernel);
2. ``autograder autograde optimization --jobs N`` (isolated workers, in parallel, into the same
   kind of gradebook);
3. one cold ``autograder grade`` of a single notebook from the command line (median of 3).

Prints wall times, the ratio, submissions per second and the peak resident memory of the
largest process of each run. The machine is shared and noisy: compare figures from one run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from autograder import course as course_info

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ASSIGNMENT = "optimization"
MISTAKE = ("v[key] = beta * v[key] + (1 - beta) * grads[key]", "v[key] = beta * v[key] + grads[key]")


def _run(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds, and the peak RSS in MiB of the largest process the command ran."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    start = time.perf_counter()
    code = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
        "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    probe = subprocess.run([sys.executable, "-c", code, *command], cwd=cwd, env=env, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    return seconds, int(probe.stdout.split()[-1]) / 1024


def _course(tmp: Path, students: int) -> Path:
    course = tmp / "course"
    ignore = shutil.ignore_patterns("release", "submitted", "autograded", "feedback", "gradebook.db", "tools")
    shutil.copytree(ROOT / "assignments", course, ignore=ignore)
    _run([str(BIN / "nbgrader"), "generate_assignment", ASSIGNMENT, "--force"], course)
    source = nbformat.read(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    for index in range(students):
        notebook = nbformat.from_dict(source)
        if index % 2:
            for cell in notebook.cells:
                cell.source = cell.source.replace(*MISTAKE)
        for cell in notebook.cells:  # as a student submits it: no solution markers
            cell.source = course_info.without_markers(cell.source)
        folder = course / "submitted" / f"student{index:03d}" / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / f"{ASSIGNMENT}.ipynb")
    return course


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    n = args.students

    with tempfile.TemporaryDirectory() as tmp:
        ours_course, theirs_course = _course(Path(tmp) / "ours", n), _course(Path(tmp) / "theirs", n)
        theirs, theirs_rss = _run([str(BIN / "nbgrader"), "autograde", ASSIGNMENT, "--create", "--force"], theirs_course)
        ours, ours_rss = _run([str(BIN / "autograder"), "autograde", ASSIGNMENT, "--course", str(ours_course), "--jobs", str(args.jobs), "--force"], ROOT)
        notebook = ours_course / "submitted" / "student000" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        cold = [
            _run([str(BIN / "autograder"), "grade", str(notebook), "--assignment", ASSIGNMENT, "--results", str(Path(tmp) / "r.json"), "--course", str(ours_course), "-q"], ROOT)[0]
            for _ in range(3)
        ]

    print(f"{n} completed '{ASSIGNMENT}' notebooks (every other one with a mistake), {os.cpu_count()} cores")
    print(f"nbgrader autograde                  {theirs:8.1f} s  {n / theirs:6.2f} submissions/s  peak RSS {theirs_rss:6.0f} MiB")
    print(f"autograder autograde --jobs {args.jobs:<2}      {ours:8.1f} s  {n / ours:6.2f} submissions/s  peak RSS {ours_rss:6.0f} MiB")
    print(f"ratio (nbgrader / ours)             {theirs / ours:8.1f} x")
    print(f"one cold `autograder grade` of one notebook: median {statistics.median(cold):.2f} s of 3")


if __name__ == "__main__":
    main()
