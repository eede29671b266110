"""Attacks on today's changes: per-student quiz variants, code-digest seeds, the GitHub Classroom
runner result and results.json's per-test ``extra_data``.

Each test is one attack, written as the attacker would try it; its docstring says the attack and
what happens now. Those that once succeeded are regression tests of their fix.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import inspect
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from support.grading import named_tests

import reference.optimizers
from autograder import sandbox
from autograder.batch import roster
from autograder.batch.grader import SECRET_FILE, grade_job, prepare_job
from autograder.cli import main
from autograder.grading import Prepared, code_digest, select_cells
from autograder.packaging import classroom, summary, template
from autograder.packaging.gradescope import bundle_entries
from autograder.packaging.workflow import public_results
from autograder.quiz import build_quiz, load_quiz, score_item
from autograder.quiz.bank import BankInvalid
from autograder.quiz.personalize import data_path, right_answers, variants_for
from autograder.quiz.render import render_variants_text
from autograder.quiz.variants import QuizVariant
from autograder.results import to_gradescope
from autograder.sandbox import wire
from autograder.submission import load

REPO = Path(__file__).resolve().parents[1]
QUIZ_ID = "optimization_quiz"
QUIZ = load_quiz(REPO / "quizzes" / f"{QUIZ_ID}.yaml")
SHUFFLED = QUIZ.item("adam_bias_correction")
NUMERIC = QUIZ.item("scheduled_learning_rate")
MULTIPLE = QUIZ.item("different_influence")
SECRET = "fedcba9876543210" * 4
SALT = hmac.new(SECRET.encode(), f"variants/{QUIZ_ID}".encode(), hashlib.sha256).hexdigest()
RELEASED = REPO / "assignments" / "source" / QUIZ_ID / "quizvariants.json"


def _repo(root: Path, explanations: str = "immediately") -> Path:
    """A grader repository: the quiz bank (with ``explanations``) and a course root whose secret
    is SECRET, the quiz built. Returns the course root."""
    (root / "quizzes").mkdir(parents=True)
    bank = yaml.safe_load((REPO / "quizzes" / f"{QUIZ_ID}.yaml").read_text())
    bank["explanations"] = explanations
    (root / "quizzes" / f"{QUIZ_ID}.yaml").write_text(yaml.safe_dump(bank, sort_keys=False))
    course = root / "assignments"
    course.mkdir()
    (course / SECRET_FILE).write_text(SECRET + "\n")
    build_quiz(load_quiz(root / "quizzes" / f"{QUIZ_ID}.yaml"), course)
    return course


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    return _repo(tmp_path_factory.mktemp("repo"))


def _through_the_wire(value: object) -> object:
    """What the grader gets when the student's worker binds ``value``: the wire's plain data."""
    return wire.decode(wire.encode(value))


def _quiz_job(course: Path, student: str, answers: dict) -> roster.Job:
    folder = course / "submitted" / student / QUIZ_ID
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "answers.py").write_text("".join(f"{k} = {v!r}\n" for k, v in answers.items()))
    points = {item.id: item.points for item in QUIZ.items}
    return roster.Job(student, QUIZ_ID, folder,
                      course / "autograded" / student / QUIZ_ID / "results.json",
                      course, True, points)


# --- 1. full marks on a per-student item without the answer ------------------------------------


class _EqualsEverything(float):
    def __eq__(self, other):
        return True

    def __sub__(self, other):
        return 0.0

    __rsub__ = __sub__
    __hash__ = float.__hash__


class _FakeNumpyFloat:
    """Claims to be numpy.float64 by name; its value is whatever the grader compares it with."""

    __module__ = "numpy"

    def __float__(self):
        raise AssertionError("student code ran in the grading process")


_FakeNumpyFloat.__name__ = "float64"


@pytest.mark.parametrize("forged", [
    np.array(0.01), np.array([0.01]), np.bool_(True), True, float("nan"), float("-inf"), 10**4000,
    [0.01], (0.01,), {"value": 0.01}, "0.01", _EqualsEverything(0.0), _FakeNumpyFloat(),
], ids=["0-d array", "1-d array", "np.bool_", "bool", "nan", "-inf", "huge int", "list", "tuple",
        "dict", "string", "float subclass equal to all", "fake numpy scalar"])
def test_a_numeric_answer_that_is_not_a_plain_number_earns_nothing(forged):
    """Attack: bind the numeric item to something that compares equal to anything, a 0-d or 1-d
    array, a bool, NaN/inf, a 4000-digit int, a container, or an object posing as numpy.float64,
    hoping the tolerance check passes. Outcome: fails; only a finite int/float or real NumPy
    scalar crosses the wire as a number, everything else reads as not a number (0 points), and no
    method of the student's object ever runs in the grading process."""
    variant = variants_for(QUIZ, SALT, "mallory")[NUMERIC.id]
    result = score_item(NUMERIC, _through_the_wire(forged), QUIZ, variant)
    assert result.score == 0.0 and result.feedback.startswith("No credit:"), result.feedback


