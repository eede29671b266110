"""Attacks on the worker template (`sandbox.zygote`) and on what the grading process does with
the plain data a worker sends back, by a student who wants to score without solving, read what
is not theirs, or slow grading down for the others.

Each test runs the attack through the real API (`run_steps`, `grading.grade`, `run_batch`) and
asserts that it fails; its docstring says what the student would gain if it worked. Where the
zygote changes the path, the attack runs both with it and with every worker started as a new
process (AUTOGRADER_ZYGOTE=0, the fallback).

The "HOLE" tests failed when written: the docstring says what the attack gained and the fix
suggested. The others were blocked when written and stay as regression tests.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import textwrap
import threading
import time
import unicodedata
from pathlib import Path

import pytest
from rich.console import Console
from support.batch import ASSIGNMENT, FULL_MARKS, _gradebook, _source, _submit
from support.grading import OPTIMIZERS_SOURCE, optimizers_with

from autograder.batch.gradebook import course_directory
from autograder.batch.run import run_batch
from autograder.batch.spec import spec_for
from autograder.sandbox import Call, Exec, Limits, run_steps, zygote

REPOSITORY = Path(__file__).resolve().parents[1]
FAST = Limits(step_seconds=5.0, total_seconds=20.0, startup_seconds=5.0)


@pytest.fixture(params=["zygote", "new process"])
def start(request, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test with workers forked by a zygote, then with workers started as processes."""
    monkeypatch.setenv(zygote.ZYGOTE_VARIABLE, "1" if request.param == "zygote" else "0")
    return request.param


def _value(steps: list, limits: Limits = FAST) -> object:
    """The value of the last step (which must succeed)."""
    results, _ = run_steps(steps, limits)
    assert all(result.ok for result in results), [result.error for result in results]
    return results[-1].value


#: A healthy session after an attack.
AFTER = [Exec("after", "def seven():\n    return 7\n"), Call("seven", "seven")]


def _next_zygote() -> int:
    """The pid of the zygote the next session of this thread gets (`acquire` pops the last)."""
    zygote.prestart()
    return zygote._idle[-1].process.pid


# --- what a forked worker inherits from its zygote ---------------------------------------------

DESCRIPTORS = Exec("descriptors", textwrap.dedent("""
    import os, stat, sys

    def descriptors():
        found = {}
        for fd in range(4096):
            try:
                mode = os.fstat(fd).st_mode
            except OSError:
                continue
            found[str(fd)] = ("socket" if stat.S_ISSOCK(mode) else "pipe" if stat.S_ISFIFO(mode)
                              else "device" if stat.S_ISCHR(mode) else "file or directory")
        return found, sys.argv[1:]
"""))


def test_a_worker_holds_no_descriptor_but_its_own(start):
    """The attack: look through every descriptor number for one the zygote held when it forked
    (its control socket, another session's progress pipe or plan file, still open in the
    template) and use it: a forged fork request, another student's plan (their hidden inputs),
    or their progress pipe (a forged result in their name). Only stdin (/dev/null), the output
    pipe on 1 and 2 and this session's progress pipe may be open; the plan file is closed once
    read."""
    found, argv = _value([DESCRIPTORS, Call("descriptors", "descriptors")])
    progress, plan = argv
    assert found == {"0": "device", "1": "pipe", "2": "pipe", progress: "pipe"}, (start, found)
    assert plan not in found


REACH = Exec("reach", textwrap.dedent("""
    import array, ctypes, json, os, socket

    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long

    def attempt(what, action):
        try:
            result = action()
        except OSError as error:
            return [what, type(error).__name__]
        return [what, f"worked: {result!r}"[:200]]

    def forge(fd):
        control = socket.socket(fileno=fd)  # ENOTSOCK for anything but a socket
        try:
            request = json.dumps({"cwd": "/", "env": {}}).encode()
            rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [0, 1, 2]))]
            return control.sendmsg([request], rights)
        finally:
            control.detach()

    def checked(value):
        if value < 0:
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
        return value

    def reach(zygote_pid):
        tries = [attempt(f"forged fork request on fd {fd}", lambda: forge(fd)) for fd in range(64)]
        tries.append(attempt("a new UNIX socket", lambda: socket.socket(socket.AF_UNIX,
                                                                        socket.SOCK_SEQPACKET)))
        for fd in range(16):
            tries.append(attempt(f"the zygote's fd {fd}",
                                 lambda: os.open(f"/proc/{zygote_pid}/fd/{fd}", os.O_RDWR)))
        tries.append(attempt("pidfd_open(zygote)",
                             lambda: checked(libc.syscall(434, zygote_pid, 0))))
        tries.append(attempt("ptrace(ATTACH, zygote)",
                             lambda: checked(libc.ptrace(16, zygote_pid, 0, 0))))
        tries.append(attempt("signal 0 to the zygote", lambda: os.kill(zygote_pid, 0)))
        tries.append(attempt("the zygote's memory", lambda: open(f"/proc/{zygote_pid}/mem", "rb")))
        return tries
"""))


