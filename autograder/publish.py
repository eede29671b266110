"""Write the students' self-check files beside each source notebook.

``selfcheck.py`` is :mod:`autograder.selfcheck` itself (`shipped.ship_module`: a link in the
bundled course, a copy elsewhere); ``selfcheck_data.json`` holds public cases drawn from the same
exercise declarations the grader uses, with a fixed seed, so that the released notebook checks
exactly what the grader checks (on other inputs).
"""

from __future__ import annotations

import json
from pathlib import Path

from autograder import selfcheck
from autograder.exercises import ASSIGNMENTS, self_check_data
from autograder.shipped import ship_module, write_if_changed

#: The public cases are drawn with this seed; hidden cases use a fresh seed per grading run.
PUBLIC_SEED = 20261125


def self_check_data_text(assignment: str) -> str:
    """``selfcheck_data.json`` of one assignment: its public cases, drawn with `PUBLIC_SEED`."""
    data = self_check_data(assignment, ASSIGNMENTS[assignment], PUBLIC_SEED)
    return json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n"


def build_self_checks(course_root: Path) -> list[tuple[Path, bool]]:
    """Write the files for every assignment; returns (path, changed) for each."""
    written = []
    for assignment in ASSIGNMENTS:
        folder = Path(course_root) / "source" / assignment
        folder.mkdir(parents=True, exist_ok=True)
        module, data = folder / "selfcheck.py", folder / "selfcheck_data.json"
        written.append((module, ship_module(Path(selfcheck.__file__), module)))
        written.append((data, write_if_changed(data, self_check_data_text(assignment))))
    return written
