"""Reading results.json files: the course's round and a glob give the same students and numbers."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.stats import results_json

from autograder.stats import class_statistics, questions_of, read_glob, read_round
from autograder.stats.reading import matches, parse_results, split_glob, student_of

COURSE = Path(__file__).resolve().parents[1] / "assignments"
QUESTIONS = questions_of("optimization", COURSE)
NAMES = [question.name for question in QUESTIONS]


@pytest.mark.parametrize(("pattern", "parts", "matched"), [
    (("*", "results.json"), ("ada", "results.json"), True),
    (("*", "results.json"), ("ada", "x", "results.json"), False),
    (("**", "*.json"), ("a", "b", "c.json"), True),
    (("**", "*.json"), ("c.json",), True),
    (("**", "*.json"), (".hidden", "c.json"), False),
    (("*.json",), (".ada.json",), False),
    (("sub*", "*", "r?.json"), ("submissions", "x", "r1.json"), True),
])
def test_glob_parts_match_like_the_shell(pattern, parts, matched):
    assert matches(pattern, parts) is matched


def test_the_trusted_start_of_a_glob_is_the_folders_before_its_first_wildcard(tmp_path):
    assert split_glob("/data/gs/*/results.json") == (Path("/data/gs"), ("*", "results.json"))
    assert split_glob("*.json") == (Path("."), ("*.json",))
    assert split_glob(str(tmp_path)) == (tmp_path, ("**", "*.json"))


@pytest.mark.parametrize(("parts", "student"), [
    (("ada", "results.json"), "ada"),
    (("ada", "optimization", "results.json"), "ada"),
    (("ada.json",), "ada"),
    (("ci", "bob.results.json"), "bob.results"),
    (("results.json",), "downloads"),
])
def test_the_student_of_a_file(parts, student):
    assert student_of(Path("/x/downloads"), parts, "optimization") == student


def test_a_results_json_of_this_grader_reads_back_its_scores_and_diagnosis():
    tests = parse_results(json.dumps(results_json([
        {"name": "update_lr", "score": 0.5,
         "extra_data": {"mistakes": ["m", "m"], "unexplained": 1, "passed": 2}},
        {"name": "q", "score": 1,
         "extra_data": {"picked": ["A"], "manual": False,
                        "variant": {"student": "s", "order": ["B", "A"]}}},
    ])).encode(), "optimization")
    assert tests["update_lr"].score == 0.5 and tests["update_lr"].max_score == 1.0
    assert tests["update_lr"].data == {"mistakes": ["m"], "unexplained": 1}
    assert tests["q"].data == {"picked": ["A"], "manual": False, "variant": '{"order": ["B", "A"]}'}


STUDENT_IDS = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\\\x00"),
                      min_size=1, max_size=12).filter(
    lambda s: (not s.startswith(".") and s not in ("results", "optimization")
               and len(s.encode()) < 100))


@st.composite
def results_files(draw) -> dict[str, dict]:
    students = draw(st.lists(STUDENT_IDS, max_size=6, unique=True))
    files = {}
    for student in students:
        tests = []
        for name in draw(st.lists(st.sampled_from(NAMES), unique=True)):
            mistakes = st.lists(st.sampled_from(["m1", "m2"]), unique=True)
            tests.append({"name": name, "score": draw(st.sampled_from([0, 0.25, 0.5, 1.0])),
                          "extra_data": {"mistakes": draw(mistakes),
                                         "unexplained": draw(st.integers(0, 2))}})
        files[student] = results_json(tests)
    return files


def _write(path: Path, results: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(results_files())
def test_the_course_and_every_glob_layout_give_the_same_statistics(files):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for layout in ("course/autograded", "gradescope", "ci"):
            (root / layout).mkdir(parents=True)
        for student, results in files.items():
            _write(root / "course" / "autograded" / student / "optimization" / "results.json",
                   results)
            _write(root / "gradescope" / student / "results.json", results)
            _write(root / "ci" / f"{student}.json", results)
        from_course = read_round(root / "course", "optimization")
        expected = class_statistics("optimization", QUESTIONS, from_course.students)
        assert expected["students"] == len(files) and not from_course.skipped
        for pattern in (f"{root}/gradescope/*/results.json", f"{root}/ci/*.json",
                        f"{root}/gradescope",
                        f"{root}/course/autograded/*/optimization/results.json"):
            round_ = read_glob(pattern, "optimization")
            assert not round_.skipped
            assert class_statistics("optimization", QUESTIONS, round_.students) == expected
