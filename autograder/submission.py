"""Read a submission: a notebook, a ``.py`` module or a folder holding one.

Nothing here runs student code; it only turns bytes into cells of source text, and any bytes
at all into either cells or a :class:`SubmissionError` whose message tells the student what to do.

The grading process reads a submission as root, outside every sandbox layer, so every byte of
it is hostile and is read through :mod:`autograder.safe_files`:

- No link is followed at any depth, and only regular files are read: a link, FIFO, socket or
  device gets a message (``optimization.ipynb is a link: submit the file itself``) and 0, never
  the target's content and never a hang. The folders *above* an absolute path given to
  :func:`load` are trusted (whoever named the path chose them); its last component is not: a
  submission that is itself a link is refused, even when an instructor types it on the command
  line. A relative path is trusted only up to the working directory (a CI runner's working
  directory is the student's checkout): no component below it is followed through a link.
- A notebook is parsed as a stream (ijson, C backend yajl2_c): outputs and attachments are
  skipped as they go by and never kept, so a notebook big only because of its plots and
  training logs is graded from its code; memory grows by about twice its largest value.
  nbformat 3 notebooks (``worksheets``, last written by Jupyter in 2015) are read whole, at
  most MAX_V3_BYTES (4 MiB), and converted here, never validated by nbformat (seconds per MiB).

Limits; each one reached gives a message saying what to do (figures: 2-core machine, yajl2_c):

=============================================  =========  ====================================
what                                           limit      why
=============================================  =========  ====================================
a notebook file, by fstat before reading       256 MiB    real notebooks with plots and logs
                                                          reach 30-100 MB; 100 MB of outputs
                                                          parse in ~0.9 s
one JSON value (a picture, an HTML output)     64 MiB     yajl re-reads a value cut by a feed
                                                          (FEED_BYTES, 1 MiB) from its start:
                                                          n bytes cost n^2 / 2 MiB, 0.7 s at
                                                          64 MiB
JSON values in a notebook                      8 million  ~0.3 us each: 2.5 s at most; 100 MB
                                                          of one-line logs is ~2 million
a notebook without outputs and attachments     20 MiB     what is kept in memory (cells,
(MAX_BYTES)                                               metadata); a course notebook's is
                                                          well under 1 MiB
a whole nbformat 3 notebook (MAX_V3_BYTES)     4 MiB      read whole with json: ~50 ms
code: all code cells, or a ``.py`` module      4 MiB      what goes to the worker; a solution
                                                          is about 50 KB
cells                                          10,000     a course notebook has about 100
a folder: entries looked at, folder depth      10,000, 8  a repository with its notebook, not
                                                          a virtual environment
=============================================  =========  ====================================
"""

from __future__ import annotations

import codecs
import itertools
import json
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import ijson

from autograder import course, safe_files
from autograder.safe_files import Entry, Refused, TooLarge, TooManyEntries, shown

MAX_FILE_BYTES = 256 * 2**20
MAX_BYTES = 20 * 2**20
MAX_V3_BYTES = 4 * 2**20
MAX_CODE_BYTES = 4 * 2**20
MAX_CELLS = 10_000
MAX_JSON_VALUES = 8_000_000
MAX_VALUE_BYTES = 64 * 2**20
FEED_BYTES = 2**20
MAX_ENTRIES = 10_000
MAX_DEPTH = 8
ASK_FOR_NOTEBOOK = "submit the .ipynb file saved from Jupyter (File > Save, then upload that file)"
CLEAR_OUTPUTS = "clear all outputs (Kernel > Restart & Clear Output), save, and submit again"


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


@dataclass(frozen=True)
class NotebookCell:
    """A cell as stored, without its outputs and attachments."""

    cell_type: str  # "code", "markdown" or "raw"
    source: str
    grade_id: str | None
    cell_id: str | None


@dataclass(frozen=True)
class Notebook:
    cells: list[NotebookCell]
    assignment: str | None  # metadata.autograder.assignment


