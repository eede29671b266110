"""Per-student quiz variants: choice orders and numbers of each student's own.

Each student's variant is drawn from the quiz's public salt and the id the submission is filed
under; the student's notebook shows it, the grader maps the letters back and computes the
numbers' answers in its own process. The attacks: answers copied from a classmate, an id that
tries to be another's, a notebook edited to show another variant or to claim another id.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pytest
from support.grading import invoke_cli, named_tests, read_results

from autograder.batch import roster
from autograder.batch.grader import SECRET_FILE, grade_job
from autograder.quiz import build_quiz, load_quiz, notebook_path, score_item, score_quiz
from autograder.quiz.personalize import (
    data_path,
    listed_order,
    make_salt,
    read_salt,
    right_answers,
    student_variants,
    variants_for,
)
from autograder.quiz.render import render_notebook_text
from autograder.quiz.variants import (
    QuizVariant,
    StudentIdError,
    check_student_id,
    draw,
)

REPO = Path(__file__).resolve().parents[1]
QUIZ_ID = "optimization_quiz"
QUIZ = load_quiz(REPO / "quizzes" / f"{QUIZ_ID}.yaml")
AFTER_DUE = dataclasses.replace(QUIZ, explanations="after_due_date")
SHUFFLED = QUIZ.item("adam_bias_correction")
NUMERIC = QUIZ.item("scheduled_learning_rate")
PER_STUDENT = [SHUFFLED.id, NUMERIC.id]
#: The course secret of the test course, so that its salt (and every variant) is fixed.
SECRET = "0123456789abcdef" * 4
SALT = hmac.new(SECRET.encode(), f"variants/{QUIZ_ID}".encode(), hashlib.sha256).hexdigest()
#: Two students whose variants differ in both items under SALT (checked below).
ALICE, BOB = "alice", "bob"


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A repository copy: quizzes/ and a course root whose secret is SECRET, the quiz built."""
    repo = tmp_path_factory.mktemp("repo")
    shutil.copytree(REPO / "quizzes", repo / "quizzes")
    root = repo / "assignments"
    root.mkdir()
    (root / SECRET_FILE).write_text(SECRET + "\n")
    build_quiz(QUIZ, root)
    return root


def variants(student: str) -> dict:
    return variants_for(QUIZ, SALT, student)


def answers_of(student: str) -> dict:
    return right_answers(QUIZ, variants(student))


def per_student_scores(results) -> dict[str, float]:
    return {r.item_id: r.score for r in results if r.item_id in PER_STUDENT}


# --- two students, two variants ----------------------------------------------------------------


def test_two_students_get_different_orders_and_different_numbers():
    alice, bob = variants(ALICE), variants(BOB)
    assert alice[SHUFFLED.id].order != bob[SHUFFLED.id].order
    assert answers_of(ALICE)[SHUFFLED.id] != answers_of(BOB)[SHUFFLED.id]
    assert alice[NUMERIC.id].values != bob[NUMERIC.id].values
    assert answers_of(ALICE)[NUMERIC.id] != answers_of(BOB)[NUMERIC.id]
    for student in (ALICE, BOB):
        assert sorted(variants(student)[SHUFFLED.id].order) == [0, 1, 2, 3]


def test_each_student_gets_full_marks_for_their_own_answers_and_not_for_the_others():
    for student, other in ((ALICE, BOB), (BOB, ALICE)):
        own = score_quiz(QUIZ, answers_of(student), variants(student))
        assert all(r.score == r.max_score for r in own)
        copied = score_quiz(QUIZ, answers_of(other), variants(student))
        assert per_student_scores(copied) == {SHUFFLED.id: 0.0, NUMERIC.id: 0.0}


def test_the_variant_is_the_same_on_every_draw():
    assert variants(ALICE) == variants(ALICE)
    # another course, another variant
    assert variants_for(QUIZ, "ff" * 32, ALICE) != variants(ALICE)