@pytest.mark.parametrize(("item", "forged"), [
    (SHUFFLED, ["A", "B", "C", "D"]), (SHUFFLED, "ABCD"), (SHUFFLED, "*"),
    (SHUFFLED, np.str_("A")), (SHUFFLED, np.array("A")), (SHUFFLED, ("A",)), (SHUFFLED, "\u0410"),
    (MULTIPLE, ["A", "B", "C", "D"]), (MULTIPLE, ["a", "A", " a ", "B", "C", "D"]),
    (MULTIPLE, "A, B, C, D"),
], ids=["every letter in a list", "every letter in a string", "wildcard", "np.str_",
        "0-d str array", "tuple", "Cyrillic A", "multiple: every letter",
        "multiple: one letter many times", "multiple: a string"])
def test_a_choice_answer_that_picks_everything_or_is_not_a_letter_earns_nothing(item, forged):
    """Attack: answer a shuffled single choice (whose right letter differs per student) with every
    letter, a wildcard, a NumPy string, a lookalike letter; a multiple choice with every letter or
    a right letter repeated. Outcome: fails; 0 points (net-correct rule, exact str/list only)."""
    quiz = dataclasses.replace(QUIZ, items=(dataclasses.replace(item, shuffle=True),))
    variant = variants_for(quiz, SALT, "mallory")[item.id]
    result = score_item(quiz.items[0], _through_the_wire(forged), QUIZ, variant)
    assert result.score == 0.0, result.feedback


def test_immediate_feedback_of_a_wrong_pick_never_shows_the_right_letter_or_its_explanation():
    """Attack (explanations: immediately): submit each wrong letter of the shuffled item once and
    read the feedback for the right one. Outcome: fails; the feedback explains only the letter
    picked, never the right letter as shown, the right choice's explanation or "The answer"."""
    for student in ("alice", "bob", "mallory"):
        variant = variants_for(QUIZ, SALT, student)[SHUFFLED.id]
        right = right_answers(QUIZ, variants_for(QUIZ, SALT, student))[SHUFFLED.id]
        for wrong in sorted(set("ABCD") - {right}):
            feedback = score_item(SHUFFLED, wrong, QUIZ, variant).feedback
            assert feedback.startswith("Incorrect.")
            assert SHUFFLED.explanations[SHUFFLED.answer[0]] not in feedback
            assert (f"{right}." not in feedback.replace(f"{wrong}.", "")
                    and "The answer" not in feedback)


