"""Student text written safely: every string that came from a submission (exception messages,
printed output, file and folder names, student ids) reaches results.json, the terminal table, the
per-question CSV, the GitHub job summary and the gradebook's comments without breaking or
hijacking any of them.

Each hostile input is built here; one end-to-end run per output goes through the command line.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import mistune
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nbconvert.filters.markdown_mistune import markdown2html_mistune
from nbgrader.api import Gradebook
from rich.console import Console
from support.grading import (
    COURSE,
    OPTIMIZATION_NAMES,
    invoke_cli,
    named_tests,
    optimizers_with,
    read_results,
    run_cli,
    write,
)

from autograder import untrusted
from autograder.batch import export, roster
from autograder.batch import gradebook as gb
from autograder.batch.spec import spec_for
from autograder.grading import NameResult, Report
from autograder.packaging import summary
from autograder.results import print_table, to_gradescope, to_json

#: One student message with everything that broke an output: a lone surrogate (results.json),
#: NUL and a bell, ANSI colour, clear-screen and title escapes, a C1 CSI, rich markup, a bidi
#: override, a CR that rewrites the line, and Unicode line and paragraph separators.
HOSTILE = (
    "\ud800\x00\x07\x1b[31mred\x1b[2J\x1b]0;pwned\x07[/][bold]loud\x9b31m"
    "\u202eevil\u2066x\u2069\rover\u2028::error::sep\u2029\x0bvt\x85nel"
)
#: Characters that must never reach any output raw.
RAW_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)
#: Any text a student can produce, lone surrogates and control characters included.
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=200)
#: Workflow commands the Actions runner obeys in a log line (after leading whitespace).
WORKFLOW_COMMANDS = "\n::add-mask::secret\n  ::error::forged\n::stop-commands::token\n"
#: Markup that would be a link, an image, HTML or script in Markdown (GitHub or nbconvert).
MARKUP = (
    "<img src=x onerror=alert(1)> <script>alert(2)</script> ![img](http://evil.example/x.png) "
    "[click](javascript:alert(3)) <http://evil.example> https://evil.example/a www.evil.example "
    "mail@evil.example &lt;b&gt; $\\href{javascript:alert(4)}{math}$ **bold** `code` # | x"
)
MATH = "$\\href{javascript:alert(4)}{math}$"
HIDDEN_ANSWER = "Wrong. The answer is A."
#: Folder names a student (or an LMS export) can give a submission: formulas, controls, markup.
HOSTILE_IDS = [
    '=HYPERLINK("evil.example","x")',
    "+cmd|' calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    " =1+1",
    "\t=1+1",
    "\r=1+1",
    "new\nline\x1b[31m[bold]\u202e",
]


def _report(output: str, name: str = "update_lr", visibility: str = "visible", notes=()) -> Report:
    results = [
        NameResult(name, 0.0, 1.0, output, visibility),
        NameResult("initialize_adam", 1.0, 1.0, "3/3 hidden checks passed"),
    ]
    return Report("optimization", results, 7, 0.1, {"landlock": "on"}, list(notes))


def _table(report: Report, width: int = 100) -> str:
    console = Console(file=io.StringIO(), force_terminal=True, color_system=None, width=width)
    print_table(report, console)
    return console.file.getvalue()


def _no_raw_control(text: str, keep: str = "\n") -> bool:
    return not RAW_CONTROL.search(text.translate({ord(c): None for c in keep}))


# ---------------------------------------------------------------------------------------------
# results.json: always valid UTF-8 JSON, always written


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """One `autograder grade` of a module whose update_lr raises the hostile message."""
    folder = tmp_path_factory.mktemp("hostile")
    message = HOSTILE.encode("unicode_escape").decode("ascii")
    write(folder / "submission.py", optimizers_with(f'''
        def update_lr(learning_rate0, epoch_num, decay_rate):
            raise ValueError("{message}")
    '''))
    done = run_cli("grade", "submission.py", "--assignment", "optimization", cwd=folder)
    return done, folder / "results.json"


def test_a_student_exception_with_surrogates_and_controls_still_writes_results_json(hostile_run):
    done, path = hostile_run
    assert done.returncode == 0, done.stderr
    path.read_bytes().decode("utf-8")  # strict: valid UTF-8
    tests = named_tests(read_results(path))
    assert tests["update_lr"]["score"] == 0
    assert tests["initialize_adam"]["score"] == tests["initialize_adam"]["max_score"]
    output = tests["update_lr"]["output"]
    assert _no_raw_control(output)
    # shown, not obeyed: the student can read what was in the message
    assert "\\ud800" in output and "\\x00" in output and "\\x1b[31m" in output and "[/]" in output


def test_a_student_exception_with_markup_and_escapes_leaves_the_terminal_table_plain(hostile_run):
    done, _ = hostile_run
    assert "update_lr" in done.stdout and "[/]" in done.stdout
    assert _no_raw_control(done.stdout)
    assert not [line for line in done.stdout.splitlines() if line.lstrip().startswith("::")]


def test_a_submission_file_name_with_bad_bytes_newlines_and_escapes_still_gets_results(tmp_path):
    name = os.fsdecode(b"evil\xff\n\x1b[2J[bold]" + "\u202e".encode() + b"::error::x.txt")
    write(tmp_path / name, "not a notebook")
    done = run_cli("grade", name, "--assignment", "optimization", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = read_results(tmp_path / "results.json")
    assert all(test["score"] == 0 for test in data["tests"])
    assert "\\udcff" in data["tests"][0]["output"] and "\\x1b[2J" in data["tests"][0]["output"]
    assert _no_raw_control(data["output"]) and _no_raw_control(done.stdout)


@settings(max_examples=150, deadline=None)
@given(output=ANY_TEXT, note=ANY_TEXT)
def test_any_student_text_gives_utf8_json_that_round_trips(output, note):
    results = to_gradescope(_report(output, notes=[note]))
    data = to_json(results)
    assert json.loads(data.decode("utf-8")) == results
    assert _no_raw_control(results["tests"][0]["output"], keep="\n\t")
    assert _no_raw_control(results["output"], keep="\n\t")


def test_multi_line_output_keeps_its_newlines_and_tabs():
    output = to_gradescope(_report("line 1\n\tline 2\r\nline 3"))["tests"][0]["output"]
    assert output == "line 1\n\tline 2\nline 3"


def test_a_flood_of_escapes_is_still_clipped():
    output = to_gradescope(_report("\x00" * 100_000))["tests"][0]["output"]
    assert len(output) <= 2000 and output.startswith("\\x00")


def test_any_results_dict_encodes_whatever_its_text():
    """to_json makes a dict from anywhere safe again (writers that skipped to_gradescope)."""
    forged = {"score": float("nan"), "tests": [{"name": "\udc80", "output": "\x00", "score": 1.0}],
              "\ud800": ["\x1b"]}
    data = json.loads(to_json(forged))
    assert data["score"] == 0 and data["tests"][0]["output"] == "\\x00" and "\\ud800" in data


# ---------------------------------------------------------------------------------------------
# The terminal table: no markup, no escapes, nothing before publication


def test_rich_markup_in_feedback_neither_crashes_nor_restyles_the_table():
    table = _table(_report("update_lr raised ValueError: [/] [bold red]x [link=http://e]y"))
    assert "[/] [bold red]x [link=http://e]y" in table


def test_escape_sequences_and_bidi_overrides_never_reach_the_terminal():
    table = _table(_report(HOSTILE), width=400)  # wide: no folding inside an escape
    assert _no_raw_control(table)
    assert "\\x1b[31m" in table and "\\u202e" in table


@settings(max_examples=100, deadline=None)
@given(output=ANY_TEXT)
def test_any_student_text_renders_without_escape_bytes(output):
    table = _table(_report(output))
    assert "\x1b" not in table and _no_raw_control(table)


def test_the_table_hides_the_output_of_results_not_yet_published():
    table = _table(_report(HIDDEN_ANSWER, name="most_variance", visibility="after_due_date"))
    assert "The answer is A" not in table and untrusted.HIDDEN in table
    assert "0/1" in table  # the score may show


# ---------------------------------------------------------------------------------------------
# The per-question CSV: no formulas


def _formula(cell: str) -> bool:
    """Whether a spreadsheet would evaluate the cell (OWASP: = + - @ tab CR, after spaces too)."""
    return cell[:1] in ("\t", "\r") or cell.lstrip()[:1] in ("=", "+", "-", "@")


def _fake_course(tmp_path: Path, students: list[str], assignment: str = "optimization") -> Path:
    root = tmp_path / "assignments"
    shutil.copytree(COURSE / "source" / assignment, root / "source" / assignment)
    shutil.copy(COURSE / "nbgrader_config.py", root / "nbgrader_config.py")
    results = _report("ok").results
    for student in students:
        folder = root / "autograded" / student / assignment
        folder.mkdir(parents=True)
        data = to_gradescope(Report(assignment, results))
        (folder / roster.RESULTS).write_bytes(to_json(data))
    return root


@pytest.mark.parametrize("student", HOSTILE_IDS)
def test_csv_cells_are_neutralised_per_owasp(student):
    cell = untrusted.csv_cell(student)
    assert not _formula(cell) and "\n" not in cell and _no_raw_control(cell, keep="")


def test_formula_student_ids_are_neutralised_and_scores_stay_numbers(tmp_path):
    root = _fake_course(tmp_path, [*HOSTILE_IDS, "ada"])
    coursedir = SimpleNamespace(root=str(root), autograded_directory="autograded",
                                db_url=f"sqlite:///{root}/gradebook.db", course_id="optinit")
    path = tmp_path / "questions.csv"
    assert export.write_csv(spec_for("optimization", root), coursedir, path) == len(HOSTILE_IDS) + 1
    with path.open(newline="", encoding="utf-8") as file:
        header, *rows = list(csv.reader(file))
    assert {row[0] for row in rows} >= {"ada", "'-2+3", "'=HYPERLINK(\"evil.example\",\"x\")"}
    assert not [cell for row in rows for cell in row if _formula(cell)]
    for row in rows:
        assert float(row[header.index("initialize_adam")]) == 1.0 and float(row[-1]) > 0


def test_export_command_neutralises_a_formula_student_id(tmp_path):
    root = _fake_course(tmp_path, ["=1+1", "+cmd|' calc'!A0"])
    output = tmp_path / "out.csv"
    code, stdout, _ = invoke_cli("export", "optimization", "--course", str(root), "-o", str(output))
    assert code == 0 and "2 students" in stdout
    with output.open(newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))[1:]
    assert sorted(row[0] for row in rows) == ["'+cmd|' calc'!A0", "'=1+1"]


@given(student=ANY_TEXT)
def test_any_csv_cell_is_no_formula_and_one_line(student):
    cell = untrusted.csv_cell(student)
    assert not _formula(cell) and _no_raw_control(cell, keep="")


def test_numbers_we_write_are_not_text_cells():
    """A score is never quoted: -0 or a negative hand grade stays a number in the spreadsheet."""
    assert export.csv_value(-0.0) == "-0" and export.csv_value(-1.5) == "-1.5"
    assert export.csv_value("-1.5") == "'-1.5"


# ---------------------------------------------------------------------------------------------
# The GitHub job summary: no workflow commands, no Markdown or HTML from student text


def _results(output: str, name: str = "update_lr", **extra) -> dict:
    data = to_gradescope(_report(output, name=name, notes=[output]))
    return {**data, **extra}


def _html(markdown: str) -> str:
    """A GFM-like rendering: tables, bare-URL links, raw HTML let through (GitHub keeps <img>).
    GitHub's www. and e-mail autolinks are checked on the Markdown itself."""
    render = mistune.create_markdown(escape=False, plugins=["table", "url", "strikethrough"])
    return render(markdown)