def load(path: Path, assignment: str) -> Submission:
    """The student's cells from a notebook, a module or a folder holding the assignment."""
    path = Path(path)
    label = shown(path.name or os.path.basename(os.path.abspath(path)))
    with _reading(label):
        fd, status = safe_files.open_path(path)
    try:
        if stat.S_ISDIR(status.st_mode):
            submission = _Folder(fd, label, assignment).load(path)
        else:
            submission = _load_file(fd, status, path.name, label, path)
    finally:
        os.close(fd)
    if any(course.SOURCE_MARKER.search(cell.source) for cell in submission.cells):
        raise SubmissionError(
            f"{shown(submission.path.name)} still holds nbgrader's '### BEGIN SOLUTION' markers, "
            "which no released notebook has: it is a copy of the instructor's source notebook "
            "(for instance through a link that nbgrader collect followed), not your work. "
            "Submit the notebook you filled in"
        )
    return submission


def read_notebook(folder: Path, name: str) -> Notebook:
    """The notebook ``name`` in ``folder`` (neither one through a link), without its outputs."""
    label = shown(name)
    with _reading(label):
        fd, status = safe_files.open_in(folder, name)
    try:
        return _notebook(fd, status, label)
    finally:
        os.close(fd)


@contextmanager
def _reading(label: str) -> Iterator[None]:
    """Refusals and errors of opening and reading, as messages for the student."""
    try:
        yield
    except Refused as refusal:
        raise SubmissionError(str(refusal)) from None
    except FileNotFoundError:
        raise SubmissionError(
            f"{label} does not exist: check the file name and upload it again"
        ) from None
    except OSError as error:
        raise SubmissionError(f"{label} could not be read ({error.strerror})") from None


def _load_file(fd: int, status: os.stat_result, name: str, label: str, path: Path) -> Submission:
    if not stat.S_ISREG(status.st_mode):
        kind = safe_files.kind_of(status.st_mode)
        raise SubmissionError(f"{label} is {kind}: {ASK_FOR_NOTEBOOK}")
    if name.endswith(".py"):
        source = strip_magics(_module_text(fd, status, label))
        return Submission(path, "module", [Cell(None, source)])
    if name.endswith(".ipynb"):
        return Submission(path, "notebook", _cells(_notebook(fd, status, label)))
    raise SubmissionError(
        f"{label} is neither a notebook (.ipynb) nor a Python file (.py): {ASK_FOR_NOTEBOOK}"
    )


# ---------------------------------------------------------------------------------------------
# A folder: which of its files is the submission


