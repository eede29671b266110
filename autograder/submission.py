"""Read a submission: a notebook, a ``.py`` module or an nbgrader submission folder.

Nothing here runs student code; it only turns bytes into cells of source text, and any bytes
at all into either cells or a :class:`SubmissionError` whose message tells the student what to do.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

MAX_BYTES = 20 * 2**20
ASK_FOR_NOTEBOOK = "submit the .ipynb file saved from Jupyter (File > Save, then upload that file)"


class SubmissionError(Exception):
    """The submission cannot be read; the message is for the student."""


@dataclass(frozen=True)
class Cell:
    grade_id: str | None
    source: str
    kind: str = "code"  # or "markdown" (kept only when it has a grade_id: free-response answers)


@dataclass(frozen=True)
class Submission:
    path: Path
    kind: str  # "notebook" or "module"
    cells: list[Cell]
    notes: list[str] = field(default_factory=list)


def load(path: Path, assignment: str) -> Submission:
    """The student's cells from a notebook, a module or a folder holding the assignment."""
    path = Path(path)
    if path.is_dir():
        return load(_pick_from_folder(path, assignment), assignment)
    if not path.exists():
        raise SubmissionError(f"{path.name} does not exist: check the file name and upload it again")
    if path.suffix == ".py":
        return Submission(path, "module", [Cell(None, strip_magics(_text(path)))])
    if path.suffix == ".ipynb":
        return Submission(path, "notebook", _notebook_cells(path))
    raise SubmissionError(f"{path.name} is neither a notebook (.ipynb) nor a Python file (.py): {ASK_FOR_NOTEBOOK}")


def _pick_from_folder(folder: Path, assignment: str) -> Path:
    named = folder / f"{assignment}.ipynb"
    if named.is_file():
        return named
    notebooks = sorted(p for p in folder.glob("*.ipynb") if p.is_file())
    tagged = [p for p in notebooks if _names_assignment(p, assignment)]
    for candidates in (tagged, notebooks, sorted(folder.glob("*.py"))):
        if len(candidates) == 1:
            return candidates[0]
    if not notebooks:
        raise SubmissionError(f"the folder {folder.name} holds no notebook: add {assignment}.ipynb")
    raise SubmissionError(
        f"the folder {folder.name} holds several notebooks and none is named {assignment}.ipynb: keep only that one"
    )


def _names_assignment(path: Path, assignment: str) -> bool:
    try:
        metadata = json.loads(path.read_bytes()[:MAX_BYTES]).get("metadata", {})
        return metadata.get("autograder", {}).get("assignment") == assignment
    except (ValueError, AttributeError, OSError):
        return False


def _read(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SubmissionError(f"{path.name} could not be read ({error.strerror})") from None
    if len(data) > MAX_BYTES:
        raise SubmissionError(
            f"{path.name} is {len(data) // 2**20} MB, over the {MAX_BYTES // 2**20} MB limit: "
            "clear all outputs (Kernel > Restart & Clear Output), save, and submit again"
        )
    if not data.strip():
        raise SubmissionError(f"{path.name} is empty: save your work in Jupyter and upload the file again")
    return data


def _text(path: Path) -> str:
    try:
        return _read(path).decode("utf-8")
    except UnicodeDecodeError:
        raise SubmissionError(f"{path.name} is not UTF-8 text: save it as UTF-8 and upload it again") from None


def _notebook_cells(path: Path) -> list[Cell]:
    text = _text(path)
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError):
        raise SubmissionError(f"{path.name} is not a valid notebook (its JSON is damaged): {ASK_FOR_NOTEBOOK}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("cells", raw.get("worksheets")), list):
        raise SubmissionError(f"{path.name} is JSON but not a Jupyter notebook: {ASK_FOR_NOTEBOOK}")
    if "cells" not in raw:  # nbformat 3 keeps cells in worksheets; let nbformat convert it
        raw = _upgrade(text, path)
    cells = []
    for cell in raw["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown"):
            continue
        source = cell.get("source", "")
        if type(source) is list and all(type(line) is str for line in source):
            source = "".join(source)
        if type(source) is not str:
            continue
        if cell["cell_type"] == "code":
            cells.append(Cell(_grade_id(cell), strip_magics(source)))
        elif _grade_id(cell) is not None:
            cells.append(Cell(_grade_id(cell), source, "markdown"))
    return cells


def _upgrade(text: str, path: Path) -> dict:
    import nbformat  # slow to import (jsonschema); only old notebooks need it

    try:
        notebook = nbformat.reads(text, as_version=4)
    except Exception:  # noqa: BLE001 -- nbformat raises many kinds for malformed notebooks
        raise SubmissionError(f"{path.name} is not a notebook Jupyter can open: {ASK_FOR_NOTEBOOK}") from None
    if not isinstance(notebook.get("cells"), list):
        raise SubmissionError(f"{path.name} holds no cells: {ASK_FOR_NOTEBOOK}")
    return notebook


def _grade_id(cell: dict) -> str | None:
    metadata = cell.get("metadata")
    nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    grade_id = nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None
    return grade_id if type(grade_id) is str else None


#: Cell magics whose body is plain Python that still runs (timing, capturing output).
PYTHON_CELL_MAGICS = ("%%time", "%%timeit", "%%capture")
_MAGIC_LINE = re.compile(r"^(\s*)[%!].*$", re.MULTILINE)


def strip_magics(source: str) -> str:
    """IPython magics and shell lines are not Python: drop them, keep the Python around them."""
    first = source.lstrip().split("\n", 1)[0]
    if first.startswith("%%"):
        if not first.startswith(PYTHON_CELL_MAGICS):
            return ""
        source = source.lstrip().split("\n", 1)[1] if "\n" in source.lstrip() else ""
    return _MAGIC_LINE.sub(lambda match: f"{match.group(1)}pass  # IPython magic removed", source)


def defines(source: str, name: str) -> bool:
    """Does this source define a top-level function ``name``?"""
    return re.search(rf"^def\s+{re.escape(name)}\s*\(", source, re.MULTILINE) is not None