#: The only elements a job summary may render to: its heading, table, notes and code spans.
SUMMARY_TAGS = {"h3", "p", "table", "thead", "tbody", "tr", "th", "td", "ul", "li", "code"}


def _tags(html: str) -> set[str]:
    return set(re.findall(r"</?([A-Za-z][A-Za-z0-9-]*)", html))


def test_workflow_commands_in_student_text_never_start_a_summary_line():
    results = _results(WORKFLOW_COMMANDS, extra_data={"assignment": WORKFLOW_COMMANDS})
    text = summary.markdown(results)
    assert not [line for line in text.splitlines() if line.lstrip().startswith("::")]
    assert text.splitlines()[-1] == "Points 1/2"


def test_the_summary_command_of_a_hostile_run_ends_with_its_points(hostile_run):
    code, stdout, _ = invoke_cli("ci", "summary", str(hostile_run[1]))
    lines = stdout.splitlines()
    assert code == 0 and lines[-1] == "Points 14/15" and "\\ud800" in stdout
    assert not [line for line in lines if line.lstrip().startswith("::")]


def test_markdown_and_html_in_student_text_make_no_link_image_or_tag():
    text = summary.markdown(_results(MARKUP))
    assert _tags(_html(text)) <= SUMMARY_TAGS
    assert "&lt;script&gt;" in text and "www\\.evil" in text and "https\\://evil" in text
    assert "\\[click\\]" in text and "mail@\u2060evil" in text
    assert "| \\$\\\\href{javascript:alert(4)}{math}\\$ |" in summary.markdown(_results(MATH))


