"""Rendering banks to nbgrader source notebooks: cells, grade ids, metadata, determinism."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.quiz import build_quiz, load_quiz, notebook_path
from autograder.quiz.answers import AnswerFormError, check_answer_format
from autograder.quiz.render import render_notebook, render_notebook_text

REPO = Path(__file__).resolve().parents[1]
VARIANT_FILES = ("quizcheck.py", "quizvariants.py", "quizvariants.json")
OPTIMIZATION = load_quiz(REPO / "quizzes" / "optimization_quiz.yaml")
INITIALIZATION = load_quiz(REPO / "quizzes" / "initialization_quiz.yaml")


def nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def test_notebook_metadata_names_the_quiz():
    nb = render_notebook(OPTIMIZATION)
    assert nb.metadata["autograder"] == {"assignment": "optimization_quiz", "kind": "quiz"}
    assert nb.metadata["kernelspec"]["name"] == "python3"
    nbformat.validate(nb)


def test_title_then_prompt_answer_and_check_cell_per_choice_item():
    cells = render_notebook(OPTIMIZATION).cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# Quiz: optimization")
    fixed = [item for item in OPTIMIZATION.items if not item.per_student]
    for index, item in enumerate(fixed):
        prompt, answer, check = cells[2 + 3 * index : 5 + 3 * index]  # after the variant cell
        assert prompt.cell_type == "markdown" and "nbgrader" not in prompt.metadata
        for letter, text in item.choices.items():
            assert f"- **{letter}.** {text}" in prompt.source
        assert answer.cell_type == "code"
        assert nbgrader(answer) | {} == {
            "grade": False,
            "grade_id": item.id,
            "locked": False,
            "schema_version": 3,
            "solution": True,
            "task": False,
        }
        assert f"{item.id} = None" in answer.source
        assert check.cell_type == "code"
        assert nbgrader(check)["grade_id"] == f"test_{item.id}"
        assert nbgrader(check)["points"] == item.points
        assert nbgrader(check)["grade"] and nbgrader(check)["locked"]
        assert not nbgrader(check)["solution"]


def test_answer_cells_show_the_answer_format():
    cells = {cell.id: cell for cell in render_notebook(OPTIMIZATION).cells}
    assert '# your answer: one letter in quotes such as "A"; choices A, B, C' in (
        cells["most_variance-answer"].source
    )
    assert '["A", "C"]' in cells["different_influence-answer"].source
    assert "Select all that apply" in cells["different_influence-prompt"].source


def test_free_response_items_get_a_manually_graded_markdown_cell_without_the_rubric():
    nb = render_notebook(INITIALIZATION)
    answers = [cell for cell in nb.cells if nbgrader(cell)]
    assert [nbgrader(cell)["grade_id"] for cell in answers] == [
        "constant_weight_variance",
        "relu_assumption",
    ]
    for cell in answers:
        assert cell.cell_type == "markdown"
        meta = nbgrader(cell)
        assert meta["grade"] and meta["solution"] and meta["points"] == 2.0
    text = render_notebook_text(INITIALIZATION)
    for item in INITIALIZATION.items:
        assert item.rubric not in text
        assert item.rubric[:30] not in text


def test_rendering_does_not_depend_on_keys_explanations_or_rubrics():
    """The notebook cannot leak what it never reads: changing them changes no byte."""
    scrambled = dataclasses.replace(
        OPTIMIZATION,
        items=tuple(
            dataclasses.replace(
                item,
                answer=tuple(reversed(item.letters))[: len(item.answer)],
                explanations={letter: "SECRET" for letter in item.letters},
            )
            for item in OPTIMIZATION.items
        ),
    )
    assert render_notebook_text(scrambled) == render_notebook_text(OPTIMIZATION)
    rubricless = dataclasses.replace(
        INITIALIZATION,
        items=tuple(dataclasses.replace(item, rubric="SECRET") for item in INITIALIZATION.items),
    )
    assert render_notebook_text(rubricless) == render_notebook_text(INITIALIZATION)


def test_no_explanation_text_appears_in_the_notebook():
    text = render_notebook_text(OPTIMIZATION)
    for item in OPTIMIZATION.items:
        for explanation in item.explanations.values():
            assert explanation[:40] not in text


def test_build_is_deterministic_and_reports_unchanged_files(tmp_path):
    first = build_quiz(OPTIMIZATION, tmp_path)
    path = notebook_path("optimization_quiz", tmp_path)
    assert path == tmp_path / "source" / "optimization_quiz" / "optimization_quiz.ipynb"
    assert (set(first) == {path, *(path.parent / name for name in VARIANT_FILES)}
            and all(first.values()))
    snapshot = {p: p.read_bytes() for p in first}
    second = build_quiz(OPTIMIZATION, tmp_path)
    assert not any(second.values())
    assert {p: p.read_bytes() for p in second} == snapshot


def test_build_rewrites_a_notebook_that_differs(tmp_path):
    path = notebook_path("optimization_quiz", tmp_path)
    build_quiz(OPTIMIZATION, tmp_path)
    expected = path.read_bytes()
    path.write_text("{}", encoding="utf-8")
    assert build_quiz(OPTIMIZATION, tmp_path)[path] is True
    assert path.read_bytes() == expected


def test_notebook_file_has_sorted_keys_and_no_timestamps():
    text = render_notebook_text(OPTIMIZATION)
    data = json.loads(text)
    assert text == json.dumps(data, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    assert "date" not in text.lower() or "after_due_date" not in json.dumps(data["metadata"])
    assert [cell["id"] for cell in data["cells"]][:5] == [
        "quiz-title",
        "quiz-variant",
        "most_variance-prompt",
        "most_variance-answer",
        "test_most_variance",
    ]


def test_the_committed_notebooks_are_up_to_date():
    for quiz in (OPTIMIZATION, INITIALIZATION):
        path = notebook_path(quiz.id, REPO / "assignments")
        assert path.read_text(encoding="utf-8") == render_notebook_text(quiz), (
            f"{path} is stale: run `autograder quiz build`"
        )


def test_free_response_only_quiz_ships_no_check_module(tmp_path):
    assert [p.name for p in build_quiz(INITIALIZATION, tmp_path)] == ["initialization_quiz.ipynb"]


def test_check_module_is_a_verbatim_copy_of_the_answer_reader(tmp_path):
    build_quiz(OPTIMIZATION, tmp_path)
    shipped = notebook_path("optimization_quiz", tmp_path).parent / "quizcheck.py"
    own = REPO / "autograder" / "quiz" / "answers.py"
    assert shipped.read_bytes() == own.read_bytes()


def test_check_cells_run_against_the_students_answers(tmp_path, capsys, monkeypatch):
    build_quiz(OPTIMIZATION, tmp_path)
    monkeypatch.syspath_prepend(str(notebook_path("optimization_quiz", tmp_path).parent))
    namespace: dict = {"most_variance": " b ", "different_influence": ["A"]}
    checks = {
        c.id: c.source for c in render_notebook(OPTIMIZATION).cells if c.id.startswith("test_")
    }
    # Running the generated check cells is the point of this test.
    exec(checks["test_most_variance"], namespace)  # noqa: S102
    exec(checks["test_different_influence"], namespace)  # noqa: S102
    assert "most_variance: the form is right (B)" in capsys.readouterr().out
    namespace["most_variance"] = ["B"]
    with pytest.raises(AssertionError, match="most_variance: expected one letter"):
        exec(checks["test_most_variance"], namespace)  # noqa: S102


@pytest.mark.parametrize(
    ("value", "kind", "message"),
    [
        (None, "single", "not answered"),
        ("Z", "single", "not one of the choices"),
        (["A", "Z"], "multiple", '"Z" not among the choices'),
        ("A, D", "multiple", "expected a list"),
    ],
)
def test_the_format_check_rejects_what_the_grader_would_not_fully_read(value, kind, message):
    with pytest.raises(AnswerFormError, match=message):
        check_answer_format("q", value, kind, "ABCD")


def test_ruff_format_leaves_the_notebooks_unchanged(tmp_path):
    """Colleagues format the tree with ruff; the generated notebooks must survive it byte for
    byte."""
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    build_quiz(OPTIMIZATION, tmp_path)
    path = notebook_path("optimization_quiz", tmp_path)
    before = path.read_bytes()
    subprocess.run([ruff, "format", "--no-cache", str(path)], check=True, capture_output=True)
    assert path.read_bytes() == before
