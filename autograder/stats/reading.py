"""Reading a graded round: each student's results.json, read as hostile bytes.

Two sources, the same records out (:class:`StudentResults`), so the statistics cannot depend on
where the files came from:

- :func:`read_round`: ``<course>/autograded/<student>/<ID>/results.json``, the files of
  ``autograder autograde``. The student id is the folder name.
- :func:`read_glob`: the files matching a glob (``downloads/*/results.json``,
  ``artifacts/*.json``; ``**`` matches any depth; a folder means ``FOLDER/**/*.json``), e.g.
  results.json files downloaded from Gradescope or collected from CI artifacts. The student id
  is the parent folder's name for a file named ``results.json`` (the folder above when the
  parent is named after the assignment, as in ``autograded/<student>/<ID>/results.json``), else
  the file's stem. Two files of one student: the first in path order is read, the other skipped.

Everything below the trusted start (the course root; the folders of the glob before its first
wildcard, which the instructor typed) is opened one component at a time without following a
link (:mod:`autograder.safe_files`): a link at any depth, a FIFO or a device is a warning,
never read. Each file is read only when it is a regular file of at most
:data:`autograder.results.MAX_RESULTS_BYTES` (`results.read_open`), parsed as strict JSON (no
``NaN``, no ``Infinity``, no number out of float range) and checked against
:data:`RESULTS_SCHEMA`. A file that fails any of this costs only that student: a
:class:`Skipped` entry says who and why, the others are read. Every
string kept goes through :func:`autograder.untrusted.text`, so control characters, bidi
overrides and lone surrogates are visible escapes from here on.
"""

from __future__ import annotations

import fnmatch
import json
import math
import os
import re
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from autograder import safe_files, untrusted
from autograder.results import Unreadable, read_open

RESULTS = "results.json"
#: Entries looked at under the trusted start (students, or files a glob walks through).
MAX_ENTRIES = 200_000
#: Folders a ``**`` descends into.
MAX_DEPTH = 8
#: Longest reason shown for a skipped file.
_REASON = 300
_MAGIC = re.compile(r"[*?[]")

#: What the statistics read of a results.json; anything else in the file is left alone.
RESULTS_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["tests"],
    "properties": {
        "tests": {"type": "array", "maxItems": 10_000, "items": {"$ref": "#/$defs/test"}},
        "extra_data": {"type": "object", "properties": {"assignment": {"type": "string"}}},
    },
    "$defs": {
        "score": {"type": "number", "minimum": -1e9, "maximum": 1e9},
        "text": {"type": "string", "maxLength": 100_000},
        "test": {
            "type": "object",
            "required": ["name", "score"],
            "properties": {
                "name": {"type": "string", "maxLength": 1_000},
                "score": {"$ref": "#/$defs/score"},
                "max_score": {"$ref": "#/$defs/score", "minimum": 0},
                "output": {"$ref": "#/$defs/text"},
                "extra_data": {
                    "type": "object",
                    "properties": {
                        "mistakes": {"type": "array", "maxItems": 1_000,
                                     "items": {"$ref": "#/$defs/text"}},
                        "unexplained": {"type": "integer", "minimum": 0},
                        "problem": {"$ref": "#/$defs/text"},
                        "picked": {"type": "array", "maxItems": 1_000,
                                   "items": {"type": "string", "maxLength": 100}},
                        "manual": {"type": "boolean"},
                        "answered": {"type": "boolean"},
                    },
                },
            },
        },
    },
}


class RoundError(Exception):
    """The round cannot be read at all (the message, one line, says why)."""


#: This results.json is not used; the message says why (what the readers of results.py raise).
Unusable = Unreadable


@dataclass(frozen=True)
class Answer:
    """One test of a results.json: a graded name's score and what it is made of."""

    score: float
    max_score: float | None
    #: the test's ``extra_data``, only the keys the statistics read, every string made safe:
    #: ``mistakes`` (list), ``unexplained`` (int), ``problem``, ``picked`` (list), ``manual``,
    #: ``answered``, ``variant`` (text, the same for two students with the same variant)
    data: Mapping[str, object] = field(default_factory=dict)
    output: str = ""


@dataclass(frozen=True)
class StudentResults:
    student: str
    tests: Mapping[str, Answer]


@dataclass(frozen=True)
class Skipped:
    """A student (or a file) left out of the statistics, and why."""

    who: str
    reason: str


@dataclass
class Round:
    students: list[StudentResults] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    #: results.json files found (read or skipped)
    found: int = 0


def _shown(value: object, limit: int = _REASON) -> str:
    line = untrusted.text(value, one_line=True)
    return line if len(line) <= limit else line[: limit - 1] + "\u2026"


# ---------------------------------------------------------------------------------------------
# One file


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:30]} is out of range")
    return value


def _not_json(constant: str) -> float:
    raise ValueError(f"{constant} is not a JSON number")


