"""``results.json`` -> the result document of a GitHub Classroom runner (``autograder ci result``).

GitHub Classroom's autograding (2024 on) is a chain of ``classroom-resources`` actions: each
runner step sets an output ``result``, the base64 of ``{"version": 1, "status", "max_score",
"tests": [{"name", "status", "score", "message", ...}]}``, and
``classroom-resources/autograding-grading-reporter@v1`` decodes the runners' documents from the
environment variables ``<RUNNER ID>_RESULTS``, prints each test, adds up the points (the sum of
the tests' ``score`` over the sum of the runners' ``max_score``) and leaves the "Points X/Y"
annotation Classroom reads. It fails the job when a runner's status is ``fail`` or ``error``.

The document is made from :func:`~autograder.packaging.workflow.public_results` of the file, and
the reporter's step shows it in the log: a result not yet published (a quiz explained after the
due date) is never one of its tests. Those results are one test, "results shown when they are
published", holding their share of the total (the total minus the visible tests' scores, which
the total and the summary already tell). Every string is one line of safe text: the reporter
prints names and messages at the start of log lines, where ``::`` would be a workflow command.
"""

from __future__ import annotations

import base64
import json

from autograder import untrusted
from autograder.packaging.workflow import public_results

#: What the reporter's log shows for the results held back until they are published.
HELD_BACK = "results shown when they are published"
#: A name or message past this many characters is cut (the results.json artifact has all).
MAX_TEXT = 200


def _line(value: object) -> str:
    text = untrusted.text(value, one_line=True)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "\u2026"


def _entry(name: object, score: float, max_score: float, message: object) -> dict:
    """One test as Classroom's runners write it (``line_no`` 0: the reporter prints any other)."""
    return {
        "name": _line(name),
        "status": "pass" if score >= max_score else "fail",
        "score": round(score, 4),
        "message": _line(message),
        "test_code": "",
        "filename": "",
        "line_no": 0,
    }


def _tests(results: dict) -> list[dict]:
    tests = results.get("tests")
    return [test for test in tests if isinstance(test, dict)] if isinstance(tests, list) else []


def _visible(test: dict) -> bool:
    return test.get("visibility", "visible") == "visible"


def runner_result(results: dict) -> dict:
    """The runner document of ``results`` (a Gradescope results.json, public or not)."""
    public = public_results(results)
    tests = _tests(public)
    total_max = public["max_score"] if "max_score" in public else sum(
        untrusted.score(test.get("max_score")) for test in tests)
    max_score = untrusted.score(total_max)
    entries = []
    for test in filter(_visible, tests):
        top = untrusted.score(test.get("max_score"))
        score = min(max(untrusted.score(test.get("score")), 0.0), top)
        feedback = untrusted.feedback_line(test.get("output", ""))
        entries.append(_entry(test.get("name", "?"), score, top, feedback))
    held = [test for test in tests if not _visible(test)]
    if held:  # their share of the total: the total minus what the visible tests already show
        top = sum(untrusted.score(test.get("max_score")) for test in held)
        rest = untrusted.score(public.get("score")) - sum(entry["score"] for entry in entries)
        entries.append(_entry(f"{len(held)} {HELD_BACK}", min(max(rest, 0.0), top), top,
                              untrusted.HIDDEN))
    if not entries:  # the grader stopped before grading: say why where the student looks
        output = untrusted.text(public.get("output", "")).splitlines()
        entry = _entry("grading", 0.0, max_score, output[-1] if output else "no result")
        entries.append({**entry, "status": "error"})
    passed = all(entry["status"] == "pass" for entry in entries)
    status = "error" if not tests else "pass" if passed else "fail"
    return {"version": 1, "status": status, "max_score": round(max_score, 4), "tests": entries}


def encoded(results: dict) -> str:
    """The ``result`` output of the runner step: base64 of the document's UTF-8 JSON."""
    document = json.dumps(runner_result(results), ensure_ascii=False, separators=(",", ":"))
    return base64.b64encode(document.encode("utf-8")).decode("ascii")
