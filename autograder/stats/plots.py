"""The pictures of the statistics page: matplotlib (Agg) PNGs embedded as base64 data URIs.

Figures are made with matplotlib's object API on the Agg canvas (no pyplot, no global state).
Labels can hold text from a results.json (mistake messages): they are drawn as plain text, never
as mathtext (a ``$`` is a dollar sign), and clipped.
"""

from __future__ import annotations

import base64
import io
import textwrap
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: Mistakes in the bar chart of the whole assignment.
TOP_MISTAKES = 10
BAR, FULL = "#c0392b", "#2e7d32"
_PLAIN_TEXT = {"text.parse_math": False, "text.usetex": False}


@dataclass(frozen=True)
class Plot:
    """One embedded image: its PNG as a data URI, and its alt text."""

    data_uri: str
    alt: str


def _png(figure: Figure) -> str:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a glyph missing from the font is drawn as a box
        figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _label(name: str, message: str) -> str:
    return textwrap.shorten(message, 72, placeholder="\u2026") + "\n" + textwrap.shorten(name, 72)


def mistakes_chart(top_mistakes: Sequence[dict]) -> Plot | None:
    """Horizontal bars: the most common mistakes of the assignment, students per mistake."""
    shown = list(top_mistakes[:TOP_MISTAKES])
    if not shown:
        return None
    with matplotlib.rc_context(_PLAIN_TEXT):
        figure = Figure(figsize=(9, 0.9 + 0.55 * len(shown)))
        axis = figure.add_subplot()
        positions = list(range(len(shown)))[::-1]
        counts = [entry["students"] for entry in shown]
        axis.barh(positions, counts, color=BAR, height=0.6)
        axis.set_yticks(positions, labels=[_label(e["name"], e["message"]) for e in shown],
                        fontsize=8)
        axis.set_xlabel("students")
        axis.xaxis.get_major_locator().set_params(integer=True)
        axis.set_title("Most common mistakes", fontsize=11, loc="left")
        for position, count in zip(positions, counts):
            axis.annotate(str(count), (count, position), xytext=(3, 0), textcoords="offset points",
                          va="center", fontsize=8)
        data_uri = _png(figure)
    alt = "Most common mistakes, students per mistake: " + "; ".join(
        f"{entry['students']}: {entry['name']}: {entry['message']}" for entry in shown)
    return Plot(data_uri, alt)


def bin_labels(count: int) -> list[str]:
    """``0-10%``, ..., ``90-100%``: the bins of a histogram of shares of the points."""
    step = 100 // count
    return [f"{k * step}-{(k + 1) * step}%" for k in range(count)]


def distribution_chart(name: str, histogram: dict) -> Plot:
    """Bars: how many students scored in each tenth of the name's points (full marks in the
    last)."""
    counts = histogram["counts"]
    step = 100 / len(counts)
    with matplotlib.rc_context(_PLAIN_TEXT):
        figure = Figure(figsize=(5, 1.9))
        axis = figure.add_subplot()
        lefts = [k * step for k in range(len(counts))]
        colours = [BAR] * (len(counts) - 1) + [FULL]
        axis.bar(lefts, counts, width=step * 0.9, align="edge", color=colours)
        axis.set_xlim(0, 100)
        axis.set_xticks([k * step for k in range(len(counts) + 1)])
        axis.tick_params(labelsize=7)
        axis.yaxis.get_major_locator().set_params(integer=True)
        axis.set_xlabel("share of the points (%)", fontsize=8)
        axis.set_ylabel("students", fontsize=8)
        axis.set_title(textwrap.shorten(name, 80), fontsize=9, loc="left")
        data_uri = _png(figure)
    pairs = ", ".join(f"{label}: {count}" for label, count in zip(bin_labels(len(counts)), counts))
    return Plot(data_uri,
                f"Score distribution of {name}, students per share of the points: {pairs}")