def test_orders_and_numbers_spread_over_a_class():
    students = [f"s{number:03d}" for number in range(400)]
    orders = {variants(s)[SHUFFLED.id].order for s in students}
    assert len(orders) == 24  # every order of 4 choices
    right_letters = [answers_of(s)[SHUFFLED.id] for s in students]
    assert min(right_letters.count(letter) for letter in "ABCD") > 60  # about 100 each
    numbers = {tuple(variants(s)[NUMERIC.id].values.values()) for s in students}
    assert len(numbers) == len(students)


def test_the_scores_record_the_banks_letters_and_the_variant():
    variant = variants(ALICE)[SHUFFLED.id]
    shown = answers_of(ALICE)[SHUFFLED.id]
    score = score_item(SHUFFLED, shown, QUIZ, variant)
    assert score.picked == SHUFFLED.answer  # the bank's letter, whatever was shown
    assert score.variant == {"student": ALICE,
                             "order": [SHUFFLED.letters[i] for i in variant.order]}
    numeric = score_item(NUMERIC, 0.5, QUIZ, variants(ALICE)[NUMERIC.id])
    assert numeric.variant == {"student": ALICE,
                               "parameters": dict(variants(ALICE)[NUMERIC.id].values)}
    assert numeric.picked == ()


def test_a_shuffled_multiple_choice_is_read_in_the_order_shown():
    item = dataclasses.replace(QUIZ.item("different_influence"), shuffle=True)
    variant = variants_for(dataclasses.replace(QUIZ, items=(item,)), SALT, BOB)[item.id]
    right = right_answers(dataclasses.replace(QUIZ, items=(item,)), {item.id: variant})[item.id]
    assert right == ["C", "D"]  # where bob sees the bank's A and D
    result = score_item(item, right, QUIZ, variant)
    assert result.score == 2.0 and result.picked == ("A", "D")
    assert score_item(item, ["A", "D"], QUIZ, variant).score == 0.0  # the bank's letters, copied
    assert score_item(item, ["A", "D"], QUIZ, variant).score < 2.0


# --- feedback ---------------------------------------------------------------------------------


def test_shuffled_feedback_speaks_of_the_letters_as_shown():
    variant = variants(ALICE)[SHUFFLED.id]
    shown = answers_of(ALICE)[SHUFFLED.id]
    feedback = score_item(SHUFFLED, shown, QUIZ, variant).feedback
    assert feedback.startswith("Correct.")
    assert f"{shown}. {SHUFFLED.choices['A']}: {SHUFFLED.explanations['A']}" in feedback
    assert "in the order shown to student id 'alice'" in feedback
    wrong = next(letter for letter in "ABCD" if letter != shown)
    late = score_item(SHUFFLED, wrong, AFTER_DUE, variant).feedback
    assert f"The answer: {shown}." in late


def test_numeric_feedback_names_the_numbers_graded_and_the_answer_only_after_the_due_date():
    variant = variants(ALICE)[NUMERIC.id]
    (answer,) = NUMERIC.answer_function.answer(variant.values)
    right = score_item(NUMERIC, answer, QUIZ, variant).feedback
    assert right.startswith("Correct.") and NUMERIC.explanation in right
    assert "Graded for your numbers (student id 'alice'): learning_rate0 = " in right
    wrong = score_item(NUMERIC, answer * 2, QUIZ, variant).feedback
    assert wrong.startswith("Incorrect.") and "The answer" not in wrong
    late = score_item(NUMERIC, answer * 2, AFTER_DUE, variant).feedback
    assert f"The answer: the learning rate {answer:.6g}." in late and NUMERIC.explanation in late


