"""Hostile input to ``autograder stats``: student ids, results.json files and every string in them.

A course's ``autograded/`` and, worse, a folder given with ``--results-glob`` hold files someone
else wrote: each hostile file costs only its own student (a warning naming it), nothing is read
through a link or past the size cap, and no string reaches the page, the CSV or the terminal as
anything but text.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import time
import tracemalloc
from pathlib import Path

import pytest
from support.grading import invoke_cli
from support.stats import HOSTILE_FORMULA, HOSTILE_HTML, formula, results_json, write_results

from autograder.results import MAX_RESULTS_BYTES
from autograder.stats import page
from autograder.stats.compute import class_statistics
from autograder.stats.questions import questions_of
from autograder.stats.reading import read_glob, read_round
from autograder.stats.writing import to_csv, to_json

REPO = Path(__file__).resolve().parents[1]
COURSE = REPO / "assignments"
ADAM = "update_parameters_with_adam"
SECRET = "root:$6$do-not-read-me"


def _honest(score: float = 3.0, mistakes: tuple[str, ...] = ()) -> dict:
    return results_json([{"name": ADAM, "score": score, "max_score": 3.0,
                          "extra_data": {"mistakes": list(mistakes), "unexplained": 0}}])


@pytest.fixture
def course(tmp_path) -> Path:
    """An empty course root whose exercise points are the bundled course's (no copy needed)."""
    root = tmp_path / "course"
    (root / "source").mkdir(parents=True)
    (root / "source" / "optimization").symlink_to(COURSE / "source" / "optimization")
    write_results(root, "honest", _honest())
    return root


def _read(course: Path):
    return read_round(course, "optimization")


def _reasons(round_) -> dict[str, str]:
    return {entry.who: entry.reason for entry in round_.skipped}


def _stats(round_) -> dict:
    return class_statistics("optimization", questions_of("optimization", COURSE), round_.students,
                            round_.skipped)


# ---------------------------------------------------------------------------------------------
# Reading: links, special files, sizes


def test_a_results_json_linked_to_a_secret_is_never_read(course, tmp_path):
    secret = tmp_path / "shadow"
    secret.write_text(json.dumps(_honest(0.0, (SECRET,))))
    link = course / "autograded" / "mallory" / "optimization" / "results.json"
    link.parent.mkdir(parents=True)
    link.symlink_to(secret)
    round_ = _read(course)
    assert [s.student for s in round_.students] == ["honest"]
    assert "is a link" in _reasons(round_)["mallory"]
    assert SECRET not in json.dumps(_stats(round_))


def test_the_real_etc_shadow_through_a_link_is_refused_without_opening_it(course):
    link = course / "autograded" / "mallory" / "optimization" / "results.json"
    link.parent.mkdir(parents=True)
    link.symlink_to("/etc/shadow")
    assert "is a link" in _reasons(_read(course))["mallory"]


@pytest.mark.parametrize("linked", ["student", "assignment"])
def test_a_linked_folder_of_the_round_is_not_followed(course, tmp_path, linked):
    write_results(tmp_path / "other", "x", _honest(0.0, (SECRET,)))
    elsewhere = tmp_path / "other" / "autograded" / "x"
    if linked == "student":
        (course / "autograded" / "mallory").symlink_to(elsewhere, target_is_directory=True)
    else:
        (course / "autograded" / "mallory").mkdir()
        (course / "autograded" / "mallory" / "optimization").symlink_to(elsewhere / "optimization")
    round_ = _read(course)
    assert ([s.student for s in round_.students] == ["honest"]
            and "link" in _reasons(round_)["mallory"])


def test_an_autograded_folder_that_is_a_link_stops_with_a_message(tmp_path, course):
    other = tmp_path / "course2"
    other.mkdir()
    (other / "autograded").symlink_to(course / "autograded", target_is_directory=True)
    (other / "source").symlink_to(course / "source", target_is_directory=True)
    code, _, stderr = invoke_cli("stats", "optimization", "--course", str(other),
                                 "--output", str(tmp_path / "o"))
    assert code == 2 and "is a link" in stderr and stderr.count("\n") == 1


def test_a_two_gigabyte_results_json_is_skipped_without_reading_it(course):
    path = write_results(course, "huge", b"")
    with path.open("wb") as file:
        file.truncate(2 * 2**30)  # sparse: costs no disk
    _read(course)  # the first read imports jsonschema
    tracemalloc.start()
    started = time.monotonic()
    round_ = _read(course)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert time.monotonic() - started < 2 and peak < 4 * 2**20  # a read allocates its 1 MiB chunk
    assert f"larger than {MAX_RESULTS_BYTES >> 20} MiB" in _reasons(round_)["huge"]


