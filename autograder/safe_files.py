"""Open what someone else put on disk: never through a link, only regular files, reads bounded.

The grading process runs as root outside every sandbox layer, so each byte of a submission is
hostile. Paths are opened one component at a time relative to an open folder (``openat`` with
``O_NOFOLLOW``): a symbolic link at any depth is refused, never followed. Only regular files
and folders are opened; a FIFO, socket or device is refused from its ``lstat`` and, should it
appear between ``lstat`` and ``open``, by ``fstat`` of what was opened (``O_NONBLOCK``, so a
FIFO cannot hang the open). Sizes are checked with ``fstat`` before reading and reads stop one
byte past the limit, so neither a sparse file nor a growing one makes us read more. A folder
scan looks at a bounded number of entries, to a bounded depth.

Where trust starts: :func:`open_path` trusts the folders *above* an absolute path it is given
and follows links there (the instructor who typed ``autograder grade /abs/SUBMISSION``, or the
batch naming ``submitted/<student>/<id>``, chose them: the course root, ``/autograder``), but
never its last component. A relative path is trusted only up to the working directory: every
component below it is opened without following links (a CI runner grades ``notebooks/x.ipynb``
inside the student's own checkout, where ``notebooks`` may be a committed link). A submission
that is itself a link (``submitted/<student>/<id>`` or an uploaded notebook pointing at the
instructor's source) is refused even when typed on the command line: the instructor cannot tell
it from a real file by its name, and can grade a target on purpose by giving its real path
(``realpath``).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Flags for every open of a name that is not trusted.
UNTRUSTED = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class Refused(Exception):
    """This entry is not read; the message, for the student, says why and what to do."""


class TooManyEntries(Exception):
    """A scan looked at its maximum number of entries before it was done."""


class TooLarge(Exception):
    """A read went past its limit."""


def shown(name: str) -> str:
    """A file name fit for a message: control characters and undecodable bytes escaped."""
    return name if name.isprintable() else repr(name)


#: How much of an unexpected exception's text a warning keeps (it may quote student strings).
PROBLEM_CHARS = 300


def problem(error: BaseException) -> str:
    """An unexpected exception as a warning names it: its type and text, clipped and escaped."""
    return shown(f"{type(error).__name__}: {error}"[:PROBLEM_CHARS])


def kind_of(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a link"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a folder" if stat.S_ISDIR(mode) else "a file" if stat.S_ISREG(mode) else "not a file"


def _refusal(label: str, mode: int) -> Refused:
    return Refused(f"{label} is {kind_of(mode)}: submit the file itself")


def open_at(folder_fd: int, name: str, label: str) -> tuple[int, os.stat_result]:
    """An open fd of entry ``name`` of a folder, and its fstat: a regular file or a folder.

    ``label`` names the entry in messages. Raises :class:`Refused` for a link or anything else
    that is not a regular file or a folder, ``OSError`` (``FileNotFoundError``, ...) otherwise.
    """
    before = os.stat(name, dir_fd=folder_fd, follow_symlinks=False)
    if not (stat.S_ISREG(before.st_mode) or stat.S_ISDIR(before.st_mode)):
        raise _refusal(label, before.st_mode)  # never opened: a device's open can have effects
    try:
        fd = os.open(name, UNTRUSTED, dir_fd=folder_fd)
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.EMLINK):  # became a link since the lstat
            raise _refusal(label, stat.S_IFLNK) from None
        raise
    status = os.fstat(fd)
    if (status.st_dev, status.st_ino, stat.S_IFMT(status.st_mode)) != (
        before.st_dev, before.st_ino, stat.S_IFMT(before.st_mode)
    ):
        os.close(fd)
        raise _refusal(label, status.st_mode)
    return fd, status


def open_path(path: Path) -> tuple[int, os.stat_result]:
    """``open_at`` of ``path``: an absolute path's folders are trusted, a relative path's are not.

    A relative path is opened one component at a time from the working directory, so no link
    is followed at any depth: on a CI runner the working directory is the student's checkout,
    where a committed link could lead a folder of the path to the instructor's files.
    """
    if not Path(path).is_absolute():
        cwd = os.open(".", _FOLDER)
        try:
            return open_inside(cwd, Path(path).parts)
        finally:
            os.close(cwd)
    absolute = Path(os.path.abspath(path))
    if absolute == absolute.parent:  # "/": nothing above it
        fd = os.open(absolute, _FOLDER)
        return fd, os.fstat(fd)
    parent = os.open(absolute.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        return open_at(parent, absolute.name, shown(absolute.name))
    finally:
        os.close(parent)


def open_in(folder: Path, name: str) -> tuple[int, os.stat_result]:
    """``open_at`` of entry ``name`` of ``folder``, the folder opened with :func:`open_path`
    (a folder of a submission, ``submitted/<student>/<id>``: never itself through a link)."""
    folder_fd, status = open_path(folder)
    try:
        if not stat.S_ISDIR(status.st_mode):
            raise Refused(f"{shown(folder.name)} is {kind_of(status.st_mode)}")
        return open_at(folder_fd, name, shown(name))
    finally:
        os.close(folder_fd)


def open_inside(folder_fd: int, parts: Sequence[str]) -> tuple[int, os.stat_result]:
    """``open_at`` of ``parts`` (a relative path, one name per part) below an open folder.

    Every part is opened with ``open_at``, so no link is followed at any depth; a part before
    the last one that is not a folder raises ``NotADirectoryError``.
    """
    current, status = os.dup(folder_fd), os.fstat(folder_fd)
    try:
        for depth, name in enumerate(parts):
            if not stat.S_ISDIR(status.st_mode):
                raise NotADirectoryError(errno.ENOTDIR, "not a folder", "/".join(parts[:depth]))
            label = shown("/".join(parts[: depth + 1]))
            following, status = open_at(current, name, label)
            os.close(current)
            current = following
    except BaseException:
        os.close(current)
        raise
    return current, status


def read_at_most(fd: int, limit: int) -> bytes:
    """The rest of an open file, if it is at most ``limit`` bytes; else :class:`TooLarge`."""
    chunks, total = [], 0
    while total <= limit:
        chunk = os.read(fd, min(limit + 1 - total, 1 << 20))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
    raise TooLarge(total)


class BoundedReader:
    """A binary file object over an fd (for a streaming parser) that stops past ``limit`` bytes."""

    def __init__(self, fd: int, limit: int, check: Callable[[bytes], None] | None = None):
        self.fd, self.limit, self.total, self.check = fd, limit, 0, check

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self.limit + 1
        chunk = os.read(self.fd, min(size, self.limit + 1 - self.total, 1 << 20))
        self.total += len(chunk)
        if self.total > self.limit:
            raise TooLarge(self.total)
        if self.check is not None:
            self.check(chunk)
        return chunk


@dataclass(frozen=True)
class Entry:
    """One entry found by :func:`scan`: its path below the scanned folder and its lstat."""

    parts: tuple[str, ...]
    mode: int
    size: int
    mtime_ns: int

    @property
    def name(self) -> str:
        return self.parts[-1]

    @property
    def label(self) -> str:
        return shown("/".join(self.parts))


def scan(
    folder_fd: int,
    max_entries: int,
    max_depth: int,
    enter: Callable[[str], bool] = lambda _: True,
) -> list[Entry]:
    """Every entry below an open folder, links not followed, to ``max_depth`` levels.

    Sub-folders (never links to one) are entered when ``enter(name)``. Raises
    :class:`TooManyEntries` after looking at ``max_entries`` entries, so a folder of a million
    files costs as much as one of ``max_entries``.
    """
    found: list[Entry] = []

    def visit(fd: int, parts: tuple[str, ...]) -> None:
        entries = []
        with os.scandir(fd) as iterator:
            for item in iterator:
                if len(found) + len(entries) >= max_entries:
                    raise TooManyEntries(max_entries)
                try:
                    status = item.stat(follow_symlinks=False)
                except OSError:  # gone since it was listed
                    continue
                entries.append(Entry(
                    (*parts, item.name), status.st_mode, status.st_size, status.st_mtime_ns
                ))
        found.extend(entries)
        if len(parts) + 1 >= max_depth:
            return
        for entry in entries:
            if not stat.S_ISDIR(entry.mode) or not enter(entry.name):
                continue
            try:
                child = os.open(entry.name, _FOLDER, dir_fd=fd)
            except OSError:  # replaced by a link or removed since the scan: not entered
                continue
            try:
                visit(child, entry.parts)
            finally:
                os.close(child)

    visit(folder_fd, ())
    return found
