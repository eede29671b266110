"""Rendering a quiz bank to its nbgrader source notebook.

``build_quiz(quiz, course_root)`` writes, under the nbgrader course root (``assignments/``):

* ``source/<quiz id>/<quiz id>.ipynb``: a title cell, then per item a markdown cell with the
  prompt and the lettered choices and an answer cell (nbgrader ``grade_id`` = item id);
* ``source/<quiz id>/quizcheck.py``: ``answers.py`` itself (standard library only; a link in
  the bundled course, a copy elsewhere: `autograder.shipped`), which the check cells import
  (only for quizzes with choice or numeric items);
* for a quiz with per-student items (shuffled choices, numeric items): ``quizvariants.py``
  (``variants.py``, shipped the same way), and ``quizvariants.json``: the quiz's salt (made once
  from the course secret, then kept: ``personalize``), each shuffled item's choice texts (in an
  order drawn from the salt and the texts, ``personalize.listed_order``, not the bank's) and
  each numeric item's template and parameter ranges. The notebook's first code cell makes the
  student's ``QuizVariant``; under each such question's prompt a locked cell shows it in the
  student's variant (the prompt cell cannot: markdown is the same for everyone).

Where the points live: on a locked autograder-tests cell ``test_<item id>`` right after each
choice item's answer cell, as for the exercises (``docs/ARCHITECTURE.md``). That cell only
checks the *form* of the answer, so nbgrader never needs the key; our grader
(``scoring.score_item``) is what scores answers against the key. A free-response item's answer
cell is a markdown "manually graded answer" cell (grade + solution) that carries the points
itself; its rubric stays in the bank.

Nothing from the key, the explanations, the rubrics or the answer functions is written (the
salt is only in ``quizvariants.json``, so the notebook does not depend on the secret). The
answer cell prefills ``<item id> = None`` inside nbgrader's solution region, so the
instructor's notebook runs as is; ``nbgrader generate_assignment`` replaces that region with
the course's code stub.

Output is deterministic: fixed cell ids derived from item ids, sorted JSON keys, no timestamps;
code cells are already in `ruff format` style, so formatting the tree changes no byte.
A file is only rewritten when its bytes change.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

from autograder.quiz import personalize
from autograder.quiz.answers import format_hint, number_hint
from autograder.quiz.bank import FREE_RESPONSE, MULTIPLE, NUMERIC, VARIANT_NAME, Item, Quiz
from autograder.shipped import ship_module, write_if_changed

CHECK_MODULE = "quizcheck"
VARIANTS_MODULE = "quizvariants"
NBGRADER_SCHEMA_VERSION = 3
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def notebook_path(quiz_id: str, course_root: Path) -> Path:
    return Path(course_root) / "source" / quiz_id / f"{quiz_id}.ipynb"


def build_quiz(quiz: Quiz, course_root: Path | str) -> dict[Path, bool]:
    """Write the quiz's source notebook and check module; map each path to whether it changed."""
    notebook = notebook_path(quiz.id, Path(course_root))
    notebook.parent.mkdir(parents=True, exist_ok=True)
    written = {notebook: write_if_changed(notebook, render_notebook_text(quiz))}
    if any(item.type != FREE_RESPONSE for item in quiz.items):
        written.update(_copy_module("answers.py", notebook.parent / f"{CHECK_MODULE}.py"))
    if quiz.per_student:
        written.update(_copy_module("variants.py", notebook.parent / f"{VARIANTS_MODULE}.py"))
        salt = (
            personalize.kept_salt(course_root, quiz.id)
            or personalize.make_salt(course_root, quiz.id)
        )
        data = personalize.data_path(course_root, quiz.id)
        written[data] = write_if_changed(data, render_variants_text(quiz, salt))
    return written


def _copy_module(name: str, destination: Path) -> dict[Path, bool]:
    return {destination: ship_module(Path(__file__).parent / name, destination)}


def render_variants_text(quiz: Quiz, salt: str) -> str:
    """``quizvariants.json``: what the student's kernel needs to show each per-student item in
    their variant (the salt, choice texts in their listed order, templates, ranges); no key, no
    answer function, nothing of the bank's order of the choices."""
    items = {}
    for item in quiz.items:
        if item.type == NUMERIC:
            items[item.id] = {"prompt": item.prompt, "parameters": dict(item.parameters)}
        elif item.shuffle:  # never in the bank's order, which may give the key away
            texts = list(item.choices.values())
            items[item.id] = {
                "choices": [texts[index] for index in personalize.listed_order(item, salt)]
            }
    data = {"quiz": quiz.id, "salt": salt, "items": items}
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def render_notebook_text(quiz: Quiz) -> str:
    """The notebook file's exact text."""
    return nbformat.writes(render_notebook(quiz)) + "\n"


def render_notebook(quiz: Quiz) -> NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "autograder": {"assignment": quiz.id, "kind": "quiz"},
        "kernelspec": KERNELSPEC,
        "language_info": {"name": "python"},
    }
    nb.cells = [nbformat.v4.new_markdown_cell(_introduction(quiz), id="quiz-title")]
    if quiz.per_student:
        nb.cells.append(_variant_setup_cell(quiz))
    for number, item in enumerate(quiz.items, start=1):
        nb.cells.append(
            nbformat.v4.new_markdown_cell(_question(number, item), id=f"{item.id}-prompt")
        )
        if item.per_student:
            nb.cells.append(_variant_cell(item))
        if item.type == FREE_RESPONSE:
            nb.cells.append(_free_response_cell(item))
        else:
            nb.cells += [_answer_cell(item), _check_cell(item)]
    nbformat.validate(nb)
    return nb


