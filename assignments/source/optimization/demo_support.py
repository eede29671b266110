"""What every demo needs: calling student code politely, tables, and optional matplotlib.

Shared by the demos of every assignment (the other assignment folders link to this file).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np


class DemoStopped(Exception):
    """Raised inside a demo to end it with a sentence instead of a traceback."""


def student(fn: Callable, *args, **kwargs):
    """Call one of the student's functions; turn its failures into a readable reason."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise DemoStopped(f"implement {fn.__name__} first to see this demo") from None
    except Exception as error:  # noqa: BLE001 - any bug of the student's ends the demo, politely
        raise DemoStopped(
            f"this demo stopped: {fn.__name__} raised {type(error).__name__}: {error} "
            "(its self-check above tells you more)"
        ) from None


def demo(body: Callable) -> Callable:
    """Make a demo print why it stopped rather than raise."""

    @functools.wraps(body)
    def run(*args, **kwargs) -> None:
        try:
            body(*args, **kwargs)
        except DemoStopped as reason:
            print(reason)

    return run


def pyplot():
    """matplotlib.pyplot, or None when matplotlib is not installed."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def print_table(header: list[str], rows: list[list]) -> None:
    """Right-aligned columns; floats to four significant digits."""
    cells = [header] + [
        [f"{x:.4g}" if isinstance(x, float) else str(x) for x in row] for row in rows
    ]
    widths = [max(len(row[col]) for row in cells) for col in range(len(header))]
    for index, row in enumerate(cells):
        print("  ".join(text.rjust(width) for text, width in zip(row, widths)))
        if index == 0:
            print("  ".join("-" * width for width in widths))


def snapshot(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Float64 copies, so a student's in-place updates cannot rewrite our history."""
    return {name: np.array(value, dtype=np.float64, copy=True) for name, value in arrays.items()}
