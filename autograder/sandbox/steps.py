"""What the grader asks the worker to do, and what it gets back (its limits: `limits`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from autograder.sandbox.limits import Limits

__all__ = ["Call", "Exec", "Fetch", "Limits", "Step", "StepResult"]  # Limits: for older imports


@dataclass(frozen=True)
class Exec:
    """Execute `source` in the worker's single shared namespace."""

    label: str
    source: str


@dataclass(frozen=True)
class Call:
    """Call `namespace[function](*args, **kwargs)`; args, kwargs and the result are plain data.

    Calls that share a non-empty `group` stand or fall together: once one of them times out or
    kills the worker, the others are not run (so one hanging function cannot use up the time
    budget of the rest).
    """

    label: str
    function: str
    args: tuple = ()
    kwargs: Mapping = field(default_factory=lambda: MappingProxyType({}))
    group: str = ""


@dataclass(frozen=True)
class Fetch:
    """Read the value bound to the global `name` (quiz answers)."""

    label: str
    name: str


Step = Exec | Call | Fetch


@dataclass(frozen=True)
class StepResult:
    """Outcome of one step; `error` is a sentence for the student, `output` what the step
    printed."""

    label: str
    ok: bool
    value: object = None
    error: str | None = None
    seconds: float = 0.0
    output: str = ""