_VALIDATOR = None


def _schema_error(document: object) -> str | None:
    global _VALIDATOR
    if _VALIDATOR is None:
        import jsonschema  # slow to import: only when a round is read

        _VALIDATOR = jsonschema.Draft202012Validator(RESULTS_SCHEMA)
    error = next(iter(sorted(_VALIDATOR.iter_errors(document), key=lambda e: e.json_path)), None)
    if error is None:
        return None
    expected = json.dumps(error.validator_value)
    return f"{error.json_path} fails {error.validator} {expected[:60]}"


def _variant(value: object) -> str:
    """A per-student item's variant, as text that is equal for equal variants: the quiz grader
    records ``{"student": id, "order": [...]}`` or ``{"student": id, "parameters": {...}}``; the
    student's id is left out (it is in every one)."""
    if isinstance(value, dict):
        value = {key: item for key, item in value.items() if key != "student"}
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def _data(extra: object) -> dict[str, object]:
    """The keys of a test's extra_data that the statistics read (types checked by the schema)."""
    if not isinstance(extra, dict):
        return {}
    data: dict[str, object] = {}
    if "mistakes" in extra:
        data["mistakes"] = list(dict.fromkeys(untrusted.text(m) for m in extra["mistakes"]))
    if "picked" in extra:
        data["picked"] = list(
            dict.fromkeys(untrusted.text(p, one_line=True) for p in extra["picked"]))
    for key in ("unexplained", "manual", "answered"):
        if key in extra:
            data[key] = extra[key] if isinstance(extra[key], bool) else int(extra[key])
    if "problem" in extra:
        data["problem"] = _shown(extra["problem"], 200)
    if extra.get("variant") is not None:
        data["variant"] = _shown(_variant(extra["variant"]), 200)
    return data


def parse_results(raw: bytes, assignment: str) -> dict[str, Answer]:
    """The tests of a results.json (bytes), by name; :class:`Unusable` says why not."""
    try:
        document = json.loads(raw.decode("utf-8"), parse_float=_finite, parse_constant=_not_json)
    except UnicodeDecodeError:
        raise Unusable("not UTF-8 text") from None
    except RecursionError:
        raise Unusable("not valid JSON (nested too deeply)") from None
    except ValueError as error:
        raise Unusable(f"not valid JSON ({_shown(error, 120)})") from None
    problem = _schema_error(document)
    if problem is not None:
        raise Unusable(f"not a results.json of the expected shape: {_shown(problem, 200)}")
    extra = document.get("extra_data", {})
    if extra.get("assignment", assignment) != assignment:
        raise Unusable(f"a results.json of {_shown(extra['assignment'], 80)}, not of {assignment}")
    tests: dict[str, Answer] = {}
    for test in document["tests"]:
        name = untrusted.text(test["name"], one_line=True)
        if name in tests:
            raise Unusable(f"two tests are named {_shown(name, 80)}")
        max_score = test.get("max_score")
        tests[name] = Answer(
            score=float(test["score"]),
            max_score=None if max_score is None else float(max_score),
            data=_data(test.get("extra_data")),
            output=untrusted.text(test.get("output", "")),
        )
    return tests


def _refusal(error: safe_files.Refused) -> str:
    return (str(error).removesuffix(": submit the file itself")
            + ": only regular files are read, and links are not followed")


class _Collector:
    """Adds each file read to a :class:`Round`: a student once, a problem as a Skipped entry."""

    def __init__(self, assignment: str):
        self.assignment, self.round, self.where = assignment, Round(), {}

    def read(self, student: str, folder_fd: int, parts: Sequence[str], label: str) -> None:
        """Read one file (``parts`` below ``folder_fd``); a file that is not there is no part of
        the round (a student folder without this assignment)."""
        student = _shown(student, 10_000)
        try:
            fd, status = safe_files.open_inside(folder_fd, parts)
        except (FileNotFoundError, NotADirectoryError):
            return
        except safe_files.Refused as error:
            self.round.found += 1
            self.skip(student, _refusal(error))
            return
        except OSError as error:
            self.round.found += 1
            self.skip(student, f"{label}: cannot open it ({error.strerror or error})")
            return
        self.round.found += 1
        try:
            if student in self.where:
                raise Unusable(f"a second results.json for this student (the first read: "
                               f"{self.where[student]})")
            tests = parse_results(read_open(fd, status), self.assignment)
        except Unusable as error:
            self.skip(student, f"{label}: {error}")
            return
        except OSError as error:
            self.skip(student, f"{label}: cannot read it ({error.strerror or error})")
            return
        finally:
            os.close(fd)
        self.where[student] = label
        self.round.students.append(StudentResults(student, tests))

    def skip(self, who: str, reason: str) -> None:
        self.round.skipped.append(Skipped(_shown(who, 10_000), _shown(reason)))


# ---------------------------------------------------------------------------------------------
# A course's round


