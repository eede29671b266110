"""A tour of the reference optimizers: train one small network each way and compare.

``python -m reference.tour`` trains the 3-layer network [2, 5, 2, 1] (He initialization, ReLU,
mini-batches of 64, 5000 epochs) on 300 two-moons points with each entry of :data:`RUNS`, and
prints the final cost, the training accuracy and the wall time of every run.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

from rich.console import Console
from rich.table import Table

from reference.datasets import two_moons
from reference.networks import LEARNING_RATE, accuracy, train
from reference.optimizers import schedule_lr_decay

LAYERS_DIMS = [2, 5, 2, 1]

#: (label, keyword arguments of reference.networks.train). LEARNING_RATE (0.0007) is the
#: course's rate for the plain comparison; Adam with step decay (halved after 1000 epochs, a
#: third after 2000, ...) starts from 0.01 so that its decayed rate is still useful late in
#: training.
RUNS: list[tuple[str, dict[str, Any]]] = [
    ("gd", {"optimizer": "gd", "learning_rate": LEARNING_RATE}),
    ("momentum", {"optimizer": "momentum", "learning_rate": LEARNING_RATE}),
    ("rmsprop", {"optimizer": "rmsprop", "learning_rate": LEARNING_RATE}),
    ("adam", {"optimizer": "adam", "learning_rate": LEARNING_RATE}),
    (
        "adam + schedule_lr_decay",
        {
            "optimizer": "adam",
            "learning_rate": 0.01,
            "decay": partial(schedule_lr_decay, decay_rate=1.0, time_interval=1000),
        },
    ),
]


def compare(num_epochs: int = 5000, seed: int = 0) -> list[dict[str, Any]]:
    """One row per run: label, learning_rate, final cost, training accuracy, seconds."""
    X, Y = two_moons(m=300, noise=0.2, seed=seed)
    rows = []
    for label, options in RUNS:
        start = time.perf_counter()
        parameters, costs = train(X, Y, LAYERS_DIMS, num_epochs=num_epochs, seed=seed, **options)
        rows.append(
            {
                "label": label,
                "learning_rate": options["learning_rate"],
                "cost": float(costs[-1]),
                "accuracy": accuracy(X, Y, parameters),
                "seconds": time.perf_counter() - start,
            }
        )
    return rows


def table(rows: list[dict[str, Any]], num_epochs: int) -> Table:
    """The rows of :func:`compare` as a rich table."""
    result = Table(title=f"Two moons (m = 300), network {LAYERS_DIMS}, {num_epochs} epochs")
    result.add_column("optimizer", no_wrap=True)
    for header in ("lr", "final cost", "accuracy", "time (s)"):
        result.add_column(header, justify="right")
    for row in rows:
        result.add_row(
            row["label"],
            f"{row['learning_rate']:g}",
            f"{row['cost']:.4f}",
            f"{row['accuracy']:.1%}",
            f"{row['seconds']:.2f}",
        )
    return result


def main(num_epochs: int = 5000) -> None:
    """Train every run of :data:`RUNS` and print the comparison table."""
    Console().print(table(compare(num_epochs), num_epochs))


if __name__ == "__main__":
    main()
