"""``autograder ci init`` (the student repository's workflow) and ``autograder ci summary``."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from autograder.cli import main
from autograder.exercises import ASSIGNMENTS
from autograder.packaging.classroom import HELD_BACK, runner_result
from autograder.packaging.summary import HIDDEN, markdown
from autograder.packaging.workflow import RUNNER_ID

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
WORKFLOW = Path(".github/workflows/autograde.yml")
SOURCE_NOTEBOOK = REPO / "assignments/source/optimization/optimization.ipynb"
REPORTER = "classroom-resources/autograding-grading-reporter@v1"


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def assert_usage_error(result, *words: str) -> None:
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("autograder: error: ")
    assert all(word in result.stderr for word in words), result.stderr


def init(dest: Path, *args: str) -> str:
    result = run("ci", "init", "--dest", str(dest), *args)
    assert result.exit_code == 0, result.output
    return (dest / WORKFLOW).read_text(encoding="utf-8")


def steps_by_name(text: str) -> dict[str, dict]:
    workflow = yaml.safe_load(text)
    (job,) = workflow["jobs"].values()
    return {step["name"]: step for step in job["steps"]}


# --- the workflow -------------------------------------------------------------------------------


def test_workflow_is_yaml_triggered_on_push_in_a_job_named_autograding(tmp_path):
    workflow = yaml.safe_load(init(tmp_path, "--assignment", "optimization"))
    assert "push" in workflow["on"]
    (job,) = workflow["jobs"].values()
    assert job["name"] == "Autograding"  # the check run GitHub Classroom reads the points of
    assert workflow["permissions"] == {"contents": "read"}


def test_workflow_checks_out_the_submission_then_sets_up_python_3_11(tmp_path):
    steps = list(steps_by_name(init(tmp_path, "--assignment", "optimization")).values())
    assert steps[0]["uses"].startswith("actions/checkout@")
    assert steps[0]["with"] == {"persist-credentials": False}
    assert steps[1]["uses"].startswith("actions/setup-python@")
    assert steps[1]["with"]["python-version"] == "3.11"


def test_workflow_fetches_the_private_grader_with_a_secret_token_and_installs_it(tmp_path):
    steps = steps_by_name(init(tmp_path, "--assignment", "optimization"))
    fetch = steps["Fetch the grading bundle"]
    assert "uses" not in fetch  # actions/checkout only checks out under the workspace
    assert fetch["env"] == {"GRADER_REPOSITORY": "${{ vars.GRADER_REPOSITORY }}",
                            "GRADER_TOKEN": "${{ secrets.GRADER_TOKEN }}"}
    assert '"https://github.com/$GRADER_REPOSITORY.git" "$RUNNER_TEMP/grader"' in fetch["run"]
    install = steps["Install the grader"]
    assert install["run"] == 'python -I -m pip install --quiet "$RUNNER_TEMP/grader"'
    assert install["working-directory"] == "${{ runner.temp }}"  # no module of the checkout runs


def test_fetching_the_grader_puts_the_token_in_no_argument_and_no_file(tmp_path):
    """The fetch step's script, run against a fake git that records what it was given."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "git").write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$RUNNER_TEMP/argv"\n'
                              'env > "$RUNNER_TEMP/env"\nmkdir -p "$RUNNER_TEMP/grader"\n')
    (fake / "git").chmod(0o755)
    workspace, runner_temp = tmp_path / "workspace", tmp_path / "runner"
    workspace.mkdir()
    runner_temp.mkdir()
    script = steps_by_name(
        init(tmp_path / "repo", "-a", "optimization"))["Fetch the grading bundle"]["run"]
    env = {"PATH": f"{fake}{os.pathsep}{os.environ['PATH']}", "RUNNER_TEMP": str(runner_temp),
           "GRADER_REPOSITORY": "teacher/grader", "GRADER_TOKEN": "s3cr3t-token"}
    done = subprocess.run(["bash", "-e", "-c", script], cwd=workspace, env=env, capture_output=True,
                          text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    argv = (runner_temp / "argv").read_text().splitlines()
    assert argv == ["clone", "--quiet", "--depth", "1", "https://github.com/teacher/grader.git",
                    f"{runner_temp}/grader"]
    header = base64.b64encode(b"x-access-token:s3cr3t-token").decode()
    git_env = (runner_temp / "env").read_text().splitlines()
    assert "GIT_CONFIG_KEY_0=http.https://github.com/.extraheader" in git_env
    assert f"GIT_CONFIG_VALUE_0=AUTHORIZATION: basic {header}" in git_env
    assert done.stdout == f"::add-mask::{header}\n"  # the runner hides the header in logs
    assert list(workspace.iterdir()) == []


def test_the_grader_and_the_grade_live_outside_the_students_checkout(tmp_path):
    """No relative path: a symbolic link committed in the checkout cannot lead into either."""
    steps = steps_by_name(init(tmp_path, "--assignment", "optimization"))
    runs = " ".join(step.get("run", "") for step in steps.values())
    assert ".grader" not in runs and not re.search(r"[ >](?:\./)?(?:results|summary)\.", runs)
    assert runs.count('"$RUNNER_TEMP/grader') == 3  # cloned, installed, graded against


def _grade_command(steps: dict) -> str:
    """The Grade step's last line: the grade command (after choosing whether to run as root)."""
    return steps["Grade"]["run"].strip().splitlines()[-1]


def test_workflow_grades_as_root_where_the_runner_allows_sudo(tmp_path):
    run = steps_by_name(init(tmp_path, "--assignment", "optimization"))["Grade"]["run"]
    assert 'sudo -n true 2>/dev/null; then sudo=yes' in run


def test_workflow_grades_the_notebook_quietly_into_the_runners_temp(tmp_path):
    steps = steps_by_name(init(tmp_path, "--assignment", "optimization"))
    assert _grade_command(steps) == (
        '${sudo:+sudo -n -E env "PATH=$PATH"} autograder grade optimization.ipynb '
        '--assignment optimization --results "$RUNNER_TEMP/results.json" '
        '--course "$RUNNER_TEMP/grader/assignments" ${GITHUB_ACTOR:+--student "$GITHUB_ACTOR"} -q'
    )


def test_workflow_writes_the_job_summary_of_the_public_copy_and_logs_the_points_line(tmp_path):
    report = steps_by_name(init(tmp_path, "--assignment", "optimization"))["Report"]["run"]
    assert ('autograder ci public "$RUNNER_TEMP/results.json" -o "$RUNNER_TEMP/public/results.json"'
            in report)
    assert ('autograder ci summary "$RUNNER_TEMP/public/results.json" > "$RUNNER_TEMP/summary.md"'
            in report)
    assert 'cat "$RUNNER_TEMP/summary.md" >> "$GITHUB_STEP_SUMMARY"' in report
    assert 'tail -n 1 "$RUNNER_TEMP/summary.md"' in report  # "Points X/Y", for older classrooms
    assert "::notice" not in report  # the reporter makes the one "Autograding complete" annotation


def test_workflow_uploads_the_public_copy_even_after_a_failed_step(tmp_path):
    upload = steps_by_name(init(tmp_path, "--assignment", "optimization"))["Upload results.json"]
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["if"] == "always()"
    assert upload["with"]["path"] == "${{ runner.temp }}/public/results.json"


def test_workflow_quotes_a_notebook_path_with_spaces(tmp_path):
    steps = steps_by_name(
        init(tmp_path, "-a", "optimization", "--notebook", "work/my notebook.ipynb"))
    assert _grade_command(steps).startswith(
        '${sudo:+sudo -n -E env "PATH=$PATH"} autograder grade \'work/my notebook.ipynb\' '
        '--assignment optimization')


def _reference_lines() -> set[str]:
    lines = set()
    for path in (REPO / "reference").glob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            code = line.strip()
            if len(code) >= 12 and not code.startswith(("#", '"""', "from ", "import ")):
                lines.add(code)
    return lines


def _quiz_key_texts() -> set[str]:
    texts = set()
    for path in (REPO / "quizzes").glob("*.yaml"):
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["items"]:
            texts.update(str(text).strip() for text in (item.get("choices") or {}).values())
            texts.update(str(text).strip() for text in (item.get("explanations") or {}).values())
            texts.add(str(item["prompt"]).strip())
    return texts


@pytest.mark.parametrize("assignment", [*ASSIGNMENTS, "optimization_quiz", "initialization_quiz"])
def test_the_student_repository_gets_the_workflow_and_no_grading_material(tmp_path, assignment):
    text = init(tmp_path, "--assignment", assignment)
    assert [p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()] == [WORKFLOW]
    assert not [line for line in _reference_lines() if line in text]
    assert not [key for key in _quiz_key_texts() if key in text]
    assert "answer" not in text.lower()
    assert "@" not in re.sub(r"[\w-]+/[\w-]+@v\d+", "", text)  # every placeholder filled


# --- ci init: options and errors ----------------------------------------------------------------


def test_init_reads_the_assignment_from_the_notebook_metadata(tmp_path):
    shutil.copy(SOURCE_NOTEBOOK, tmp_path / "optimization.ipynb")
    steps = steps_by_name(init(tmp_path))
    assert "--assignment optimization" in steps["Grade"]["run"]


def test_init_reads_the_assignment_of_the_notebook_given(tmp_path):
    (tmp_path / "work").mkdir()
    shutil.copy(SOURCE_NOTEBOOK, tmp_path / "work" / "hw.ipynb")
    steps = steps_by_name(init(tmp_path, "--notebook", "work/hw.ipynb"))
    assert _grade_command(steps).startswith(
        '${sudo:+sudo -n -E env "PATH=$PATH"} autograder grade work/hw.ipynb '
        '--assignment optimization ')


def test_init_refuses_to_overwrite_without_force(tmp_path):
    init(tmp_path, "-a", "optimization")
    (tmp_path / WORKFLOW).write_text("mine\n", encoding="utf-8")
    assert_usage_error(run("ci", "init", "--dest", str(tmp_path), "-a", "optimization"), "--force")
    assert (tmp_path / WORKFLOW).read_text(encoding="utf-8") == "mine\n"
    assert "optimization" in init(tmp_path, "-a", "optimization", "--force")


def test_init_rejects_an_unknown_assignment(tmp_path):
    assert_usage_error(run("ci", "init", "--dest", str(tmp_path), "-a", "optimisation"),
                       "unknown assignment")
    assert not (tmp_path / WORKFLOW).exists()


def test_init_without_assignment_or_tagged_notebook_is_a_usage_error(tmp_path):
    assert_usage_error(run("ci", "init", "--dest", str(tmp_path)), "--assignment")


@pytest.mark.parametrize(
    "notebook",
    ["../optimization.ipynb", "/abs/optimization.ipynb", "a;rm -rf ~.ipynb", "x\ny.ipynb"],
)
def test_init_rejects_a_notebook_path_outside_or_unsafe(tmp_path, notebook):
    assert_usage_error(
        run("ci", "init", "--dest", str(tmp_path), "-a", "optimization", "--notebook", notebook),
        "notebook",
    )
    assert not (tmp_path / WORKFLOW).exists()


# --- ci summary ---------------------------------------------------------------------------------


def results(*tests: tuple[str, float, float, str], visibility: str = "visible") -> dict:
    return {
        "score": sum(test[1] for test in tests),
        "max_score": sum(test[2] for test in tests),
        "output": ("optimization: ... points.\n"
                   "Hidden cases drawn with seed 7 (reproduce with --seed 7)."),
        "tests": [
            {"name": name, "score": score, "max_score": top, "output": output,
             "visibility": visibility}
            for name, score, top, output in tests
        ],
        "extra_data": {"assignment": "optimization"},
    }


FULL = results(("update_lr", 1, 1, "4/4 hidden checks passed"),
               ("initialize_adam", 1, 1, "3/3 hidden checks passed"))
PARTIAL = results(
    ("update_parameters_with_adam", 1.5, 3,
     "2/4 hidden checks passed\n\u2714 t = 1\n\u2718 t = 5000: no bias correction"),
    ("update_lr", 1, 1, "4/4 hidden checks passed"),
    ("schedule_lr_decay", 0, 1.5, "schedule_lr_decay is not implemented yet"),
)


def test_summary_ends_with_the_points_line_github_classroom_reads():
    assert markdown(FULL).splitlines()[-1] == "Points 2/2"
    assert markdown(PARTIAL).splitlines()[-1] == "Points 2.5/5.5"


def test_summary_has_one_row_per_graded_name_with_the_first_failing_check():
    rows = [line for line in markdown(PARTIAL).splitlines() if line.startswith("| `")]
    assert rows == [
        "| `update_parameters_with_adam` | 1.5/3 | \u2718 t = 5000: no bias correction |",
        "| `update_lr` | 1/1 | 4/4 hidden checks passed |",
        "| `schedule_lr_decay` | 0/1.5 | schedule_lr_decay is not implemented yet |",
    ]


def test_summary_keeps_the_run_notes_but_not_the_heading_twice():
    text = markdown(PARTIAL)
    assert text.startswith("### optimization: 2.5 / 5.5 points\n")
    assert "- Hidden cases drawn with seed 7 (reproduce with --seed 7)." in text
    assert "optimization: ... points." not in text


def test_summary_keeps_a_table_cell_on_one_line():
    text = markdown(results(("update_lr", 0, 1, "update_lr raised ValueError: a | b\n::error::x")))
    (row,) = [line for line in text.splitlines() if line.startswith("| `")]
    assert row == "| `update_lr` | 0/1 | update_lr raised ValueError: a \\| b |"
    assert not [line for line in text.splitlines() if line.startswith("::")]


def test_summary_hides_the_feedback_of_results_not_yet_visible():
    text = markdown(results(("most_variance", 0, 1, "Wrong. The answer is A."),
                            visibility="after_due_date"))
    assert "The answer is A" not in text and HIDDEN in text


def test_summary_of_a_fallback_result_without_tests_shows_its_message():
    text = markdown({"score": 0, "output": "The autograder stopped.", "tests": []})
    assert "- The autograder stopped." in text and text.splitlines()[-1] == "Points 0/0"


def test_summary_command_prints_the_markdown_of_a_results_file(tmp_path):
    path = tmp_path / "results.json"
    path.write_text(json.dumps(PARTIAL), encoding="utf-8")
    result = run("ci", "summary", str(path))
    assert result.exit_code == 0
    assert result.stdout == markdown(PARTIAL) + "\n"


@pytest.mark.parametrize("command", ["summary", "public", "result"])
@pytest.mark.parametrize("content", [None, "{not json", "[1, 2]"])
def test_reading_a_missing_or_broken_file_is_a_usage_error(tmp_path, content, command):
    path = tmp_path / "results.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert_usage_error(run("ci", command, str(path)), "results.json")


# --- GitHub Classroom's reporter: the runner step and `ci result` ------------------------------


def test_the_report_step_is_the_runner_and_the_official_reporter_reads_its_result(tmp_path):
    workflow = yaml.safe_load(init(tmp_path, "--assignment", "optimization"))
    (job,) = workflow["jobs"].values()
    names = [step["name"] for step in job["steps"]]
    steps = steps_by_name(init(tmp_path, "--assignment", "optimization", "--force"))
    runner, reporter = steps["Report"], steps["Report to GitHub Classroom"]
    assert runner["id"] == RUNNER_ID
    assert 'result="$(autograder ci result "$RUNNER_TEMP/public/results.json")"' in runner["run"]
    assert 'echo "result=$result" >> "$GITHUB_OUTPUT"' in runner["run"]
    assert reporter["uses"] == REPORTER
    assert reporter["with"] == {"runners": RUNNER_ID}
    assert reporter["env"] == {
        f"{RUNNER_ID.upper()}_RESULTS": f"${{{{ steps.{RUNNER_ID}.outputs.result }}}}"}
    assert names.index("Report") < names.index("Report to GitHub Classroom") == len(names) - 1


def test_no_run_script_interpolates_an_expression(tmp_path):
    """A `${{ }}` in a script is pasted in before bash reads it: what a student controls (a branch
    name, a commit message, a step output) would run as code. Scripts read environment variables."""
    steps = steps_by_name(init(tmp_path, "--assignment", "optimization"))
    assert [name for name, step in steps.items() if "${{" in step.get("run", "")] == []


def test_the_workflow_is_valid_against_githubs_workflow_schema(tmp_path):
    """check-jsonschema's vendored schema of GitHub workflows (SchemaStore's), offline."""
    init(tmp_path, "--assignment", "optimization_quiz", "--notebook", "work/my quiz.ipynb")
    assert _check_workflow(tmp_path / WORKFLOW).returncode == 0


def test_the_schema_check_refuses_a_broken_workflow(tmp_path):
    """The control: the same workflow with a step that is neither `run` nor `uses` is refused."""
    text = init(tmp_path, "--assignment", "optimization").replace(
        "uses: " + REPORTER, "use: " + REPORTER)
    (tmp_path / WORKFLOW).write_text(text, encoding="utf-8")
    done = _check_workflow(tmp_path / WORKFLOW)
    assert done.returncode == 1 and "'uses' is a required property" in done.stdout


def _check_workflow(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "check-jsonschema"), "--builtin-schema",
                           "vendor.github-workflows", str(path)],
                          capture_output=True, text=True, timeout=120, check=False)