def test_a_hostile_graded_name_is_escaped_not_put_in_a_code_span():
    text = summary.markdown(_results("ok", name="`x` | <b>[a](http://e)"))
    (row,) = [line for line in text.splitlines() if "&lt;b&gt;" in line]
    assert row.startswith("| \\`x\\` \\| &lt;b&gt;\\[a\\](http\\://e) |")


def test_a_note_cannot_start_a_nested_block():
    for note, shown in [("- item", "- \\- item"), ("1. first", "- 1\\. first"), ("+ x", "- \\+ x"),
                        ("> quote", "- &gt; quote"), ("## h", "- \\#\\# h"), ("=", "- \\=")]:
        assert shown in summary.markdown({"output": f"x\n{note}", "tests": []}).splitlines()


@pytest.mark.parametrize("forged", [
    {"score": "15", "max_score": None, "tests": "x"},
    {"score": float("nan"), "max_score": float("inf"), "tests": [1, None, {"max_score": "9"}]},
    {"score": [1], "tests": [{"score": {}, "max_score": True, "name": 3, "output": 4}],
     "extra_data": "x", "output": 5},
])
def test_a_forged_results_json_gives_a_summary_with_points_0(forged):
    assert summary.markdown(forged).splitlines()[-1] == "Points 0/0"
    assert summary.points_line(forged) == "Points 0/0"


