"""Getting the grader to where submissions are: GitHub Actions and Gradescope.

- ``autograder ci init`` writes the GitHub Actions workflow of a student repository
  (``workflow``); ``autograder ci summary`` turns ``results.json`` into the job summary and the
  "Points X/Y" line (``summary``); ``autograder ci result`` into the document GitHub Classroom's
  reporter action reads (``classroom``).
- ``autograder gradescope build`` makes the Gradescope autograder zip (``gradescope``).

The workflow and the two Gradescope scripts are files in ``templates/``, filled in by
``template``. ``schemas/gradescope_results.json`` is Gradescope's results specification as a JSON
Schema; :func:`results_errors` checks a results.json against it.
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources

_PLACEHOLDER = re.compile(r"@([A-Z_]+)@")
GRADESCOPE_SCHEMA = "gradescope_results.json"


def template(name: str, **values: str) -> str:
    """The template ``name`` with each ``@KEY@`` replaced by ``values["KEY"]`` (all required)."""
    text = resources.files(__package__).joinpath("templates", name).read_text(encoding="utf-8")
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


@functools.cache
def _schema_text(name: str) -> str:
    return resources.files(__package__).joinpath("schemas", name).read_text(encoding="utf-8")


def schema(name: str = GRADESCOPE_SCHEMA) -> dict:
    """The JSON Schema ``schemas/<name>`` (a fresh copy: callers may change it)."""
    return json.loads(_schema_text(name))


def results_errors(results: object) -> list[str]:
    """Where ``results`` breaks Gradescope's results specification, one line each
    ([] if nowhere)."""
    import jsonschema  # slow to import; only the checks need it

    validator = jsonschema.Draft202012Validator(schema())
    return [
        f"{error.json_path}: {error.message}"
        for error in sorted(validator.iter_errors(results), key=lambda error: error.json_path)
    ]
