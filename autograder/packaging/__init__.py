"""Getting the grader to where submissions are: GitHub Actions and Gradescope.

- ``autograder ci init`` writes the GitHub Actions workflow of a student repository
  (``workflow``); ``autograder ci summary`` turns ``results.json`` into the job summary and the
  "Points X/Y" line GitHub Classroom reads (``summary``).
- ``autograder gradescope build`` makes the Gradescope autograder zip (``gradescope``).

The workflow and the two Gradescope scripts are files in ``templates/``, filled in by
``template``.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from autograder.course import quiz_ids
from autograder.exercises import ASSIGNMENTS

_PLACEHOLDER = re.compile(r"@([A-Z_]+)@")


def template(name: str, **values: str) -> str:
    """The template ``name`` with each ``@KEY@`` replaced by ``values["KEY"]`` (all required)."""
    text = resources.files(__package__).joinpath("templates", name).read_text(encoding="utf-8")
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def known_assignments(repo_root: Path) -> list[str]:
    """The exercise sets and the quizzes of a repository, the ids ``autograder grade`` takes."""
    return [*ASSIGNMENTS, *quiz_ids(repo_root)]