def _js_number(value: float) -> str:
    """A number as JavaScript's String() writes it (shortest round trip, no ".0")."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def reporter_reads(encoded: str) -> tuple[str, list[str]]:
    """What classroom-resources/autograding-grading-reporter@v1 makes of a runner's result
    (src/main.js, console-results.js, notify-classroom.js): the text of its "Autograding
    complete" annotation, and the log line of each test."""
    document = json.loads(base64.b64decode(encoded, validate=True).decode("utf-8"))
    assert document["version"] == 1 and document["status"] in ("pass", "fail", "error")
    total = 0
    for test in document["tests"]:
        total += test["score"]
    lines = []
    for test in document["tests"]:
        line = f" - line {test['line_no']}" if test.get("line_no") != 0 else ""
        if test["status"] == "error":
            lines.append(f"Error: {test['message']}")
        else:
            lines.append(f"{'✅' if test['status'] == 'pass' else '❌'} {test['name']}{line}")
        if test.get("test_code"):
            lines.append(test["test_code"])
    return f"Points {_js_number(total)}/{_js_number(document['max_score'])}", lines


def _result_of(data: dict, tmp_path: Path) -> str:
    path = tmp_path / "results.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    done = run("ci", "result", str(path))
    assert done.exit_code == 0 and done.stderr == ""
    (line,) = done.stdout.splitlines()
    return line