def test_the_released_variant_data_says_nothing_of_the_banks_order():
    """Attack: read quizvariants.json beside the released notebook. It lists each shuffled item's
    choice texts, and it used to list them in the bank's order; a bank author who writes the right
    choice first (adam_bias_correction's answer is the bank's A) gave the key away to anyone who
    picks the choice listed first. Outcome: succeeded before the fix (the first listed choice was
    the key). Fixed: the data lists the choices in an order drawn from the texts and the salt, so
    the same choices in any bank order give the same bytes, and every student sees the same texts
    in the same order whatever the bank's order; the committed release
    does not list the key first."""
    released = json.loads(RELEASED.read_text())
    listed = released["items"][SHUFFLED.id]["choices"]
    assert listed[0] != SHUFFLED.choices[SHUFFLED.answer[0]]
    letters = SHUFFLED.letters
    for rotation in range(1, len(letters)):  # the same item, its choices in another bank order
        order = letters[rotation:] + letters[:rotation]
        moved = dict(zip(letters, order))  # new letter -> old letter
        item = dataclasses.replace(
            SHUFFLED, choices={new: SHUFFLED.choices[old] for new, old in moved.items()},
            explanations={new: SHUFFLED.explanations[old] for new, old in moved.items()},
            answer=tuple(new for new, old in moved.items() if old in SHUFFLED.answer))
        other = dataclasses.replace(
            QUIZ, items=tuple(item if i.id == item.id else i for i in QUIZ.items))
        assert render_variants_text(other, SALT) == render_variants_text(QUIZ, SALT)
        for student in ("alice", "bob", "\u5b66\u751f42"):
            moved_variant = variants_for(other, SALT, student)[item.id]
            base = variants_for(QUIZ, SALT, student)[SHUFFLED.id]
            seen = [item.choices[bank] for bank in moved_variant.bank_letters(item).values()]
            assert seen == [SHUFFLED.choices[bank] for bank in base.bank_letters(SHUFFLED).values()]
            right = right_answers(other, variants_for(other, SALT, student))[item.id]
            assert right == right_answers(QUIZ, variants_for(QUIZ, SALT, student))[SHUFFLED.id]


def test_the_notebook_shows_the_order_the_grader_grades_with_the_released_data(course):
    """Attack: the student's notebook and the grader might disagree on the order (the data is
    listed in an order of its own): a student answering what they were shown would lose the
    points. Outcome: they agree; the letters the notebook shows are those the grader reads."""
    for student in ("alice", "bob", "Zo\u00eb"):
        seen = QuizVariant(QUIZ_ID, student=student, data=data_path(course, QUIZ_ID))
        rows = repr(seen.show(SHUFFLED.id)).splitlines()[1:]
        graded = variants_for(QUIZ, SALT, student)[SHUFFLED.id].bank_letters(SHUFFLED)
        assert rows == [f"{shown}. {SHUFFLED.choices[bank]}" for shown, bank in graded.items()]


# --- 1. another student's variant, and hostile student ids --------------------------------------


@pytest.mark.parametrize("folder", [
    "bob\udcff",  # undecodable bytes in the folder name
    "bo\u0301b",  # an accent as a separate mark (what HFS+ and some zip tools make of an NFC name)
    "b\u043eb",  # a Cyrillic o: a lookalike of the classmate
    "bob\u200d",  # invisible joiner after a classmate's id
    "-rf {} $(id) `id` %s \"'",
    "x" * 200,
])
def test_a_hostile_folder_name_costs_only_that_submission_its_per_student_points(course, folder):
    """Attack: file a submission under a folder name that crashes the batch (undecodable bytes,
    shell and format characters, 200 characters) or that normalizes to a classmate's id, answering
    bob's variant. Outcome: fails; grading returns a row (the grader does not fail), the per-student
    items are either refused with a message or graded in the folder's own variant (never bob's),
    and the fixed items are graded as usual."""
    bob = right_answers(QUIZ, variants_for(QUIZ, SALT, "bob"))
    assert right_answers(QUIZ, variants_for(QUIZ, SALT, "b\u043eb"))[NUMERIC.id] != bob[NUMERIC.id]
    results, failed = grade_job(_quiz_job(course, folder, bob))
    assert not failed, results
    tests = named_tests(results)
    assert tests["most_variance"]["score"] == 1.0
    per_student = [tests[SHUFFLED.id], tests[NUMERIC.id]]
    refused = all(t["output"].startswith("Not graded yet") for t in per_student)
    assert refused or all(t["extra_data"]["variant"]["student"] == folder for t in per_student)
    assert tests[NUMERIC.id]["score"] == 0.0  # bob's numbers are not this folder's
    json.dumps(results, ensure_ascii=False).encode("utf-8")  # the row can be written


def test_a_surrogate_student_folder_gets_an_exercise_seed_and_no_crash(tmp_path):
    """Attack: an exercise submission filed under undecodable bytes, to crash the seed's HMAC for
    the whole batch. Outcome: fails; the seed is drawn (the id is encoded losslessly) and the
    submission is prepared like any other."""
    course = tmp_path / "course"
    shutil.copytree(REPO / "assignments" / "source" / "optimization",
                    course / "source" / "optimization")
    (course / SECRET_FILE).write_text(SECRET + "\n")
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "optimization.py").write_text(inspect.getsource(reference.optimizers))
    job = roster.Job("m\udcffallory", "optimization", folder, tmp_path / "r.json", course, False,
                     {"update_lr": 1.0})
    assert isinstance(prepare_job(job), Prepared)