class _Folder:
    """An open submission folder: which of its files to grade, and that file's cells.

    The top of the folder is looked at first; only when it holds no notebook and no ``.py``,
    the folders below it (a zip of a folder, a GitHub repository), to MAX_DEPTH levels. Names
    starting with a dot (``.ipynb_checkpoints``, ``.git``, macOS's ``._`` files) are never
    looked at, nor is anything through a link. In order of preference: ``<assignment>.ipynb``
    (the shallowest), the only notebook whose metadata names the assignment
    (``metadata.autograder.assignment``), the only notebook, the only ``.py``. A pick that is a
    link, FIFO, ... is refused when it is opened.
    """

    def __init__(self, fd: int, label: str, assignment: str):
        self.fd, self.label, self.assignment = fd, label, assignment
        self.named = f"{assignment}.ipynb"
        self.parsed: dict[tuple[str, ...], Notebook | SubmissionError] = {}

    def load(self, path: Path) -> Submission:
        entry = self.pick()
        where = path.joinpath(*entry.parts)
        if entry.name.endswith(".ipynb") and stat.S_ISREG(entry.mode):
            return Submission(where, "notebook", _cells(self.notebook(entry)))
        with _reading(entry.label):
            fd, status = safe_files.open_inside(self.fd, entry.parts)
        try:
            return _load_file(fd, status, entry.name, entry.label, where)
        finally:
            os.close(fd)

    def pick(self) -> Entry:
        try:  # before any scan: a folder of a million files with the notebook is still graded
            status = os.stat(self.named, dir_fd=self.fd, follow_symlinks=False)
            return Entry((self.named,), status.st_mode, status.st_size, status.st_mtime_ns)
        except FileNotFoundError:
            pass
        except OSError as error:
            raise SubmissionError(f"{self.named} could not be read ({error.strerror})") from None
        entries = self.scan(1)
        if not _candidates(entries, ".ipynb") and not _candidates(entries, ".py"):
            entries = self.scan(MAX_DEPTH)
        notebooks, modules = _candidates(entries, ".ipynb"), _candidates(entries, ".py")
        for notebook in notebooks:
            if notebook.name == self.named:
                return notebook
        tagged = [entry for entry in _readable(notebooks) if self.names_assignment(entry)]
        for candidates in (tagged, notebooks, modules):
            if len(candidates) == 1:
                return candidates[0]
        if not notebooks:
            links = [entry.label for entry in entries if stat.S_ISLNK(entry.mode)]
            unfollowed = f" ({links[0]} is a link: links are not followed)" if links else ""
            raise SubmissionError(
                f"the folder {self.label} holds no notebook: add {self.named}{unfollowed}"
            )
        found = ", ".join(entry.label for entry in notebooks[:5])
        more = ", ..." if len(notebooks) > 5 else ""
        raise SubmissionError(
            f"the folder {self.label} holds several notebooks ({found}{more}) and none is named "
            f"{self.named}: keep only that one"
        )

    def scan(self, depth: int) -> list[Entry]:
        try:
            entries = safe_files.scan(self.fd, MAX_ENTRIES, depth, enter=_not_hidden)
        except TooManyEntries:
            raise SubmissionError(
                f"the folder {self.label} holds more than {MAX_ENTRIES:,} files and folders: "
                f"submit only {self.named}"
            ) from None
        except OSError as error:
            raise SubmissionError(
                f"the folder {self.label} could not be read ({error.strerror})"
            ) from None
        return [entry for entry in entries if _not_hidden(entry.name)]

    def notebook(self, entry: Entry) -> Notebook:
        """The notebook at ``entry``, parsed once (for its metadata, then for its cells)."""
        if entry.parts not in self.parsed:
            try:
                with _reading(entry.label):
                    fd, status = safe_files.open_inside(self.fd, entry.parts)
                try:
                    self.parsed[entry.parts] = _notebook(fd, status, entry.label)
                finally:
                    os.close(fd)
            except SubmissionError as error:
                self.parsed[entry.parts] = error
        outcome = self.parsed[entry.parts]
        if isinstance(outcome, SubmissionError):
            raise outcome
        return outcome

    def names_assignment(self, entry: Entry) -> bool:
        try:
            return self.notebook(entry).assignment == self.assignment
        except SubmissionError:
            return False


def _not_hidden(name: str) -> bool:
    return not name.startswith(".")


def _candidates(entries: list[Entry], suffix: str) -> list[Entry]:
    """The entries named ``*suffix`` that are not folders, the shallowest first."""
    found = [e for e in entries if e.name.endswith(suffix) and not stat.S_ISDIR(e.mode)]
    return sorted(found, key=lambda entry: (len(entry.parts), entry.parts))


def _readable(notebooks: list[Entry]) -> list[Entry]:
    """The regular files among ``notebooks`` read for their metadata: MAX_FILE_BYTES in all."""
    readable, budget = [], MAX_FILE_BYTES
    for notebook in notebooks:
        if stat.S_ISREG(notebook.mode) and notebook.size <= budget:
            readable.append(notebook)
            budget -= notebook.size
    return readable


# ---------------------------------------------------------------------------------------------
# A module


def _module_text(fd: int, status: os.stat_result, label: str) -> str:
    too_large = SubmissionError(
        f"{label} is {_megabytes(status.st_size)}, over the {_megabytes(MAX_CODE_BYTES)} "
        "limit for a Python file: keep only your code"
    )
    if status.st_size > MAX_CODE_BYTES:
        raise too_large
    try:
        with _reading(label):
            data = safe_files.read_at_most(fd, MAX_CODE_BYTES)
    except TooLarge:  # grew since its fstat
        raise too_large from None
    if not data.strip():
        raise _empty(label)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise _not_utf8(label) from None


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.0f} MB" if size >= 10 * 2**20 else f"{size / 2**20:.1f} MB"


def _empty(label: str) -> SubmissionError:
    return SubmissionError(f"{label} is empty: save your work in Jupyter and upload the file again")


def _not_utf8(label: str) -> SubmissionError:
    return SubmissionError(f"{label} is not UTF-8 text: save it as UTF-8 and upload it again")


# ---------------------------------------------------------------------------------------------
# A notebook, parsed as a stream


