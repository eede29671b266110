"""``make demo``: a whole grading round on a bundled sample course.

1. Trains the reference optimizers on two moons and prints their final cost and accuracy.
2. Builds a sample nbgrader course in ``out/demo/`` from ``assignments/`` and releases the
   ``optimization`` assignment and its quiz (``nbgrader generate_assignment``).
3. Files five sample submissions: the instructor's completed notebook, a module with three
   classic mistakes, a hostile module, a damaged notebook, and a quiz answer sheet.
4. Grades them all in parallel into the course's gradebook (``autograder autograde``), writes
   the HTML feedback (``autograder feedback``) and the per-question CSV (``autograder export``),
   and prints the summary.
5. Writes the class's statistics (``autograder stats``) into ``out/demo/course/stats/`` and
   prints the most common mistakes.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from autograder import course
from reference import tour

SAMPLES = Path(__file__).with_name("samples")
REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "out" / "demo"
TOUR_EPOCHS = 2000
BIN = Path(sys.executable).parent


def _completed(notebook: Path) -> bytes:
    """The instructor's notebook as a student who solved every exercise submits it (no markers)."""
    data = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in data["cells"]:
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        cell["source"] = course.without_markers(text)
    return json.dumps(data, indent=1).encode()


def _submissions(source: Path) -> dict[tuple[str, str], tuple[Path | bytes, str]]:
    """(student, assignment) -> (file to copy or bytes to write, file name)."""
    return {
        ("alice", "optimization"): (
            _completed(source / "optimization" / "optimization.ipynb"), "optimization.ipynb"),
        ("bob", "optimization"): (SAMPLES / "optimization_mistakes.py", "optimization.py"),
        ("carol", "optimization"): (SAMPLES / "optimization_exploit.py", "optimization.py"),
        ("dave", "optimization"): (b'{"cells": [ \xff\xfe damaged', "optimization.ipynb"),
        ("alice", "optimization_quiz"): (SAMPLES / "optimization_quiz_answers.py", "answers.py"),
    }


def _run(console: Console, *command: str, cwd: Path) -> None:
    console.print(f"[bold]$ {' '.join(command)}[/]")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    subprocess.run(command, cwd=cwd, env=env, check=True)


def build_course(console: Console) -> Path:
    """A fresh copy of the course with the sample submissions filed under submitted/."""
    root = OUT / "course"
    shutil.rmtree(OUT, ignore_errors=True)
    ignore = shutil.ignore_patterns(
        "release", "submitted", "autograded", "feedback", "gradebook.db", "tools")
    shutil.copytree(course.default_course_root(), root, ignore=ignore)
    shutil.copytree(REPO / "quizzes", OUT / "quizzes")
    for assignment in ("optimization", "optimization_quiz"):
        _run(console, "nbgrader", "generate_assignment", assignment, "--force",
             "--log-level=WARN", cwd=root)
    for (student, assignment), (content, name) in _submissions(root / "source").items():
        folder = root / "submitted" / student / assignment
        folder.mkdir(parents=True)
        if isinstance(content, bytes):
            (folder / name).write_bytes(content)
        else:
            shutil.copy(content, folder / name)
    return root


def _table(csv_path: Path) -> Table:
    """The export turned on its side: one row per graded name, one column per student."""
    header, *rows = list(csv.reader(csv_path.open()))
    table = Table(title="Per-question scores (autograder export)", title_justify="left")
    table.add_column("graded name")
    for row in rows:
        table.add_column(row[0], justify="right")
    for index, name in enumerate(header[1:], start=1):
        table.add_row(name, *(row[index] for row in rows))
    return table


def main() -> None:
    console = Console()
    console.rule("1. The reference optimizers on two moons")
    console.print(tour.table(tour.compare(num_epochs=TOUR_EPOCHS), TOUR_EPOCHS))

    console.rule("2. A sample course: release the assignment and its quiz")
    root = build_course(console)
    console.print(f"course root: {root}; submitted: alice (completed), bob (three mistakes), "
                  "carol (hostile), dave (damaged file); alice also answered the quiz, its two "
                  "questions of her own with carol's right answers (copied: no credit)")

    console.rule("3. Grade everything, isolated and in parallel")
    autograder = str(BIN / "autograder")
    for assignment in ("optimization", "optimization_quiz"):
        _run(console, autograder, "autograde", assignment, "--course", str(root), "--jobs", "2",
             cwd=REPO)

    console.rule("4. Feedback pages and the per-question export")
    _run(console, autograder, "feedback", "optimization", "--course", str(root), cwd=REPO)
    export = OUT / "optimization_questions.csv"
    _run(console, autograder, "export", "optimization", "--course", str(root),
         "--output", str(export), cwd=REPO)
    console.print(_table(export))
    console.print(f"Open {root / 'feedback' / 'bob' / 'optimization' / 'autograder_report.html'} "
                  "in a browser to see what a student reads.")

    console.rule("5. Class statistics: the most common mistakes")
    for assignment in ("optimization", "optimization_quiz"):
        _run(console, autograder, "stats", assignment, "--course", str(root), cwd=REPO)
    console.print(f"Open {root / 'stats' / 'optimization_stats.html'} in a browser to see the "
                  "class's statistics (JSON and CSV beside it).")


if __name__ == "__main__":
    main()