@pytest.mark.parametrize(("given", "score", "says"), [
    (lambda a: a, 2.0, "Correct."),
    (lambda a: a * (1 + 0.999e-3), 2.0, "Correct."),  # inside the stated tolerance
    (lambda a: a * (1 + 1.01e-3), 0.0, "Incorrect."),
    (lambda a: np.float64(a), 2.0, "Correct."),  # what NumPy arithmetic gives
    (lambda a: np.float32(a), 2.0, "Correct."),
    (lambda a: repr(a), 0.0, "write the number itself, without quotes"),
    (lambda a: "1e-3", 0.0, "got the string '1e-3'"),
    (lambda a: True, 0.0, "got a bool"),
    (lambda a: float("nan"), 0.0, "nan is not a finite number"),
    (lambda a: float("inf"), 0.0, "inf is not a finite number"),
    (lambda a: 10**400, 0.0, "too large"),
    (lambda a: [a], 0.0, "got a list"),
    (lambda a: None, 0.0, "not answered"),
], ids=["exact", "within", "beyond", "float64", "float32", "quoted", "text", "bool", "nan", "inf",
        "huge", "list", "none"])
def test_numeric_answers_are_read_strictly(given, score, says):
    variant = variants(ALICE)[NUMERIC.id]
    (answer,) = NUMERIC.answer_function.answer(variant.values)
    result = score_item(NUMERIC, given(answer), QUIZ, variant)
    assert (result.score, says in result.feedback) == (score, True), result.feedback


def test_an_answer_of_several_numbers_scores_each_and_names_which_is_right():
    item = dataclasses.replace(
        NUMERIC, id="batches", function="mini_batches",
        prompt="{m} examples, size {mini_batch_size}",
        parameters={"m": {"min": 1, "max": 5000}, "mini_batch_size": {"values": [32, 64, 128]}},
    )
    variant = variants_for(dataclasses.replace(QUIZ, items=(item,)), SALT, ALICE)[item.id]
    count, last = item.answer_function.answer(variant.values)
    assert score_item(item, [int(count), int(last)], QUIZ, variant).score == 2.0
    half = score_item(item, [int(count), int(last) + 1], QUIZ, variant)
    assert half.score == 1.0
    assert half.feedback.startswith("Partially correct: the number of mini-batches right, "
                                    "the size of the last mini-batch not within the tolerance.")
    assert "expected a list of 2 numbers" in score_item(item, count, QUIZ, variant).feedback


# --- student ids -------------------------------------------------------------------------------


@pytest.mark.parametrize(("student", "says"), [
    ("", "is empty"),
    (None, "is text, got NoneType"),
    (7, "is text, got int"),
    (b"alice", "is text, got bytes"),
    (" alice", "starts or ends with a space"),
    ("alice ", "starts or ends with a space"),
    ("alice\n", "U+000A"),
    ("al\x00ice", "U+0000"),
    ("al\x1b[31mice", "U+001B"),
    ("ali\u200bce", "U+200B"),  # zero width space
    ("alice\u202e", "U+202E"),  # right-to-left override
    ("\u3000alice", "U+3000"),  # ideographic space
    ("a\u2028b", "U+2028"),
    ("\ud800", "U+D800"),  # a lone surrogate: undecodable bytes in a folder name
    ("e\u0301", "not in Unicode NFC form"),
    ("a" * 129, "129 characters long; at most 128"),
    ("../bob", "no '/'"),
    ("a\\b", "no '/'"),
    ("..", "no '/'"),
], ids=repr)
def test_an_unusable_student_id_is_refused_with_a_clear_message(student, says):
    with pytest.raises(StudentIdError, match=None) as refused:
        check_student_id(student)
    assert says in str(refused.value)
    assert "\x1b" not in str(refused.value) and "\u202e" not in str(refused.value)


LOOKALIKES = ["alice", "Alice", "ALICE", "ａｌｉｃｅ", "\u0430lice", "alice.", "al ice", "alicé",
              "a" * 128, "o'brien", "学生42"]