def _children(pid: int) -> list[str]:
    with open(f"/proc/{pid}/task/{pid}/children") as children:
        return children.read().split()


def test_a_worker_cannot_reach_its_zygote_to_fork_or_to_steal_a_descriptor():
    """The attack: find the zygote's control socket (an inherited fd, /proc/<zygote>/fd, a
    pidfd and pidfd_getfd, ptrace) and send it a forged fork request, so that the zygote forks
    a second worker on descriptors the student chose: a worker outside the grader's watch, or
    one that writes into the pipes of the next student's session. Every way is refused, the
    zygote forks nothing more, and it serves the next session as before."""
    pid = _next_zygote()
    tries = _value([REACH, Call("reach", "reach", (pid,))])
    assert [attempt for attempt in tries if attempt[1].startswith("worked")] == [], tries
    assert _children(pid) == []  # the worker is reaped, and no other was forked
    assert _next_zygote() == pid and _value(AFTER) == 7


#: Student A's worker calls leave, student B's (the next session) calls find.
TRACES = Exec("traces", textwrap.dedent("""
    import builtins, gc, json, os, sys

    FOLDERS = (os.getcwd(), os.environ.get("HOME", ""), os.environ.get("TMPDIR", ""), "/tmp",
               "/var/tmp", "/dev/shm", "/")

    def leave(token):
        left = []
        for folder in FOLDERS:
            try:
                with open(os.path.join(folder, "left-by-a"), "w") as file:
                    file.write(token)
                left.append(folder)
            except OSError:
                pass
        os.environ["LEFT_BY_A"] = token
        builtins.LEFT_BY_A = token
        json.LEFT_BY_A = token
        sys.modules["left_by_a"] = type(sys)("left_by_a")
        for module in list(sys.modules.values()):  # the template's objects, frozen by gc.freeze
            if getattr(module, "__name__", "").startswith("autograder"):
                module.LEFT_BY_A = token
        gc.unfreeze()
        return left

    def find(token):
        found = []
        for folder in FOLDERS:
            try:
                with open(os.path.join(folder, "left-by-a")) as file:
                    found.append(f"{folder}: {file.read()}")
            except OSError:
                pass
        found += [f"environ: {os.environ['LEFT_BY_A']}"] if "LEFT_BY_A" in os.environ else []
        found += ["builtins"] if hasattr(builtins, "LEFT_BY_A") else []
        found += ["json"] if hasattr(json, "LEFT_BY_A") else []
        found += ["sys.modules"] if "left_by_a" in sys.modules else []
        found += [name for name, module in list(sys.modules.items())
                  if getattr(module, "LEFT_BY_A", None) == token]
        return found
"""))


def test_nothing_one_worker_leaves_reaches_the_next_worker_of_the_same_zygote(start):
    """The attack: student A's worker leaves state where the next worker forked from the same
    zygote (student B's, in the same grading process) would find it: files in the scratch
    dir, HOME, /tmp, /dev/shm; environment variables; attributes on modules the template
    imported (and froze). With such a channel A reads what B's code sees (B's inputs), or B's
    submission picks up a solution A left. Each worker's changes stay in its own process."""
    token = secrets.token_hex(8)
    first = _next_zygote() if start == "zygote" else None
    _value([TRACES, Call("leave", "leave", (token,))])
    if first is not None:
        assert _next_zygote() == first  # the same template forks the next worker
    found = _value([TRACES, Call("find", "find", (token,))])
    assert found == [], found