def _gradescope_student(tmp_path: Path, metadata: object) -> str:
    path = tmp_path / "submission_metadata.json"
    path.write_text(metadata if isinstance(metadata, str) else json.dumps(metadata))
    return CliRunner().invoke(main, ["gradescope", "student", str(path)]).stdout


def _run_autograder_argv(tmp_path: Path, printed: str) -> list[str]:
    """The arguments run_autograder gives `autograder grade` when `autograder gradescope student`
    prints ``printed`` (its own two lines, run by bash with `autograder` stubbed)."""
    script = template("run_autograder", ASSIGNMENT=QUIZ_ID)
    start = script.index('STUDENT="$(')
    lines = script[start:script.index("\n\n", start)]
    stub = ('autograder() { if [ "$1" = gradescope ]; then printf %s "$PRINTED"; '
            'else printf "%s\\0" "$@" > "$ARGV"; fi; }\n')
    argv = tmp_path / "argv"
    env = {"PATH": os.environ["PATH"], "PRINTED": printed, "ARGV": str(argv), "ROOT": str(tmp_path),
           "SUBMISSION_DIR": "sub", "ASSIGNMENT": QUIZ_ID, "RESULTS": "r.json"}
    subprocess.run(["bash", "-c", stub + lines], env=env, check=True, timeout=30, cwd=tmp_path)
    return argv.read_bytes().decode().split("\0")[:-1]


@pytest.mark.parametrize("email", [
    "alice@example.edu", '"$(touch pwned)"@example.edu', "`touch pwned`@example.edu",
    "-q@example.edu", "--student=bob@example.edu", "a b*@example.edu", "o'brien@example.edu",
])
def test_gradescope_ids_reach_grade_as_one_argument(tmp_path, email):
    """Attack: a Gradescope account email holding shell syntax, globs, spaces or a leading dash,
    to run commands in run_autograder (as root) or to smuggle another --student. Outcome: fails;
    `gradescope student` prints the checked id on one line and `autograder grade` gets it as the
    single argument after --student; nothing runs."""
    printed = _gradescope_student(tmp_path, {"users": [{"email": email}]})
    assert printed == email + "\n"
    argv = _run_autograder_argv(tmp_path, printed.rstrip("\n"))
    assert argv[argv.index("--student") + 1] == email and argv.count("--student") == 1
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("email", ["alice@example.edu\n--seed", "ali\u202ece@example.edu",
                                   "alice@example.edu\u200b", " alice@example.edu", "\x1b[2Jalice"])
def test_gradescope_ids_with_hidden_characters_print_nothing(tmp_path, email):
    """Attack: an email with a newline (a second argument), a bidi override or zero-width
    character (looks like a classmate's id) or terminal escapes. Outcome: fails; nothing is
    printed, so run_autograder passes no --student and those items wait for the instructor."""
    assert _gradescope_student(tmp_path, {"users": [{"email": email}]}) == ""
    assert _run_autograder_argv(tmp_path, "").count("--student") == 0


def test_gradescope_student_is_found_after_a_long_submission_history(tmp_path):
    """Attack (on the student's own points): resubmit a quiz a few hundred times. Gradescope's
    submission_metadata.json holds every previous submission's results before "users" (its keys
    are sorted), and the id was read from the first MiB only, so a long history printed nothing
    and the per-student items scored 0. Outcome: succeeded before the fix. Fixed: the file is
    read as a stream, "users" wherever it is, with a far larger bound."""
    history = [{"submission_time": "2025-01-01T00:00:00", "score": 1.0,
                "results": {"output": "x" * 6000, "tests": []}} for _ in range(400)]
    metadata = {"assignment": {"title": "quiz"}, "created_at": "2025-01-02T00:00:00", "id": 7,
                "previous_submissions": history, "submission_method": "upload",
                "users": [{"email": "alice@example.edu", "id": 12, "name": "Alice", "sid": "a1"}]}
    text = json.dumps(metadata, sort_keys=True)
    assert len(text) > 2 << 20
    assert _gradescope_student(tmp_path, text) == "alice@example.edu\n"
    path = tmp_path / "submission_metadata.json"
    assert CliRunner().invoke(
        main, ["gradescope", "student", str(path), "--field", "id"]
    ).stdout == "12\n"
    nested = {"previous_submissions": [{"users": [{"email": "bob@example.edu"}]}], "users": []}
    # a "users" inside a history is not the submitter
    assert _gradescope_student(tmp_path, nested) == ""


