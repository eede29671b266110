"""Attacks on the four architecture changes: shipped modules as links (`autograder.shipped`), one
page frame for both HTML pages (`autograder.pages`), `safe_files.problem`, and zygotes started
from a lasting thread (`sandbox.zygote._lasting_thread`).

Each test is an attack, kept as a regression test. Three found holes, since closed: feedback
read a results.json through a link, from a FIFO, or nested too deeply to parse (now
`results.read_results`); the first starter thread, a ThreadPoolExecutor, stopped with the main
thread; `ship_module` replaced a module by a link to itself when the source folder was the
package's.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from rich.console import Console

from autograder import safe_files, selfcheck, shipped
from autograder.feedback import page as report_page
from autograder.feedback.figures import Picture
from autograder.publish import build_self_checks
from autograder.sandbox import Exec, Limits, run_steps, zygote
from autograder.stats import page as stats_page
from autograder.stats.compute import class_statistics
from autograder.stats.questions import questions_of
from autograder.stats.reading import Answer, Skipped, StudentResults

REPO = Path(__file__).resolve().parents[1]
COURSE = REPO / "assignments"
FAST = Limits(step_seconds=5.0, total_seconds=20.0)
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
#: A string that would end the title, run a script, relax the policy or open an attribute.
HOSTILE = ('</title></style><script>alert(1)</script>'
           '<meta http-equiv="Content-Security-Policy" content="script-src *">'
           '" onerror="alert(2)\' {{ 7 * 7 }} {% raw %}')
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _python(script: str, timeout: float, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", script, *arguments], capture_output=True,
                          text=True, cwd=REPO, timeout=timeout, check=False)


# ---------------------------------------------------------------------------------------------
# 1. Shipped modules: links in the repository, copies elsewhere


@pytest.fixture
def fake_package(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """(a repository of its own, holding pkg/selfcheck.py; that module): the real package is
    never a target, whatever the code under test does."""
    repository = tmp_path / "repository"
    module = repository / "pkg" / "selfcheck.py"
    module.parent.mkdir(parents=True)
    module.write_text("# the shipped module\n", encoding="utf-8")
    monkeypatch.setattr(shipped, "_REPOSITORY", repository.resolve())
    return repository, module


def test_a_copy_outside_the_repository_replaces_a_link_to_the_module(fake_package, tmp_path):
    """A course moved out of the repository with its links (``cp -a``) has selfcheck.py linking
    to the grader's own module: the build puts a regular file there, the module stays itself."""
    _, module = fake_package
    before = module.stat()
    destination = tmp_path / "elsewhere" / "source" / "optimization" / "selfcheck.py"
    destination.parent.mkdir(parents=True)
    destination.symlink_to(module)
    assert shipped.ship_module(module, destination)
    assert not destination.is_symlink() and destination.read_bytes() == module.read_bytes()
    assert destination.stat().st_ino != module.stat().st_ino
    after = module.stat()
    assert not module.is_symlink() and (after.st_ino, after.st_mtime_ns) == (
        before.st_ino, before.st_mtime_ns)
    assert not shipped.ship_module(module, destination)  # a rebuild leaves the copy alone


def test_selfcheck_data_linked_elsewhere_is_replaced_not_written_through(tmp_path):
    target = tmp_path / "not-ours.json"
    target.write_text("{}\n", encoding="utf-8")
    course = tmp_path / "course"
    data = course / "source" / "optimization" / "selfcheck_data.json"
    data.parent.mkdir(parents=True)
    data.symlink_to(target)
    written = dict(build_self_checks(course))
    assert written[data] and not data.is_symlink() and data.stat().st_size > 2
    assert target.read_text(encoding="utf-8") == "{}\n"
    module = course / "source" / "optimization" / "selfcheck.py"
    assert not module.is_symlink() and module.read_bytes() == Path(selfcheck.__file__).read_bytes()