DRAWS = Exec("draws", textwrap.dedent("""
    import os, random, secrets, tempfile, uuid
    import numpy as np

    def draws():
        return {
            "random": random.getrandbits(62),
            "random.Random()": random.Random().getrandbits(62),
            "numpy legacy": int(np.random.randint(2**62)),
            "numpy default_rng": int(np.random.default_rng().integers(2**62)),
            "secrets": secrets.token_hex(8),
            "uuid4": str(uuid.uuid4()),
            "tempfile names": next(tempfile._get_candidate_names()),
            "urandom": os.urandom(8).hex(),
        }
"""))


def test_every_random_source_a_forked_worker_inherits_is_fresh():
    """The attack: the template's generator states are copied into every worker it forks; a
    state the zygote drew before forking (Python's `random`, NumPy's legacy generator, the
    names tempfile makes) would give every worker the same "random" numbers, so what one
    submission printed (its draws) tells a later one what it will draw, and a grading rule that
    relies on the worker's fresh randomness (a seeded call must differ from an unseeded one) is
    fooled. Each worker draws its own numbers from every source."""
    pid = _next_zygote()
    runs = [_value([DRAWS, Call("draws", "draws")]) for _ in range(3)]
    assert _next_zygote() == pid  # the three workers came from one template
    repeated = {source: [run[source] for run in runs] for source in runs[0]
                if len({run[source] for run in runs}) < len(runs)}
    assert repeated == {}, repeated


# --- processes that outlive their session ------------------------------------------------------

DAEMON = Exec("daemon", textwrap.dedent("""
    import ctypes, os, time

    def daemon(marker):
        child = os.fork()
        if child == 0:
            os.setsid()
            if os.fork() == 0:
                ctypes.CDLL(None).prctl(15, marker.encode(), 0, 0, 0)  # PR_SET_NAME
                time.sleep(30)
            os._exit(0)
        os.waitpid(child, 0)
        time.sleep(1.5)  # the grader's zygote dies or hangs meanwhile
        return "done"
"""))


