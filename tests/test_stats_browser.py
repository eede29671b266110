"""The statistics page in a real headless browser: it opens, decodes every picture, runs nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.feedback import CHROMIUM, chromium, decoded_images
from support.grading import invoke_cli
from support.stats import BROKEN, HOSTILE_HTML, graded_course, results_json, write_results

pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="chromium is not installed (apt-get install chromium)")

HOSTILE_MESSAGE = '<img src=x onerror="document.title=\'owned\'">'


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    """The optimization page of the graded course, with one more student whose results.json
    (forged) names a hostile mistake."""
    course = graded_course(tmp_path_factory)
    out = tmp_path_factory.mktemp("stats-page")
    forged = tmp_path_factory.mktemp("forged")
    for path in (course / "autograded").glob("*/optimization/results.json"):
        write_results(forged, path.parent.parent.name, path.read_bytes())
    write_results(forged, "forger", results_json([{
        "name": "update_lr", "score": 0.5,
        "extra_data": {"mistakes": [HOSTILE_MESSAGE], "unexplained": 0}}]))
    code, _, stderr = invoke_cli("stats", "optimization", "--course", str(course),
                                 "--output", str(out), "--results-glob",
                                 f"{forged}/autograded/*/optimization/results.json")
    assert code == 0, stderr
    return out / "optimization_stats.html"


def test_every_picture_decodes_and_no_student_text_became_an_element(page, tmp_path):
    images, decoded, _ = decoded_images(page, tmp_path)
    assert images == 1 + 10  # the mistakes of the assignment, one distribution per graded name
    assert decoded == images


def test_the_page_holds_no_script_and_shows_hostile_text_as_text(page, tmp_path):
    html = page.read_text()
    assert "<script" not in html.lower()
    dom = chromium(page, tmp_path / "profile", "--dump-dom")
    assert "<title>Class statistics: optimization</title>" in dom  # no onerror changed it
    assert "&lt;img src=x onerror=\"document.title='owned'\"&gt;" in dom
    # the skipped student
    assert f"<code>{BROKEN.replace('<', '&lt;').replace('>', '&gt;')}</code>" in dom
    assert HOSTILE_HTML not in dom
    assert len(re.findall(r"<img ", dom)) == 11