def test_result_prints_the_base64_document_whose_points_match_the_summary(tmp_path):
    points, lines = reporter_reads(_result_of(PARTIAL, tmp_path))
    assert points == markdown(PARTIAL).splitlines()[-1] == "Points 2.5/5.5"
    assert lines == ["❌ update_parameters_with_adam", "✅ update_lr", "❌ schedule_lr_decay"]


def test_result_is_a_runner_document_with_the_first_failing_check_as_message():
    document = runner_result(PARTIAL)
    assert ({key: document[key] for key in ("version", "status", "max_score")}
            == {"version": 1, "status": "fail", "max_score": 5.5})
    adam = document["tests"][0]
    assert adam == {"name": "update_parameters_with_adam", "status": "fail", "score": 1.5,
                    "message": "\u2718 t = 5000: no bias correction", "test_code": "",
                    "filename": "", "line_no": 0}
    assert runner_result(FULL)["status"] == "pass"


def test_result_holds_back_unpublished_results_as_one_test_with_their_points():
    quiz = results(("most_variance", 1, 1, "Correct: A"),
                   ("not_true_gradient_descent", 0, 1, "Wrong: the key is C"),
                   visibility="after_due_date")
    quiz["tests"].append({"name": "update_lr", "score": 1, "max_score": 2, "output": "1/2 checks",
                          "visibility": "visible"})
    quiz["score"], quiz["max_score"] = 2, 4
    document = runner_result(quiz)
    assert [(test["name"], test["score"], test["message"]) for test in document["tests"]] == [
        ("update_lr", 1, "1/2 checks"), (f"2 {HELD_BACK}", 1, HIDDEN)]
    text = json.dumps(document)
    assert "most_variance" not in text and "Correct" not in text and "key is C" not in text
    assert reporter_reads(base64.b64encode(text.encode()).decode())[0] == "Points 2/4"


