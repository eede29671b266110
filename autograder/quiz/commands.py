"""``autograder quiz validate|build|variant``: the item bank's command line (a click group)."""

from __future__ import annotations

from pathlib import Path

import click

from autograder.quiz.bank import (
    NUMERIC,
    BankInvalid,
    bank_paths,
    load_quiz,
    quiz_id_of,
    validate_bank,
)
from autograder.quiz.render import build_quiz


def find_repo_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that holds both ``quizzes/`` and
    ``assignments/``."""
    for folder in (start, *start.parents):
        if (folder / "quizzes").is_dir() and (folder / "assignments").is_dir():
            return folder
    return None


def _bank(root: Path, quiz_id: str) -> Path:
    available = {quiz_id_of(path): path for path in bank_paths(root)}
    if quiz_id not in available:
        known = ", ".join(sorted(available)) or "none"
        raise click.UsageError(f"unknown quiz {quiz_id} (quizzes: {known})")
    return available[quiz_id]


def _shown(path: Path, root: Path) -> str:
    try:  # the folder resolved, not the file: a shipped module may be a link into the package
        return str(path.parent.resolve().relative_to(root.resolve()) / path.name)
    except ValueError:
        return str(path)


@click.group(name="quiz")
@click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Repository root (holds quizzes/ and assignments/); default: found from the cwd.",
)
@click.pass_context
def quiz(ctx: click.Context, root: Path | None) -> None:
    """Validate the quiz item banks (quizzes/*.yaml) and build the quiz notebooks."""
    if root is None:
        root = find_repo_root(Path.cwd())
        if root is None:
            raise click.UsageError(
                "no quizzes/ and assignments/ above the current folder; use --root"
            )
    ctx.obj = root


@quiz.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_obj
def validate(root: Path, paths: tuple[Path, ...]) -> None:
    """Check bank files against the schema and the semantic rules (default: all of quizzes/)."""
    files = list(paths) or bank_paths(root)
    if not files:
        raise click.UsageError(f"no bank files in {root / 'quizzes'}")
    failed = False
    for path in files:
        errors = validate_bank(path)
        if errors:
            failed = True
            for error in errors:
                click.echo(str(error), err=True)
        else:
            click.echo(f"OK {_shown(path, root)}")
    if failed:
        raise SystemExit(1)


@quiz.command()
@click.argument("quiz_ids", nargs=-1)
@click.pass_obj
def build(root: Path, quiz_ids: tuple[str, ...]) -> None:
    """Write the nbgrader source notebook of each quiz (default: all quizzes)."""
    available = {quiz_id_of(path): path for path in bank_paths(root)}
    unknown = [quiz_id for quiz_id in quiz_ids if quiz_id not in available]
    if unknown:
        known = ", ".join(sorted(available)) or "none"
        raise click.UsageError(f"unknown quiz {', '.join(unknown)} (quizzes: {known})")
    failed = False
    for quiz_id in quiz_ids or sorted(available):
        try:
            bank = load_quiz(available[quiz_id])
        except BankInvalid as invalid:
            failed = True
            for error in invalid.errors:
                click.echo(str(error), err=True)
            continue
        for path, changed in build_quiz(bank, root / "assignments").items():
            click.echo(f"{'written' if changed else 'unchanged':9} {_shown(path, root)}")
    if failed:
        raise SystemExit(1)


@quiz.command()
@click.argument("quiz_id")
@click.option("--student", "-s", "students", multiple=True, required=True,
              help="A student id, as the submission is filed (repeat for several).")
@click.option("--course", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="nbgrader course root holding the quiz's salt (default: ROOT/assignments).")
@click.pass_obj
def variant(root: Path, quiz_id: str, students: tuple[str, ...], course: Path | None) -> None:
    """Print each student's variant of QUIZ_ID and the answers that earn full marks (the key:
    for the instructor only)."""
    from autograder.quiz.personalize import VariantsUnavailable, right_answers, student_variants
    from autograder.quiz.variants import fill, format_value

    try:
        bank = load_quiz(_bank(root, quiz_id))
    except BankInvalid as invalid:
        raise click.UsageError(str(invalid)) from None
    for student in students:
        try:
            variants = student_variants(bank, course or root / "assignments", student)
        except VariantsUnavailable as error:
            raise click.UsageError(str(error)) from None
        key = right_answers(bank, variants)
        click.echo(f"{quiz_id}, student id {student!r}:")
        for item in bank.items:
            if item.id not in variants:
                continue
            chosen = variants[item.id]
            if item.type == NUMERIC:
                numbers = ", ".join(f"{k} = {format_value(v)}" for k, v in chosen.values.items())
                click.echo(f"  {item.id}: {numbers}")
                click.echo(f"    {fill(item.prompt, chosen.values)}")
            else:
                click.echo(f"  {item.id}: the bank's {', '.join(chosen.record(item)['order'])} "
                           f"shown as {', '.join(item.letters)}")
                for shown, bank_letter in chosen.bank_letters(item).items():
                    click.echo(f"    {shown}. {item.choices[bank_letter]}")
            click.echo(f"    full marks: {item.id} = {key[item.id]!r}")
