"""Write the students' self-check files beside each source notebook.

``selfcheck.py`` is a verbatim copy of :mod:`autograder.selfcheck`; ``selfcheck_data.json`` holds
public cases drawn from the same exercise declarations the grader uses, with a fixed seed, so that
the released notebook checks exactly what the grader checks (on other inputs).
"""

from __future__ import annotations

import json
from pathlib import Path

from autograder import selfcheck
from autograder.exercises import ASSIGNMENTS, self_check_data

#: The public cases are drawn with this seed; hidden cases use a fresh seed per grading run.
PUBLIC_SEED = 20261125


def self_check_files(assignment: str) -> dict[str, str]:
    """File name -> content of the self-check files of one assignment."""
    data = self_check_data(assignment, ASSIGNMENTS[assignment], PUBLIC_SEED)
    return {
        "selfcheck.py": Path(selfcheck.__file__).read_text(encoding="utf-8"),
        "selfcheck_data.json": json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n",
    }


def build_self_checks(course_root: Path) -> list[tuple[Path, bool]]:
    """Write the files for every assignment; returns (path, changed) for each."""
    written = []
    for assignment in ASSIGNMENTS:
        folder = Path(course_root) / "source" / assignment
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in self_check_files(assignment).items():
            path = folder / name
            changed = not path.exists() or path.read_text(encoding="utf-8") != content
            if changed:
                path.write_text(content, encoding="utf-8")
            written.append((path, changed))
    return written