JSON = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(output=ANY_TEXT, assignment=ANY_TEXT, name=ANY_TEXT, extra=st.dictionaries(
    st.sampled_from(["score", "max_score", "tests", "output", "extra_data"]), JSON))
def test_any_summary_ends_with_points_and_has_no_workflow_command(output, assignment, name, extra):
    results = {**_results(output, name=name, extra_data={"assignment": assignment}), **extra}
    lines = summary.markdown(results).splitlines()
    assert re.fullmatch(r"Points [0-9.e+-]+/[0-9.e+-]+", lines[-1])
    assert lines[-1] == summary.points_line(results)
    assert not [line for line in lines if line.lstrip().startswith("::")]
    assert _no_raw_control("\n".join(lines))


@settings(max_examples=100, deadline=None)
@given(output=ANY_TEXT)
def test_any_student_text_in_the_summary_renders_without_links_or_html(output):
    assert _tags(_html(summary.markdown(_results(output + MARKUP)))) <= SUMMARY_TAGS


# ---------------------------------------------------------------------------------------------
# Gradebook comments: formgrader and nbgrader generate_feedback render them as Markdown + HTML


@pytest.fixture
def gradebook(tmp_path, monkeypatch):
    """A gradebook with one assignment whose solution cell takes a comment."""
    bin_dir = Path(sys.executable).parent  # nbgrader runs alembic from PATH
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}", "optinit") as book:
        book.add_assignment("a")
        book.add_notebook("a", "a")
        book.add_solution_cell("update_lr", "a", "a")
        book.add_grade_cell("test_update_lr", "a", "a", max_score=1, cell_type="code")
        book.db.commit()
        yield book


def test_a_gradebook_comment_cannot_inject_html_or_links_into_the_feedback_page(gradebook):
    output = f"update_lr raised ValueError: {MARKUP}\n\u2718 {HOSTILE}\n::error::x"
    cells = gb.Cells("a", {"update_lr": "test_update_lr"})
    results = {"tests": [{"name": "update_lr", "score": 0.0, "output": output}]}
    gb.record(gradebook, cells, "mallory", results)
    comment = gradebook.find_comment("update_lr", "a", "a", "mallory").auto_comment
    html = markdown2html_mistune(comment)  # what nbgrader's feedback template does with it
    assert re.fullmatch(r"<pre><code>[^<]*</code></pre>\s*", html)  # MathJax skips <pre>
    assert "&lt;script&gt;" in html and _no_raw_control(comment)
    assert "::error::x" in comment and "\u2718" in comment  # the student still reads it all


@settings(max_examples=100, deadline=None)
@given(output=ANY_TEXT)
def test_any_comment_renders_as_verbatim_text(output):
    html = markdown2html_mistune(untrusted.markdown_verbatim(output + MARKUP))
    assert re.fullmatch(r"<pre><code>[^<]*</code></pre>\s*", html)


# ---------------------------------------------------------------------------------------------
# The sanitisers themselves


def test_every_control_is_shown_as_a_visible_escape():
    assert untrusted.text("a\x00b\x1bc\x9bd\u202ee\ud800") == "a\\x00b\\x1bc\\x9bd\\u202ee\\ud800"
    assert untrusted.text("a\nb\tc") == "a\nb\tc"
    assert untrusted.text("a\nb\tc", one_line=True) == "a\\nb\\tc"


def test_every_graded_name_survives_the_sanitisers_unchanged():
    for name in OPTIMIZATION_NAMES:
        assert untrusted.text(name) == untrusted.csv_cell(name) == name
        assert summary.markdown(_results("ok", name=name)).count(f"| `{name}` | 0/1 | ok |") == 1
