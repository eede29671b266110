"""The isolated worker: runs student code in a locked-down process, returns plain data only.

Knows nothing of the reference, the exercises or the quizzes. The names below load on first use,
so that `zygote.prestart()` can start the worker template before NumPy is imported here.
"""

import importlib

_EXPORTS = {
    "isolation_report": "runner", "run_steps": "runner", "Call": "steps", "Exec": "steps",
    "Fetch": "steps", "Limits": "limits", "StepResult": "steps", "Unsupported": "wire",
}
__all__ = ["Call", "Exec", "Fetch", "Limits", "StepResult", "Unsupported", "isolation_report",
           "run_steps"]


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value