def test_ids_are_taken_exactly_as_given_so_lookalikes_draw_apart():
    assert [check_student_id(student) for student in LOOKALIKES] == LOOKALIKES
    draws = {draw(SALT, student, SHUFFLED.id, "order 3", 2**64) for student in LOOKALIKES}
    assert len(draws) == len(LOOKALIKES)


def test_without_a_student_id_the_per_student_items_say_so_and_the_others_are_graded(course):
    with pytest.raises(ValueError, match="graded without a student id"):
        student_variants(QUIZ, course, None)
    results = score_quiz(QUIZ, answers_of(ALICE))
    assert per_student_scores(results) == {SHUFFLED.id: 0.0, NUMERIC.id: 0.0}
    assert "Not graded yet" in results[-1].feedback
    assert results[0].score == 1.0


# --- the salt ----------------------------------------------------------------------------------


def test_the_salt_is_the_hmac_of_the_course_secret_and_is_kept_by_rebuilds(course, tmp_path):
    assert read_salt(course, QUIZ_ID) == make_salt(course, QUIZ_ID) == SALT
    copy = tmp_path / "assignments"
    shutil.copytree(course, copy)
    (copy / SECRET_FILE).write_text("f" * 64 + "\n")  # another machine, another secret
    assert not any(build_quiz(QUIZ, copy).values())  # nothing changes: the students' salt is kept
    data_path(copy, QUIZ_ID).unlink()
    build_quiz(QUIZ, copy)
    assert read_salt(copy, QUIZ_ID) == make_salt(copy, QUIZ_ID) != SALT


def test_the_committed_variant_files_are_up_to_date(tmp_path):
    source = REPO / "assignments" / "source" / QUIZ_ID
    shutil.copytree(source, tmp_path / "source" / QUIZ_ID)
    changed = build_quiz(QUIZ, tmp_path)
    assert not any(changed.values()), (
        f"stale: {[str(p) for p, c in changed.items() if c]}: run `autograder quiz build`")
    assert not (tmp_path / SECRET_FILE).exists()  # the kept salt needs no secret


def test_the_notebook_holds_neither_the_salt_nor_anything_that_depends_on_it(course):
    text = notebook_path(QUIZ_ID, course).read_text()
    assert text == render_notebook_text(QUIZ)
    assert SALT not in text and SECRET not in text
    data = json.loads(data_path(course, QUIZ_ID).read_text())
    assert set(data) == {"quiz", "salt", "items"}
    listed = [SHUFFLED.choices[SHUFFLED.letters[index]] for index in listed_order(SHUFFLED, SALT)]
    assert data["items"] == {
        SHUFFLED.id: {"choices": listed},  # in an order of the texts and the salt, not the bank's
        NUMERIC.id: {"prompt": NUMERIC.prompt, "parameters": dict(NUMERIC.parameters)},
    }
    assert sorted(listed) == sorted(SHUFFLED.choices.values())


def test_a_missing_salt_is_a_message_that_says_what_to_run(tmp_path):
    with pytest.raises(ValueError,
                       match=r"is missing: run `autograder quiz build optimization_quiz`"):
        student_variants(QUIZ, tmp_path, ALICE)
    (tmp_path / "source" / QUIZ_ID).mkdir(parents=True)
    data_path(tmp_path, QUIZ_ID).write_text('{"quiz": "optimization_quiz", "salt": "0"}')
    with pytest.raises(ValueError, match="cannot be used .the quiz's salt is not 64 hex digits"):
        student_variants(QUIZ, tmp_path, ALICE)


# --- the student's notebook ------------------------------------------------------------------


def test_what_the_notebook_shows_is_the_variant_the_grader_grades(course, capsys):
    data = data_path(course, QUIZ_ID)
    for student in (ALICE, BOB, "Alice", "学生42"):
        seen = QuizVariant(QUIZ_ID, student=student, data=data)
        graded = variants(student)
        shown = repr(seen.show(SHUFFLED.id)).splitlines()[1:]
        bank_of = graded[SHUFFLED.id].bank_letters(SHUFFLED)
        assert shown == [f"{letter}. {SHUFFLED.choices[bank_of[letter]]}"
                         for letter in SHUFFLED.letters]
        question = repr(seen.show(NUMERIC.id))
        for name, value in graded[NUMERIC.id].values.items():
            assert f"{name}" not in question.split("\n", 1)[1] and str(value) in question
    assert "the variant of student id '学生42'" in capsys.readouterr().out


