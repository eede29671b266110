"""The pictures of a report: matplotlib (Agg) figures embedded as base64 PNG data URIs.

Each picture puts the student's result beside the reference's on the same public input: the
path of an update rule on the ravine, the per-layer activation variance of an initializer.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # headless; chosen before pyplot is imported
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import LogLocator, NullLocator

from autograder.feedback.probes import (
    INITIALIZER_DIMS,
    INITIALIZER_RUNS,
    RAVINE_RUNS,
    RAVINE_SHAPE,
    RAVINE_START,
    RAVINE_STEPS,
)
from reference.initializers import activation_variances, initialize
from reference.landscapes import ravine, trajectory

YOURS, REFERENCE = "#c0392b", "#2c3e50"
#: the part of the ravine drawn; a path that leaves it is cut at the frame
RAVINE_WINDOW = ((-5.0, 2.0), (-2.0, 2.0))
#: fixed public input of the variance pictures (no grading case is ever drawn from this seed)
PICTURE_SEED = 20240611
PICTURE_EXAMPLES = 128


@dataclass(frozen=True)
class Picture:
    """One embedded image: its PNG as a data URI, its alt text and a caption."""

    data_uri: str
    alt: str
    caption: str


def _png(figure: plt.Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _point(w: np.ndarray) -> str:
    return f"({w[0]:.3g}, {w[1]:.3g})"


def ravine_picture(name: str, path: np.ndarray) -> Picture:
    """Two panels with the ravine's contours: the student's path, the reference's path."""
    optimizer, learning_rate = RAVINE_RUNS[name]
    expected = trajectory("ravine", optimizer, RAVINE_START, RAVINE_STEPS, learning_rate)
    (x0, x1), (y0, y1) = RAVINE_WINDOW
    grid_x, grid_y = np.meshgrid(np.linspace(x0, x1, 160), np.linspace(y0, y1, 100))
    heights = ravine(np.stack([grid_x, grid_y]), **RAVINE_SHAPE)
    figure, axes = plt.subplots(1, 2, figsize=(10, 3.4), sharex=True, sharey=True)
    for axis, points, colour, title in ((axes[0], path, YOURS, "your " + name),
                                        (axes[1], expected, REFERENCE, "reference")):
        axis.contour(grid_x, grid_y, heights, levels=12, colors="#bbbbbb", linewidths=0.7)
        axis.plot(points[:, 0], points[:, 1], ".-", color=colour, markersize=4, linewidth=1.2)
        axis.plot(*RAVINE_START, "o", color="black", markersize=5)
        axis.plot(0, 0, "*", color="black", markersize=10)
        axis.set_xlim(x0, x1)
        axis.set_ylim(y0, y1)
        axis.set_title(title, fontsize=10)
        axis.set_xlabel("w0")
    axes[0].set_ylabel("w1")
    figure.suptitle(f"{optimizer}, learning rate {learning_rate:g}, {RAVINE_STEPS} steps on "
                    f"J = (w0\u00b2 + {RAVINE_SHAPE['b']:g} w1\u00b2) / 2", fontsize=11)
    figure.tight_layout()
    steps = len(path) - 1
    caption = (f"From {_point(np.array(RAVINE_START))}, your path ends at {_point(path[-1])} "
               f"after {steps} steps; the reference's ends at {_point(expected[-1])}. "
               "The minimum is at (0, 0).")
    outside = (path[:, 0] < x0) | (path[:, 0] > x1) | (path[:, 1] < y0) | (path[:, 1] > y1)
    if outside.any():
        caption += " Your path leaves the part of the ravine drawn here."
    alt = (f"Two contour plots of the ravine side by side: left, the path of your {name}; right, "
           f"the reference's path. {caption}")
    return Picture(_png(figure), alt, caption)


def _variances(parameters: dict[str, np.ndarray], activation: str) -> np.ndarray:
    X = np.random.default_rng(PICTURE_SEED).standard_normal((INITIALIZER_DIMS[0], PICTURE_EXAMPLES))
    with np.errstate(all="ignore"):
        return activation_variances(X, parameters, activation)


def _drawable(values: np.ndarray, floor: float) -> np.ndarray:
    """Variances on a log axis: 0 sits on the floor, overflow is not drawn."""
    values = np.where(np.isfinite(values), values, np.nan)
    return np.where(values > 0, values, floor)


def variance_picture(name: str, parameters: dict[str, np.ndarray]) -> Picture:
    """Var(a[l]) for l = 1..L on a log scale: the student's draw and a reference draw."""
    rule, activation = INITIALIZER_RUNS[name]
    reference = initialize(INITIALIZER_DIMS, rule, np.random.default_rng(PICTURE_SEED))
    got, expected = _variances(parameters, activation), _variances(reference, activation)
    positive = [v for v in (*got, *expected) if np.isfinite(v) and v > 0]
    floor = min(positive) / 100 if positive else 1e-3
    layers = np.arange(1, len(got) + 1)
    figure, axis = plt.subplots(figsize=(7, 3.4))
    axis.plot(layers, _drawable(got, floor), "o-", color=YOURS, label="your initialization")
    axis.plot(layers, _drawable(expected, floor), "s--", color=REFERENCE, label="reference")
    axis.set_yscale("log")
    axis.yaxis.set_major_locator(LogLocator(numticks=7))
    axis.yaxis.set_minor_locator(NullLocator())
    zeros = bool(np.any(got == 0) or np.any(expected == 0))
    bottom = floor / 2 if zeros or not positive else min(positive) / 3
    axis.set_ylim(bottom=bottom, top=max(positive) * 10 if positive else 1.0)
    if not positive:
        axis.set_yticks([floor], ["0"])
    if zeros:
        axis.axhline(floor, color="#999999", linewidth=0.6, linestyle=":")
        axis.annotate("variance 0", (layers[-1], floor), textcoords="offset points", xytext=(0, 4),
                      ha="right", fontsize=8, color="#555555")
    axis.set_xticks(layers)
    axis.set_xlabel("layer l")
    axis.set_ylabel(f"Var(a[l]), {activation}")
    axis.legend(fontsize=9)
    width, depth = INITIALIZER_DIMS[0], len(INITIALIZER_DIMS) - 1
    axis.set_title(f"{rule}: {depth} {activation} layers of width {width}", fontsize=11)
    figure.tight_layout()
    caption = (f"Activation variance through {depth} {activation} layers of width {width}, one "
               f"draw each: yours ends at {got[-1]:.3g} in layer {depth}, the reference's at "
               f"{expected[-1]:.3g}.")
    alt = ("Line chart on a log scale of the activation variance per layer, yours and the "
           f"reference's. {caption}")
    return Picture(_png(figure), alt, caption)