# --- the salt and the secret ------------------------------------------------------------------


def test_the_gradescope_zip_never_holds_a_course_secret(tmp_path):
    """Attack: get the course secret (every batch seed) into the Gradescope zip, e.g. a secret left
    in the quiz's source folder (a course root pointed at it once) or a half-written one beside it.
    Outcome: succeeded before the fix (the source folder was bundled whole). Fixed: a file named
    like the secret is never bundled, at any depth; the salt still is."""
    root = tmp_path / "repo"
    root.mkdir()
    for top in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / top, root / top)
    for top in ("reference", "autograder", "quizzes"):
        shutil.copytree(REPO / top, root / top, ignore=shutil.ignore_patterns("__pycache__"))
    source = root / "assignments" / "source" / QUIZ_ID
    shutil.copytree(REPO / "assignments" / "source" / QUIZ_ID, source)
    (source / SECRET_FILE).write_text(SECRET + "\n")
    (source / f"{SECRET_FILE}.k3j2x9").write_text(SECRET + "\n")
    (root / "autograder" / SECRET_FILE).write_text(SECRET + "\n")
    entries = bundle_entries(root, QUIZ_ID, [QUIZ_ID])
    assert [e.name for e in entries if SECRET.encode() in e.data] == []
    assert f"assignments/source/{QUIZ_ID}/quizvariants.json" in [e.name for e in entries]


def test_a_bank_field_never_runs_code(tmp_path):
    """Attack (a bank from a contributor): YAML tags that construct Python objects, or a numeric
    item naming a Python expression as its function. Outcome: fails; the bank is refused with a
    message and nothing runs."""
    canary = tmp_path / "ran"
    bank = yaml.safe_load((REPO / "quizzes" / f"{QUIZ_ID}.yaml").read_text())
    (tmp_path / "a.yaml").write_text(
        yaml.safe_dump(bank) + f"x: !!python/object/apply:os.system ['touch {canary}']\n")
    bank["items"][-1]["function"] = f"__import__('os').system('touch {canary}')"
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(bank))
    for name in ("a.yaml", "b.yaml"):
        with pytest.raises(BankInvalid):
            load_quiz(tmp_path / name)
    assert not canary.exists()


# --- 2. code-digest seeds ----------------------------------------------------------------------