def test_a_link_made_in_the_repository_is_relative_and_lands_on_the_module(fake_package):
    repository, module = fake_package
    destination = repository / "course" / "source" / "optimization" / "selfcheck.py"
    destination.parent.mkdir(parents=True)
    destination.write_text("# an old copy\n", encoding="utf-8")
    assert shipped.ship_module(module, destination)
    target = os.readlink(destination)
    assert not os.path.isabs(target)
    assert destination.resolve() == module.resolve()
    assert not shipped.ship_module(module, destination)  # a rebuild changes nothing


def test_a_source_folder_linked_to_the_package_does_not_delete_the_module(fake_package):
    repository, module = fake_package
    folder = repository / "course" / "source" / "optimization"
    folder.parent.mkdir(parents=True)
    folder.symlink_to(module.parent)
    try:  # refusing (an error) or leaving it alone is fine; destroying the module is not
        shipped.ship_module(module, folder / "selfcheck.py")
    except OSError:
        pass
    assert not module.is_symlink()
    assert module.read_text(encoding="utf-8") == "# the shipped module\n"


def test_the_gradescope_bundle_holds_the_modules_not_the_links():
    from autograder.packaging.gradescope import bundle_entries

    entries = {entry.name: entry.data for entry in bundle_entries(REPO, "optimization", [])}
    shipped_file = "assignments/source/optimization/selfcheck.py"
    assert (COURSE / "source" / "optimization" / "selfcheck.py").is_symlink()
    assert entries[shipped_file] == Path(selfcheck.__file__).read_bytes()


# ---------------------------------------------------------------------------------------------
# 2. The page frame: autoescape and the Content-Security-Policy on every page


def _frame_holds(html: str) -> None:
    """The policy is there once, before anything a student wrote; nothing student-made is markup."""
    assert html.count('http-equiv="Content-Security-Policy"') == 1
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in html
    assert html.index("Content-Security-Policy") < html.index("<title>")
    assert html.count("<title>") == html.count("</title>") == 1
    assert html.count("</style>") == 1
    assert "<script" not in html.lower()
    assert 'onerror="' not in html
    assert ESCAPED_SCRIPT in html


def test_every_string_of_a_report_page_is_escaped_under_the_shared_policy():
    test = {"name": HOSTILE, "score": 1, "max_score": 2, "output": HOSTILE,
            "visibility": "visible"}
    picture = Picture(data_uri='data:image/png;base64," onerror="alert(3)', alt=HOSTILE,
                      caption=HOSTILE)
    items = [report_page.item(test, 0, [picture], HOSTILE)]
    results = {"score": 1, "max_score": 2, "output": f"first line\n{HOSTILE}",
               "extra_data": {"seed": 7, "isolation": {HOSTILE: f"off: {HOSTILE}"}}}
    html = report_page.render(results, items, HOSTILE, student=HOSTILE, rerun=True)
    _frame_holds(html)
    title = re.search(r"<title>(.*?)</title>", html, re.DOTALL).group(1)
    assert "<" not in title and "&lt;/title&gt;" in title
    footer = html[html.index("<footer>"):]
    assert ESCAPED_SCRIPT in footer and "<script" not in footer  # the isolation line
    assert "{{ 7 * 7 }}" in html  # a value is text, never a template


def test_every_string_of_a_stats_page_is_escaped_under_the_shared_policy():
    questions = questions_of("optimization", COURSE)
    name = questions[0].name
    students = [StudentResults(f"s{index}", {name: Answer(
        0.0, questions[0].max_score, {"mistakes": [HOSTILE], "unexplained": 0})})
        for index in range(3)]
    stats = class_statistics(HOSTILE, questions, students, [Skipped(HOSTILE, HOSTILE)])
    html = stats_page.render(stats, questions)
    _frame_holds(html)
    title = re.search(r"<title>(.*?)</title>", html, re.DOTALL).group(1)
    assert "<" not in title
    assert html.count(ESCAPED_SCRIPT) >= 4  # title, heading, the skipped entry, the mistakes


