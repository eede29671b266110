"""The grader's own modules that students get beside a notebook, and the files written beside it.

Three of the grader's modules are shipped verbatim: `autograder.selfcheck` as ``selfcheck.py``
beside each exercise notebook, `autograder.quiz.answers` as ``quizcheck.py`` and
`autograder.quiz.variants` as ``quizvariants.py`` beside a quiz. In the bundled course (inside
this repository) each is a relative symbolic link to the module, so the repository holds one copy
that cannot go stale; ``nbgrader generate_assignment`` copies the file a link points to, so the
release holds a regular file. A course elsewhere gets a copy, rewritten when the module changes.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The repository that holds the package (for an installed wheel, its site-packages).
_REPOSITORY = Path(__file__).resolve().parents[1]


def write_if_changed(path: Path, text: str) -> bool:
    """Write `text` to `path` unless it already holds it; whether it was written."""
    path, data = Path(path), text.encode("utf-8")  # bytes: no newline translation either way
    if path.is_file() and not path.is_symlink() and path.read_bytes() == data:
        return False
    if path.is_symlink():
        path.unlink()
    path.write_bytes(data)
    return True


def ship_module(module: Path, destination: Path) -> bool:
    """Put the module `module` at `destination`: a link inside this repository, else a copy.

    Returns whether `destination` changed.
    """
    module, destination = Path(module).resolve(), Path(destination)
    folder = destination.parent.resolve()
    if folder == module.parent and destination.name == module.name:  # it is the module itself
        return False
    if not folder.is_relative_to(_REPOSITORY):
        return write_if_changed(destination, module.read_text(encoding="utf-8"))
    target = os.path.relpath(module, folder)
    if destination.is_symlink() and os.readlink(destination) == target:
        return False
    if destination.is_symlink() or destination.exists():
        destination.unlink()
    destination.symlink_to(target)
    return True
