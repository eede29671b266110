"""``autograder stats ID``: the class's statistics of a graded round, as JSON, CSV and a page.

Results that cannot be used cost only their student: a line on stderr names each (and the page
and the JSON list them); the statistics come from the others and the command exits 0. Exit 2,
one line: an unknown assignment, or no results to read at all.
"""

from __future__ import annotations

from pathlib import Path

import click

from autograder import untrusted
from autograder.cli import existing_course_root
from autograder.safe_files import shown

#: Mistakes in the table printed at the end.
PRINTED_MISTAKES = 10


class NoResults(click.ClickException):
    """Nothing to compute statistics of (a usage error: exit 2, like an unknown assignment)."""

    exit_code = 2


def _read(assignment: str, course_root: Path, results_glob: str | None):
    from autograder.stats.reading import RoundError, read_glob, read_round

    try:
        if results_glob is not None:
            round_ = read_glob(results_glob, assignment)
        else:
            round_ = read_round(course_root, assignment)
    except RoundError as error:
        raise NoResults(str(error)) from None
    for entry in round_.skipped:
        click.echo(f"skipped {entry.who}: {entry.reason}", err=True)
    if round_.students:
        return round_
    if round_.found:
        raise NoResults(f"none of the {round_.found} results.json of {assignment} could be read "
                        "(see the lines above)")
    if results_glob is not None:
        raise NoResults(f"no file matches --results-glob {shown(results_glob)}")
    raise NoResults(f"no results for {assignment}: no {shown(str(course_root))}/autograded/"
                    f"<student>/{assignment}/results.json; run autograder autograde {assignment} "
                    "first")


def _print_top_mistakes(statistics: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    top = statistics["top_mistakes"][:PRINTED_MISTAKES]
    if not top:
        quiz = any(entry["kind"] != "exercise" for entry in statistics["names"].values())
        console.print(f"{statistics['assignment']} is a quiz: its page shows each item's choices."
                      if quiz else "No catalogued mistake was named in this round.")
        return
    table = Table(title=f"Most common mistakes ({statistics['assignment']}, "
                        f"{statistics['students']} students)", title_justify="left")
    table.add_column("graded name")
    table.add_column("mistake", overflow="fold")
    table.add_column("students", justify="right")
    for entry in top:
        table.add_row(untrusted.terminal(entry["name"]), untrusted.terminal(entry["message"]),
                      str(entry["students"]))
    console.print(table)


@click.command()
@click.argument("assignment", metavar="ID")
@click.option("--course", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="nbgrader course root (default: the bundled assignments/).")
@click.option("--output", "-o", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Folder for ID_stats.json, ID_stats.csv and ID_stats.html (default: "
                   "<course>/stats/, which nbgrader never sends to students).")
@click.option("--results-glob", metavar="GLOB", default=None,
              help="Read the results.json files matching GLOB (quoted, e.g. "
                   "'downloads/*/results.json'; ** for any depth; a folder: every *.json in it) "
                   "instead of <course>/autograded/. Student id: the folder of a results.json (the "
                   "one above if it is named ID), else the file's stem.")
def stats(assignment: str, course: Path | None, output: Path | None,
          results_glob: str | None) -> None:
    """Write the class's statistics of ID: per graded name and quiz item, with the mistakes made."""
    from autograder.stats import page
    from autograder.stats.compute import class_statistics
    from autograder.stats.questions import UnknownAssignment, questions_of
    from autograder.stats.writing import write_files

    course_root = existing_course_root(course)
    try:
        questions = questions_of(assignment, course_root)
    except UnknownAssignment as error:
        raise click.UsageError(str(error)) from None
    round_ = _read(assignment, course_root, results_glob)
    statistics = class_statistics(assignment, questions, round_.students, round_.skipped)
    html = page.render(statistics, questions)
    for path in write_files(statistics, html, output or course_root / "stats"):
        click.echo(f"wrote {shown(str(path))}")
    _print_top_mistakes(statistics)
