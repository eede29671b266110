"""The ``autograder`` command line."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import ClassVar

import click

from autograder import __version__, startup  # noqa: F401 -- first: the process's settings


class _OneLineErrors(click.Group):
    """Usage errors print one line on stderr and exit 2 (the contract of ``autograder grade``).

    Command groups that pull in slow imports (nbformat, jsonschema) load only when used, so
    ``autograder grade`` starts fast.
    """

    LAZY: ClassVar[dict[str, tuple[str, str]]] = {
        "quiz": ("autograder.quiz.commands", "quiz"),
        "feedback": ("autograder.feedback.commands", "feedback"),
        "ci": ("autograder.packaging.commands", "ci"),
        "gradescope": ("autograder.packaging.commands", "gradescope"),
        "autograde": ("autograder.batch.commands", "autograde"),
        "export": ("autograder.batch.commands", "export"),
        "stats": ("autograder.stats.commands", "stats"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.LAZY])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.LAZY:
            module, attribute = self.LAZY[name]
            return getattr(importlib.import_module(module), attribute)
        return super().get_command(ctx, name)

    def main(self, *args, **kwargs):
        try:
            return super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.Exit as done:
            sys.exit(done.exit_code)
        except click.Abort:
            sys.exit(1)
        except click.ClickException as error:
            click.echo(f"autograder: error: {error.format_message()}", err=True)
            sys.exit(error.exit_code)


class IsolationRefused(click.ClickException):
    """A required isolation layer is off: no grade rather than one from a weaker worker."""

    exit_code = 3


#: ``--require-isolation`` of ``grade`` and ``autograde``.
require_isolation_option = click.option(
    "--require-isolation", metavar="LAYERS", envvar="AUTOGRADER_REQUIRE_ISOLATION", default=None,
    help="Refuse to grade (exit 3, nothing written) unless these isolation layers are on: 'all', "
         "'none', or names such as 'processes,seccomp' (default: the course's "
         "c.Autograder.require_isolation in nbgrader_config.py, else none).")


def course_root_of(course: Path | None) -> Path:
    """The course root a command was given (default: the bundled one), resolved."""
    from autograder import course as course_info

    return Path(course or course_info.default_course_root()).resolve()


def existing_course_root(course: Path | None) -> Path:
    """`course_root_of`, refused with a usage error when it is not a folder."""
    course_root = course_root_of(course)
    if not course_root.is_dir():
        raise click.UsageError(f"no course folder {course_root}")
    return course_root


def course_setting(course_root: Path, name: str) -> str:
    """``c.Autograder.<name>`` of the course's nbgrader_config.py, if it sets one ("" if not)."""
    if not (course_root / "nbgrader_config.py").is_file():
        return ""
    from traitlets.config.loader import PyFileConfigLoader

    try:
        config = PyFileConfigLoader("nbgrader_config.py", path=str(course_root)).load_config()
    except Exception as error:  # noqa: BLE001 -- whatever the instructor's file raises
        raise click.UsageError(
            f"cannot read {course_root / 'nbgrader_config.py'}: {error}"
        ) from None
    value = config.Autograder.get(name, "") if "Autograder" in config else ""
    return ",".join(value) if isinstance(value, (list, tuple)) else str(value or "")


def required_layers(requirement: str | None, course_root: Path) -> tuple[str, ...]:
    """The isolation layers required: ``requirement`` (the option), else the course's
    ``c.Autograder.require_isolation``."""
    from autograder.sandbox import policy

    text = (requirement if requirement is not None
            else course_setting(course_root, "require_isolation"))
    try:
        return policy.parse(text)
    except ValueError as error:
        raise click.UsageError(str(error)) from None


def refuse_unless_isolated(requirement: str | None, course_root: Path) -> None:
    """Refuse (exit 3) before any student code runs if a layer the course requires is off.

    The requirement also goes to every worker (through the environment), which checks it again
    before its first step.
    """
    from autograder.sandbox import isolation_report, policy

    required = required_layers(requirement, course_root)
    os.environ.pop(policy.REQUIRE_VARIABLE, None)
    if not required:
        return
    missing = policy.missing(isolation_report(), required)
    if missing:
        raise IsolationRefused(policy.refusal(missing))
    os.environ[policy.REQUIRE_VARIABLE] = ",".join(required)


@click.group(cls=_OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="autograder")
def main() -> None:
    """Grade optimization and initialization exercises and quizzes in an isolated worker."""


@main.command()
@click.argument("submission", type=click.Path(path_type=Path))
@click.option("--assignment", "-a", required=True, help="Assignment or quiz id, e.g. optimization.")
@click.option("--results", type=click.Path(path_type=Path), default=Path("results.json"),
              show_default=True, help="Where to write the Gradescope results.json.")
@click.option("--seed", type=int, default=None,
              help="Reproduce the hidden cases of an earlier run.")
@click.option("--course", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="nbgrader course root (default: the bundled assignments/).")
@click.option("--quiet", "-q", is_flag=True, help="Write results.json without printing the table.")
@click.option("--student", default=None, metavar="ID",
              help="Whose submission this is (as nbgrader's submitted/<student>/ names them): "
                   "a quiz's per-student questions are graded in this student's variant.")
@require_isolation_option
def grade(submission: Path, assignment: str, results: Path, seed: int | None,
          course: Path | None, quiet: bool, student: str | None,
          require_isolation: str | None) -> None:
    """Grade SUBMISSION (a .ipynb, a .py or a submission folder) and write results.json."""
    from autograder.sandbox import zygote

    zygote.prestart()  # the worker template imports NumPy while this process imports the grader
    from autograder import course as course_info
    from autograder.grading import grade as grade_submission
    from autograder.results import print_table, write_results

    course_root = course or course_info.default_course_root()
    try:
        found = course_info.assignment(assignment, course_root)
    except course_info.UnknownAssignment as error:
        raise click.UsageError(str(error)) from None
    if student is not None:
        from autograder.quiz.variants import StudentIdError, check_student_id

        try:
            check_student_id(student)
        except StudentIdError as error:
            raise click.UsageError(f"--student: {error}") from None
    refuse_unless_isolated(require_isolation, course_root)
    if not found.is_quiz:
        report = grade_submission(submission, assignment, course_root, seed)
    else:
        from autograder.quiz.grade import grade_quiz

        report = grade_quiz(submission, assignment, course_root.parent, student, course_root)
    write_results(report, results)
    if not quiet:
        print_table(report)


@main.group()
def selfcheck() -> None:
    """The students' self-check files shipped beside each notebook."""


@selfcheck.command("build")
@click.option("--course", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="nbgrader course root (default: the bundled assignments/).")
def selfcheck_build(course: Path | None) -> None:
    """Write selfcheck.py and selfcheck_data.json into every assignment's source folder."""
    from autograder import course as course_info
    from autograder.publish import build_self_checks

    for path, changed in build_self_checks(course or course_info.default_course_root()):
        click.echo(f"{'wrote' if changed else 'unchanged'}  {path}")

