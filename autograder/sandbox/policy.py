"""The isolation layers a course may require: no grade at all rather than one from a weaker worker.

A requirement is "all", "none", or layer names separated by commas. The grader checks it before
any student code runs (`autograder grade` and `autograder autograde` exit 3 and write nothing),
and every worker checks it again before its first step.
"""

from __future__ import annotations

from collections.abc import Mapping

REQUIRE_VARIABLE = "AUTOGRADER_REQUIRE_ISOLATION"
#: Every layer of the isolation report, in the order the worker applies them.
LAYERS = ("environment", "file_descriptors", "network", "filesystem", "processes", "ipc", "disk",
          "rlimits", "user", "keyring", "no_new_privs", "landlock_files", "landlock_tcp",
          "landlock_scopes", "seccomp")


def parse(requirement: str) -> tuple[str, ...]:
    """The layers `requirement` names ("all" is every layer, "none" or "" is no layer)."""
    names = [name.strip() for name in requirement.split(",") if name.strip()]
    if names in ([], ["none"]):
        return ()
    if names == ["all"]:
        return LAYERS
    unknown = [name for name in names if name not in LAYERS]
    if unknown:
        raise ValueError(f"unknown isolation layer {', '.join(map(repr, unknown))} "
                         f"(known: all, none, {', '.join(LAYERS)})")
    return tuple(dict.fromkeys(names))


def missing(report: Mapping[str, str], required: tuple[str, ...]) -> dict[str, str]:
    """The required layers that `report` does not have on: layer -> its state."""
    return {layer: report.get(layer, "off: not in the isolation report")
            for layer in required if report.get(layer) != "on"}


def refusal(missing_layers: Mapping[str, str]) -> str:
    """One line that says which required layers are off, and why."""
    why = "; ".join(f"{layer} ({state.removeprefix('off: ')})"
                    for layer, state in missing_layers.items())
    return f"refusing to run student code: required isolation layers are off on this host: {why}"
