"""The grader's modules shipped beside the notebooks: one copy in the repository, a regular file
in every release."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder import selfcheck, shipped
from autograder.publish import build_self_checks
from autograder.quiz import answers, build_quiz, load_quiz, variants

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "assignments" / "source"
#: Each shipped file of the bundled course and the module it is.
SHIPPED = {
    SOURCE / "optimization" / "selfcheck.py": selfcheck,
    SOURCE / "initialization" / "selfcheck.py": selfcheck,
    SOURCE / "optimization_quiz" / "quizcheck.py": answers,
    SOURCE / "optimization_quiz" / "quizvariants.py": variants,
}


@pytest.mark.parametrize("path", sorted(SHIPPED), ids=lambda path: path.relative_to(SOURCE))
def test_the_bundled_course_links_each_shipped_module_instead_of_copying_it(path):
    assert path.is_symlink() and not Path(os.readlink(path)).is_absolute()
    assert path.resolve() == Path(SHIPPED[path].__file__).resolve()


def test_a_course_outside_the_repository_gets_copies(tmp_path):
    written = dict(build_self_checks(tmp_path))
    module = tmp_path / "source" / "optimization" / "selfcheck.py"
    assert written[module] and not module.is_symlink()
    assert module.read_bytes() == Path(selfcheck.__file__).read_bytes()
    assert not dict(build_self_checks(tmp_path))[module]  # a rebuild leaves it alone
    module.write_text("# edited by hand\n", encoding="utf-8")
    assert dict(build_self_checks(tmp_path))[module]
    assert module.read_bytes() == Path(selfcheck.__file__).read_bytes()


def test_a_copy_replaces_a_link_instead_of_writing_through_it(tmp_path):
    """A link left where a copy goes (say, a course moved out of the repository) is replaced:
    writing through it would overwrite whatever it points to."""
    target = tmp_path / "elsewhere.py"
    target.write_text("# not ours to change\n", encoding="utf-8")
    destination = tmp_path / "course" / "selfcheck.py"
    destination.parent.mkdir()
    destination.symlink_to(target)
    assert shipped.ship_module(Path(selfcheck.__file__), destination)
    assert not destination.is_symlink()
    assert target.read_text(encoding="utf-8") == "# not ours to change\n"


def test_a_rebuild_of_the_bundled_course_changes_nothing():
    assert not [path for path, changed in build_self_checks(REPO / "assignments") if changed]


@settings(max_examples=30, deadline=None)
@given(old=st.text(max_size=40), new=st.text(max_size=40))
def test_write_if_changed_reports_exactly_when_the_bytes_change(tmp_path_factory, old, new):
    path = tmp_path_factory.mktemp("write") / "file.txt"
    path.write_bytes(old.encode("utf-8"))
    changed = shipped.write_if_changed(path, new)
    assert path.read_bytes() == new.encode("utf-8")  # "\r\n" stays "\r\n"
    assert changed == (old != new)


def test_nbgrader_releases_a_regular_file_where_the_source_holds_a_link(tmp_path, monkeypatch):
    """`generate_assignment` copies what a link points to: students get the module itself."""
    monkeypatch.setattr(shipped, "_REPOSITORY", tmp_path)  # the course counts as the repository's
    quiz = load_quiz(REPO / "quizzes" / "optimization_quiz.yaml")
    (tmp_path / "nbgrader_config.py").write_text(
        "import os\nc = get_config()  # noqa: F821\n"
        "c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))\n", encoding="utf-8")
    build_quiz(quiz, tmp_path)
    source = tmp_path / "source" / quiz.id
    assert (source / "quizcheck.py").is_symlink() and (source / "quizvariants.py").is_symlink()
    bin_dir = str(Path(sys.executable).parent)  # nbgrader runs `alembic` from PATH
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", quiz.id, "--force"],
        cwd=tmp_path, env={**os.environ, "PATH": bin_dir + os.pathsep + os.environ["PATH"]},
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    for name, module in (("quizcheck.py", answers), ("quizvariants.py", variants)):
        released = tmp_path / "release" / quiz.id / name
        assert released.is_file() and not released.is_symlink()
        assert released.read_bytes() == Path(module.__file__).read_bytes()
