"""Right answers written differently from the reference get full marks, whatever the seed.

The submissions (`support.alternatives`) use only forms that are truly equal to the course's
rules (e.g. Adam's bias correction as a multiplication by 1 / (1 - beta**t), not Kingma's
"efficient" form, which moves epsilon).
"""

from __future__ import annotations

import pytest
from support.alternatives import DRAWS, FUNCTIONAL, IN_PLACE, INITIALIZERS
from support.grading import (
    INITIALIZATION_NAMES,
    OPTIMIZATION_NAMES,
    by_name,
    write,
)

from autograder import grading


@pytest.fixture(scope="module",
                params=[(kind, seed) for kind in ("in_place", "functional") for seed in (0, 1, 2)],
                ids=lambda p: f"{p[0]}-seed{p[1]}")
def optimizers(request, tmp_path_factory):
    kind, seed = request.param
    source = {"in_place": IN_PLACE, "functional": FUNCTIONAL}[kind]
    path = write(tmp_path_factory.mktemp(kind) / f"{kind}.py", source)
    return by_name(grading.grade(path, "optimization", seed=seed))


def test_alternative_optimizers_get_full_marks(optimizers):
    assert list(optimizers) == OPTIMIZATION_NAMES
    wrong = {name: r.output for name, r in optimizers.items() if r.score != r.max_score}
    assert wrong == {}


# ---------------------------------------------------------------------------------------------
# Initializers: any RNG API that draws from the right distribution passes


@pytest.fixture(scope="module", params=[(kind, seed) for kind in DRAWS for seed in (0, 1)],
                ids=lambda p: f"{p[0]}-seed{p[1]}")
def initializers(request, tmp_path_factory):
    kind, seed = request.param
    path = write(tmp_path_factory.mktemp(kind) / f"{kind}.py",
                 INITIALIZERS.format(draw=DRAWS[kind]))
    return by_name(grading.grade(path, "initialization", seed=seed))


def test_initializers_with_any_normal_rng_get_full_marks(initializers):
    assert list(initializers) == INITIALIZATION_NAMES
    wrong = {name: r.output for name, r in initializers.items() if r.score != r.max_score}
    assert wrong == {}
