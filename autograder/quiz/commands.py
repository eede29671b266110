"""``autograder quiz validate|build``: the item bank's command line (a click group)."""

from __future__ import annotations

from pathlib import Path

import click

from autograder.quiz.bank import BankInvalid, bank_paths, load_quiz, quiz_id_of, validate_bank
from autograder.quiz.render import build_quiz


def find_repo_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that holds both ``quizzes/`` and ``assignments/``."""
    for folder in (start, *start.parents):
        if (folder / "quizzes").is_dir() and (folder / "assignments").is_dir():
            return folder
    return None


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
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