def test_result_of_a_file_the_grader_could_not_fill_is_an_error_that_says_why():
    document = runner_result(
        {"score": 0, "output": "The autograder stopped.\nTell the course staff.", "tests": []})
    assert document["status"] == "error"
    assert ([(test["status"], test["message"]) for test in document["tests"]]
            == [("error", "Tell the course staff.")])


def test_result_keeps_every_hostile_string_on_one_line_of_plain_text(tmp_path):
    hostile = results(
        ("update_lr\n::error::forged", 0, 1, "\x1b[2J::add-mask::token\r\n::error::two"))
    hostile["tests"].append("not a test")
    _, lines = reporter_reads(_result_of(hostile, tmp_path))
    assert lines == ["❌ update_lr\\n::error::forged"]
    (test,) = runner_result(hostile)["tests"]
    assert test["message"] == "\\x1b[2J::add-mask::token"


def test_result_counts_a_forged_score_as_zero_and_caps_it_at_the_maximum():
    forged = results(("update_lr", 1e9, 1, "ok"), ("initialize_adam", 1, 1, "ok"))
    forged["tests"][1]["score"] = "1; rm -rf /"
    assert [test["score"] for test in runner_result(forged)["tests"]] == [1, 0]


def test_the_report_step_writes_the_summary_the_output_and_the_points_line(tmp_path):
    """The Report step's script, run by bash with this project's `autograder`, on a real grade."""
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    graded = subprocess.run([str(VENV_BIN / "autograder"), "grade",
                             str(REPO / "autograder/samples/optimization_mistakes.py"),
                             "-a", "optimization", "--results", str(runner_temp / "results.json"),
                             "-q"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert graded.returncode == 0, graded.stderr
    script = steps_by_name(init(tmp_path / "repo", "-a", "optimization"))["Report"]["run"]
    env = {"PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}", "RUNNER_TEMP": str(runner_temp),
           "GITHUB_OUTPUT": str(tmp_path / "output"),
           "GITHUB_STEP_SUMMARY": str(tmp_path / "summary")}
    done = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Points 11.75/15\n"
    assert (tmp_path / "summary").read_text().endswith("Points 11.75/15\n")
    (output,) = (tmp_path / "output").read_text().splitlines()
    assert output.startswith("result=")
    assert reporter_reads(output.removeprefix("result="))[0] == "Points 11.75/15"
