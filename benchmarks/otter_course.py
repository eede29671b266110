"""The same course for Otter Grader: an autograder zip from our source notebook; ``otter run``.

Otter is not a dependency of the project: it is looked for in a venv of its own (default
``/tmp/otter-venv``), made with::

    python3 -m venv /tmp/otter-venv
    /tmp/otter-venv/bin/pip install otter-grader ipykernel matplotlib

(``ipykernel`` because Otter executes the notebook in a Jupyter kernel, ``matplotlib`` so the
notebook's demos plot as they do under nbgrader.) The zip holds one Otter test per graded name,
worth the points of its nbgrader test cell, each calling the same ``selfcheck.check`` as that
cell, and the support files that ``nbgrader generate_assignment`` releases. ``otter grade`` runs
only in Docker containers; ``otter run`` is Otter's grader without containers, one notebook per
process, so the benchmark runs ``--jobs`` of them at once.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from course import ASSIGNMENT, run

from autograder import course as course_info

DEFAULT_VENV = Path("/tmp/otter-venv")
INSTALL = "python3 -m venv {venv} && {venv}/bin/pip install otter-grader ipykernel matplotlib"
_TEST = '''from otter.test_files import test_case

OK_FORMAT = False
name = "{name}"
points = {points}


@test_case(points={points}, hidden=False)
def test_{name}({name}):
    import selfcheck

    selfcheck.check("{name}", {name})
'''


def skip_reason(venv: Path) -> str | None:
    """Why Otter cannot be timed here, or None when ``venv`` has a working ``otter``."""
    otter = venv / "bin" / "otter"
    if not otter.exists():
        return f"Otter is not installed in {venv} (install: {INSTALL.format(venv=venv)})"
    probe = subprocess.run([venv / "bin" / "python", "-c", "import otter, ipykernel"],
                           capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["?"])[-1]
        return (f"Otter in {venv} cannot run notebooks ({last}; "
                f"install: {INSTALL.format(venv=venv)})")
    return None


def docker_note() -> str:
    """Why ``otter grade`` (containers only) is not what is timed."""
    try:
        daemon = subprocess.run(["docker", "info"], capture_output=True, check=False, timeout=20)
        state = "reachable" if daemon.returncode == 0 else "not reachable"
    except (OSError, subprocess.TimeoutExpired):
        state = "not installed"
    return (f"`otter grade` grades only in Docker containers (Docker daemon here: {state}); "
            "timed instead: `otter run`, Otter's grader without containers")


def graded_points(course: Path) -> dict[str, float]:
    """Graded name -> points, from the nbgrader test cells of the course's source notebook."""
    cells = json.loads(course_info.source_notebook(course, ASSIGNMENT).read_text())["cells"]
    names = [cell["metadata"]["nbgrader"]["grade_id"].removeprefix("test_") for cell in cells
             if cell.get("metadata", {}).get("nbgrader", {}).get("grade")]
    return course_info.points(course, ASSIGNMENT, names)


def build_autograder(course: Path, venv: Path, folder: Path) -> Path:
    """``otter generate`` an autograder zip of the course's released assignment, in ``folder``."""
    points = graded_points(course)
    tests = folder / "tests"
    tests.mkdir(parents=True)
    for name in points:
        (tests / f"{name}.py").write_text(_TEST.format(name=name, points=f"{points[name]:g}"))
    release = course / "release" / ASSIGNMENT
    support = [path.name for path in sorted(release.iterdir())
               if path.is_file() and path.suffix != ".ipynb"]
    for name in support:
        shutil.copy2(release / name, folder / name)
    zip_path = folder / "autograder.zip"
    run([venv / "bin" / "otter", "generate", "-t", "tests", "-o", zip_path.name, "--no-config",
         "--no-requirements", "--no-environment", *support], cwd=folder)
    return zip_path


def grade(venv: Path, autograder: Path, notebooks: dict[str, Path], out: Path,
          jobs: int) -> tuple[float, dict[str, float], list[Path]]:
    """``otter run`` every notebook, ``jobs`` at once: wall seconds, scores, the results files."""
    def one(student: str) -> Path:
        folder = out / student
        folder.mkdir(parents=True)
        run([venv / "bin" / "otter", "run", "-a", autograder, "-o", folder, "--no-logo",
             notebooks[student]], cwd=folder)
        return folder / "results.json"

    started = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        files = dict(zip(notebooks, pool.map(one, notebooks)))
    seconds = time.perf_counter() - started
    scores = {student: sum(float(test.get("score") or 0.0)
                           for test in json.loads(path.read_text())["tests"] if "max_score" in test)
              for student, path in files.items()}
    return seconds, scores, list(files.values())