@pytest.fixture()
def open_folder():
    """A folder every uid may enter (pytest's own are 0700, which would stop the worker anyway)."""
    folder = Path(tempfile.mkdtemp(prefix="carry-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def _exercise_course(root: Path) -> Path:
    course = root / "course"
    shutil.copytree(REPO / "assignments" / "source" / "optimization",
                    course / "source" / "optimization")
    (course / SECRET_FILE).write_text(SECRET + "\n")
    return course


def test_data_beside_the_code_never_reaches_the_worker(tmp_path, open_folder):
    """Attack: carry expected values from one submission's feedback to the next outside the
    digested code, so that the replaying resubmission keeps the probe's digest, seed and cases:
    the graded code reads them from a world-readable file in its submission folder (or from the
    notebook's own markdown and metadata, the same folder). Outcome: fails; files, markdown and
    metadata are outside the digest (the premise holds: same digest) but the worker cannot open
    anything there, so the replaying function raises and earns nothing."""
    course = _exercise_course(tmp_path)
    folder = open_folder / "submitted" / "mallory" / "optimization"
    folder.mkdir(parents=True)
    for path in (folder.parent.parent, folder.parent, folder):
        path.chmod(0o755)
    replay = folder / "replay.json"
    code = inspect.getsource(reference.optimizers) + (
        "\n\ndef update_lr(learning_rate0, epoch_num, decay_rate):\n"
        f"    return float(open({str(replay)!r}).read())\n")
    (folder / "optimization.py").write_text(code)
    (folder / "optimization.py").chmod(0o644)
    digests = []
    for carried in ("0.5", "0.25"):  # the probe's data, then the replay's
        replay.write_text(carried)
        replay.chmod(0o644)
        execs, _ = select_cells(load(folder, "optimization"), ["update_lr"])
        digests.append(code_digest(execs))
    assert digests[0] == digests[1]  # the premise: the carried data is outside the digest
    job = roster.Job("mallory", "optimization", folder, tmp_path / "r.json", course, False,
                     {"update_lr": 1.0})
    results, failed = grade_job(job)
    assert not failed
    update_lr = named_tests(results)["update_lr"]
    assert update_lr["score"] == 0.0
    assert "Error" in update_lr["output"] and "0.25" not in update_lr["output"]
    assert named_tests(results)["schedule_lr_decay"]["score"] > 0  # the rest was graded


def _cases(prepared: Prepared) -> list[str]:
    """The hidden cases a prepared submission will be called on (drawn from its seed)."""
    return [repr((step.args, step.kwargs)) for step in prepared.steps
            if isinstance(step, sandbox.Call)]


def test_a_one_character_change_of_the_executed_code_changes_the_cases(tmp_path):
    """Attack: resubmit a replaying program that differs from the probing one only where it does
    not matter (a comment, a space, a newline) so that both share a digest and hidden cases.
    Outcome: fails; any change to an executed cell changes the digest, so the seed and the cases;
    the same code filed again draws the same cases (a regrade reproduces the grade)."""
    course = _exercise_course(tmp_path)
    drawn = []
    for version, suffix in enumerate(("", "\n# replay", " ", "\n", "")):
        folder = tmp_path / f"v{version}"
        folder.mkdir()
        (folder / "optimization.py").write_text(inspect.getsource(reference.optimizers) + suffix)
        job = roster.Job("mallory", "optimization", folder, tmp_path / "r.json", course, False, {})
        drawn.append(_cases(prepare_job(job)))
    assert drawn[0] == drawn[4]
    assert len({json.dumps(cases) for cases in drawn[:4]}) == 4


# --- 3. the GitHub Classroom runner result ------------------------------------------------------


HOSTILE = ("boom\n::error::pwned\r::add-mask::x\u2028"
           "::set-output name=result::e30=\u0085::warning::y"
           "\n::stop-commands::tok")


def _results(visibility: str = "visible") -> dict:
    return {"score": 3.0, "max_score": 6.0,
            "output": f"optimization_quiz: 3 / 6 points.\n{HOSTILE}",
            "tests": [
                {"name": "a", "score": 1.0, "max_score": 1.0, "output": f"Correct. {HOSTILE}",
                 "visibility": visibility, "extra_data": {"picked": ["A"]}},
                {"name": f"b{HOSTILE}", "score": 0.0, "max_score": 2.0, "output": HOSTILE,
                 "visibility": "visible"},
                {"name": "c", "score": 2.0, "max_score": 3.0, "output": "The answer: B.",
                 "visibility": visibility},
            ]}


def _reporter_log(document: dict) -> list[str]:
    """The lines classroom-resources/autograding-grading-reporter prints for a runner document."""
    lines = []
    for test in document["tests"]:
        mark = "\u2705" if test["status"] == "pass" else "\u274c"
        lines += (f"Error: {test['message']}" if test["status"] == "error"
                  else f"{mark} {test['name']}").split("\n")
        if test["test_code"]:
            lines += f"Test code:\n{test['test_code']}".split("\n")
    return lines


@pytest.mark.parametrize("visibility", ["visible", "after_due_date"])
def test_student_text_cannot_become_a_workflow_command_or_a_second_output(visibility):
    """Attack: an exception message or forged results.json holding newlines, CR, U+2028 and NEL
    followed by ::error, ::add-mask, ::set-output or ::stop-commands, aimed at the reporter's log,
    the job summary and GITHUB_OUTPUT. Outcome: fails; every name and message of the runner
    document is one line of plain text, no logged or summary line starts with '::', and the
    step output is one base64 line."""
    results = _results(visibility)
    encoded = classroom.encoded(results)
    assert "\n" not in encoded and "\r" not in encoded
    document = json.loads(base64.b64decode(encoded))
    for test in document["tests"]:
        for field in ("name", "message"):
            assert not any(c in test[field] for c in "\n\r\u2028\u2029\x85"), test[field]
    lines = [*_reporter_log(document), *summary.markdown(public_results(results)).splitlines()]
    assert not [line for line in lines if line.lstrip().startswith("::")]


def test_the_runner_result_holds_nothing_of_unpublished_results():
    """Attack: read unpublished (after_due_date) results from the base64 runner document that the
    reporter logs publicly: their names, feedback or one score each. Outcome: fails; they are one
    entry holding their total share (which Points X/Y tells anyway), with no name, no feedback."""
    document = json.loads(base64.b64decode(classroom.encoded(_results("after_due_date"))))
    text = json.dumps(document)
    assert "The answer" not in text and "Correct." not in text
    names = [test["name"] for test in document["tests"]]
    assert "a" not in names and "c" not in names
    held = [test for test in document["tests"] if classroom.HELD_BACK in test["name"]]
    assert [(t["score"], t["message"]) for t in held] == [(3.0, summary.HIDDEN)]


# --- 4. results.json: extra_data, and the total before the results are published ---------------


@pytest.fixture(scope="module")
def after_due_results(tmp_path_factory) -> tuple[dict, dict]:
    """alice's graded after_due_date quiz (every answer wrong) and her variant's right answers."""
    course = _repo(tmp_path_factory.mktemp("late"), "after_due_date")
    right = right_answers(QUIZ, variants_for(QUIZ, SALT, "alice"))
    wrong = {item_id: ("B" if answer != "B" else "C") if isinstance(answer, str)
             else (2 * answer if isinstance(answer, float) else ["B", "C"])
             for item_id, answer in right.items()}
    results, failed = grade_job(_quiz_job(course, "alice", wrong))
    assert not failed
    return results, right


def test_extra_data_holds_no_key_and_no_expected_number(after_due_results):
    """Attack: read the key from a test's extra_data (mistakes named, picked letters, the variant),
    which Gradescope keeps and the CI public copy keeps. Outcome: fails; extra_data holds the
    letters picked (the bank's), the variant's order or parameters and whether it waits for a
    hand grade: no right letter that was not picked, no expected number."""
    results, right = after_due_results
    for test in results["tests"]:
        data = test.get("extra_data", {})
        assert set(data) <= {"picked", "manual", "variant"}, data
        item = QUIZ.item(test["name"])
        if item.type in ("single", "multiple"):
            assert test["score"] == 0.0 and not set(item.answer) & set(data["picked"])
    numeric = named_tests(results)[NUMERIC.id]["extra_data"]
    assert repr(right[NUMERIC.id]) not in json.dumps(numeric)
    assert f"{right[NUMERIC.id]:.6g}" not in json.dumps(numeric)


def test_an_unpublished_quiz_shows_no_score_before_its_results_are_published(after_due_results):
    """Attack (explanations: after_due_date, Gradescope): the results are hidden until the due
    date, but results.json's top-level output (shown at once, top-level visibility "visible")
    began "optimization_quiz: 2 / 9 points.", so one changed answer per submission found the key
    on Gradescope as in Classroom. Outcome: succeeded before the fix. Fixed: while any result is
    held back the top-level line gives no score, and when all are, the whole result takes their
    visibility."""
    results, _ = after_due_results
    assert results["visibility"] == "after_due_date"
    first = results["output"].splitlines()[0]
    assert first.startswith(f"{QUIZ_ID}:") and "points" not in first and "/" not in first
    assert all(f"{n:g}" not in first for n in (results["score"], results["max_score"]))
    assert summary.markdown(public_results(results)).splitlines()[-1].startswith("Points ")


def test_visible_results_still_say_the_score_at_the_top():
    """The fix above keeps the score line of results that are visible at once."""
    from autograder.grading import NameResult, Report

    report = Report("optimization", [NameResult("update_lr", 1.0, 1.0, "ok")])
    results = to_gradescope(report)
    assert results["output"].startswith("optimization: 1 / 1 points.")
    assert results["visibility"] == "visible"
    mixed = Report(QUIZ_ID, [NameResult("a", 1.0, 1.0, "ok"),
                             NameResult("b", 0.0, 1.0, "no", "after_due_date")])
    assert "points" not in to_gradescope(mixed)["output"].splitlines()[0]
    assert to_gradescope(mixed)["visibility"] == "visible"

