"""The GitHub Actions workflow of a student repository (``autograder ci init``).

The workflow clones the grader from the instructor's private repository at run time into
``$RUNNER_TEMP/grader``, outside the checkout of the student's repository (``actions/checkout``
only checks out under the workspace, hence a plain ``git clone``, its token in an environment
variable, never stored), so the student's repository holds the notebook and this file, never a
reference or a key, and no committed relative path or symbolic link leads into the grader.

The grade goes to ``$RUNNER_TEMP/results.json``; what the student's repository keeps as an
artifact, what the job summary shows and what GitHub Classroom's reporter action reads (the
step output ``result`` of step ``RUNNER_ID``, see :mod:`autograder.packaging.classroom`) are
made from ``public_results`` of it. No ``${{ }}`` expression is written into a ``run:`` script:
what a script needs comes through environment variables.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path, PurePosixPath

from autograder.packaging import template
from autograder.packaging.summary import HIDDEN

WORKFLOW_PATH = Path(".github") / "workflows" / "autograde.yml"
#: The id of the step that sets the GitHub Classroom runner output ``result``; the reporter
#: action reads it from the environment variable ``<ID in capitals>_RESULTS``.
RUNNER_ID = "optinit"

#: Characters a notebook path may use: it goes into YAML and a shell command unescaped by hand.
_SAFE_PATH = re.compile(r"[A-Za-z0-9._/ -]+")


class WorkflowError(ValueError):
    """A value the workflow cannot be written with; the message says which and why."""


def notebook_argument(notebook: str) -> str:
    """``notebook`` as a relative POSIX path, checked, and quoted for the shell if needed."""
    path = PurePosixPath(notebook)
    if path.is_absolute() or ".." in path.parts or not _SAFE_PATH.fullmatch(notebook):
        raise WorkflowError(
            f"notebook {notebook!r} must be a path inside the repository made of letters, digits, "
            "'.', '_', '-', '/' and spaces"
        )
    return shlex.quote(str(path))


def workflow_text(assignment: str, notebook: str) -> str:
    """The workflow grading ``notebook`` (relative to the repository root) as ``assignment``."""
    return template(
        "autograde.yml", ASSIGNMENT=assignment, NOTEBOOK=str(PurePosixPath(notebook)),
        NOTEBOOK_ARG=notebook_argument(notebook), RUNNER=RUNNER_ID,
        RUNNER_VARIABLE=f"{RUNNER_ID.upper()}_RESULTS",
    )


def notebook_assignment(path: Path) -> str | None:
    """The assignment a released notebook names in its metadata (``autograder.assignment``)."""
    try:
        metadata = json.loads(Path(path).read_text(encoding="utf-8")).get("metadata", {})
        assignment = metadata.get("autograder", {}).get("assignment")
    except (OSError, ValueError, AttributeError):
        return None
    return assignment if isinstance(assignment, str) else None


def infer_assignment(dest: Path, notebook: str | None) -> str:
    """The assignment of ``notebook``, else of the only notebook at the top of
    ``dest`` naming one."""
    candidates = [Path(dest) / notebook] if notebook else sorted(Path(dest).glob("*.ipynb"))
    found = {assignment for path in candidates if (assignment := notebook_assignment(path))}
    if len(found) != 1:
        where = notebook or f"the notebooks in {dest}"
        raise WorkflowError(f"cannot tell the assignment from {where}: pass --assignment")
    return found.pop()


def write_workflow(dest: Path, text: str, force: bool = False) -> Path:
    """Write ``text`` to ``dest/.github/workflows/autograde.yml``; never overwrite
    unless ``force``."""
    path = Path(dest) / WORKFLOW_PATH
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists: pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def public_results(results: dict) -> dict:
    """The copy of ``results`` a student may read before the results are published.

    A test whose visibility is not ``visible`` (a quiz with explanations after the due date)
    keeps its name, max_score and visibility, but its output becomes ``HIDDEN`` and its score
    ``None`` (its status goes): for a single choice the score alone says whether the letter is
    right. The total (``score``, and the ``Points X/Y`` line GitHub Classroom needs) stays. A
    test entry that is not an object (not ours) is left out.
    """
    tests = results.get("tests")
    if not isinstance(tests, list):
        return dict(results)
    return {**results, "tests": [_public_test(test) for test in tests if isinstance(test, dict)]}


def _public_test(test: dict) -> dict:
    if test.get("visibility", "visible") == "visible":
        return test
    kept = {key: value for key, value in test.items() if key not in ("score", "status", "output")}
    return {**kept, "score": None, "output": HIDDEN}