def read_round(course_root: Path, assignment: str) -> Round:
    """Every ``autograded/<student>/<assignment>/results.json`` of the course, by student id.

    The course root is trusted; ``autograded`` must not be a link, and nothing below it is
    opened through one. A student folder without this assignment is not part of the round.
    """
    autograded = Path(course_root) / "autograded"
    try:
        folder, status = safe_files.open_path(autograded)
    except FileNotFoundError:
        return Round()
    except safe_files.Refused as error:
        raise RoundError(_refusal(error)) from None
    except OSError as error:
        raise RoundError(f"cannot open {autograded}: {error.strerror or error}") from None
    collector = _Collector(assignment)
    try:
        if not stat.S_ISDIR(status.st_mode):
            raise RoundError(f"{autograded} is {safe_files.kind_of(status.st_mode)}, not a folder")
        with os.scandir(folder) as entries:
            names = []
            for entry in entries:
                if len(names) >= MAX_ENTRIES:
                    raise RoundError(f"{autograded} holds more than {MAX_ENTRIES} entries")
                if not entry.name.startswith("."):
                    names.append(entry.name)
        for student in sorted(names):
            try:
                mode = os.stat(student, dir_fd=folder, follow_symlinks=False).st_mode
            except OSError:  # gone since it was listed
                continue
            if stat.S_ISLNK(mode):
                collector.skip(student, f"autograded/{_shown(student)} is a link: "
                                        "links are not followed")
            elif stat.S_ISDIR(mode):
                label = f"autograded/{_shown(student)}/{assignment}/{RESULTS}"
                collector.read(student, folder, (student, assignment, RESULTS), label)
    finally:
        os.close(folder)
    return collector.round


# ---------------------------------------------------------------------------------------------
# Any folder of results.json files


def split_glob(pattern: str) -> tuple[Path, tuple[str, ...]]:
    """(the trusted folder before the first wildcard, the pattern's parts below it).

    A folder without wildcards means every ``*.json`` below it; a file without wildcards, that file.
    """
    parts = PurePath(pattern).parts
    first = next((index for index, part in enumerate(parts) if _MAGIC.search(part)), None)
    if first is None:
        path = Path(pattern)
        if path.is_dir():
            return path, ("**", "*.json")
        return path.parent, (path.name,)
    return Path(*parts[:first]) if first else Path("."), tuple(parts[first:])


def _part_matches(pattern: str, name: str) -> bool:
    if name.startswith(".") and not pattern.startswith("."):
        return False  # like glob: a wildcard does not match a hidden name
    return fnmatch.fnmatchcase(name, pattern)


def matches(pattern: Sequence[str], parts: Sequence[str]) -> bool:
    """Whether a relative path (its parts) matches a glob's parts (``**``: any number of
    folders)."""
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(matches(pattern[1:], parts[skip:]) for skip in range(len(parts) + 1)
                   if all(not part.startswith(".") for part in parts[:skip]))
    return bool(parts) and _part_matches(pattern[0], parts[0]) and matches(pattern[1:], parts[1:])


def student_of(base: Path, parts: Sequence[str], assignment: str) -> str:
    """The student a matched file belongs to: for a file named results.json, its folder's name,
    or the folder above when that one is named after the assignment (nbgrader's
    ``<student>/<ID>/results.json``); for any other file, its stem."""
    if parts[-1] != RESULTS:
        return PurePath(parts[-1]).stem
    folders = [*Path(os.path.abspath(base)).parts, *parts[:-1]]
    if len(folders) > 1 and folders[-1] == assignment:
        return folders[-2]
    return folders[-1]


def read_glob(pattern: str, assignment: str) -> Round:
    """Every results.json the glob matches (see the module's docstring), sorted by path."""
    base, rest = split_glob(pattern)
    try:
        folder = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as error:
        raise RoundError(f"cannot open the folder {base} of --results-glob: "
                         f"{error.strerror or error}") from None
    collector = _Collector(assignment)
    depth = MAX_DEPTH if "**" in rest else len(rest)
    try:
        entries = safe_files.scan(folder, MAX_ENTRIES, depth, lambda name: not name.startswith("."))
        for entry in sorted(entries, key=lambda entry: entry.parts):
            if stat.S_ISDIR(entry.mode) or not matches(rest, entry.parts):
                continue
            student = student_of(base, entry.parts, assignment)
            if stat.S_ISREG(entry.mode):
                collector.read(student, folder, entry.parts, entry.label)
            else:
                collector.round.found += 1
                collector.skip(student, f"{entry.label} is {safe_files.kind_of(entry.mode)}: "
                                        "only regular files are read, links are not followed")
    except safe_files.TooManyEntries:
        raise RoundError(
            f"more than {MAX_ENTRIES} entries under {base}: narrow --results-glob") from None
    finally:
        os.close(folder)
    return collector.round
