"""`make demo` runs the whole round on the bundled sample course."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_demo_grades_the_sample_course_into_feedback_and_an_export():
    process = subprocess.run(
        [sys.executable, "-m", "autograder.demo"], check=False, cwd=REPO, capture_output=True,
        text=True, timeout=600,
        env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "COLUMNS": "200"},
    )
    assert process.returncode == 0, process.stderr[-2000:]
    assert "adam + schedule_lr_decay" in process.stdout
    out = REPO / "out" / "demo"
    with (out / "optimization_questions.csv").open() as handle:
        totals = {row["student_id"]: float(row["total"]) for row in csv.DictReader(handle)}
    assert totals["alice"] == 15  # the instructor's completed notebook
    assert 0 < totals["bob"] < 15  # three classic mistakes
    assert totals["carol"] == 0  # the hostile module earns nothing
    assert totals["dave"] == 0  # a damaged notebook still gets a row
    for student in totals:
        assert (out / "course" / "feedback" / student / "optimization"
                / "autograder_report.html").is_file()
    quiz = (out / "course" / "autograded" / "alice" / "optimization_quiz"
            / "results.json").read_text()
    assert '"score": 3.0' in quiz
