"""Grade the same completed notebooks with ``nbgrader autograde`` and with ours, in one run.

    .venv/bin/python benchmarks/bench_grading.py [--students 10]

Builds a throw-away nbgrader course from assignments/, fills submitted/<student>/optimization/
with the instructor's completed notebook (half of them with a classic mistake patched in), then
times (1) ``nbgrader autograde optimization`` over all of them, (2) our grader over the same
files in one process, and (3) one cold ``autograder grade`` from the command line. Prints the
wall times and the ratio. The machine is shared and noisy: compare figures from the same run.
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

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ASSIGNMENT = "optimization"
MISTAKE = ("v[key] = beta * v[key] + (1 - beta) * grads[key]", "v[key] = beta * v[key] + grads[key]")


def _run(command: list[str], cwd: Path) -> float:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def _submissions(course: Path, students: int) -> list[Path]:
    source = nbformat.read(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    paths = []
    for index in range(students):
        notebook = nbformat.from_dict(source)
        if index % 2:
            for cell in notebook.cells:
                cell.source = cell.source.replace(*MISTAKE)
        folder = course / "submitted" / f"student{index:03d}" / ASSIGNMENT
        folder.mkdir(parents=True)
        for helper in (course / "source" / ASSIGNMENT).glob("*.py"):
            shutil.copy(helper, folder / helper.name)
        shutil.copy(course / "source" / ASSIGNMENT / "selfcheck_data.json", folder)
        nbformat.write(notebook, folder / f"{ASSIGNMENT}.ipynb")
        paths.append(folder / f"{ASSIGNMENT}.ipynb")
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10)
    args = parser.parse_args()

    from autograder.grading import grade

    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp) / "course"
        shutil.copytree(ROOT / "assignments", course, symlinks=False, ignore=shutil.ignore_patterns("release", "submitted", "autograded", "gradebook.db"))
        _run([str(BIN / "nbgrader"), "generate_assignment", ASSIGNMENT, "--force"], course)
        paths = _submissions(course, args.students)

        nbgrader_seconds = _run([str(BIN / "nbgrader"), "autograde", ASSIGNMENT, "--create", "--force"], course)

        start = time.perf_counter()
        scores = [grade(path, ASSIGNMENT, course).score for path in paths]
        ours_seconds = time.perf_counter() - start

        cold = [
            _run([str(BIN / "autograder"), "grade", str(paths[0]), "--assignment", ASSIGNMENT, "--results", str(Path(tmp) / "r.json"), "--course", str(course), "-q"], ROOT)
            for _ in range(3)
        ]

    n = args.students
    print(f"{n} completed '{ASSIGNMENT}' notebooks (half with a mistake), scores {sorted(set(scores))}")
    print(f"nbgrader autograde        {nbgrader_seconds:8.2f} s  ({n / nbgrader_seconds:6.2f} submissions/s)")
    print(f"autograder (in-process)   {ours_seconds:8.2f} s  ({n / ours_seconds:6.2f} submissions/s)")
    print(f"ratio nbgrader / ours     {nbgrader_seconds / ours_seconds:8.1f} x")
    print(f"one cold `autograder grade` from the command line: median {statistics.median(cold):.2f} s (of 3)")


if __name__ == "__main__":
    main()
