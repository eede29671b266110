"""Malformed submissions: each gets a results.json, score 0 and a message that says what is
wrong and what to do; notebooks that are only unusual (nbformat 3, magics, duplicated or
untagged cells, big outputs) are graded normally.
"""

from __future__ import annotations

import json

import nbformat
import pytest
from support.grading import (
    OPTIMIZATION_NAMES,
    by_name,
    cell_of,
    clone,
    full_marks,
    index_of,
    invoke_cli,
    named_tests,
    read_results,
    run_cli,
    source_notebook,
    write_notebook,
)

from autograder import grading
from autograder.submission import MAX_BYTES


@pytest.fixture(scope="module")
def notebook():
    return source_notebook("optimization")


# ---------------------------------------------------------------------------------------------
# Unreadable: score 0 for every name, one message saying why and what to do, via the CLI


def _bytes_cases(tmp):
    folder = tmp / "empty_folder"
    folder.mkdir()
    (folder / "notes.txt").write_text("my notes")
    huge = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
            "pad": "x" * (MAX_BYTES + 10)}
    return {
        "empty.ipynb": (tmp / "empty.ipynb", b"", "empty"),
        "blank.py": (tmp / "blank.py", b"\n  \n", "empty"),
        "invalid.ipynb": (tmp / "invalid.ipynb", b'{"cells": [', "JSON is damaged"),
        "list.ipynb": (tmp / "list.ipynb", b"[1, 2, 3]", "not a Jupyter notebook"),
        "other.ipynb": (tmp / "other.ipynb", b'{"name": "not a notebook"}',
                        "not a Jupyter notebook"),
        "latin1.ipynb": (tmp / "latin1.ipynb", b'{"cells": [], "x": "caf\xe9"}', "not UTF-8"),
        "latin1.py": (tmp / "latin1.py", b"# caf\xe9\nx = 1\n", "not UTF-8"),
        "answers.txt": (tmp / "answers.txt", b"def update_lr(): pass\n", "neither a notebook"),
        "missing.ipynb": (tmp / "missing.ipynb", None, "does not exist"),
        "folder": (folder, None, "holds no notebook"),
        "huge.ipynb": (tmp / "huge.ipynb", json.dumps(huge).encode(), "clear all outputs"),
    }


