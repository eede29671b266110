"""write_report: results.json + the submission -> ``<out_dir>/autograder_report.html``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from autograder import untrusted
from autograder.exercises import ASSIGNMENTS
from autograder.feedback import figures, page
from autograder.feedback.probes import Probes, run_probes
from autograder.submission import SubmissionError, load

#: nbgrader writes feedback/<student>/<ID>/<notebook>.html; ours sits beside it under this name.
REPORT_NAME = "autograder_report.html"


def _probes(submission_path: Path, assignment: str, shown: list[str]) -> Probes:
    """The student's functions run again on the public inputs (nothing for quizzes)."""
    if assignment not in ASSIGNMENTS:
        return Probes()
    names = [exercise.name for exercise in ASSIGNMENTS[assignment]]
    try:
        submission = load(submission_path, assignment)
    except SubmissionError:
        return Probes()  # results.json already tells the student why their file could not be read
    probes = run_probes(submission, names)
    probes.notes = {name: note for name, note in probes.notes.items() if name in shown}
    return probes


def _pictures(name: str, probes: Probes) -> list[figures.Picture]:
    if name in probes.paths:
        return [figures.ravine_picture(name, probes.paths[name])]
    if name in probes.initializations:
        return [figures.variance_picture(name, probes.initializations[name])]
    return []


def write_report(
    submission_path: Path,
    assignment: str,
    results_json: Mapping,
    out_dir: Path,
    course_root: Path,
    *,
    student: str | None = None,
) -> Path:
    """Write the student's HTML report and return its path.

    ``results_json`` is the Gradescope results of the submission (tests with visibility
    "hidden" are left out). Relative ``submission_path`` and ``out_dir`` are taken relative to
    the nbgrader ``course_root``.
    """
    course_root = Path(course_root)
    submission_path, out_dir = course_root / submission_path, course_root / out_dir
    tests = [test for test in results_json.get("tests", [])
             if isinstance(test, Mapping) and test.get("visibility") != "hidden"]
    shown = [str(test.get("name")) for test in tests]
    probes = _probes(submission_path, assignment, shown)
    items = [page.item(test, index, _pictures(str(test.get("name")), probes),
                       probes.notes.get(str(test.get("name"))))
             for index, test in enumerate(tests)]
    html = page.render({**results_json, "tests": tests}, items,
                       f"{assignment}: autograder feedback", student,
                       rerun=assignment in ASSIGNMENTS)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / REPORT_NAME
    path.write_text(untrusted.text(html), encoding="utf-8")  # a surrogate in a name: an escape
    return path