def test_no_page_template_shadows_the_shared_frame():
    """The loader looks in a page's own folder first: a page.html there would carry a policy of
    its own. Both pages render the frame's policy, from the one shared file."""
    shared = (REPO / "autograder" / "templates" / "page.html").read_text(encoding="utf-8")
    assert CSP in shared
    for folder in ("feedback", "stats"):
        assert not (REPO / "autograder" / folder / "templates" / "page.html").exists()
    for environment in (report_page._ENVIRONMENT, stats_page._ENVIRONMENT):
        frame = environment.get_template("page.html")
        assert Path(frame.filename).resolve() == (REPO / "autograder" / "templates" /
                                                  "page.html").resolve()
        rendered = frame.render(title=HOSTILE)
        assert "<script" not in rendered and ESCAPED_SCRIPT in rendered


# ---------------------------------------------------------------------------------------------
# 3. safe_files.problem: exception text on the grader's terminal

TERMINAL_TRICKS = ("\x1b[2J\x1b]0;owned\x07", "\r\x1b[1Aok  ", "\u202egnp.exe", "\x85\u2028\x00",
                   "\x9b31m", "\ud800")


@pytest.mark.parametrize("trick", TERMINAL_TRICKS, ids=repr)
def test_a_problem_never_carries_a_control_character(trick):
    shown = safe_files.problem(OSError(f"cannot open {trick * 50}"))
    assert shown.isprintable() and "\x1b" not in shown
    assert "OSError" in shown
    # clipped before it is escaped: at most PROBLEM_CHARS characters, each at most 10 escaped
    assert len(shown) <= 10 * safe_files.PROBLEM_CHARS + 2


def test_a_batch_warning_shows_a_hostile_exception_as_one_escaped_line():
    from autograder.batch.run import _warn

    buffer = io.StringIO()
    console = Console(file=buffer, width=10_000, color_system=None, force_terminal=False)
    job = SimpleNamespace(student="eve\x1b[31m")
    _warn(console, job, "cannot record", ValueError("\x1b]0;owned\x07\r\nfake: all good"))
    out = buffer.getvalue()
    assert "\x1b" not in out and "\x07" not in out and "\r" not in out
    assert out.count("\n") == 1 and out.startswith("warning: ")


# ---------------------------------------------------------------------------------------------
# 3b. `autograder feedback`: a forged results.json must cost only its own student

FEEDBACK_SCRIPT = textwrap.dedent("""
    import sys
    from autograder.cli import main
    sys.argv = ["autograder", "feedback", "initialization", "--course", sys.argv[1]]
    main()
""")
HONEST = {"score": 1, "max_score": 2, "output": "x",
          "tests": [{"name": "t", "score": 1, "max_score": 2, "output": "o"}]}


def _results(course: Path, student: str) -> Path:
    path = course / "autograded" / student / "initialization" / "results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _feedback(course: Path, timeout: float = 9.0) -> subprocess.CompletedProcess:
    return _python(FEEDBACK_SCRIPT, timeout, str(course))


def test_feedback_skips_an_unreadable_results_json_and_writes_the_others(tmp_path):
    _results(tmp_path, "aaron").write_bytes(b"\xff\xfe not json")
    _results(tmp_path, "zed").write_text(json.dumps(HONEST), encoding="utf-8")
    done = _feedback(tmp_path)
    assert done.returncode == 1, done.stderr
    assert "skipped aaron" in done.stderr and "Traceback" not in done.stderr
    assert (tmp_path / "feedback" / "zed" / "initialization" / "autograder_report.html").is_file()


def test_a_deeply_nested_results_json_costs_only_its_own_student(tmp_path):
    _results(tmp_path, "aaron").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    _results(tmp_path, "zed").write_text(json.dumps(HONEST), encoding="utf-8")
    done = _feedback(tmp_path)
    assert "Traceback" not in done.stderr, done.stderr[-400:]
    assert "skipped aaron" in done.stderr
    assert (tmp_path / "feedback" / "zed" / "initialization" / "autograder_report.html").is_file()


