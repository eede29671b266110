"""The frames on the worker's progress pipe, both sides: the worker sends, the grader reads.

A frame is ``kind (1 byte) | position in the plan (u32) | payload length (u64) | payload``:
``REPORT`` (the isolation report, JSON), ``STARTED`` (a step started, no payload) and ``DONE``
(a step's result, a wire message). Everything after the first student step is untrusted, so the
grader reads each frame in parts, each into a buffer of exactly its size, and checks each part
before it reads the next: a forged length or tree size is refused before the grader holds its
bytes. Which frame may come when is the session's to say (`FrameReader`'s ``check``).
"""

from __future__ import annotations

import io
import json
import mmap
import os
import struct
from collections.abc import Callable

from autograder.sandbox import wire
from autograder.sandbox.limits import REPORT_NAME_CHARS, REPORT_STATE_CHARS

FRAME = struct.Struct("<cIQ")
REPORT, STARTED, DONE = b"I", b"S", b"D"
#: One read of the progress pipe, for frames smaller than this; larger parts are read in place.
STAGE_BYTES = 64 * 1024
RESULT_KEYS = ("ok", "value", "error", "output")
_RESULT_KEY_SET = frozenset(RESULT_KEYS)

Payload = bytes | bytearray | mmap.mmap


class ProtocolError(Exception):
    """The worker sent a frame it may not send, or one that is not well formed."""


def send(fd: int, kind: bytes, position: int, payload: bytes = b"") -> None:
    """The worker's side: one whole frame on `fd`."""
    data = memoryview(FRAME.pack(kind, position, len(payload)) + payload)
    while data:
        data = data[os.write(fd, data):]


class FrameReader:
    """The grader's side: the frames of a non-blocking pipe, as they arrive.

    ``check(kind, position, length)`` refuses a frame from its header alone (it raises);
    ``handle(kind, position, payload)`` gets each whole frame. A ``DONE`` frame is read as its
    message's prefix first (`wire.check_prefix`), then the rest into an anonymous map, whose
    pages take memory only once written: a length that is a lie costs nothing the worker does
    not send.
    """

    def __init__(self, pipe: io.FileIO, caps: wire.Caps,
                 check: Callable[[bytes, int, int], None],
                 handle: Callable[[bytes, int, Payload], None]):
        self.pipe, self.caps, self.check, self.handle = pipe, caps, check, handle
        self.stage = memoryview(bytearray(STAGE_BYTES))
        self.header: tuple[bytes, int, int] = (b"", 0, 0)  # of the frame being read
        self.reading = "header"
        self.part = memoryview(bytearray(FRAME.size))
        self.filled = 0

    def _expect(self, reading: str, buffer: bytearray | mmap.mmap, filled: int = 0) -> None:
        self.reading, self.part, self.filled = reading, memoryview(buffer), filled

    def receive(self) -> bool:
        """Read what the pipe holds into the parts of the frames being read; False at end of file.

        A large part is read straight into its own buffer; anything else through a small staging
        buffer, so that one read takes the several small frames a step sends (started, done):
        each part is still filled, and checked, before the next one is made.
        """
        if len(self.part) - self.filled > STAGE_BYTES:
            count = self.pipe.readinto(self.part[self.filled:])
            if not count:
                return count is None  # None: nothing to read after all; 0: end of file
            self.filled += count
            if self.filled == len(self.part):
                self._part_read()
            return True
        count = self.pipe.readinto(self.stage)
        if not count:
            return count is None
        offset = 0
        while offset < count:
            take = min(len(self.part) - self.filled, count - offset)
            self.part[self.filled:self.filled + take] = self.stage[offset:offset + take]
            self.filled += take
            offset += take
            if self.filled == len(self.part):
                self._part_read()
        return True

    def _part_read(self) -> None:
        """The header, then for a result the message's prefix, then the rest."""
        if self.reading == "header":
            self.header = FRAME.unpack(self.part)
            self.check(*self.header)
            kind, _, length = self.header
            if kind == DONE:
                self._expect("prefix", bytearray(wire.PREFIX.size))
                return
            if length:
                self._expect("payload", bytearray(length))
                return
        elif self.reading == "prefix":
            try:
                wire.check_prefix(self.part, self.caps)
            except wire.WireError as error:
                raise ProtocolError(error) from None
            payload = mmap.mmap(-1, self.header[2])
            payload[: wire.PREFIX.size] = self.part
            self._expect("payload", payload, wire.PREFIX.size)
            if self.filled < len(self.part):
                return
        payload = self.part.obj if self.reading == "payload" else b""
        self._expect("header", bytearray(FRAME.size))
        kind, position, _ = self.header
        self.handle(kind, position, payload)


def read_report(payload: bytes) -> dict[str, str]:
    """A ``REPORT`` frame's isolation report: layer -> "on" / "off: why", each shortened."""
    try:
        report = json.loads(payload.decode())
    except (ValueError, RecursionError):
        raise ProtocolError from None
    if type(report) is not dict or not all(type(k) is str and type(v) is str
                                           for k, v in report.items()):
        raise ProtocolError
    return {"environment": "on",
            **{k[:REPORT_NAME_CHARS]: v[:REPORT_STATE_CHARS] for k, v in report.items()}}


def read_result(payload: Payload, caps: wire.Caps) -> tuple[bool, object, str | None, str]:
    """A ``DONE`` frame's message: (ok, value, error, output); raises WireError."""
    message = wire.decode(payload, caps)
    if type(message) is not dict or set(message) != _RESULT_KEY_SET:
        raise wire.WireError("malformed result")
    ok, value, error, output = (message[k] for k in RESULT_KEYS)
    if type(ok) is not bool or type(output) is not str:
        raise wire.WireError("malformed result")
    if not (error is None or type(error) is str):
        raise wire.WireError("malformed error")
    return ok, value, error, output