def test_the_notebook_takes_the_id_from_jupyterhub_else_asks_once(course, monkeypatch):
    data = data_path(course, QUIZ_ID)
    monkeypatch.setenv("JUPYTERHUB_USER", BOB)
    monkeypatch.setattr("builtins.input",
                        lambda prompt: pytest.fail("asked although JupyterHub says"))
    assert QuizVariant(QUIZ_ID, data=data).student == BOB
    monkeypatch.delenv("JUPYTERHUB_USER")
    asked = []
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or ALICE)
    assert QuizVariant(QUIZ_ID, data=data).student == ALICE and len(asked) == 1
    monkeypatch.setattr("builtins.input", lambda prompt: "alice ")
    with pytest.raises(StudentIdError, match="starts or ends with a space: run this cell again"):
        QuizVariant(QUIZ_ID, data=data)


def test_a_notebook_that_cannot_ask_says_how_to_give_the_id(course, monkeypatch):
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)

    def no_stdin(prompt):
        raise RuntimeError(
            "raw_input was called, but this frontend does not support input requests")

    monkeypatch.setattr("builtins.input", no_stdin)
    with pytest.raises(StudentIdError, match='JUPYTERHUB_USER is not set .* student="your id"'):
        QuizVariant(QUIZ_ID, data=data_path(course, QUIZ_ID))


# --- through the grader: the id the submission is filed under, whatever the notebook says --------


def _notebook(course: Path, answers: dict, before: str = "") -> nbformat.NotebookNode:
    """The quiz notebook as a student submits it: each answer cell binding ``answers``."""
    notebook = nbformat.read(notebook_path(QUIZ_ID, course), as_version=4)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = f"{before}{grade_id} = {answers.get(grade_id)!r}\n"
    return notebook


def _grade(course: Path, student: str, notebook: nbformat.NotebookNode) -> dict:
    folder = course / "submitted" / student / QUIZ_ID
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, folder / f"{QUIZ_ID}.ipynb")
    points = {item.id: item.points for item in QUIZ.items}
    results_path = course / "autograded" / student / QUIZ_ID / "results.json"
    job = roster.Job(student, QUIZ_ID, folder, results_path, course, True, points)
    results, failed = grade_job(job)
    assert not failed, results
    return results


def test_a_notebook_that_claims_another_id_is_graded_as_the_student_it_is_filed_under(course):
    """Alice's notebook answers bob's variant and says it is bob's three ways: the grade is
    alice's."""
    claims = (
        "import os\n"
        "os.environ['JUPYTERHUB_USER'] = 'bob'\n"
        "student = 'bob'\n"
    )
    results = _grade(course, ALICE, _notebook(course, answers_of(BOB), before=claims))
    tests = named_tests(results)
    assert ({name: tests[name]["score"] for name in PER_STUDENT}
            == {SHUFFLED.id: 0.0, NUMERIC.id: 0.0})
    assert tests[SHUFFLED.id]["extra_data"]["variant"]["student"] == ALICE
    assert "student id 'alice'" in tests[NUMERIC.id]["output"]
    own = _grade(course, BOB, _notebook(course, answers_of(BOB), before=claims))
    assert own["score"] == own["max_score"]


