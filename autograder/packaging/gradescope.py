"""The Gradescope autograder zip (``autograder gradescope build ID``).

Gradescope unzips the bundle into ``/autograder/source``, runs ``setup.sh`` once to build the
image, then ``run_autograder`` for every submission, which must leave
``/autograder/results/results.json``. The zip holds the two scripts at its root, this
project's package sources (pip-installed by ``setup.sh``), and the instructor's files the grade
needs: the assignment's source folder (points) or the quiz's item bank (points and keys).

The zip is deterministic: the same tree gives the same bytes (sorted entries, fixed
timestamps and modes), so a rebuilt bundle can be compared with the uploaded one.
"""

from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from autograder.packaging import template

#: What makes up the installable project (pip install of the bundle's root).
PROJECT = ("pyproject.toml", "README.md", "reference", "autograder")
SCRIPTS = ("setup.sh", "run_autograder")
#: Never bundled, at any depth: caches, environments, nbgrader's student data.
EXCLUDED_NAMES = frozenset({
    "__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".ruff_cache", ".hypothesis",
    ".mypy_cache", ".venv", "venv", ".git", "release", "submitted", "autograded", "gradebook.db",
    ".DS_Store",
})
EXCLUDED_SUFFIXES = (".pyc", ".pyo", ".egg-info")
#: The course secret (every batch seed and the salts come from it) and its half-written copies
#: (``.autograder_secret.<random>``): never bundled, wherever one was left. Gradescope grades on
#: fresh seeds and reads the quiz's salt from ``quizvariants.json``, so it needs no secret.
SECRET_NAME = ".autograder_secret"
#: Zip timestamps cannot go before 1980.
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_UNIX = 3


@dataclass(frozen=True)
class Entry:
    name: str  # path inside the zip, POSIX
    data: bytes
    executable: bool = False


class BundleError(ValueError):
    """The bundle cannot be built from this tree; the message says what is missing."""


def excluded(relative: Path) -> bool:
    return any(part in EXCLUDED_NAMES or part.endswith(EXCLUDED_SUFFIXES)
               or part.startswith(SECRET_NAME)
               for part in relative.parts)


def _tree(root: Path, top: str) -> list[Entry]:
    """Every kept file under ``root/top`` (a file or a folder)."""
    start = root / top
    paths = ([start] if start.is_file()
             else sorted(path for path in start.rglob("*") if path.is_file()))
    entries = []
    for path in paths:
        relative = path.relative_to(root)
        if not excluded(relative):
            entries.append(Entry(relative.as_posix(), path.read_bytes(),
                                 bool(path.stat().st_mode & stat.S_IXUSR)))
    return entries


def bundle_entries(root: Path, assignment: str, quizzes: list[str]) -> list[Entry]:
    """The files of the bundle of ``assignment`` (an exercise set, or one of
    ``quizzes``), sorted."""
    root = Path(root)
    source = f"assignments/source/{assignment}"
    needed = (f"quizzes/{assignment}.yaml" if assignment in quizzes
              else f"{source}/{assignment}.ipynb")
    missing = [top for top in (*PROJECT, needed) if not (root / top).exists()]
    if missing:
        raise BundleError(f"cannot bundle {assignment} from {root}: {', '.join(missing)} missing")
    wanted = [*PROJECT, source, *([needed] if assignment in quizzes else [])]
    entries = [entry for top in wanted if (root / top).exists() for entry in _tree(root, top)]
    entries += [Entry(name, template(name, ASSIGNMENT=assignment).encode(), executable=True)
                for name in SCRIPTS]
    return sorted(entries, key=lambda entry: entry.name)


def write_zip(entries: list[Entry], path: Path) -> Path:
    """Write ``entries`` in order with fixed timestamps and Unix modes 0755 / 0644."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as bundle:
        for entry in entries:
            info = zipfile.ZipInfo(entry.name, date_time=FIXED_TIME)
            info.create_system = _UNIX
            info.external_attr = (stat.S_IFREG | (0o755 if entry.executable else 0o644)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, entry.data, compresslevel=9)
    return path


def build(root: Path, assignment: str, quizzes: list[str], output: Path) -> tuple[Path, int]:
    """Build the zip of ``assignment`` from the repository at ``root``: its path and entry count."""
    entries = bundle_entries(root, assignment, quizzes)
    return write_zip(entries, output), len(entries)