def _introduction(quiz: Quiz) -> str:
    kinds = {item.type for item in quiz.items}
    lines = [f"# {quiz.title}", ""]
    if quiz.per_student:
        lines += [
            (
                "Some questions are your own: their choices come in an order of yours, or their "
                "numbers are yours, drawn from your student id. Run the first code cell before "
                "the others; it takes your id from JupyterHub, or asks for it. Your answers are "
                "read in the variant of the id your submission is filed under."
            ),
            "",
        ]
    if kinds - {FREE_RESPONSE}:
        lines += [
            (
                "Answer each question by binding its name in the code cell below it: one letter "
                'in quotes such as `"A"` for a single choice, a list of letters such as '
                '`["A", "C"]` when several may be right (a wrong pick costs as much as a right '
                "pick earns)"
                + (
                    ", a number such as `0.0125` for a numeric question."
                    if NUMERIC in kinds
                    else "."
                )
            ),
            "",
            (
                "Run the check cell under each answer: it tests only the *form* of your answer. "
                "Your answers are scored against the key after you submit."
            ),
            "",
        ]
    if FREE_RESPONSE in kinds:
        lines += [
            (
                "Write each free-response answer in the text cell below its question; "
                "these answers are graded by hand."
            ),
            "",
        ]
    when = {
        "immediately": "as soon as your submission is graded",
        "after_due_date": "after the due date",
    }[quiz.explanations]
    shown = "your score and the explanations" if kinds - {FREE_RESPONSE} else "your score"
    lines.append(f"You see {shown} {when}.")
    return "\n".join(lines)


def _question(number: int, item: Item) -> str:
    points = f"{item.points:g} point{'s' if item.points != 1 else ''}"
    lines = [f"### Question {number} ({points})", "", item.prompt]
    if item.type == NUMERIC:
        return "\n".join(
            [*lines[:2], "*Run the cell below: it shows your question, with your numbers.*"]
        )
    if item.type == MULTIPLE:
        lines += ["", "*Select all that apply.*"]
    if item.shuffle:
        lines += ["", "*Run the cell below: it shows the choices, in your order.*"]
    elif item.choices:
        lines.append("")
        lines += [f"- **{letter}.** {text}" for letter, text in item.choices.items()]
    return "\n".join(lines)


def _nbgrader(
    grade_id: str, *, grade: bool, solution: bool, locked: bool, points: float | None = None
) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": NBGRADER_SCHEMA_VERSION,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _answer_hint(item: Item) -> str:
    if item.type == NUMERIC:
        count = len(item.answer_function.returns)
        of = "" if count == 1 else f" ({', '.join(item.answer_function.returns)})"
        # on two comment lines: on one, the tolerance would take the cell past ruff's 100 columns
        return (
            f"# your answer: {number_hint(count)}{of};\n"
            f"# right when {item.tolerance.describe()}"
        )
    order = " in the order shown above" if item.shuffle else ""
    return f"# your answer: {format_hint(item.type)}; choices {', '.join(item.letters)}{order}"


def _variant_setup_cell(quiz: Quiz) -> NotebookNode:
    source = "\n".join(
        [
            "# Your variant of this quiz (your student id picks it). Run this cell first.",
            f"from {VARIANTS_MODULE} import QuizVariant",
            "",
            f"{VARIANT_NAME} = QuizVariant({json.dumps(quiz.id)})",
        ]
    )
    return nbformat.v4.new_code_cell(
        source,
        id="quiz-variant",
        metadata=_nbgrader("quiz-variant", grade=False, solution=False, locked=True),
    )


def _variant_cell(item: Item) -> NotebookNode:
    return nbformat.v4.new_code_cell(
        f"{VARIANT_NAME}.show({json.dumps(item.id)})",
        id=f"{item.id}-variant",
        metadata=_nbgrader(f"{item.id}-variant", grade=False, solution=False, locked=True),
    )


def _answer_cell(item: Item) -> NotebookNode:
    source = "\n".join(
        [
            _answer_hint(item),
            "### BEGIN SOLUTION",
            f"{item.id} = None",
            "### END SOLUTION",
        ]
    )
    return nbformat.v4.new_code_cell(
        source,
        id=f"{item.id}-answer",
        metadata=_nbgrader(item.id, grade=False, solution=True, locked=False),
    )


def _check_cell(item: Item) -> NotebookNode:
    # One argument per line with a trailing comma: `ruff format` leaves the cell as it is.
    if item.type == NUMERIC:
        check = "check_number_format"
        arguments = [json.dumps(item.id), item.id, f"count={len(item.answer_function.returns)}"]
    else:
        check = "check_answer_format"
        arguments = [
            json.dumps(item.id),
            item.id,
            f"kind={json.dumps(item.type)}",
            f"choices={json.dumps(''.join(item.letters))}",
        ]
    source = "\n".join(
        [
            "# Checks the form of your answer only; it is scored against the key after you submit.",
            f"from {CHECK_MODULE} import {check}",
            "",
            f"{check}(",
            *(f"    {argument}," for argument in arguments),
            ")",
        ]
    )
    return nbformat.v4.new_code_cell(
        source,
        id=f"test_{item.id}",
        metadata=_nbgrader(
            f"test_{item.id}", grade=True, solution=False, locked=True, points=item.points
        ),
    )


def _free_response_cell(item: Item) -> NotebookNode:
    return nbformat.v4.new_markdown_cell(
        "YOUR ANSWER HERE",
        id=f"{item.id}-answer",
        metadata=_nbgrader(item.id, grade=True, solution=True, locked=False, points=item.points),
    )