def test_a_fifo_for_results_json_does_not_hang_the_feedback(tmp_path):
    from autograder.feedback import commands

    fifo = _results(tmp_path, "aaron")
    os.mkfifo(fifo)
    outcome = []
    reader = threading.Thread(target=lambda: outcome.append(commands._read_results(fifo)),
                              daemon=True)
    reader.start()
    reader.join(2.0)
    hung = reader.is_alive()
    if hung:  # release the reader: a writer that closes at once gives it end of file
        os.close(os.open(fifo, os.O_WRONLY))
        reader.join(5.0)
    assert not hung, "reading the FIFO blocked"
    assert "named pipe" in outcome[0]


def test_a_results_json_linked_elsewhere_is_not_read_into_a_report(tmp_path):
    secret = tmp_path / "other-student-results.json"
    secret.write_text(json.dumps({**HONEST, "output": "x\nSECRET-OF-BOB"}), encoding="utf-8")
    _results(tmp_path, "mallory").symlink_to(secret)
    done = _feedback(tmp_path)
    report = tmp_path / "feedback" / "mallory" / "initialization" / "autograder_report.html"
    assert not report.exists()
    assert "skipped mallory" in done.stderr and "is a link" in done.stderr, done.stderr


@pytest.mark.parametrize("kind", ["link", "fifo", "nested", "not a results.json", "sparse"])
def test_every_reader_of_a_results_json_refuses_what_the_grader_never_writes(tmp_path, kind):
    """Feedback, a resumed batch and export (roster.read_results), and the CI steps read a
    results.json through one function: none follows a link, opens a FIFO or crashes."""
    from click.testing import CliRunner

    from autograder.batch import roster
    from autograder.packaging.commands import ci

    path = tmp_path / "results.json"
    if kind == "link":
        (tmp_path / "elsewhere.json").write_text(json.dumps({"tests": []}), encoding="utf-8")
        path.symlink_to(tmp_path / "elsewhere.json")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "sparse":  # 1 TiB of nothing: refused from its size, never read
        with open(path, "wb") as sparse:
            sparse.truncate(1 << 40)
    else:
        path.write_text("[" * 100_000 + "]" * 100_000 if kind == "nested" else '{"score": 1}',
                        encoding="utf-8")
    assert roster.read_results(path) is None
    done = CliRunner().invoke(ci, ["summary", str(path)])
    assert done.exit_code == 2 and "cannot read" in done.output, done.output


# ---------------------------------------------------------------------------------------------
# 4. Zygotes started from a lasting thread

#: Run as a script: $1 is what to do once the zygote is booted.
OUTLIVES_MAIN = textwrap.dedent("""
    import sys, threading, time
    from autograder.sandbox import Exec, Limits, run_steps, zygote
    FAST = Limits(step_seconds=5.0, total_seconds=20.0)
    run_steps([Exec("warm", "y = 1")], FAST)  # a booted zygote, its parent-death signal set
    main_done = threading.Event()

    def grade():
        main_done.wait(5)
        time.sleep(0.3)  # the interpreter's shutdown has begun: it waits for this thread
        try:
            results, _ = run_steps([Exec("late", "y = 2")], FAST)
            print("graded", results[0].ok, flush=True)
        except BaseException as error:
            print("raised", type(error).__name__, error, flush=True)

    threading.Thread(target=grade).start()
    main_done.set()
""")


def test_a_grading_thread_that_outlives_the_main_thread_still_grades():
    """Found against the first lasting thread, a ThreadPoolExecutor: the interpreter shuts those
    down when the main thread ends, so the idle zygotes got their parent-death SIGKILL and a
    grading thread still running got RuntimeError from Zygote() (no fallback, no report)."""
    done = _python(OUTLIVES_MAIN, 9.0)
    assert "graded True" in done.stdout, done.stdout + done.stderr[-400:]