def test_a_fifo_named_results_json_does_not_hang(course):
    path = course / "autograded" / "fifo" / "optimization" / "results.json"
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    started = time.monotonic()
    round_ = _read(course)
    assert time.monotonic() - started < 2
    assert "named pipe" in _reasons(round_)["fifo"] and len(round_.students) == 1


# ---------------------------------------------------------------------------------------------
# Parsing: what a results.json may not be


@pytest.mark.parametrize(("content", "words"), [
    (b"\xff\xfe not utf-8", "not UTF-8"),
    (b"not json", "not valid JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
    (b"[]", "expected shape"),
    (b'{"tests": {}}', "expected shape"),
    (b'{"tests": [{"name": "update_parameters_with_adam", "score": "3"}]}', "$.tests[0].score"),
    (b'{"tests": [{"name": "update_parameters_with_adam", "score": true}]}', "$.tests[0].score"),
    (b'{"tests": [{"score": 1}]}', "required"),
    (b'{"tests": [{"name": "update_parameters_with_adam", "score": NaN}]}',
     "NaN is not a JSON number"),
    (b'{"tests": [{"name": "update_parameters_with_adam", "score": Infinity}]}', "Infinity is not"),
    (b'{"tests": [{"name": "update_parameters_with_adam", "score": -Infinity}]}',
     "Infinity is not"),
    (b'{"tests": [{"name": "update_parameters_with_adam", "score": 1e400}]}', "out of range"),
    (b'{"tests": [{"name": "update_parameters_with_adam", "score": 1' + b"0" * 5000 + b'}]}',
     "not valid JSON"),
    (b'{"tests": [{"name": "update_parameters_with_adam", "score": 1e300}]}', "maximum"),
    ((b'{"tests": [{"name": "update_parameters_with_adam", "score": 1, '
      b'"extra_data": {"mistakes": "x"}}]}'),
     "mistakes"),
    ((b'{"tests": [{"name": "update_parameters_with_adam", "score": 1, '
      b'"extra_data": {"unexplained": -1}}]}'),
     "unexplained"),
    (b'{"tests": [{"name": "a", "score": 1}, {"name": "a", "score": 0}]}', "two tests are named"),
    (b'{"tests": [], "extra_data": {"assignment": "initialization"}}',
     "of initialization, not of optimization"),
])
def test_a_malformed_results_json_costs_only_its_student(course, content, words):
    write_results(course, "mallory", content)
    round_ = _read(course)
    assert [s.student for s in round_.students] == ["honest"]
    assert words in _reasons(round_)["mallory"]
    assert len(_reasons(round_)["mallory"]) <= 300


def test_scores_from_a_hostile_file_are_all_finite_in_the_json(course):
    write_results(course, "big", results_json([{"name": ADAM, "score": 1e9, "max_score": 1e9}]))
    text = to_json(_stats(_read(course))).decode()
    assert "NaN" not in text and "Infinity" not in text


def test_test_names_that_collide_with_the_statistics_keys_change_nothing(course):
    tests = [{"name": name, "score": 5.0}
             for name in ("students", "names", "assignment", "__proto__", "max_score", "mean",
                          "choices")]
    write_results(course, "collider", results_json([
        *tests,
        {"name": ADAM, "score": 3.0, "max_score": 3.0, "extra_data": {"mistakes": ["unexplained"]}},
    ]))
    stats = _stats(_read(course))
    assert stats["students"] == 2 and stats["assignment"] == "optimization"
    assert set(stats["names"]) == {q.name for q in questions_of("optimization", COURSE)}
    assert stats["names"][ADAM]["mean"] == 3.0 and stats["names"][ADAM]["unexplained"] == 0


def test_a_mistake_named_like_a_key_is_just_a_mistake(course):
    write_results(course, "m", _honest(1.5, ("unexplained", "__proto__", "graded")))
    entry = _stats(_read(course))["names"][ADAM]
    assert entry["mistakes"] == {"__proto__": 1, "graded": 1, "unexplained": 1}
    assert entry["unexplained"] == 0 and entry["graded"] == 2


# ---------------------------------------------------------------------------------------------
# Writing: the page, the CSV, the JSON, the terminal


HOSTILE_MESSAGES = (HOSTILE_HTML, "</td></tr></table><script>alert(1)</script>",
                    "$\\frac{1}{0}$ and $ unbalanced", "\x1b[31mred\u202eevil")


@pytest.fixture
def hostile_round(course):
    write_results(course, HOSTILE_HTML, _honest(1.5, HOSTILE_MESSAGES))
    write_results(course, HOSTILE_FORMULA, _honest(1.5, (HOSTILE_FORMULA,)))
    write_results(course, "<svg onload=alert(2)>", b"broken")
    write_results(course, "\x1b[2Jbidi\u202e", _honest(0.0))
    return course


def test_hostile_ids_and_messages_are_escaped_on_the_page(hostile_round):
    html = page.render(_stats(_read(hostile_round)), questions_of("optimization", COURSE))
    assert "<script" not in html and "<img src=x" not in html and "onerror=alert(1)>" not in html
    assert "&lt;svg onload=alert(2)&gt;" in html  # the skipped student, named as text
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # the message, as text
    assert "\x1b" not in html and "\u202e" not in html and "\\x1b[31mred\\u202eevil" in html
    assert re.search(r'<meta http-equiv="Content-Security-Policy" '
                     r'content="default-src \'none\'; img-src data:', html)
    assert html.count("<img ") == len(
        re.findall(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]+" alt="', html))


def test_hostile_ids_and_messages_cannot_be_formulas_in_the_csv(hostile_round):
    rows = list(csv.reader(io.StringIO(to_csv(_stats(_read(hostile_round))).decode())))
    cells = [cell for row in rows for cell in row]
    assert not any(formula(cell) for cell in cells)
    assert "'" + HOSTILE_FORMULA in cells  # the message, and the student who alone made it
    assert "'" + HOSTILE_FORMULA in [row[5] for row in rows if row[2] == "'" + HOSTILE_FORMULA]
    assert all("\x1b" not in cell and "\n" not in cell for cell in cells)


def test_the_json_is_valid_and_holds_the_hostile_strings_as_visible_escapes(hostile_round):
    text = to_json(_stats(_read(hostile_round))).decode()
    stats = json.loads(text)
    assert "\x1b" not in text and "\u202e" not in text
    assert stats["names"][ADAM]["mistakes"][HOSTILE_HTML] == 1
    assert stats["names"][ADAM]["mistake_students"][HOSTILE_FORMULA] == [HOSTILE_FORMULA]
    assert stats["names"][ADAM]["mistake_students"][HOSTILE_HTML] == [HOSTILE_HTML]
    assert "\\x1b[2Jbidi\\u202e" in stats["names"][ADAM]["unexplained_students"]


def test_the_terminal_gets_no_control_sequence(hostile_round, tmp_path):
    code, stdout, stderr = invoke_cli("stats", "optimization", "--course", str(hostile_round),
                                      "--output", str(tmp_path))
    assert code == 0
    assert "\x1b" not in stdout + stderr and "\u202e" not in stdout + stderr
    assert "skipped <svg onload=alert(2)>: " in stderr


# ---------------------------------------------------------------------------------------------
# --results-glob: files from anywhere


def test_a_glob_never_follows_a_link_to_a_file_or_a_folder(tmp_path):
    downloads = tmp_path / "downloads"
    (downloads / "honest").mkdir(parents=True)
    (downloads / "honest" / "results.json").write_text(json.dumps(_honest()))
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "results.json").write_text(json.dumps(_honest(0.0, (SECRET,))))
    (downloads / "linked-folder").symlink_to(tmp_path / "secret", target_is_directory=True)
    (downloads / "mallory").mkdir()
    (downloads / "mallory" / "results.json").symlink_to("/etc/shadow")
    round_ = read_glob(f"{downloads}/*/results.json", "optimization")
    assert [s.student for s in round_.students] == ["honest"]
    assert "link" in _reasons(round_)["mallory"]
    assert "linked-folder" not in json.dumps([s.student for s in round_.students])
    deep = read_glob(f"{downloads}/**/*.json", "optimization")
    assert [s.student for s in deep.students] == ["honest"]


def test_a_glob_names_each_student_once(tmp_path):
    (tmp_path / "ada").mkdir()
    (tmp_path / "ada" / "results.json").write_text(json.dumps(_honest()))
    (tmp_path / "ada.json").write_text(json.dumps(_honest(0.0)))
    round_ = read_glob(f"{tmp_path}/**/*.json", "optimization")
    assert [s.student for s in round_.students] == ["ada"]
    assert "a second results.json for this student" in _reasons(round_)["ada"]


def test_a_glob_skips_hidden_files_as_the_shell_does(tmp_path):
    (tmp_path / ".ada.json").write_text(json.dumps(_honest()))
    (tmp_path / "bob.json").write_text(json.dumps(_honest()))
    assert [s.student for s in read_glob(f"{tmp_path}/*.json", "optimization").students] == ["bob"]
