"""The HTML feedback report: what it shows, what it leaves out, and how it survives bad code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from markupsafe import escape
from support.feedback import (
    BROKEN_INITIALIZERS_SOURCE,
    BROKEN_OPTIMIZERS_SOURCE,
    HOSTILE,
    INITIALIZERS_SOURCE,
    MISTAKES_SOURCE,
    OPTIMIZERS_SOURCE,
    QUIZ_ANSWERS_SOURCE,
    REPO,
    SEED,
    autograde,
)

from autograder.exercises import ASSIGNMENTS
from autograder.feedback import REPORT_NAME, write_report
from autograder.feedback.probes import RAVINE_RUNS

STUDENTS = {
    "alice": ("optimization", OPTIMIZERS_SOURCE),
    "bob": ("optimization", MISTAKES_SOURCE),
    "carol": ("optimization", BROKEN_OPTIMIZERS_SOURCE),
    "dave": ("initialization", INITIALIZERS_SOURCE),
    "erin": ("initialization", BROKEN_INITIALIZERS_SOURCE),
    "frank": ("optimization_quiz", QUIZ_ANSWERS_SOURCE),
}


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("course")


@pytest.fixture(scope="module")
def graded(course) -> dict[str, tuple[dict, str]]:
    """student -> (results.json, the report's HTML)."""
    made = {}
    for student, (assignment, source) in STUDENTS.items():
        results_json = autograde(course, student, assignment, source)
        path = write_report(Path("submitted") / student / assignment, assignment, results_json,
                            Path("feedback") / student / assignment, course, student=student)
        assert path == course / "feedback" / student / assignment / REPORT_NAME
        made[student] = (results_json, path.read_text(encoding="utf-8"))
    return made


def section(html: str, name: str) -> str:
    """The part of the page about one graded name."""
    start = html.index(f"<code>{name}</code>: ")
    end = html.find("<section", start)
    return html[start : end if end != -1 else len(html)]


def images(html: str) -> list[tuple[str, str]]:
    """(src, alt) of every img element."""
    return re.findall(r'<img src="([^"]*)" alt="([^"]*)">', html)


def path_ends(html: str) -> tuple[str, str]:
    """Where the student's path and the reference's end, as the caption says."""
    return re.search(r"your path ends at (\(.*?\)).*the reference&#39;s ends at (\(.*?\))",
                     html).groups()


def notes(html: str) -> list[str]:
    return re.findall(r'<p class="note">(.*?)</p>', html)


def test_the_page_shows_the_total_score_of_results_json(graded):
    for results_json, html in graded.values():
        total = re.search(r'id="total-score">Total: <strong>([^<]*)</strong> / ([^ ]*) points',
                          html)
        assert float(total.group(1)) == pytest.approx(results_json["score"], abs=1e-3)
        assert float(total.group(2)) == pytest.approx(results_json["max_score"])


def test_every_graded_name_has_its_score_and_its_diagnosis(graded):
    for results_json, html in graded.values():
        for test in results_json["tests"]:
            assert f"<code>{escape(test['name'])}</code>" in html
            assert f"<pre>{escape(test['output'])}</pre>" in section(html, test["name"])
            assert f"{test['score']:.4g} / {test['max_score']:.4g}" in section(html, test["name"])


def test_the_tick_and_cross_lines_of_the_diagnosis_are_kept(graded):
    _, html = graded["bob"]
    feedback = section(html, "update_parameters_with_momentum")
    assert "\u2718 first step (v = 0): v = beta * v + dW" in feedback


def test_a_right_submission_gets_the_four_ravine_pictures_each_under_its_name(graded):
    _, html = graded["alice"]
    for name in RAVINE_RUNS:
        (src, alt), = images(section(html, name))
        assert src.startswith("data:image/png;base64,") and len(src) > 10_000
        assert name in alt and "reference" in alt
    assert len(images(html)) == len(RAVINE_RUNS)
    assert notes(html) == []


def test_a_right_path_ends_where_the_reference_path_ends(graded):
    _, html = graded["alice"]
    for name in RAVINE_RUNS:
        yours, reference = path_ends(section(html, name))
        assert yours == reference


def test_a_wrong_update_rule_is_drawn_beside_a_different_reference_path(graded):
    _, html = graded["bob"]
    yours, reference = path_ends(section(html, "update_parameters_with_momentum"))
    assert yours != reference


def test_initializers_get_a_variance_picture_each(graded):
    _, html = graded["dave"]
    for name, activation in [("initialize_parameters_zeros", "tanh"),
                             ("initialize_parameters_random", "relu"),
                             ("initialize_parameters_xavier", "tanh"),
                             ("initialize_parameters_he", "relu")]:
        (src, alt), = images(section(html, name))
        assert src.startswith("data:image/png;base64,")
        assert "log scale" in alt and f"10 {activation} layers of width 128" in alt
    assert images(section(html, "activation_variances")) == []


def test_a_hostile_exception_message_is_escaped_everywhere(graded):
    for student in ("carol", "erin"):
        _, html = graded[student]
        assert str(escape(HOSTILE)) in html
        assert "<script" not in html.lower()


def test_optimizers_that_crash_or_are_missing_get_a_note_instead_of_a_picture(graded):
    _, html = graded["carol"]
    assert images(section(html, "update_parameters_with_gd")) == []
    assert f"failed when run step by step on the ravine (ValueError: {escape(HOSTILE)}" in section(
        html, "update_parameters_with_gd")
    assert "update_parameters_with_momentum is not defined, so there is no picture." in section(
        html, "update_parameters_with_momentum")
    assert images(section(html, "update_parameters_with_rmsprop")) == []
    assert "No picture: update_parameters_with_rmsprop failed" in section(
        html, "update_parameters_with_rmsprop")


def test_a_path_that_runs_away_is_drawn_up_to_where_it_left(graded):
    _, html = graded["carol"]
    adam = section(html, "update_parameters_with_adam")
    assert len(images(adam)) == 1
    assert "path ran away (beyond 1e+12, infinity or NaN) at step 2" in adam


def test_initializers_that_crash_or_return_junk_get_a_note_and_the_others_a_picture(graded):
    _, html = graded["erin"]
    assert f"(RuntimeError: {escape(HOSTILE)}" in section(html, "initialize_parameters_xavier")
    assert "did not return a dict with keys W1, b1, ..., W10, b10" in section(
        html, "initialize_parameters_he")
    assert "W1 from initialize_parameters_random holds infinity or NaN" in section(
        html, "initialize_parameters_random")
    assert [len(images(section(html, name))) for name in
            ("initialize_parameters_zeros", "initialize_parameters_random",
             "initialize_parameters_xavier", "initialize_parameters_he")] == [1, 0, 0, 0]


def test_a_quiz_report_has_per_item_feedback_and_no_pictures(graded):
    results_json, html = graded["frank"]
    assert images(html) == [] and notes(html) == []
    assert len(re.findall(r"<section id=\"item-", html)) == len(results_json["tests"])
    assert "Pictures:" not in html


def test_the_seed_and_the_isolation_of_the_run_are_in_the_footer(graded):
    _, html = graded["alice"]
    footer = html[html.index("<footer>"):]
    assert f"seed {SEED}" in footer and "--seed" in footer
    assert "isolated worker" in footer


def test_the_page_runs_no_script_and_loads_nothing_from_outside(graded):
    for _, html in graded.values():
        assert "<script" not in html.lower()
        assert "content=\"default-src 'none'; img-src data:" in html
        assert not re.search(r'(src|href)="(?!data:|#)', html)


def _hidden_values(assignment: str, seed: int) -> set[str]:
    """Every float of the hidden cases of a grading run, in the forms a page could show it."""
    rng = np.random.default_rng(seed)
    floats: list[float] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        elif isinstance(value, np.ndarray) and value.dtype.kind == "f":
            floats.extend(value.ravel().tolist())
        elif isinstance(value, float):
            floats.append(value)

    for exercise in ASSIGNMENTS[assignment]:
        for case in exercise.cases(rng):
            walk([case.calls, dict(case.context)])
    drawn = [x for x in floats if len(repr(x)) >= 10]  # random draws, not 0.9 or 1e-08
    return {repr(x) for x in drawn} | {f"{x:.6g}" for x in drawn if len(f"{x:.6g}") >= 7}


@pytest.mark.parametrize("student", ["alice", "bob", "dave", "erin"])
def test_no_hidden_case_value_is_in_the_page_unless_results_json_already_shows_it(graded, student):
    results_json, html = graded[student]
    already = json.dumps(results_json, ensure_ascii=False)
    leaked = [value for value in _hidden_values(results_json["extra_data"]["assignment"], SEED)
              if value in html and value not in already]
    assert leaked == []


def test_no_line_of_reference_code_is_in_the_page_beyond_what_results_json_quotes(graded):
    lines = {line.strip() for path in sorted((REPO / "reference").glob("*.py"))
             for line in path.read_text().splitlines() if len(line.strip()) >= 30}
    for results_json, html in graded.values():
        already = json.dumps(results_json, ensure_ascii=False)
        found = [line for line in lines
                 if (line in html or str(escape(line)) in html) and line not in already]
        assert found == []


def test_tests_hidden_from_students_are_left_out(graded, tmp_path):
    results_json, _ = graded["frank"]
    secret = dict(results_json["tests"][0], name="secret_item", output="the key is C",
                  visibility="hidden")
    path = write_report(tmp_path / "nothing", "optimization_quiz",
                        {**results_json, "tests": [*results_json["tests"], secret]},
                        tmp_path, tmp_path)
    html = path.read_text()
    assert "secret_item" not in html and "the key is C" not in html


def test_an_unreadable_submission_still_gets_a_page_without_pictures(tmp_path):
    message = "Your submission could not be read: optimization.py is empty."
    results_json = {"score": 0, "max_score": 2, "output": "optimization: 0 / 2 points.", "tests": [
        {"name": "update_parameters_with_gd", "score": 0, "max_score": 2, "output": message}]}
    (tmp_path / "optimization.py").write_text("")
    html = write_report(tmp_path / "optimization.py", "optimization", results_json, tmp_path,
                        tmp_path).read_text()
    assert message in html and images(html) == []
