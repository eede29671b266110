"""Reports: the Gradescope ``results.json`` and a short table for a person at the terminal.

Feedback holds student text (exception messages, file names): it goes through
:mod:`autograder.untrusted` on the way out, so any text gives valid UTF-8 JSON and a plain table.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from autograder import safe_files, untrusted

if TYPE_CHECKING:  # rich loads when a table is printed (`grade -q` prints none)
    from rich.console import Console

    from autograder.grading import Report

#: Gradescope shows each test's output; keep it short enough to read and the file small.
MAX_TEST_OUTPUT = 2000
#: One results.json of this grader is a few kB (each test's output is clipped to the above).
MAX_RESULTS_BYTES = 8 * 2**20


class Unreadable(Exception):
    """A results.json that is not read; the message says why."""


def read_open(fd: int, status: os.stat_result) -> bytes:
    """The bytes of an open results.json (`status` is its fstat): a regular file of at most
    `MAX_RESULTS_BYTES`, the size checked before reading and the read bounded; else
    :class:`Unreadable`."""
    if not stat.S_ISREG(status.st_mode):
        raise Unreadable(f"it is {safe_files.kind_of(status.st_mode)}")
    if status.st_size > MAX_RESULTS_BYTES:
        raise Unreadable(f"larger than {MAX_RESULTS_BYTES >> 20} MiB ({status.st_size} bytes)")
    try:
        return safe_files.read_at_most(fd, MAX_RESULTS_BYTES)
    except safe_files.TooLarge:
        raise Unreadable(f"larger than {MAX_RESULTS_BYTES >> 20} MiB") from None


def read_results(path: Path) -> dict:
    """A results.json read back (by feedback, a resumed batch, export, the CI steps) as hostile
    bytes: a student's files can sit beside it, and nbgrader copies them into ``autograded/``.

    Opened with :func:`safe_files.open_path` (its last component never through a link), a
    regular file of at most `MAX_RESULTS_BYTES`, a JSON object with a list of tests; anything
    else raises :class:`Unreadable`.
    """
    try:
        fd, status = safe_files.open_path(path)
        try:
            raw = read_open(fd, status)
        finally:
            os.close(fd)
        document = json.loads(raw.decode("utf-8"))
    except safe_files.Refused as error:
        raise Unreadable(str(error).removesuffix(": submit the file itself")) from None
    except RecursionError:
        raise Unreadable("not valid JSON (nested too deeply)") from None
    except OSError as error:
        raise Unreadable(error.strerror or str(error)) from None
    except ValueError as error:  # not UTF-8, not JSON
        raise Unreadable(f"not valid JSON ({safe_files.problem(error)})") from None
    if not isinstance(document, dict) or not isinstance(document.get("tests"), list):
        raise Unreadable("not a results.json (a JSON object with a list of tests)")
    return document


def _clip(text: str, limit: int = MAX_TEST_OUTPUT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _safe(text: str) -> str:
    """Clipped before (a flood costs nothing) and after its control characters become escapes."""
    return _clip(untrusted.text(_clip(text)))


def _isolation_line(isolation: dict[str, str]) -> str:
    off = [
        f"{layer} ({state.removeprefix('off: ')})"
        for layer, state in isolation.items()
        if state != "on"
    ]
    return "Isolation layers off: " + "; ".join(off) + "." if off else "Isolation: all layers on."


#: Gradescope's visibilities, from the least to the most restrictive.
VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")
#: The first line of the output while some result is held back (a quiz explained after the due
#: date): the total says, one changed answer at a time, whether an answer is right.
HELD_BACK = "{assignment}: the score is shown when the results are published."


def _visibility(report: Report) -> str:
    """The whole result's visibility: that of its tests when none is visible (the most
    restrictive of theirs), else visible (what is visible stays so)."""
    held = [result.visibility for result in report.results if result.visibility != "visible"]
    if not held or len(held) < len(report.results):
        return "visible"
    hidden = len(VISIBILITIES) - 1  # a visibility we do not know counts as hidden
    return VISIBILITIES[max(VISIBILITIES.index(v) if v in VISIBILITIES else hidden for v in held)]


def to_gradescope(report: Report) -> dict:
    """The Gradescope autograder results format, one test per graded name; every string safe.

    While any result is held back, the output's first line gives no score, and when every
    result is, the whole result (its output too) takes their visibility."""
    if any(result.visibility != "visible" for result in report.results):
        lines = [HELD_BACK.format(assignment=report.assignment)]
    else:
        lines = [f"{report.assignment}: {report.score:g} / {report.max_score:g} points."]
    if report.seed is not None:
        seed = report.seed
        lines.append(f"Hidden cases drawn with seed {seed} (reproduce with --seed {seed}).")
    lines += report.notes
    if report.isolation:
        lines.append(_isolation_line(report.isolation))
    results = {
        "score": round(report.score, 4),
        "max_score": report.max_score,
        "execution_time": round(report.seconds, 3),
        "output": _safe("\n".join(lines)),
        "output_format": "text",  # Gradescope's default renders HTML (file names are the student's)
        "visibility": _visibility(report),
        "stdout_visibility": "hidden",
        "tests": [
            {
                "name": result.name,
                "score": result.score,
                "max_score": result.max_score,
                "status": "passed" if result.score >= result.max_score else "failed",
                "output": _safe(result.output),
                "output_format": "text",
                "visibility": result.visibility,
                **({"extra_data": result.data} if result.data else {}),
            }
            for result in report.results
        ],
        "extra_data": {
            "assignment": report.assignment,
            "seed": report.seed,
            "isolation": report.isolation,
        },
    }
    return untrusted.json_safe(results)


def to_json(results: dict) -> bytes:
    """The bytes of a results.json: UTF-8 JSON whatever the dict holds (made safe again here)."""
    return (json.dumps(untrusted.json_safe(results), indent=2, ensure_ascii=False) + "\n").encode()


def write_results(report: Report, path: Path) -> None:
    """Encoded before the file is opened: a results.json is never left empty or half written."""
    data = to_json(to_gradescope(report))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def print_table(report: Report, console: Console | None = None) -> None:
    """One row per graded name: score and the first line of what went wrong, none before the
    results are published (in GitHub Actions the student reads the log). Every cell is a rich
    ``Text``, so brackets in student text are never markup."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    title = f"{report.assignment}: {report.score:g} / {report.max_score:g}"
    table = Table(title=untrusted.terminal(title), title_justify="left")
    table.add_column("graded name")
    table.add_column("score", justify="right")
    table.add_column("feedback", overflow="fold")
    for result in report.results:
        if result.score >= result.max_score:
            style = "green"
        else:
            style = "yellow" if result.score > 0 else "red"
        score = untrusted.terminal(f"{result.score:g}/{result.max_score:g}", style)
        feedback = untrusted.feedback_line(_clip(result.output), result.visibility)
        table.add_row(untrusted.terminal(result.name), score, untrusted.terminal(feedback))
    console.print(table)
    seed = "" if report.seed is None else f"seed {report.seed}; "
    line = f"{report.seconds:.2f} s; {seed}{_isolation_line(report.isolation)}"
    console.print(untrusted.terminal(line, "dim"))
