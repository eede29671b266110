"""The self-check files shipped beside each notebook are the grader's own, and up to date."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from autograder import selfcheck
from autograder.exercises import ASSIGNMENTS
from autograder.publish import self_check_data_text

SOURCE = Path(__file__).resolve().parents[1] / "assignments" / "source"


def _close(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    return a == b


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_shipped_selfcheck_module_is_the_graders(assignment):
    shipped = (SOURCE / assignment / "selfcheck.py").read_text(encoding="utf-8")
    assert shipped == Path(selfcheck.__file__).read_text(encoding="utf-8"), (
        "run `autograder selfcheck build`")


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_shipped_selfcheck_data_matches_the_exercise_declarations(assignment):
    shipped = json.loads((SOURCE / assignment / "selfcheck_data.json").read_text(encoding="utf-8"))
    fresh = json.loads(self_check_data_text(assignment))
    assert _close(shipped, fresh), "run `autograder selfcheck build`"


@pytest.mark.parametrize("assignment", sorted(ASSIGNMENTS))
def test_every_graded_name_has_public_cases(assignment):
    data = json.loads(self_check_data_text(assignment))
    assert sorted(data["exercises"]) == sorted(e.name for e in ASSIGNMENTS[assignment])
    assert all(len(entry["cases"]) >= 2 for entry in data["exercises"].values())
