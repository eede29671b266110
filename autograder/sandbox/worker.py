"""The worker process: locks itself down, then runs the steps in one shared namespace.

Started by `runner` as `python -c BOOT <progress fd> <plan fd>`, or forked by a `zygote`. It
reads the whole plan before lockdown, and reports on the progress fd with `frames`: the
isolation report, then for each step "started" and "done" (its result, a wire message).
Everything after the first student step is untrusted by the parent. When a layer that the grader
requires (AUTOGRADER_REQUIRE_ISOLATION) is off, the worker exits with status 3 before the I frame,
with one line on stderr that says why, and runs no step.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import struct
import sys
from typing import NoReturn

from autograder.sandbox import policy, wire
from autograder.sandbox.frames import DONE, REPORT, STARTED, send
from autograder.sandbox.limits import ERROR_CHARS, PLAN_CAPS, Limits
from autograder.sandbox.lockdown import lock_down, python_paths


def describe(exc: BaseException) -> str:
    """`<ExcType>: <message>` without a traceback, never longer than ERROR_CHARS."""
    cls = type(exc)
    name = "MemoryError" if issubclass(cls, MemoryError) else type.__dict__["__name__"].__get__(cls)
    try:
        message = str(exc)
    except BaseException:  # noqa: BLE001 - a hostile __str__ may raise anything
        message = "(the message could not be shown)"
    if type(message) is not str:
        message = ""
    text = f"{name}: {message}" if message else name
    return text if len(text) <= ERROR_CHARS else text[: ERROR_CHARS - 3] + "..."


class _Guard:
    """Undoes the student's monkeypatching of the modules the worker itself relies on.

    Student code may rebind ``builtins.isinstance``, ``json.dumps``, ``numpy.save`` and the like;
    after every step the worker puts back every attribute of those modules as it was at start,
    so its own encoding of the next result is never the student's.
    """

    def __init__(self, modules: list) -> None:
        self.saved = [(vars(module), dict(vars(module))) for module in modules]

    def restore(self) -> None:
        # Only what existed at start is put back: new attributes stay (numpy loads submodules
        # such as numpy.random lazily into its namespace, and the worker never uses new ones).
        # One `dict.update` per module (in C) rebinds every saved name, changed or not.
        for current, saved in self.saved:
            current.update(saved)


def _guarded_modules() -> list:
    import json.decoder
    import json.encoder

    import numpy

    return [builtins, io, json, json.encoder, json.decoder, os, struct, numpy, wire]


def _run(step: list, namespace: dict) -> object:
    kind = step[0]
    if kind == "exec":
        exec(compile(step[2], f"<{step[1]}>", "exec"), namespace)  # noqa: S102 - the point
        return None
    name = step[2]
    if name not in namespace:
        what = "function" if kind == "call" else "name"
        raise NameError(f"{what} '{name}' is not defined")
    if kind == "call":
        return namespace[name](*step[3], **step[4])
    return namespace[name]


class _Capture(io.TextIOBase):
    """sys.stdout and sys.stderr during a step: keeps the first `cap` characters, and copies them
    to fd 1 so the parent still sees them if the step kills the process."""

    def __init__(self, cap: int):
        self.parts: list[str] = []
        self.left = cap

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if type(text) is not str:
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        kept = text[: max(self.left, 0)]
        if kept:
            self.parts.append(kept)
            self.left -= len(kept)
            os.write(1, kept.encode("utf-8", "replace"))
        return len(text)

    def text(self) -> str:
        return "".join(self.parts)


def prepare() -> None:
    """What every worker needs before its plan: the modules it guards, the paths it reads.

    A zygote calls it once, so that the workers it forks start with this done; NumPy's random
    module too (10 ms to import), which each forked worker reseeds from the system's entropy."""
    _guarded_modules()
    python_paths()
    import numpy.random  # noqa: F401


def main() -> None:
    """A worker started as its own process: ``python -c BOOT <progress fd> <plan fd>``."""
    serve(int(sys.argv[1]), int(sys.argv[2]))


def serve(progress_fd: int, plan_fd: int) -> NoReturn:
    """Read the plan, lock down, run the steps, report each on `progress_fd`; then exit."""
    with os.fdopen(plan_fd, "rb") as plan_file:
        plan = wire.decode(plan_file.read(), PLAN_CAPS)
    limits = Limits(**plan["limits"])
    caps = limits.caps
    report = lock_down(plan["scratch"], limits, keep_fds={0, 1, 2, progress_fd})
    missing = policy.missing({"environment": "on", **report},
                             policy.parse(os.environ.get(policy.REQUIRE_VARIABLE, "")))
    if missing and plan["steps"]:  # the grader reads this line as why the worker did not start
        os.write(2, (policy.refusal(missing) + "\n").encode())
        os._exit(3)
    send(progress_fd, REPORT, 0, json.dumps(report).encode())

    namespace = {"__name__": "__main__", "__builtins__": builtins}
    guard = _Guard(_guarded_modules())
    for position, step in enumerate(plan["steps"]):
        send(progress_fd, STARTED, position)
        sys.stdout = sys.stderr = capture = _Capture(limits.output_bytes)
        try:
            result = {"ok": True, "value": _run(step, namespace), "error": None}
        except BaseException as exc:  # noqa: BLE001 - SystemExit & co. are student errors too
            result = {"ok": False, "value": None, "error": describe(exc)}
        finally:
            guard.restore()
        result["output"] = capture.text()
        try:
            message = wire.encode(result, caps)
        except wire.WireError as exc:
            error = f"the returned value is too large to grade: {exc}"
            message = wire.encode({**result, "ok": False, "value": None, "error": error})
        except BaseException as exc:  # noqa: BLE001 - e.g. a patched builtin breaking encode
            message = wire.encode({**result, "ok": False, "value": None, "error": describe(exc)})
        send(progress_fd, DONE, position, message)
    os._exit(0)  # skip the student's atexit handlers and finalizers