def _named(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/comm") as comm:
                if comm.read().strip() == marker:
                    found.append(int(entry))
        except (OSError, ValueError):
            continue
    return found


@pytest.mark.parametrize("what", ["killed", "stopped"])
def test_a_daemon_dies_with_its_session_when_the_zygote_dies_or_hangs_mid_session(what):
    """The attack: a worker double-forks a setsid daemon, and its zygote goes away mid-session
    (killed, or hung: the grader then kills it after 5 s). The grader can no longer ask the
    zygote to kill the worker's group and falls back to killing it itself; a dying zygote takes
    only the keeper along (its PR_SET_PDEATHSIG), not init or the worker below it, and the
    keeper's pid, the group's id, is no longer held unreaped by anyone. If the daemon
    survived, it would run the student's code after grading ended, beside later sessions, with
    no time limit (it sleeps) and its pipes to the grader. Nothing of the session is left."""
    marker = "zd" + secrets.token_hex(5)
    pid = _next_zygote()

    def meanwhile() -> None:
        give_up = time.monotonic() + 5.0
        while not _named(marker) and time.monotonic() < give_up:
            time.sleep(0.01)
        os.kill(pid, signal.SIGKILL if what == "killed" else signal.SIGSTOP)

    attacker = threading.Thread(target=meanwhile)
    attacker.start()
    try:
        results, _ = run_steps([DAEMON, Call("daemon", "daemon", (marker,))],
                               Limits(step_seconds=5.0, total_seconds=20.0, processes=8))
    finally:
        attacker.join()
    assert results[1].value == "done", results[1].error
    give_up = time.monotonic() + 2.0
    while _named(marker) and time.monotonic() < give_up:
        time.sleep(0.01)
    assert _named(marker) == []
    assert _value(AFTER) == 7  # a new zygote grades the next session


# --- what the grading process does with the values a worker returns ----------------------------

#: Run by a fresh grading process with an address-space cap (so a hole cannot take the shared
#: machine down): grade `submission`, print the process's peak RSS and the grading time.
_MEASURE = """
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, resource.RLIM_INFINITY))
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from autograder import grading
started = time.monotonic()
report = grading.grade(Path(sys.argv[2]), sys.argv[3], seed=1)
print(json.dumps({"seconds": time.monotonic() - started, "score": report.score,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
#: How much more than an honest submission's grading may use.
EXTRA_MIB = 200
EXTRA_SECONDS = 3.0


def _measure(tmp_path: Path, source: str, assignment: str = "optimization") -> dict:
    path = tmp_path / f"{secrets.token_hex(4)}.py"
    path.write_text(source)
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(REPOSITORY), str(path), assignment],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def honest(tmp_path_factory) -> dict:
    run = _measure(tmp_path_factory.mktemp("honest"), OPTIMIZERS_SOURCE)
    assert run["score"] == FULL_MARKS
    return run


BROADCASTS = {
    # v's arrays are (n, 1, 1): the judge's W - lr * v["dW"] is (n, rows of W, columns of W)
    "momentum: v against W": """
        BIG = np.zeros((1 << 18, 1, 1))  # 2 MiB

        def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
            return parameters, {key: BIG for key in v}
    """,
    # v_corrected (512, 1, 1, 1) over sqrt(s_corrected) (512, 1, 1): (512, 512, rows, columns)
    "adam: v_corrected against s_corrected against W": """
        V = np.ones((512, 1, 1, 1))  # 4 KiB
        S = np.ones((512, 1, 1))  # 4 KiB

        def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01,
                                        beta1=0.9, beta2=0.999, epsilon=1e-8):
            return parameters, v, s, {key: V for key in v}, {key: S for key in s}
    """,
}


@pytest.mark.parametrize("attack", BROADCASTS, ids=list(BROADCASTS))
def test_a_result_shaped_to_broadcast_costs_the_judge_no_memory_or_time(tmp_path, honest, attack):
    """HOLE (open): a wrong answer whose arrays have extra axes of length 1 (or many of them).
    The judge of a staged exercise (momentum, RMSprop, Adam) names a mistake in one component
    by applying the course's rule to the student's own earlier components
    (`values_exercise.judge`: `outputs(stage.rule, inputs, own)`, and each catalogued mistake's
    rules over the same upstreams), without checking their shapes first: NumPy broadcasts the
    student's (n, 1, 1) against the grader's W, and Adam's v_corrected / sqrt(s_corrected)
    against each other, so the grading process (no memory limit, no time limit: the judge runs
    after the worker's budget) allocates the product of all the shapes. Measured (peak RSS of
    the grading process; 140 MiB for an honest submission): Adam with 8 KiB of returned arrays
    (512 each, here) 490 MiB; 16 KiB (1024 each) 1.85 GiB and 13 s of judge time; 32 KiB past
    a 6 GiB cap, 25 s. The momentum variant is linear: 2 MiB returned (here) 670 MiB, 8 MiB
    1.6 GiB. A few such submissions in a batch, or one
    sized to the machine, get the grading processes (or their neighbours) OOM-killed, and
    every grading waits on the judge.

    Fix: before a student's component is used as an upstream (`own_components`), check that it
    has the structure of the right one (`right_up`): the same keys, each array of the right
    shape (and a real dtype); a component that does not is not used to compute the next ones
    (its difference is already reported). The same check belongs wherever a judge computes
    from a student's value (`selfcheck`'s initializer and mini-batch findings already check
    shapes first)."""
    run = _measure(tmp_path, optimizers_with(BROADCASTS[attack]))
    assert run["peak_mib"] < honest["peak_mib"] + EXTRA_MIB, (run, honest)
    assert run["seconds"] < honest["seconds"] + EXTRA_SECONDS, (run, honest)


_PILE = """
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, resource.RLIM_INFINITY))
sys.path.insert(0, sys.argv[1])
from autograder.sandbox import Call, Exec, run_steps
size, calls = int(sys.argv[2]), int(sys.argv[3])
source = f"import numpy as np\\nVALUE = np.ones({size})\\ndef value(*args):\\n    return VALUE\\n"
results, _ = run_steps([Exec("value", source)] + [Call(f"c{i}", "value") for i in range(calls)])
print(json.dumps({"ok": sum(result.ok for result in results),
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _pile(size: int, calls: int) -> dict:
    done = subprocess.run([sys.executable, "-c", _PILE, str(REPOSITORY), str(size), str(calls)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_large_results_do_not_pile_up_in_the_grading_process():
    """HOLE (open): every call returns the same 60 MiB array (the worker keeps one copy; each
    result is within `Limits.result_bytes`, 64 MiB). The grading process keeps every decoded
    result until the judges run (`run_steps` returns them all), so it holds calls x 60 MiB: 12
    calls here, 750 MiB against 140 MiB; `initialization` (21 calls) graded with
    `grading.grade` took it to 1.36 GiB, `optimization` (47 calls) would take 2.9 GiB, per
    grading process. The per-message bound of `wire` holds; nothing bounds a run.

    Fix: a budget of result bytes for the whole run, shared by its sessions like
    `output_left` (say 4 x `result_bytes`, or a `Limits.run_result_bytes`): a result past it
    is refused ("the returned values are too large to grade") before its payload is read
    (the header gives its length); and/or a `result_bytes` for grading sized to what the
    course's answers need (the largest is well under 1 MiB)."""
    small, large = _pile(8, 12), _pile(60 << 17, 12)
    assert small["ok"] == 13
    assert large["peak_mib"] < small["peak_mib"] + EXTRA_MIB, (large, small)


# --- scoring without solving: the feedback as an oracle ----------------------------------------

_PROBE = """
def update_lr(learning_rate0, epoch_num, decay_rate):
    return 0.0
"""
_EXPECTED = re.compile(r"epoch (\d+): the result is \S+; expected (\S+)")


def _batch_seed(root, student):
    """The seed rule `autograde` grades ``student`` with (`batch.grader.prepare_job`)."""
    from autograder.batch.grader import student_seed

    return lambda code: student_seed(root, "optimization", student, code)


def test_a_resubmission_cannot_score_with_the_expected_values_its_feedback_showed(tmp_path):
    """The attack (found beside the zygote review): the feedback of a wrong value names each
    case and the value expected ("epoch 24: the result is 0; expected 0.0127554"). A student
    submits a probe (update_lr returning 0), reads their feedback, and resubmits a lookup table
    keyed on the case (the epoch number). When a batch seed depended on the student alone,
    every round graded them on the same cases, and the table scored 3 of the 4 cases of
    update_lr on the first try (measured with this secret).

    Closed: the seed is HMAC(secret, "<assignment>/<student>/<digest of the code that runs>"),
    so the lookup (other code) is graded on other epochs; a regrade of unchanged code still
    reproduces its grade (tests/test_grading_reproducible.py)."""
    from autograder import grading
    from autograder.batch.grader import SECRET_FILE

    (tmp_path / SECRET_FILE).write_text("5e" * 32 + "\n")  # fixed: the 6 digits' luck is too
    probe = tmp_path / "probe.py"
    probe.write_text(optimizers_with(_PROBE))
    first = grading.grade(probe, "optimization", seed=_batch_seed(tmp_path, "ada"))
    feedback = {r.name: r for r in first.results}
    shown = _EXPECTED.findall(feedback["update_lr"].output)
    table = {int(epoch): float(value) for epoch, value in shown}
    assert table, feedback["update_lr"].output
    lookup = tmp_path / "lookup.py"
    lookup.write_text(optimizers_with(f"""
        def update_lr(learning_rate0, epoch_num, decay_rate):
            return {table!r}.get(epoch_num, 0.0)
    """))
    second = grading.grade(lookup, "optimization", seed=_batch_seed(tmp_path, "ada"))
    assert second.seed != first.seed
    by_name = {r.name: r for r in second.results}
    assert by_name["update_lr"].score == 0.0, by_name["update_lr"].output


# --- the batch -----------------------------------------------------------------------------------

#: Folder names that collide with one another under some normalization: case, Unicode NFC/NFD,
#: spaces around, and the longest name a file system allows.
LOOKALIKES = ["Ada", "ada", " ada", "ada ", unicodedata.normalize("NFC", "zoé"),
              unicodedata.normalize("NFD", "zoé"), "x" * 255, "tab\there", "-rf"]


def test_folder_names_that_look_alike_are_separate_students(course):
    """The attack: a student names their submission folder like another student's id, up to
    case, Unicode normalization or spaces, so that the chunked `add_submissions` (one
    transaction per 64 new students) or the per-student gradebook rows mix the two up: the
    attacker's grade recorded as the victim's, the victim's row refused or overwritten, or a
    whole chunk of other students rolled back. Each name is a student of its own with their
    own row and their own results."""
    for student in LOOKALIKES:
        _submit(course, student, _source(course))
    console = Console(file=io.StringIO(), width=200, color_system=None)
    summary = run_batch(spec_for(ASSIGNMENT, course), course_directory(course), [], 2, False,
                        console)
    assert (summary.graded, summary.failed) == (len(LOOKALIKES), 0)
    with _gradebook(course) as gradebook:
        recorded = {s.student.id: s.score for s in gradebook.assignment_submissions(ASSIGNMENT)}
    assert recorded == dict.fromkeys(LOOKALIKES, FULL_MARKS)
