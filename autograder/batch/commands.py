"""``autograder autograde`` and ``autograder export``: a whole round of an nbgrader course."""

from __future__ import annotations

import os
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from autograder.cli import (
    IsolationRefused,
    course_root_of,
    course_setting,
    existing_course_root,
    refuse_unless_isolated,
    require_isolation_option,
    required_layers,
)

COURSE_HELP = "nbgrader course root (default: the bundled assignments/)."


def _setup(assignment: str, course: Path | None):
    from autograder.batch.gradebook import course_directory
    from autograder.batch.spec import UnknownAssignment, spec_for

    course_root = existing_course_root(course)
    try:
        spec = spec_for(assignment, course_root)
    except UnknownAssignment as error:
        raise click.UsageError(str(error)) from None
    return spec, course_directory(course_root)


def _summary_table(summary, assignment: str) -> Table:
    table = Table(title=f"autograde {assignment}", title_justify="left")
    for column in (
        "students",
        "graded",
        "skipped",
        "failed",
        "mean score",
        "wall time",
        "students/s",
    ):
        table.add_column(column, justify="right")
    mean = (
        "-" if summary.mean_score is None else f"{summary.mean_score:.2f} / {summary.max_score:g}"
    )
    table.add_row(
        str(summary.students),
        str(summary.graded),
        str(summary.skipped) + (f" ({summary.synced} synced)" if summary.synced else ""),
        f"[red]{summary.failed}[/]" if summary.failed else "0",
        mean,
        f"{summary.seconds:.1f} s",
        f"{summary.rate:.2f}",
    )
    return table


@click.command()
@click.argument("assignment")
@click.option(
    "--course", type=click.Path(path_type=Path, file_okay=False), default=None, help=COURSE_HELP
)
@click.option("--student", "students", multiple=True, help="Grade only this student (repeatable).")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Submissions graded at once (default: the number of cores; not used with --scheduler).",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="Grade on the workers of this Dask distributed scheduler, e.g. tcp://10.0.0.5:8786 "
    "(default: the course's c.Autograder.scheduler in nbgrader_config.py, else the local pool).",
)
@click.option(
    "--force", is_flag=True, help="Regrade submissions that already have a newer results.json."
)
@click.option(
    "--fresh",
    is_flag=True,
    help="Draw fresh hidden cases (default: each student's own, from the course secret).",
)
@require_isolation_option
def autograde(
    assignment: str,
    course: Path | None,
    students: tuple[str, ...],
    jobs: int | None,
    scheduler: str | None,
    force: bool,
    require_isolation: str | None,
    fresh: bool,
) -> None:
    """Grade every submitted/<student>/ASSIGNMENT/ of the course into autograded/ and the
    gradebook."""
    scheduler = scheduler or course_setting(course_root_of(course), "scheduler")
    if not scheduler:
        from autograder.batch import pool

        pool.warm_up()  # the grading processes' imports overlap this process's own (nbgrader)
    from autograder.batch.gradebook import GradebookError
    from autograder.batch.run import MissingStudents, run_batch

    spec, coursedir = _setup(assignment, course)
    console = Console()
    try:
        if scheduler:
            summary = _on_cluster(scheduler, required_layers(require_isolation, spec.course_root),
                                  spec, coursedir, list(students), force, console, fresh)
        else:
            refuse_unless_isolated(require_isolation, spec.course_root)
            workers = jobs or os.cpu_count() or 1
            summary = run_batch(spec, coursedir, list(students), workers, force, console,
                                fresh=fresh)
    except (GradebookError, MissingStudents) as error:
        raise click.ClickException(str(error)) from None
    console.print(_summary_table(summary, assignment))


def _on_cluster(address: str, required: tuple[str, ...], spec, coursedir, students: list[str],
                force: bool, console: Console, fresh: bool):
    """The round graded on the Dask cluster at ``address`` (this process still records)."""
    try:
        from autograder.batch import cluster
    except ImportError as error:
        raise click.ClickException(
            f"--scheduler needs Dask distributed ({error.name} is missing): "
            "pip install 'optinit-grader[dask]'") from None
    from autograder.batch.run import run_batch

    try:
        with cluster.connect(address, required) as executor:
            return run_batch(spec, coursedir, students, 0, force, console, fresh=fresh,
                             executor=executor)
    except cluster.IsolationMissing as error:
        raise IsolationRefused(str(error)) from None
    except cluster.ClusterError as error:
        raise click.ClickException(str(error)) from None


@click.command()
@click.argument("assignment")
@click.option(
    "--course", type=click.Path(path_type=Path, file_okay=False), default=None, help=COURSE_HELP
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Where to write the CSV (default: ./<ASSIGNMENT>_questions.csv, "
    "./<ASSIGNMENT>_canvas.csv, ./<ASSIGNMENT>_moodle.csv).",
)
@click.option(
    "--format",
    "kind",
    type=click.Choice(["questions", "canvas", "moodle"]),
    default="questions",
    show_default=True,
    help="questions: one column per graded name; canvas, moodle: the total, for that LMS's "
    "gradebook import (needs --roster).",
)
@click.option(
    "--roster",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="CSV with a student_id column (nbgrader's ids) and the LMS's: Student, ID, SIS User ID, "
    "SIS Login ID, Section for Canvas; one identifier column (e.g. email) for Moodle.",
)
@click.option(
    "--column",
    default=None,
    help="Header of the grade column (default: ASSIGNMENT). For an existing Canvas assignment "
    "use its header in Canvas's export, e.g. 'Optimization (1234)'.",
)
def export(
    assignment: str,
    course: Path | None,
    output: Path | None,
    kind: str,
    roster: Path | None,
    column: str | None,
) -> None:
    """Write a CSV of ASSIGNMENT: per question, or the totals for Canvas's or Moodle's gradebook."""
    from autograder.batch.export import RosterError, write_csv, write_lms_csv

    if kind == "questions" and (roster or column):
        raise click.UsageError("--roster and --column go with --format canvas or moodle")
    if kind != "questions" and roster is None:
        raise click.UsageError(
            f"--format {kind} needs --roster CSV: nbgrader's student ids and the LMS's")
    spec, coursedir = _setup(assignment, course)
    output = output or Path(f"{assignment}_{kind}.csv")
    if kind == "questions":
        count = write_csv(spec, coursedir, output)
        click.echo(f"wrote {output} ({count} students, {len(spec.points)} questions)")
        return
    try:
        count = write_lms_csv(spec, coursedir, output, kind, roster, column or assignment)
    except RosterError as error:
        raise click.ClickException(str(error)) from None
    where = "Canvas: Grades > Import" if kind == "canvas" else "Moodle: Grades > Import > CSV file"
    click.echo(f"wrote {output} ({count} students); import it in {where}")
