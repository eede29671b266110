"""The isolated worker: runs student code in a locked-down process, returns plain data only.

Knows nothing of the reference, the exercises or the quizzes.
"""

from autograder.sandbox.runner import isolation_report, run_steps
from autograder.sandbox.steps import Call, Exec, Fetch, Limits, StepResult, Unsupported

__all__ = ["Call", "Exec", "Fetch", "Limits", "StepResult", "Unsupported", "isolation_report",
           "run_steps"]
