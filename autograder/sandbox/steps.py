"""What the grader asks the worker to do, what it gets back, and the limits it runs under."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30


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
    """Outcome of one step; `error` is a sentence for the student, `output` what the step printed."""

    label: str
    ok: bool
    value: object = None
    error: str | None = None
    seconds: float = 0.0
    output: str = ""


@dataclass(frozen=True)
class Unsupported:
    """Stands for a returned object that is not plain data (its type name, never the object)."""

    type_name: str
    detail: str = ""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one `run_steps` call; sizes in bytes, times in seconds.

    A hostile submission may use each of them up, so they are what it costs the others: every
    honest step of the course takes under 50 ms here (the reference's calls, a student's Python
    loops at the hidden cases' sizes, a cell of definitions), and the largest honest value is a
    few MiB. A step gets 20x that time; the address space fills in a fraction of it (a memory
    bomb ends in a MemoryError, about 0.3 s here, well before the timeout: which comes first
    decides whether a cell's definitions count); a submission that times out in every graded
    name stays within the budget.
    """

    step_seconds: float = 1.0
    total_seconds: float = 30.0
    cpu_seconds: int = 30
    memory_bytes: int = 256 * MiB  # address space on top of what the worker uses after numpy import
    file_bytes: int = 16 * MiB
    disk_bytes: int = 256 * MiB  # all files together: the scratch dir is a tmpfs of this size (root)
    open_files: int = 64
    output_bytes: int = 64 * KiB  # printed output kept, over all steps
    processes: int = 1  # RLIMIT_NPROC: threads and processes of the worker's uid (its own as root)
    result_bytes: int = 64 * MiB  # one step's encoded value
    results_bytes: int = 64 * MiB  # all steps' values together (kept until they are judged)
    max_depth: int = 32
    max_arrays: int = 256
    max_nodes: int = 100_000
    startup_seconds: float = 10.0  # spawning, importing numpy, locking down
