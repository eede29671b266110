"""The Landlock levels the sandbox tests run at: none (0), ABI 4 (GitHub's 6.8 kernels: no
signal or abstract-socket scoping), and this kernel's own. Holds no tests.

AUTOGRADER_TEST_LANDLOCK_LEVELS (e.g. "native") narrows the list, for a second run of the same
tests as an unprivileged user.
"""

from __future__ import annotations

import os

import pytest

from autograder.sandbox import landlock

NATIVE = landlock.abi_version()


def _levels() -> list[int | None]:
    """ABI caps to test with; None is no cap at all (the kernel's own ABI)."""
    wanted = os.environ.get("AUTOGRADER_TEST_LANDLOCK_LEVELS", "0,4,native").split(",")
    levels: list[int | None] = [None if word == "native" else int(word) for word in wanted]
    return [level for level in levels if level is None or level < NATIVE]


@pytest.fixture(params=_levels(),
                ids=lambda level: f"landlock-{NATIVE if level is None else level}")
def landlock_abi(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Run the test with the worker's Landlock ABI capped at this level; returns the ABI."""
    if request.param is None:
        monkeypatch.delenv(landlock.ABI_VARIABLE, raising=False)
        return NATIVE
    monkeypatch.setenv(landlock.ABI_VARIABLE, str(request.param))
    return request.param
