"""The report in a real headless browser: it opens, shows the score and decodes every picture."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image
from support.feedback import CHROMIUM, MISTAKES_SOURCE, autograde, chromium, decoded_images

from autograder.feedback import write_report

pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    course = tmp_path_factory.mktemp("course")
    results_json = autograde(course, "bob", "optimization", MISTAKES_SOURCE)
    return write_report(course / "submitted" / "bob" / "optimization", "optimization", results_json,
                        course / "feedback" / "bob" / "optimization", course, student="bob")


def test_the_browser_decodes_every_picture_of_the_page(report, tmp_path):
    images, decoded, _ = decoded_images(report, tmp_path)
    assert images == 4
    assert decoded == images


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