@pytest.fixture(scope="module")
def unreadable(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("unreadable")
    outcomes = {}
    for key, (path, data, _) in _bytes_cases(tmp).items():
        if data is not None:
            path.write_bytes(data)
        out = tmp / "results" / f"{key}.json"
        outcomes[key] = (invoke_cli("grade", str(path), "--assignment", "optimization",
                                    "--results", str(out), "-q"), out)
    return tmp, outcomes


MESSAGES = {
    "empty.ipynb": "empty", "blank.py": "empty", "invalid.ipynb": "JSON is damaged",
    "list.ipynb": "not a Jupyter notebook", "other.ipynb": "not a Jupyter notebook",
    "latin1.ipynb": "not UTF-8", "latin1.py": "not UTF-8", "answers.txt": "neither a notebook",
    "missing.ipynb": "does not exist", "folder": "holds no notebook",
    "huge.ipynb": "clear all outputs",
}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_an_unreadable_submission_gets_zero_and_a_message_saying_what_to_do(unreadable, key):
    _, outcomes = unreadable
    (code, _, stderr), out = outcomes[key]
    assert code == 0, stderr
    assert stderr == ""
    data = read_results(out)
    assert data["score"] == 0
    assert [test["name"] for test in data["tests"]] == OPTIMIZATION_NAMES
    message = data["tests"][0]["output"]
    assert message.startswith("Your submission could not be read")
    assert all(test["output"] == message for test in data["tests"])
    assert MESSAGES[key] in message, message
    assert out.stat().st_size < 20_000


# ---------------------------------------------------------------------------------------------
# Unusual notebooks that must still be graded


def test_an_nbformat_3_notebook_is_converted_and_graded_fully(notebook, tmp_path):
    old = nbformat.convert(clone(notebook), 3)
    path = tmp_path / "optimization.ipynb"
    path.write_text(nbformat.writes(old, version=3))
    assert json.loads(path.read_text())["nbformat"] == 3
    report = grading.grade(path, "optimization", seed=41)
    assert report.score == report.max_score == 15


def test_deleted_solution_cells_cost_their_names_with_a_message(notebook, tmp_path):
    edited = clone(notebook)
    for name in ("update_lr", "initialize_adam"):
        del edited.cells[index_of(edited, name)]
    results = by_name(grading.grade(
        write_notebook(edited, tmp_path / "optimization.ipynb"), "optimization", seed=42))
    for name in ("update_lr", "initialize_adam"):
        assert results[name].score == 0
        assert (f"no cell defines {name}" in results[name].output
                and "Copy it back" in results[name].output)
    assert sum(full_marks(r) for r in results.values()) == 8


def test_duplicated_solution_cells_the_last_one_counts(notebook, tmp_path):
    edited = clone(notebook)
    wrong_lr = clone(cell_of(edited, "update_lr"))
    wrong_lr.id = "update-lr-copy"
    wrong_lr.source = ("def update_lr(learning_rate0, epoch_num, decay_rate):\n"
                       "    return learning_rate0\n")
    # the wrong copy after the right one
    edited.cells.insert(index_of(edited, "update_lr") + 1, wrong_lr)
    right_gd = clone(cell_of(edited, "update_parameters_with_gd"))
    right_gd.id = "update-parameters-with-gd-copy"
    wrong_gd = cell_of(edited, "update_parameters_with_gd")
    wrong_gd.source = ("def update_parameters_with_gd(parameters, grads, learning_rate):\n"
                       "    return parameters\n")
    # the right copy last
    edited.cells.insert(index_of(edited, "update_parameters_with_gd") + 1, right_gd)
    report = grading.grade(write_notebook(edited, tmp_path / "optimization.ipynb"), "optimization",
                           seed=43)
    results = by_name(report)
    assert results["update_lr"].score < results["update_lr"].max_score
    assert full_marks(results["update_parameters_with_gd"])
    assert any("the last one counts" in note for note in report.notes)
    assert report.score < 15 and sum(full_marks(r) for r in report.results) == 9


def test_a_syntax_error_in_one_cell_costs_only_that_name(notebook, tmp_path):
    edited = clone(notebook)
    cell_of(edited, "update_parameters_with_momentum").source += "\n    return (\n"
    results = by_name(grading.grade(
        write_notebook(edited, tmp_path / "optimization.ipynb"), "optimization", seed=44))
    assert results["update_parameters_with_momentum"].score == 0
    assert "SyntaxError" in results["update_parameters_with_momentum"].output
    assert all(full_marks(r) for n, r in results.items() if n != "update_parameters_with_momentum")


def test_ipython_magics_and_shell_lines_in_student_cells_are_graded_fully(notebook, tmp_path):
    edited = clone(notebook)
    cell_of(edited, "update_parameters_with_gd").source = (
        "%%time\n" + cell_of(edited, "update_parameters_with_gd").source)
    cell_of(edited, "random_mini_batches").source = (
        "!pip install numpy\n%time x = 1\n" + cell_of(edited, "random_mini_batches").source)
    cell_of(edited, "update_lr").source = (
        "%load_ext autoreload\n%autoreload 2\n" + cell_of(edited, "update_lr").source)
    # an indented magic inside the function body
    cell_of(edited, "initialize_adam").source += "\n    %timeit 1\n"
    edited.cells.append(nbformat.v4.new_code_cell("%%bash\nrm -rf /\n"))
    report = grading.grade(write_notebook(edited, tmp_path / "optimization.ipynb"), "optimization",
                           seed=45)
    assert report.score == report.max_score, [
        (r.name, r.output) for r in report.results if not full_marks(r)]


def test_huge_outputs_stored_in_the_notebook_are_ignored(notebook, tmp_path):
    edited = clone(notebook)
    cell = cell_of(edited, "update_lr")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * 5_000_000)]
    cell.execution_count = 3
    report = grading.grade(write_notebook(edited, tmp_path / "optimization.ipynb"), "optimization",
                           seed=46)
    assert report.score == report.max_score


def test_a_solution_without_its_grade_id_is_found_with_a_note(notebook, tmp_path):
    edited = clone(notebook)
    del cell_of(edited, "update_lr").metadata["nbgrader"]
    report = grading.grade(write_notebook(edited, tmp_path / "optimization.ipynb"), "optimization",
                           seed=47)
    assert report.score == report.max_score
    assert any("update_lr was found in a cell without its grade_id" in note
               for note in report.notes)


def test_a_submission_folder_with_the_notebook_is_graded(notebook, tmp_path):
    folder = tmp_path / "submitted" / "student" / "optimization"
    write_notebook(clone(notebook), folder / "optimization.ipynb")
    (folder / "scratch.txt").write_text("notes")
    out = tmp_path / "results.json"
    process = run_cli("grade", str(folder), "--assignment", "optimization", "--results", str(out),
                      "-q")
    assert process.returncode == 0, process.stderr
    data = read_results(out)
    assert data["score"] == data["max_score"] == 15
    assert named_tests(data).keys() == set(OPTIMIZATION_NAMES)
