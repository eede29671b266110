"""What the benchmarks share: a throw-away nbgrader course, its submissions, a measured run.

A course is a copy of the repository's ``assignments/`` (without releases, submissions or
gradebook) in which ``nbgrader generate_assignment optimization`` has been run, so
``nbgrader autograde`` and ``autograder autograde`` both find what they expect. Submissions are
the instructor's completed notebook as a student would submit it (no solution markers), either
right or with one edit: a classic mistake (``MISTAKES``) or a hostile line (``HOSTILE``). Every
edit is checked to change its cell, so a benchmark can never again grade a course of silently
correct "mistakes".

Not a script: ``bench_grading.py``, ``bench_scale.py``, ``bench_hostile.py`` and
``bench_cluster.py`` import it.
"""

from __future__ import annotations

import copy
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder import course as course_info

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ASSIGNMENT = "optimization"


@dataclass(frozen=True)
class Edit:
    """Replace ``old`` by ``new`` in the solution cell whose grade_id is ``cell``."""

    what: str
    cell: str
    old: str
    new: str


#: Classic mistakes, one per submission, cycled; each costs points in the cell it edits.
MISTAKES = (
    Edit("momentum without (1 - beta)", "update_parameters_with_momentum",
         '(1 - beta) * grads["d" + name]', 'grads["d" + name]'),
    Edit("Adam with epsilon inside the square root", "update_parameters_with_adam",
         "v_corrected[key] / (np.sqrt(s_corrected[key]) + epsilon)",
         "v_corrected[key] / np.sqrt(s_corrected[key] + epsilon)"),
    Edit("mini-batches with a second permutation for Y", "random_mini_batches",
         "X[:, order], Y[:, order]",
         "X[:, order], Y[:, np.random.default_rng(seed + 1).permutation(m)]"),
    Edit("RMSprop with |dW| for dW**2", "update_parameters_with_rmsprop",
         "(1 - beta2) * gradient**2", "(1 - beta2) * np.abs(gradient)"),
    Edit("Adam without bias correction of v", "update_parameters_with_adam",
         "new_v[key] / (1 - beta1**t)", "new_v[key]"),
    Edit("gradient ascent", "update_parameters_with_gd",
         'parameters[name] - learning_rate * grads["d" + name]',
         'parameters[name] + learning_rate * grads["d" + name]'),
    Edit("learning-rate decay without floor", "schedule_lr_decay",
         "np.floor(epoch_num / time_interval)", "epoch_num / time_interval"),
    Edit("velocity started at ones", "initialize_velocity",
         "np.zeros(parameters[kind + str(l)].shape)", "np.ones(parameters[kind + str(l)].shape)"),
)

_LAST_LINE = "    return learning_rate0 / (1 + decay_rate * epoch_num)"
_BUSY = "while True:\n    pass"
_BOMB = "hoard = []\nwhile True:  # 128 MiB more, all touched\n    hoard.append(np.ones(1 << 24))"
_EXIT = "import os\nos._exit(1)"


def _in_function(body: str) -> str:
    return "\n".join("    " + line for line in body.splitlines())


#: Hostile submissions: one attack each in the ``update_lr`` cell, in the function or at top level.
HOSTILE = tuple(
    Edit(f"{what} {where}", "update_lr", _LAST_LINE,
         _in_function(body) if where == "in update_lr" else f"{_LAST_LINE}\n\n\n{body}\n")
    for what, body in (("busy loop", _BUSY), ("memory bomb", _BOMB), ("os._exit(1)", _EXIT))
    for where in ("in update_lr", "at top level")
)


def machine() -> str:
    """Cores, CPU, kernel and the load average now: the figures mean nothing without them."""
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo
                  if line.startswith("model name")), platform.processor() or "unknown CPU")
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return (f"machine: {os.cpu_count()} cores ({model}), Linux {platform.release()}, "
            f"Python {platform.python_version()}, load average {load} (1, 5, 15 min) at start")


def tool_env() -> dict[str, str]:
    """The environment for the venv's tools (nbgrader calls alembic from PATH); wide rich tables."""
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "COLUMNS": "200"}


@dataclass
class Run:
    seconds: float
    peak_rss_mib: float | None  # VmHWM of the command's own process, not of its children
    output: str


def _high_water_mib(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) / 1024 if found else None


