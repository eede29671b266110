"""``autograder feedback ID``: a report for every autograded/<student>/<ID>/results.json.

One student never stops the others: a results.json that cannot be read, or one the report
cannot be made of (a forged file), skips that student with a line on stderr, and the command
exits 1 at the end with the count. Student names are shown escaped when they hold control
characters or bytes that are not UTF-8.
"""

from __future__ import annotations

from pathlib import Path

import click

from autograder import course as course_info
from autograder.safe_files import problem, shown


def _component(value: str, what: str) -> str:
    """A single folder name: no separators, no "." or ".." (ids and student names are folders)."""
    if not value or value in (".", "..") or "/" in value or "\\" in value or "\0" in value:
        raise click.UsageError(f"{what} {value!r} is not a folder name")
    return value


def _read_results(path: Path) -> dict | str:
    """The results.json object, or why it cannot be read."""
    from autograder.results import Unreadable, read_results

    try:
        return read_results(path)
    except Unreadable as error:
        return str(error)


@click.command()
@click.argument("assignment", metavar="ID")
@click.option("--course", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="nbgrader course root (default: the bundled assignments/).")
@click.option("--student", "students", multiple=True,
              help="Only this student (repeat for several); default: everyone autograded.")
def feedback(assignment: str, course: Path | None, students: tuple[str, ...]) -> None:
    """Write feedback/<student>/ASSIGNMENT/autograder_report.html from each results.json."""
    from autograder.feedback import write_report

    root = course or course_info.default_course_root()
    _component(assignment, "assignment id")
    autograded = root / "autograded"
    wanted = [_component(student, "student") for student in students] or sorted(
        path.parent.parent.name for path in autograded.glob(f"*/{assignment}/results.json"))
    if not wanted:
        raise click.ClickException(f"no {autograded}/<student>/{assignment}/results.json: "
                                   "run autograder autograde first")
    failures = 0
    for student in wanted:
        results_path = autograded / student / assignment / "results.json"
        results_json = _read_results(results_path)
        if isinstance(results_json, str):
            click.echo(f"skipped {shown(student)}: cannot read {shown(str(results_path))} "
                       f"({shown(results_json)})", err=True)
            failures += 1
            continue
        submitted = root / "submitted" / student / assignment
        submission = submitted if submitted.is_dir() else autograded / student / assignment
        out_dir = root / "feedback" / student / assignment
        try:
            path = write_report(submission, assignment, results_json, out_dir, root,
                                student=student)
        except Exception as error:  # noqa: BLE001 -- one student must never stop the others
            reason = problem(error)
            click.echo(f"skipped {shown(student)}: cannot write the report ({reason})", err=True)
            failures += 1
            continue
        click.echo(f"wrote {shown(str(path))}")
    if failures:
        raise click.ClickException(f"{failures} of {len(wanted)} reports not written")
