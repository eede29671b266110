"""Gradescope's results specification as a JSON Schema, and every kind of results.json we write.

The schema (``autograder/packaging/schemas/gradescope_results.json``) is also the hook of the
results readers of the other tests (``support.grading.read_results``,
``test_packaging_gradescope.results_of``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import nbformat
import pytest
from support.grading import read_results, run_cli, source_notebook

from autograder.packaging import results_errors, schema, template

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "autograder" / "samples"

#: The example of Gradescope's specification ("Output format"), comments dropped.
SPEC_EXAMPLE = {
    "score": 44.0,
    "execution_time": 136,
    "output": "Text relevant to the entire submission",
    "output_format": "simple_format",
    "test_output_format": "text",
    "test_name_format": "text",
    "visibility": "after_due_date",
    "stdout_visibility": "visible",
    "extra_data": {},
    "tests": [
        {
            "score": 2.0, "max_score": 2.0, "status": "passed", "name": "Your name here",
            "name_format": "text", "number": "1.1",
            "output": ("Giant multiline string that will be placed in a <pre> tag and collapsed "
                       "by default"),
            "output_format": "text", "tags": ["tag1", "tag2", "tag3"], "visibility": "visible",
            "extra_data": {},
        },
    ],
    "leaderboard": [
        {"name": "Accuracy", "value": 0.926},
        {"name": "Time", "value": 15.1, "order": "asc"},
        {"name": "Stars", "value": "*****"},
    ],
}


def test_the_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(schema())


def test_the_specifications_own_example_is_valid():
    assert results_errors(SPEC_EXAMPLE) == []


def test_informational_tests_need_only_a_status():
    assert results_errors({"tests": [{"name": "Compilation check", "status": "passed"}]}) == []


@pytest.mark.parametrize(("change", "where"), [
    ({"visiblity": "visible"}, "'visiblity' was unexpected"),
    ({"visibility": "public"}, "$.visibility"),
    ({"output_format": "markdown"}, "$.output_format"),
    ({"score": "44"}, "$.score"),
    ({"execution_time": -1}, "$.execution_time"),
    ({"leaderboard": [{"name": "Time", "value": 1, "order": "up"}]}, "$.leaderboard[0].order"),
])
def test_a_misspelt_or_mistyped_top_level_field_is_refused(change, where):
    errors = results_errors({**SPEC_EXAMPLE, **change})
    assert errors and where in " ".join(errors)


@pytest.mark.parametrize(("change", "where"), [
    ({"status": "pass"}, "$.tests[0].status"),  # GitHub Classroom's word, not Gradescope's
    ({"score": None}, "$.tests[0].score"),
    ({"number": 1.1}, "$.tests[0].number"),
    ({"tags": "tag1"}, "$.tests[0].tags"),
    ({"extra_data": []}, "$.tests[0].extra_data"),
    ({"hint": "x"}, "'hint' was unexpected"),
])
def test_a_misspelt_or_mistyped_test_field_is_refused(change, where):
    errors = results_errors({**SPEC_EXAMPLE, "tests": [{**SPEC_EXAMPLE["tests"][0], **change}]})
    assert errors and where in " ".join(errors)


def test_a_result_without_a_score_anywhere_is_refused():
    assert results_errors({"output": "nothing graded"}) != []
    assert results_errors({"tests": [{"name": "update_lr", "max_score": 1}]}) != []


def test_the_placeholder_run_autograder_leaves_when_the_grader_cannot_start_is_valid():
    script = template("run_autograder", ASSIGNMENT="optimization")
    (placeholder,) = re.findall(r"<<'JSON'\n(.*?)\nJSON\n", script, re.DOTALL)
    assert results_errors(json.loads(placeholder)) == []


@pytest.mark.parametrize(("assignment", "submission"), [
    ("optimization", "completed notebook"),
    ("optimization", SAMPLES / "optimization_mistakes.py"),
    ("optimization", SAMPLES / "optimization_exploit.py"),
    ("optimization", "empty folder"),
    ("initialization", "completed notebook"),
    ("optimization_quiz", SAMPLES / "optimization_quiz_answers.py"),
])
def test_every_kind_of_result_the_grader_writes_is_valid(tmp_path, assignment, submission):
    if submission == "completed notebook":
        submission = tmp_path / f"{assignment}.ipynb"
        nbformat.write(source_notebook(assignment), submission)
    elif submission == "empty folder":
        submission = tmp_path / "submission"
        submission.mkdir()
    done = run_cli("grade", str(submission), "--assignment", assignment,
                   "--results", str(tmp_path / "results.json"), "-q")
    assert done.returncode == 0, done.stderr
    read_results(tmp_path / "results.json")  # the schema, then this grader's own rules
