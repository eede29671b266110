"""Every limit of the sandbox in one place: what one run may cost, and how much of what the
worker sends the grader keeps.

:class:`Limits` is what a caller may change per `run_steps` call; it also produces the caps of
each step's result (:attr:`Limits.caps`). The constants below are fixed: the plan's caps, and
how long the sentences and reports read back from the worker may be. The wire format's own
bounds (a type name's length, a number's digits) are in :mod:`autograder.sandbox.wire`.
"""

from __future__ import annotations

from dataclasses import dataclass

from autograder.sandbox.wire import Caps

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30

#: The plan (the grader's own steps, written to the worker's plan file): bounded only so that
#: nothing is unbounded; a course's largest plan is a few MiB.
PLAN_CAPS = Caps(depth=64, bytes=1 << 40, nodes=1 << 40, arrays=1 << 20)
#: An error sentence read back from the worker (the worker shortens its own with "...").
ERROR_CHARS = 300
#: The worker's isolation report: its frame, each layer's name, each layer's state.
REPORT_BYTES = 64 * KiB
REPORT_NAME_CHARS = 100
REPORT_STATE_CHARS = 300
#: One read of the worker's printed output, and the reads of it the grader makes at a time, so
#: that a worker printing without end cannot keep the grader from its deadlines (more than a
#: pipe holds: at most 1 MiB unprivileged).
OUTPUT_READ_BYTES = 1 * MiB
OUTPUT_READS = 16
#: The session that reports which isolation layers this machine provides.
REPORT_SESSION_SECONDS = 30.0


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
    # all files together: the scratch dir is a tmpfs of this size (root)
    disk_bytes: int = 256 * MiB
    open_files: int = 64
    output_bytes: int = 64 * KiB  # printed output kept, over all steps
    processes: int = 1  # RLIMIT_NPROC: threads and processes of the worker's uid (its own as root)
    result_bytes: int = 64 * MiB  # one step's encoded value
    results_bytes: int = 64 * MiB  # all steps' values together (kept until they are judged)
    max_depth: int = 32
    max_arrays: int = 256
    max_nodes: int = 100_000
    startup_seconds: float = 10.0  # spawning, importing numpy, locking down

    @property
    def caps(self) -> Caps:
        """The wire caps of one step's result: what the worker may send, what the grader reads."""
        return Caps(self.max_depth, self.max_nodes, self.max_arrays, self.result_bytes)


DEFAULT_LIMITS = Limits()