def run(command: Sequence[str | Path], cwd: Path = ROOT, poll_seconds: float = 0.02) -> Run:
    """Run ``command``; its wall time, output and the peak RSS of that one process.

    RuntimeError, with the end of its output, if it exits with a status other than 0.

    The peak is the kernel's high-water mark (``VmHWM``) of the command's pid, read every
    ``poll_seconds`` until it exits: its children (nbgrader's kernels, our pool and sandboxes)
    are not in it. It can miss only what the process grows in its last ``poll_seconds``.
    """
    with tempfile.TemporaryFile(mode="w+") as log:
        started = time.perf_counter()
        process = subprocess.Popen([str(part) for part in command], cwd=cwd, env=tool_env(),
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        peak = None
        while process.poll() is None:
            peak = _high_water_mib(process.pid) or peak  # a high-water mark only grows
            time.sleep(poll_seconds)
        seconds = time.perf_counter() - started
        log.seek(0)
        output = log.read()
    if process.returncode != 0:
        shown = " ".join(map(str, command))
        raise RuntimeError(f"{shown} exited {process.returncode}:\n{output[-3000:]}")
    return Run(seconds, peak, output)


def new_course(folder: Path) -> Path:
    """A copy of assignments/ with the optimization assignment released, at ``folder``."""
    ignore = shutil.ignore_patterns("release", "submitted", "autograded", "feedback",
                                    "gradebook.db", "tools", ".autograder_secret", "__pycache__")
    shutil.copytree(ROOT / "assignments", folder, ignore=ignore)
    run([BIN / "nbgrader", "generate_assignment", ASSIGNMENT, "--force"], cwd=folder)
    return folder


def completed_notebook(course: Path) -> nbformat.NotebookNode:
    """The instructor's source notebook as a student who wrote the same code would submit it."""
    notebook = nbformat.read(course_info.source_notebook(course, ASSIGNMENT), as_version=4)
    for cell in notebook.cells:
        cell.source = course_info.without_markers(cell.source)
    return notebook


def compact(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Only the code cells: a smaller file that grades the same (for thousands of submissions)."""
    smaller = copy.deepcopy(notebook)
    smaller.cells = [cell for cell in smaller.cells if cell.cell_type == "code"]
    return smaller


def edited(notebook: nbformat.NotebookNode, edit: Edit) -> nbformat.NotebookNode:
    """A copy of ``notebook`` with ``edit`` made; AssertionError if it would change nothing."""
    changed = copy.deepcopy(notebook)
    cells = [cell for cell in changed.cells
             if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == edit.cell]
    assert len(cells) == 1, f"{edit.what}: {len(cells)} cells have grade_id {edit.cell!r}"
    before = cells[0].source
    assert before.count(edit.old) == 1, (
        f"{edit.what}: {edit.old!r} occurs {before.count(edit.old)} times in cell {edit.cell!r}, "
        "not once: the source notebook changed, update the edit")
    cells[0].source = before.replace(edit.old, edit.new)
    assert cells[0].source != before, f"{edit.what}: the edit leaves cell {edit.cell!r} unchanged"
    return changed


def student_ids(count: int) -> list[str]:
    width = max(3, len(str(count - 1)))
    return [f"student{index:0{width}d}" for index in range(count)]


def mixed_plan(count: int) -> list[Edit | None]:
    """Every other submission right (None), the others with one classic mistake each, cycled."""
    return [None if index % 2 == 0 else MISTAKES[(index // 2) % len(MISTAKES)]
            for index in range(count)]


def submit(course: Path, plan: Sequence[Edit | None], notebook: nbformat.NotebookNode,
           students: Iterable[str] | None = None) -> dict[str, Edit | None]:
    """File one submission per entry of ``plan`` (``notebook`` with that edit); student -> edit.

    Each distinct edit is made (and checked) once and its text written for every student who has
    it, so 10,000 submissions take seconds.
    """
    texts: dict[Edit | None, str] = {}
    filed = {}
    for student, edit in zip(students or student_ids(len(plan)), plan, strict=True):
        if edit not in texts:
            texts[edit] = nbformat.writes(notebook if edit is None else edited(notebook, edit))
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / f"{ASSIGNMENT}.ipynb").write_text(texts[edit], encoding="utf-8")
        filed[student] = edit
    return filed


def file_mixed(course: Path, count: int) -> dict[str, Edit | None]:
    """File ``count`` code-only submissions, every other one with a classic mistake (mixed_plan)."""
    return submit(course, mixed_plan(count), compact(completed_notebook(course)))


def autograde_command(course: Path, jobs: int) -> list[str | Path]:
    """Ours, every isolation layer required (it exits 3, grading nothing, on a host without one)."""
    return [BIN / "autograder", "autograde", ASSIGNMENT, "--course", course, "--jobs", str(jobs),
            "--force", "--require-isolation", "all"]


def results_files(course: Path, students: Iterable[str]) -> list[Path]:
    """Each student's autograded/<student>/optimization/results.json (written by ours)."""
    return [course / "autograded" / student / ASSIGNMENT / "results.json" for student in students]


def results(course: Path, students: Iterable[str]) -> dict[str, dict]:
    """Student -> the results.json ours wrote for them."""
    students = list(students)
    return {student: json.loads(path.read_text())
            for student, path in zip(students, results_files(course, students))}


def max_score(result: dict) -> float:
    return sum(float(test.get("max_score", 0.0)) for test in result.get("tests", []))


def score_check(label: str, plan: dict[str, Edit | None], scores: dict[str, float], top: float,
                kinds: tuple[str, str] = ("right", "mistaken")) -> tuple[str, bool]:
    """Whether every unedited submission has full marks and every edited one less; a line saying so.

    ``kinds`` names the unedited and the edited submissions in that line.
    """
    right = [student for student in scores if plan[student] is None]
    edited_ = [student for student in scores if plan[student] is not None]
    full = sum(scores[student] == top for student in right)
    less = sum(scores[student] < top for student in edited_)
    ok = full == len(right) and less == len(edited_)
    return (f"{'ok' if ok else 'CHECK FAILED'}: {label}: {kinds[0]} notebooks with full marks "
            f"{full}/{len(right)}, {kinds[1]} notebooks below full marks {less}/{len(edited_)}"), ok


def grading_phase(paths: Sequence[Path]) -> tuple[float, float] | None:
    """Seconds from the first to the last file written, and the rate between them.

    Excludes start-up and the first submission: the steady rate of a long batch.
    """
    times = sorted(path.stat().st_mtime for path in paths if path.exists())
    if len(times) < 2 or times[-1] <= times[0]:
        return None
    return times[-1] - times[0], (len(times) - 1) / (times[-1] - times[0])


@dataclass
class Graded:
    """One run of ours over a course, and the results.json it wrote for the students asked."""

    run: Run
    found: dict[str, dict]  # student -> results.json
    phase: tuple[float, float] | None  # grading_phase of those results.json files

    @property
    def scores(self) -> dict[str, float]:
        return {student: float(result["score"]) for student, result in self.found.items()}

    @property
    def top(self) -> float:
        """Full marks: the largest total of max_score over the results."""
        return max(map(max_score, self.found.values()))

    @property
    def isolation_off(self) -> dict[str, str]:
        """Isolation layers that some results.json reports as not on: layer -> its state."""
        off = {}
        for result in self.found.values():
            for layer, state in result.get("extra_data", {}).get("isolation", {}).items():
                if state != "on":
                    off.setdefault(layer, state)
        return off


def autograde(course: Path, students: Iterable[str], jobs: int, *options: str) -> Graded:
    """Run ``autograde_command`` (and ``options`` after it); read what it wrote for ``students``."""
    students = list(students)
    timed = run([*autograde_command(course, jobs), *options])
    return Graded(timed, results(course, students), grading_phase(results_files(course, students)))


def reported_wall(output: str) -> float | None:
    """The 'wall time' column of ``autograder autograde``'s summary table, when it prints one."""
    lines = output.splitlines()
    for index, line in enumerate(lines):
        if "wall time" in line:
            header = [cell.strip() for cell in re.split(r"[│┃|]", line)]
            for row in lines[index + 1:]:
                cells = [cell.strip() for cell in re.split(r"[│┃|]", row)]
                wall = cells[header.index("wall time")] if len(cells) == len(header) else ""
                if re.fullmatch(r"[\d.]+ s", wall):
                    return float(wall.removesuffix(" s"))
    return None