class _TextCheck:
    """Watches the bytes going to the parser: UTF-8 throughout, and whether any is not blank."""

    def __init__(self) -> None:
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.blank = True

    def __call__(self, chunk: bytes) -> None:
        self.decoder.decode(chunk, final=not chunk)
        self.blank = self.blank and not chunk.strip()


def _notebook(fd: int, status: os.stat_result, label: str) -> Notebook:
    """A notebook's cells and assignment tag from an open regular file, outputs never kept."""
    if status.st_size > MAX_FILE_BYTES:
        raise _too_large(label, status.st_size, MAX_FILE_BYTES)
    if status.st_size == 0:
        raise _empty(label)
    check = _TextCheck()
    parser = _Parser(safe_files.BoundedReader(fd, MAX_FILE_BYTES, check), label)
    try:
        with _reading(label):
            notebook = parser.notebook()
    except UnicodeDecodeError:
        raise _not_utf8(label) from None
    except TooLarge as error:  # grew since its fstat
        raise _too_large(label, error.args[0], MAX_FILE_BYTES) from None
    # ijson raises JSONError for bad JSON; an integer past Python's digit limit (json.loads
    # refuses it too) comes as ValueError, or SystemError from inside the C backend.
    except (ijson.JSONError, ValueError, SystemError, ArithmeticError):
        if check.blank:
            raise _empty(label) from None
        raise SubmissionError(
            f"{label} is not a valid notebook (its JSON is damaged): {ASK_FOR_NOTEBOOK}"
        ) from None
    if notebook is None:  # nbformat 3: cells in worksheets
        notebook = _upgraded(fd, status, label)
    _check_limits(notebook, label)
    return notebook


def _too_large(label: str, size: int, limit: int) -> SubmissionError:
    return SubmissionError(
        f"{label} is {_megabytes(size)}, over the {_megabytes(limit)} limit: {CLEAR_OUTPUTS}"
    )


def _check_limits(notebook: Notebook, label: str) -> None:
    if len(notebook.cells) > MAX_CELLS:
        raise _too_many_cells(label)
    code = sum(len(cell.source) for cell in notebook.cells if cell.cell_type == "code")
    if code > MAX_CODE_BYTES:
        raise SubmissionError(
            f"the code cells of {label} hold {_megabytes(code)}, over the "
            f"{_megabytes(MAX_CODE_BYTES)} limit: remove pasted data from them, save, and submit "
            "again"
        )


def _too_many_cells(label: str) -> SubmissionError:
    return SubmissionError(
        f"{label} has more than {MAX_CELLS:,} cells: start again from the released notebook"
    )