def test_a_notebook_edited_to_show_other_numbers_is_graded_on_the_real_ones(course, tmp_path):
    """The student rewrites their variant data (another salt, other ranges) and answers what it
    then shows; the grader never reads the submission's copy."""
    edited = json.loads(data_path(course, QUIZ_ID).read_text())
    edited["salt"] = "00" * 32
    edited["items"][NUMERIC.id]["parameters"] = {name: {"values": [1]}
                                                 for name in NUMERIC.parameters}
    seen = QuizVariant(QUIZ_ID, student=ALICE, data=_write(tmp_path / "quizvariants.json", edited))
    assert "Your numbers" in repr(seen.show(NUMERIC.id))
    shown_answer = 1 / (1 + 1 * (1 // 1))  # what the edited data shows: every parameter 1
    notebook = _notebook(course, {**answers_of(ALICE), NUMERIC.id: shown_answer})
    notebook.metadata["autograder"]["salt"] = "00" * 32  # nor any metadata
    results = _grade(course, ALICE, notebook)
    assert named_tests(results)[NUMERIC.id]["score"] == 0.0
    assert named_tests(results)[SHUFFLED.id]["score"] == SHUFFLED.points


def test_a_regrade_gives_the_same_variant_and_score(course):
    notebook = _notebook(course, answers_of(ALICE))
    first, second = _grade(course, ALICE, notebook), _grade(course, ALICE, notebook)
    assert first["score"] == second["score"] == first["max_score"]
    assert ([t.get("extra_data") for t in first["tests"]]
            == [t.get("extra_data") for t in second["tests"]])


def test_a_student_folder_that_is_not_a_usable_id_gets_a_clear_message_and_the_rest_is_graded(
        course):
    results = _grade(course, "mallory\u202e", _notebook(course, answers_of(ALICE)))
    tests = named_tests(results)
    assert ({name: tests[name]["score"] for name in PER_STUDENT}
            == {SHUFFLED.id: 0.0, NUMERIC.id: 0.0})
    assert "holds U+202E, an invisible or control character" in tests[SHUFFLED.id]["output"]
    assert tests["most_variance"]["score"] == 1.0


def _write(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data))
    return path


# --- autograder grade --student --------------------------------------------------------------


def _answer_sheet(path: Path, answers: dict) -> Path:
    path.write_text("".join(f"{name} = {value!r}\n" for name, value in answers.items()))
    return path


@pytest.mark.parametrize("student", [ALICE, BOB])
def test_grade_with_student_grades_that_students_variant(course, tmp_path, student):
    sheet = _answer_sheet(tmp_path / "answers.py", answers_of(student))
    out = tmp_path / "results.json"
    code, _, stderr = invoke_cli("grade", str(sheet), "-a", QUIZ_ID, "--course", str(course),
                                 "--student", student, "--results", str(out), "-q")
    assert code == 0, stderr
    results = read_results(out)
    assert results["score"] == results["max_score"]


def test_grade_without_student_says_why_the_per_student_items_got_nothing(course, tmp_path):
    sheet = _answer_sheet(tmp_path / "answers.py", answers_of(ALICE))
    out = tmp_path / "results.json"
    code, _, stderr = invoke_cli("grade", str(sheet), "-a", QUIZ_ID, "--course", str(course),
                                 "--results", str(out), "-q")
    assert code == 0, stderr
    results = read_results(out)
    assert "graded without a student id (autograder grade --student)" in results["output"]
    assert results["score"] == results["max_score"] - SHUFFLED.points - NUMERIC.points


@pytest.mark.parametrize("student", ["", "al\x1bice", "../bob", "x" * 200])
def test_grade_with_a_malformed_student_is_a_one_line_usage_error(course, tmp_path, student):
    sheet = _answer_sheet(tmp_path / "answers.py", answers_of(ALICE))
    out = tmp_path / "results.json"
    code, _, stderr = invoke_cli("grade", str(sheet), "-a", QUIZ_ID, "--course", str(course),
                                 "--student", student, "--results", str(out))
    assert code == 2 and not out.exists()
    assert (len(stderr.strip().splitlines()) == 1
            and stderr.startswith("autograder: error: --student: the student id"))
    assert "\x1b" not in stderr
