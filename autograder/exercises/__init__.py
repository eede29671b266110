"""The graded names of each assignment, declared as data (see :mod:`autograder.exercises.base`)."""

from __future__ import annotations

from autograder.exercises import initialization, optimization
from autograder.exercises.base import Case, Exercise, self_check_data

ASSIGNMENTS: dict[str, list[Exercise]] = {
    "optimization": optimization.EXERCISES,
    "initialization": initialization.EXERCISES,
}

__all__ = ["ASSIGNMENTS", "Case", "Exercise", "self_check_data"]