class _Parser:
    """Notebook JSON as a stream of ijson events -> cells; outputs and attachments skipped unseen.

    Mirrors what ``json.loads`` and the old dict walk accepted: the last of duplicated keys wins,
    a cell whose source is not text is left out, and a document that is not a notebook is still
    parsed to its end, so damaged JSON anywhere says "damaged".
    """

    def __init__(self, stream: safe_files.BoundedReader, label: str):
        self.label = label
        self.raw = self._parse(stream)
        self.events = itertools.islice(self.raw, MAX_JSON_VALUES)  # costs nothing per event
        self.kept = 0  # characters of keys and strings outside outputs and attachments

    def _parse(self, stream: safe_files.BoundedReader) -> Iterator[tuple[str, object]]:
        """ijson's events, parsing FEED_BYTES at a time.

        yajl re-reads a value cut by the end of a feed from its start at every feed, so one
        value of n bytes costs n^2 / (2 FEED_BYTES) byte reads: feeds are large, and a feed
        that ends no value at all (only one value can span it) counts towards MAX_VALUE_BYTES.
        """
        found = ijson.sendable_list()
        parser = ijson.basic_parse_coro(found, use_float=True)  # no Decimal: 1e999 is inf
        unfinished = 0
        while chunk := stream.read(FEED_BYTES):
            parser.send(chunk)
            if found:
                unfinished = 0
                yield from found
                del found[:]
                continue
            unfinished += len(chunk)
            if unfinished > MAX_VALUE_BYTES:
                raise SubmissionError(
                    f"{self.label} holds one value (an output, a picture) of more than "
                    f"{_megabytes(MAX_VALUE_BYTES)}: {CLEAR_OUTPUTS}"
                )
        parser.close()
        yield from found

    def next(self) -> tuple[str, object]:
        for event in self.events:
            return event
        raise self._too_complex()  # yajl raises on a truncated document, so this is the cap

    def _too_complex(self) -> SubmissionError:
        return SubmissionError(
            f"{self.label} holds more than {MAX_JSON_VALUES:,} JSON values: {CLEAR_OUTPUTS}"
        )

    def keep(self, text: str) -> None:
        self.kept += len(text)
        if self.kept > MAX_BYTES:
            raise SubmissionError(
                f"{self.label} is over {_megabytes(MAX_BYTES)} even without its outputs: "
                f"{CLEAR_OUTPUTS}"
            )

    def skip(self, event: str, value: object, counted: bool = True) -> None:
        """Consume the rest of a value whose first event was ``(event, value)``."""
        if event != "start_map" and event != "start_array":
            if counted and event == "string":
                self.keep(value)
            return
        depth = 1
        for inner, text in self.events:
            if inner == "start_map" or inner == "start_array":
                depth += 1
            elif inner == "end_map" or inner == "end_array":
                depth -= 1
                if depth == 0:
                    return
            elif counted and (inner == "string" or inner == "map_key"):
                self.keep(text)
        raise self._too_complex()

    def find(self, event: str, value: object, keys: tuple[str, ...]) -> str | None:
        """The string at ``keys`` (nested maps) inside this value, or None; the rest is skipped."""
        if not keys:
            self.skip(event, value)
            return value if event == "string" else None
        if event != "start_map":
            self.skip(event, value)
            return None
        found = None
        for key in self.keys():
            event, value = self.next()
            if key == keys[0]:
                found = self.find(event, value, keys[1:])
            else:
                self.skip(event, value)
        return found

    def keys(self) -> Iterator[str]:
        """The keys of the map being read, up to its end; the caller reads each key's value."""
        while True:
            event, key = self.next()
            if event == "end_map":
                return
            self.keep(key)
            yield key

    def notebook(self) -> Notebook | None:
        """The notebook, or None for an nbformat 3 one (cells in worksheets)."""
        event, value = self.next()
        if event != "start_map":
            self.skip(event, value)
            self.end()
            raise self._not_a_notebook()
        cells, has_cells, worksheets, assignment = None, False, False, None
        for key in self.keys():
            event, value = self.next()
            if key == "cells":
                has_cells, cells = True, None
                if event == "start_array":
                    cells = self.cells()
                else:
                    self.skip(event, value)
            elif key == "worksheets":
                worksheets = event == "start_array"
                self.skip(event, value, counted=False)  # its size is checked on the slower path
            elif key == "metadata":
                assignment = self.find(event, value, ("autograder", "assignment"))
            else:
                self.skip(event, value)
        self.end()
        if has_cells and cells is not None:
            return Notebook(cells, assignment)
        if has_cells or not worksheets:
            raise self._not_a_notebook()
        return None

    def end(self) -> None:
        """Parse to the end of the bytes: yajl raises on anything after the notebook."""
        for _ in self.raw:
            raise ijson.JSONError("a second value after the notebook")

    def _not_a_notebook(self) -> SubmissionError:
        return SubmissionError(
            f"{self.label} is JSON but not a Jupyter notebook: {ASK_FOR_NOTEBOOK}"
        )

    def cells(self) -> list[NotebookCell]:
        cells, count = [], 0
        while True:
            event, value = self.next()
            if event == "end_array":
                return cells
            count += 1
            if count > MAX_CELLS:
                raise _too_many_cells(self.label)
            if event == "start_map":
                cell = self.cell()
                if cell is not None:
                    cells.append(cell)
            else:
                self.skip(event, value)

    def cell(self) -> NotebookCell | None:
        cell_type = source = grade_id = cell_id = None
        for key in self.keys():
            event, value = self.next()
            if key in ("outputs", "attachments"):
                self.skip(event, value, counted=False)
            elif key == "cell_type":
                cell_type = self.find(event, value, ())
            elif key == "source":
                source = self.source(event, value)
            elif key == "metadata":
                grade_id = self.find(event, value, ("nbgrader", "grade_id"))
            elif key == "id":
                cell_id = self.find(event, value, ())
            else:
                self.skip(event, value)
        if cell_type not in ("code", "markdown", "raw") or source is None:
            return None
        return NotebookCell(cell_type, source, grade_id, cell_id)

    def source(self, event: str, value: object) -> str | None:
        """A cell's source: a string, or a list of strings joined; None for anything else."""
        if event == "string":
            self.keep(value)
            return value
        if event != "start_array":
            self.skip(event, value)
            return None
        pieces, text = [], True
        while True:
            event, value = self.next()
            if event == "end_array":
                return "".join(pieces) if text else None
            if event == "string":
                self.keep(value)
                pieces.append(value)
            else:
                text = False
                self.skip(event, value)