def test_a_zygote_is_never_left_behind_when_the_grader_exits(tmp_path):
    """Under a subreaper, whatever the grading process leaves running is reparented to it: after
    `autograder grade` on a submission that hangs, nothing of the grader's may be left."""
    submission = tmp_path / "hang.py"
    submission.write_text("def update_parameters_with_gd(parameters, grads, learning_rate):\n"
                          "    while True:\n        pass\n", encoding="utf-8")
    script = textwrap.dedent("""
        import ctypes, os, subprocess, sys, time
        ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "autograder", "grade", sys.argv[1], "-a",
                               "optimization", "--results", sys.argv[2], "-q"], timeout=8)
        print("exit", done.returncode, round(time.monotonic() - started, 1), flush=True)
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                print("nothing left", flush=True)
                break
            time.sleep(0.05)
        else:
            print("left behind", open(f"/proc/self/task/{os.getpid()}/children").read())
    """)
    done = _python(script, 9.5, str(submission), str(tmp_path / "results.json"))
    assert "exit 0" in done.stdout and "nothing left" in done.stdout, done.stdout + done.stderr
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert results["score"] == 0


FORKED = textwrap.dedent("""
    import multiprocessing, os, sys, threading, time
    from autograder.sandbox import Exec, Limits, run_steps, zygote
    FAST = Limits(step_seconds=5.0, total_seconds=20.0)
    run_steps([Exec("warm", "y = 1")], FAST)
    ours = {z.process.pid for z in zygote._idle if z.alive}
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        results, _ = run_steps([Exec("child", "y = 1")], FAST)
        mine = {z.process.pid for z in zygote._idle if z.alive}
        print("child", results[0].ok, bool(mine) and not mine & ours, flush=True)
        sys.exit(0)  # through the interpreter's shutdown, which joins the executors' threads
    _, status = os.waitpid(pid, 0)
    print("child exit", os.waitstatus_to_exitcode(status), time.monotonic() - started < 5)
    results, _ = run_steps([Exec("parent", "y = 1")], FAST)
    print("parent", results[0].ok, bool({z.process.pid for z in zygote._idle} & ours))

    def job(queue):
        results, _ = run_steps([Exec("pool", "y = 2")], FAST)
        queue.put(results[0].ok)

    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=job, args=(queue,))
    process.start()
    print("fork start method", queue.get(timeout=5))
    process.join(5)
    print("pool exit", process.exitcode)
""")


def test_a_forked_grading_process_gets_zygotes_of_its_own_and_exits_promptly():
    done = _python(FORKED, 9.5)
    lines = done.stdout.splitlines()
    assert lines == ["child True True", "child exit 0 True", "parent True True",
                     "fork start method True", "pool exit 0"], done.stdout + done.stderr[-400:]


def test_zygotes_asked_for_by_short_lived_threads_all_outlive_them():
    """Four threads each start a session at once and end: the zygotes (started by the lasting
    thread, whichever thread asked) are alive afterwards and serve the main thread."""
    for idle in list(zygote._idle):
        if idle.owner == os.getpid():
            idle.close()
    zygote._idle.clear()
    outcomes: list[bool] = []

    def session() -> None:
        results, _ = run_steps([Exec("short", "y = 1")], FAST)
        outcomes.append(results[0].ok)

    threads = [threading.Thread(target=session) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(9)
    assert outcomes == [True] * 4
    kept = list(zygote._idle)
    assert kept
    time.sleep(0.3)
    assert all(idle.process.poll() is None for idle in kept)
    assert zygote._lasting_thread().thread.is_alive()
    results, _ = run_steps([Exec("after", "y = 1")], FAST)
    assert results[0].ok


def test_a_dask_worker_status_call_from_an_ended_thread_leaves_a_usable_zygote():
    """`cluster.worker_status` (run by Dask on whatever thread) prestarts the template; the
    tasks that follow on other threads fork from it."""
    pytest.importorskip("distributed")
    import autograder
    from autograder.batch import cluster

    statuses = []
    caller = threading.Thread(target=lambda: statuses.append(cluster.worker_status()))
    caller.start()
    caller.join(9)
    assert statuses and statuses[0]["version"] == autograder.__version__
    time.sleep(0.3)
    assert [idle for idle in zygote._idle if idle.alive]
    found = []
    task = threading.Thread(target=lambda: found.append(cluster.run_on_worker(
        [Exec("task", "y = 3")], FAST, autograder.__version__, ())))
    task.start()
    task.join(9)
    assert found and found[0][0][0].ok
