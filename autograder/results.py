"""Reports: the Gradescope ``results.json`` and a short table for a person at the terminal."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from autograder.grading import Report

#: Gradescope shows each test's output; keep it short enough to read and the file small.
MAX_TEST_OUTPUT = 2000


def _clip(text: str, limit: int = MAX_TEST_OUTPUT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _isolation_line(isolation: dict[str, str]) -> str:
    off = [f"{layer} ({state.removeprefix('off: ')})" for layer, state in isolation.items() if state != "on"]
    return "Isolation: all layers on." if not off else "Isolation layers off: " + "; ".join(off) + "."


def to_gradescope(report: Report) -> dict:
    """The Gradescope autograder results format, one test per graded name."""
    lines = [f"{report.assignment}: {report.score:g} / {report.max_score:g} points."]
    if report.seed is not None:
        lines.append(f"Hidden cases drawn with seed {report.seed} (reproduce with --seed {report.seed}).")
    lines += report.notes
    if report.isolation:
        lines.append(_isolation_line(report.isolation))
    return {
        "score": round(report.score, 4),
        "max_score": report.max_score,
        "execution_time": round(report.seconds, 3),
        "output": _clip("\n".join(lines)),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [
            {
                "name": result.name,
                "score": result.score,
                "max_score": result.max_score,
                "status": "passed" if result.score >= result.max_score else "failed",
                "output": _clip(result.output),
                "visibility": result.visibility,
            }
            for result in report.results
        ],
        "extra_data": {"assignment": report.assignment, "seed": report.seed, "isolation": report.isolation},
    }


def write_results(report: Report, path: Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_gradescope(report), indent=2, ensure_ascii=False) + "\n")


def print_table(report: Report, console: Console | None = None) -> None:
    """One row per graded name: score and the first line of what went wrong."""
    console = console or Console()
    table = Table(title=f"{report.assignment}: {report.score:g} / {report.max_score:g}", title_justify="left")
    table.add_column("graded name")
    table.add_column("score", justify="right")
    table.add_column("feedback", overflow="fold")
    for result in report.results:
        style = "green" if result.score >= result.max_score else ("yellow" if result.score > 0 else "red")
        failing = [line for line in result.output.splitlines() if line.startswith("\u2718")]
        feedback = (failing[0] if failing else result.output.splitlines()[0]) if result.output else ""
        table.add_row(result.name, f"[{style}]{result.score:g}/{result.max_score:g}[/]", feedback)
    console.print(table)
    seed = "" if report.seed is None else f"seed {report.seed}; "
    console.print(f"[dim]{report.seconds:.2f} s; {seed}{_isolation_line(report.isolation)}[/]")
