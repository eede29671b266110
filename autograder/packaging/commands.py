"""``autograder ci init|summary|public|result`` and ``autograder gradescope build``
(click groups)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from autograder import course
from autograder.course import quiz_ids
from autograder.packaging import classroom, summary, workflow
from autograder.packaging import gradescope as gradescope_zip
from autograder.safe_files import shown


def _repo_root() -> Path:
    """The grader's repository: the one holding this package, else the nearest above the cwd."""
    for folder in (course.default_course_root().parent, Path.cwd(), *Path.cwd().parents):
        if all((folder / top).exists() for top in gradescope_zip.PROJECT):
            return folder
    raise click.UsageError("cannot find the grader's repository (pyproject.toml, autograder/, "
                           "reference/): use --root")


def _check_assignment(assignment: str, root: Path) -> None:
    try:
        course.assignment(assignment, root / "assignments")
    except course.UnknownAssignment as error:
        raise click.UsageError(str(error)) from None


@click.group()
def ci() -> None:
    """GitHub Actions for student repositories (GitHub Classroom)."""


@ci.command("init")
@click.option("--assignment", "-a", default=None,
              help="Assignment or quiz id (default: read from the notebook's metadata).")
@click.option("--dest", type=click.Path(path_type=Path, file_okay=False), default=Path("."),
              show_default=True,
              help="The student repository (template) to write "
                   ".github/workflows/autograde.yml into.")
@click.option("--notebook", default=None,
              help="The notebook to grade, relative to DEST (default: ID.ipynb).")
@click.option("--force", is_flag=True, help="Overwrite an existing workflow.")
def ci_init(assignment: str | None, dest: Path, notebook: str | None, force: bool) -> None:
    """Write the autograding workflow of a student repository.

    The workflow fetches the grader from the private repository named by the repository
    variable GRADER_REPOSITORY, with the secret GRADER_TOKEN; DEST never holds the grader.
    """
    try:
        assignment = assignment or workflow.infer_assignment(dest, notebook)
        _check_assignment(assignment, course.default_course_root().parent)
        notebook = notebook or f"{assignment}.ipynb"
        path = workflow.write_workflow(dest, workflow.workflow_text(assignment, notebook), force)
    except (workflow.WorkflowError, FileExistsError) as error:
        raise click.UsageError(str(error)) from None
    click.echo(f"wrote {path}")
    if not (dest / notebook).is_file():
        click.echo(f"note: {dest / notebook} does not exist yet; commit it beside the workflow",
                   err=True)
    click.echo("set the repository (or organization) variable GRADER_REPOSITORY and the secret "
               "GRADER_TOKEN")


def _read_results(results: Path) -> dict:
    from autograder.results import Unreadable, read_results

    try:
        return read_results(results)
    except Unreadable as error:
        raise click.UsageError(f"cannot read {shown(str(results))}: {error}") from None


@ci.command("summary")
@click.argument("results", type=click.Path(path_type=Path, dir_okay=False))
def ci_summary(results: Path) -> None:
    """Print RESULTS (a results.json) as Markdown for the job summary; the last line is
    Points X/Y."""
    click.echo(summary.markdown(_read_results(results)))


@ci.command("public")
@click.argument("results", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Where to write the copy (default: print it).")
def ci_public(results: Path, output: Path | None) -> None:
    """Write the copy of RESULTS a student may read: feedback and scores not yet published hidden.

    Every test whose visibility is not "visible" gets the output "(shown when the results are
    published)" and no score; the total stays (GitHub Classroom reads it from the log).
    """
    text = json.dumps(workflow.public_results(_read_results(results)), indent=2)
    if output is None:
        click.echo(text)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text + "\n", encoding="utf-8")


@ci.command("result")
@click.argument("results", type=click.Path(path_type=Path, dir_okay=False))
def ci_result(results: Path) -> None:
    """Print the GitHub Classroom runner result of RESULTS: base64 of its JSON document.

    The document is {"version": 1, "status", "max_score", "tests"} as the classroom-resources
    runners write it, made from the public copy of RESULTS (results not yet published are one
    test holding their points, with no name, score or feedback of their own). The workflow puts
    it in the step output `result` that classroom-resources/autograding-grading-reporter reads.
    """
    click.echo(classroom.encoded(_read_results(results)))


@click.group()
def gradescope() -> None:
    """Gradescope autograder bundles."""


#: The field of a Gradescope user that names the student in a quiz's per-student questions.
GRADESCOPE_ID_FIELDS = ("email", "sid", "id")


@gradescope.command("student")
@click.argument("metadata", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--field", type=click.Choice(GRADESCOPE_ID_FIELDS), default="email",
              show_default=True, help="Which of the submitter's fields is their student id.")
def gradescope_student(metadata: Path, field: str) -> None:
    """Print the student id of a Gradescope submission (its first submitter's FIELD, from
    submission_metadata.json), or nothing when it has none that is a usable id: run_autograder
    passes it to `autograder grade --student`.

    The file holds every previous submission's results, before "users" (Gradescope sorts its
    keys): it is read as a stream up to METADATA_BYTES, so a long history still names the
    submitter, and only the top-level "users" is looked at.
    """
    from autograder.quiz.variants import StudentIdError, check_student_id

    try:
        student = _first_user(metadata).get(field)
        student = str(student) if type(student) is int else student  # Gradescope's user id
        check_student_id(student)
    except (OSError, ValueError, AttributeError, TypeError, StudentIdError) as error:
        click.echo(f"autograder: no student id in {metadata} ({error})", err=True)
        return
    click.echo(student)


#: submission_metadata.json is read up to this many bytes (a few thousand resubmissions).
METADATA_BYTES = 256 << 20


class _Bounded:
    """A binary file that ends after ``limit`` bytes: ijson then reports incomplete JSON."""

    def __init__(self, file, limit: int) -> None:
        self.file, self.left = file, limit

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        data = self.file.read(size)
        self.left -= len(data)
        return data


def _first_user(metadata: Path) -> dict:
    """The first entry of the top-level "users" of a submission_metadata.json ({} if none)."""
    import ijson

    with open(metadata, "rb") as file:
        try:
            for user in ijson.items(_Bounded(file, METADATA_BYTES), "users.item", use_float=True):
                if not isinstance(user, dict):
                    raise TypeError(f"a user is {type(user).__name__}, not an object")
                return user
        except ijson.JSONError as error:
            raise ValueError(f"not JSON, or over {METADATA_BYTES} bytes: {error}") from None
    return {}


@gradescope.command("build")
@click.argument("assignment")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Where to write the zip (default: ./autograder_ID.zip).")
@click.option("--root", type=click.Path(path_type=Path, file_okay=False, exists=True), default=None,
              help="The grader's repository (default: the one holding this package).")
def gradescope_build(assignment: str, output: Path | None, root: Path | None) -> None:
    """Build the Gradescope autograder zip of ASSIGNMENT (setup.sh, run_autograder, the grader)."""
    root = root or _repo_root()
    _check_assignment(assignment, root)
    try:
        path, count = gradescope_zip.build(root, assignment, quiz_ids(root),
                                           output or Path(f"autograder_{assignment}.zip"))
    except gradescope_zip.BundleError as error:
        raise click.UsageError(str(error)) from None
    click.echo(f"wrote {path} ({count} files); upload it as the autograder of {assignment} "
               "on Gradescope")
