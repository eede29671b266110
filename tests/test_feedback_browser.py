"""The report in a real headless browser: it opens, shows the score and decodes every picture."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image
from support.feedback import CHROMIUM, MISTAKES_SOURCE, autograde, chromium

from autograder.feedback import write_report

pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="chromium is not installed (apt-get install chromium)")

#: Added to a copy of the page only (the report itself runs no script and forbids any).
COUNT_DECODED_IMAGES = """<script>
window.addEventListener("load", () => {
  const decoded = [...document.images].filter((img) => img.complete && img.naturalWidth > 0);
  document.body.dataset.decodedImages = decoded.length;
  document.body.dataset.images = document.images.length;
});
</script></body>"""


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    course = tmp_path_factory.mktemp("course")
    results_json = autograde(course, "bob", "optimization", MISTAKES_SOURCE)
    return write_report(course / "submitted" / "bob" / "optimization", "optimization", results_json,
                        course / "feedback" / "bob" / "optimization", course, student="bob")


def test_the_browser_decodes_every_picture_of_the_page(report, tmp_path):
    probe = tmp_path / "probe.html"
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", report.read_text())
    probe.write_text(html.replace("</body>", COUNT_DECODED_IMAGES))
    # On a loaded machine chromium may dump the DOM before the load event; try again then.
    for attempt in range(3):
        dom = chromium(probe, tmp_path / f"profile{attempt}", "--virtual-time-budget=10000",
                       "--dump-dom")
        counted = re.search(r'data-images="(\d+)"', dom)
        if counted:
            break
    images = int(counted.group(1))
    assert images == 4
    assert f'data-decoded-images="{images}"' in dom


def test_the_browser_shows_the_score_and_the_feedback(report, tmp_path):
    dom = chromium(report, tmp_path / "profile", "--dump-dom")
    assert re.search(r'id="total-score">Total: <strong>[\d.]+</strong> / 15 points', dom)
    assert "update_parameters_with_momentum" in dom and "(1 - beta) factor is missing" in dom


def test_the_screenshot_of_the_page_is_not_blank(report, tmp_path):
    screenshot = tmp_path / "report.png"
    chromium(report, tmp_path / "profile", f"--screenshot={screenshot}")
    pixels = image.imread(screenshot)
    assert pixels.shape[:2] == (2000, 1200)
    assert np.var(pixels[..., :3]) > 0.01
    rows_with_ink = np.mean(np.any(pixels[..., :3] < 0.5, axis=(1, 2)))
    assert rows_with_ink > 0.3  # text and pictures down the page, not one line on white