def _upgraded(fd: int, status: os.stat_result, label: str) -> Notebook:
    """An nbformat 3 notebook (cells in ``worksheets``, code in ``input``), read whole.

    Converted here rather than by nbformat, whose validation costs seconds per MiB of outputs
    in the grading process; at most MAX_V3_BYTES are read (Jupyter has written nbformat 4 since
    2015: a student who has an older file opens it in Jupyter and saves it again).
    """
    if status.st_size > MAX_V3_BYTES:
        raise SubmissionError(
            f"{label} is an old nbformat 3 notebook of {_megabytes(status.st_size)}, over the "
            f"{_megabytes(MAX_V3_BYTES)} limit for that format: open it in Jupyter, save it "
            "(Jupyter writes the current format), and submit again"
        )
    try:
        with _reading(label):
            os.lseek(fd, 0, os.SEEK_SET)
            raw = json.loads(safe_files.read_at_most(fd, MAX_V3_BYTES).decode("utf-8"))
    except TooLarge as error:  # grew since its fstat
        raise _too_large(label, error.args[0], MAX_V3_BYTES) from None
    except UnicodeDecodeError:  # changed since it was parsed
        raise _not_utf8(label) from None
    except (ValueError, RecursionError):
        raise SubmissionError(
            f"{label} is not a valid notebook (its JSON is damaged): {ASK_FOR_NOTEBOOK}"
        ) from None
    worksheets = raw.get("worksheets") if isinstance(raw, dict) else None
    if not isinstance(worksheets, list):
        raise SubmissionError(f"{label} holds no cells: {ASK_FOR_NOTEBOOK}")
    cells = [
        converted
        for worksheet in worksheets
        if isinstance(worksheet, dict) and isinstance(worksheet.get("cells"), list)
        for cell in worksheet["cells"]
        if (converted := _v3_cell(cell)) is not None
    ]
    metadata = raw.get("metadata")
    autograder = metadata.get("autograder") if isinstance(metadata, dict) else None
    assignment = autograder.get("assignment") if isinstance(autograder, dict) else None
    return Notebook(cells, assignment if type(assignment) is str else None)


def _v3_cell(cell: object) -> NotebookCell | None:
    """One nbformat 3 cell as nbformat's own upgrade makes it (headings become markdown)."""
    if not isinstance(cell, dict):
        return None
    kind = cell.get("cell_type")
    source = cell.get("input" if kind == "code" else "source", "")
    if type(source) is list and all(type(line) is str for line in source):
        source = "".join(source)
    if type(source) is not str or kind not in ("code", "markdown", "raw", "heading"):
        return None
    if kind == "heading":
        level = cell.get("level")
        level = level if type(level) is int and 1 <= level <= 6 else 1
        kind, source = "markdown", "#" * level + " " + source.replace("\n", " ")
    return NotebookCell(kind, source, _grade_id(cell), None)


def _grade_id(cell: dict) -> str | None:
    metadata = cell.get("metadata")
    nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    grade_id = nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None
    return grade_id if type(grade_id) is str else None


def _cells(notebook: Notebook) -> list[Cell]:
    """The cells grading looks at: every code cell, and markdown cells with a grade_id."""
    cells = []
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cells.append(Cell(cell.grade_id, strip_magics(cell.source)))
        elif cell.cell_type == "markdown" and cell.grade_id is not None:
            cells.append(Cell(cell.grade_id, cell.source, "markdown"))
    return cells


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
