"""The worker template (`sandbox.zygote`): a forked worker is the worker a new process would be,
the template holds nothing of the grader's, and a zygote that dies or hangs costs only time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from autograder.sandbox import Call, Exec, Limits, run_steps, zygote

REPOSITORY = Path(__file__).resolve().parents[1]
FAST = Limits(step_seconds=5.0, total_seconds=20.0)
#: A short startup time, for the test that waits for a stopped zygote to time out.
STOPPED = Limits(step_seconds=5.0, total_seconds=20.0, startup_seconds=2.0)
PROBE = Exec("probe", textwrap.dedent("""
    import os, sys
    import numpy as np

    def state():
        return {"pid": os.getpid(), "argv": list(sys.argv[1:]), "cwd": os.getcwd(),
                "environ": sorted(os.environ), "draw": float(np.random.random()),
                "home": os.environ.get("HOME", "")}
"""))


def _probe(limits: Limits = FAST) -> tuple[dict, dict]:
    results, report = run_steps([PROBE, Call("state", "state")], limits)
    assert results[1].ok, results[1].error
    return results[1].value, report


def _zygotes() -> list[zygote.Zygote]:
    """This process's idle zygotes (after a session they are kept for the next one)."""
    return [z for z in zygote._idle if z.alive]


@pytest.fixture
def no_zygote(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(zygote.ZYGOTE_VARIABLE, "0")


def test_a_forked_worker_is_locked_down_as_a_started_one(monkeypatch: pytest.MonkeyPatch):
    forked, forked_report = _probe()
    assert _zygotes(), "the session should have used (and kept) a zygote"
    monkeypatch.setenv(zygote.ZYGOTE_VARIABLE, "0")
    started, started_report = _probe()
    assert forked_report == started_report  # every layer, on or off for the same reason
    assert forked["environ"] == started["environ"]
    assert len(forked["argv"]) == len(started["argv"]) == 2  # the progress and plan fds
    assert forked["cwd"] == forked["home"] and started["cwd"] == started["home"]  # the scratch dir


def test_each_forked_worker_draws_its_own_random_numbers():
    draws = {_probe()[0]["draw"] for _ in range(3)}
    assert len(draws) == 3  # the zygote's generator state is not every worker's


def test_the_zygote_holds_only_the_scrubbed_environment_and_is_undumpable():
    _probe()
    (idle, *_) = _zygotes()
    pid = idle.process.pid
    if os.geteuid() == 0:  # root reads everything; anyone else may not read an undumpable one
        with open(f"/proc/{pid}/environ", "rb") as file:
            names = {entry.split(b"=", 1)[0].decode()
                     for entry in file.read().split(b"\0") if entry}
        assert names <= set(zygote.environment("/x")) | set(zygote.SETTINGS)
    else:
        for name in ("environ", "mem"):
            with pytest.raises(PermissionError), open(f"/proc/{pid}/{name}", "rb"):
                pass
    with open(f"/proc/{pid}/status") as status:
        fields = dict(line.split(":", 1) for line in status if ":" in line)
    assert int(fields["Threads"]) == 1  # a fork of a threaded process could inherit held locks
    with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
        assert b"autograder.sandbox.zygote" in cmdline.read()


def test_a_killed_zygote_is_replaced_and_the_session_still_runs():
    _probe()
    for idle in _zygotes():
        os.kill(idle.process.pid, signal.SIGKILL)
        idle.process.wait()
    value, report = _probe()
    assert report["seccomp"] == "on" or report["seccomp"].startswith("off")
    assert value["draw"] >= 0.0


def test_a_stopped_zygote_costs_its_startup_time_then_a_started_worker_grades():
    _probe()
    stopped = _zygotes()
    for idle in stopped:
        os.kill(idle.process.pid, signal.SIGSTOP)
    try:
        began = time.monotonic()
        value, _ = _probe(STOPPED)
        assert time.monotonic() - began < STOPPED.startup_seconds + 3.0
        assert value["draw"] >= 0.0
    finally:
        for idle in stopped:
            if idle.process.poll() is None:
                os.kill(idle.process.pid, signal.SIGCONT)
    assert any(idle.process.poll() is not None for idle in stopped)  # the hung one was killed


def test_concurrent_sessions_in_threads_each_get_a_worker():
    found: list[dict] = []

    def grade() -> None:
        found.append(_probe()[0])

    threads = [threading.Thread(target=grade) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({value["cwd"] for value in found}) == 3  # each in its own scratch dir


def test_a_zygote_started_by_a_thread_outlives_that_thread():
    """A process's parent-death signal follows the thread that started it (prctl(2)): a zygote
    started by a grading thread died when the thread ended, and took along a worker it had just
    forked for another thread ("the grading worker could not start", no report)."""
    for idle in _zygotes():
        idle.close()
    zygote._idle.clear()
    thread = threading.Thread(target=_probe)
    thread.start()
    thread.join()
    started = list(zygote._idle)
    assert started
    time.sleep(0.3)  # the thread's exit (and any signal it sends) is over by now
    assert all(idle.process.poll() is None for idle in started)
    results, _ = run_steps([Exec("after", "y = 1")], FAST)
    assert results[0].ok
    assert {idle.process.pid for idle in _zygotes()} & {idle.process.pid for idle in started}


def test_a_crashing_worker_reports_its_signal_through_the_zygote():
    crash = Exec("crash", "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    results, _ = run_steps([crash], FAST)
    assert not results[0].ok and "segmentation fault" in results[0].error


def test_a_worker_that_exits_reports_it_through_the_zygote():
    results, _ = run_steps([Exec("bye", "import os\nos._exit(7)\n"), Exec("after", "y = 1")], FAST)
    assert not results[0].ok and "exited" in results[0].error
    assert results[1].ok  # a new worker ran the next step


def test_the_zygote_dies_with_the_grading_process():
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(REPOSITORY)!r})
        from autograder.sandbox import Exec, run_steps, zygote
        run_steps([Exec("a", "y = 1")])
        print(zygote._idle[0].process.pid, flush=True)
        time.sleep(60)
    """)
    grader = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        pid = int(grader.stdout.readline())
        assert os.path.exists(f"/proc/{pid}")
    finally:
        grader.kill()
        grader.wait()
    give_up = time.monotonic() + 5.0
    while not _gone(pid) and time.monotonic() < give_up:
        time.sleep(0.02)
    assert _gone(pid)


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_with_the_zygote_off_every_worker_is_a_new_process(no_zygote):
    before = {z.process.pid for z in _zygotes()}
    _probe()
    assert {z.process.pid for z in _zygotes()} == before


def test_a_worker_cannot_stop_or_kill_the_zygote_that_forked_it():
    _probe()
    (idle, *_) = _zygotes()
    attack = Exec("attack", textwrap.dedent(f"""
        import os, signal
        tried = []
        for pid in (os.getppid(), {idle.process.pid}):
            for number in (signal.SIGSTOP, signal.SIGKILL):
                try:
                    os.kill(pid, number)
                    tried.append(f"signal {{number}} reached {{pid}}")
                except OSError as error:
                    tried.append(type(error).__name__)
        if any("reached" in attempt for attempt in tried):
            raise AssertionError(tried)
    """))
    results, _ = run_steps([attack], FAST)
    assert results[0].ok, results[0].error
    time.sleep(0.1)
    with open(f"/proc/{idle.process.pid}/stat") as stat:
        assert stat.read().rsplit(")", 1)[1].split()[0] in ("S", "R")  # neither stopped nor dead
