"""Isolation that does not rest on the newest kernel: at Landlock ABI 0, 4 and this kernel's own,
no worker reaches another worker, the grader or the host's IPC, and honest work keeps full marks.

Each attack is student code run through `run_steps`; it returns what each attempt did, and every
attempt must have failed. The grader's settings (`--require-isolation`) are tested at the end.
"""

from __future__ import annotations

import ctypes
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from support.grading import (
    COURSE,
    full_marks,
    invoke_cli,
    run_cli,
    source_notebook,
    write_notebook,
)
from support.sandbox_levels import NATIVE, landlock_abi  # noqa: F401 - the fixture AT_EACH_LEVEL uses

from autograder import grading
from autograder.sandbox import Call, Exec, Fetch, Limits, isolation_report, policy, run_steps

AT_EACH_LEVEL = pytest.mark.usefixtures("landlock_abi")
FAST = Limits(step_seconds=5.0, total_seconds=20.0)
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
#: add_key, request_key, keyctl (glibc has no wrappers for them).
KEY_SYSCALLS = {"x86_64": (248, 249, 250), "aarch64": (217, 218, 219)}[platform.machine()]
KEY_SPEC_SESSION_KEYRING, KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_INVALIDATE = -3, 1, 21
IPC_CREAT, IPC_EXCL, IPC_RMID = 0o1000, 0o2000, 0

#: Student code: `attempt(what, call)` runs one try and says how it ended ("ok" = it worked).
ATTEMPT = f"""
import ctypes, os, signal, socket
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
ADD_KEY, REQUEST_KEY, KEYCTL = {KEY_SYSCALLS}

def attempt(what, call):
    try:
        result = call()
    except OSError as error:
        return [what, type(error).__name__, str(error)]
    if isinstance(result, int) and result < 0:
        return [what, "failed", os.strerror(ctypes.get_errno())]
    return [what, "ok", repr(result)[:200]]
"""


def _worked(attempts: list) -> list:
    return [attempt for attempt in attempts if attempt[1] == "ok"]


def _attack(source: str, function: str, *args) -> list:
    """Run `function(*args)` of `source` (after ATTEMPT) in a worker; its list of attempts."""
    results, _ = run_steps([Exec("attack", ATTEMPT + source), Call(function, function, args)], FAST)
    assert results[0].ok and results[1].ok, (results[0].error, results[1].error)
    return results[1].value


# --- other processes: a concurrent worker and the grader ---------------------------------------

def _workers_below(parent: int) -> list[int]:
    """Live worker processes that descend from `parent` (zygote, keeper, init and worker alike:
    a worker forked by a zygote has the zygote's command line)."""
    children: dict[int, list[int]] = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                command = cmdline.read()
            is_worker = (b"autograder.sandbox.worker" in command
                         or b"autograder.sandbox.zygote" in command)
        except OSError:
            continue
        if fields[0] != "Z" and is_worker:
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [parent]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _victim_pids(expected: int) -> list[int]:
    """The worker processes below this one: at least `expected` of a running worker (keeper,
    init, worker), plus the idle zygotes, which are this process's children."""
    give_up = time.monotonic() + 10
    while time.monotonic() < give_up:
        pids = _workers_below(os.getpid())
        if len(set(pids) - set(_zygotes())) >= expected:
            return pids
        time.sleep(0.01)
    raise AssertionError(f"the victim's worker processes did not show up: {pids}")


def _zygotes() -> list[int]:
    """This process's zygotes (its children that run `autograder.sandbox.zygote`)."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                if parent == os.getpid() and b"autograder.sandbox.zygote" in cmdline.read():
                    found.append(int(entry))
        except OSError:
            continue
    return found


REACH = """
def signals(victims, grader):
    tries = []
    for pid in victims:
        tries.append(attempt(f"stop {pid}", lambda: os.kill(pid, signal.SIGSTOP)))
        tries.append(attempt(f"kill {pid}", lambda: os.kill(pid, signal.SIGKILL)))
        tries.append(attempt(f"kill group {pid}", lambda: os.kill(-pid, signal.SIGKILL)))
        tries.append(attempt(f"ptrace {pid}", lambda: libc.ptrace(16, pid, 0, 0)))
        tries.append(attempt(f"pidfd {pid}", lambda: libc.syscall(434, pid, 0)))
    # Signal 0 only tests the permission: enough to show reach without harming the grader.
    tries.append(attempt("signal the grader", lambda: os.kill(grader, 0)))
    tries.append(attempt("ptrace the grader", lambda: libc.ptrace(16, grader, 0, 0)))
    tries.append(attempt("signal everyone", lambda: os.kill(-1, 0)))
    try:
        visible = [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]
    except OSError:
        visible = []
    for pid in visible:
        if pid != os.getpid():
            tries.append(attempt(f"signal /proc/{pid}", lambda: os.kill(pid, 0)))
    return tries

def inspect(victims, grader):
    tries = []
    for pid in victims + [grader]:
        for name in ("environ", "cmdline", "status", "maps"):
            tries.append(attempt(f"/proc/{pid}/{name}",
                                 lambda: open(f"/proc/{pid}/{name}", "rb").read()))
    try:
        listed = {int(entry) for entry in os.listdir("/proc") if entry.isdigit()}
    except OSError as error:
        listed = set()
    seen = sorted(listed & set(victims + [grader]))
    tries.append(["list /proc", "ok" if seen else "failed", repr(seen)])
    return tries
"""


@AT_EACH_LEVEL
def test_a_worker_cannot_stop_kill_trace_or_inspect_a_concurrent_worker_or_the_grader():
    victim_steps = [Exec("victim", "import time\ntime.sleep(1.5)\ndef alive():\n    return 42\n"),
                    Call("alive", "alive")]
    expected = 3 if isolation_report()["processes"] == "on" else 1  # keeper, init, worker
    with ThreadPoolExecutor(1) as pool:
        victim = pool.submit(run_steps, victim_steps, FAST)
        victims = _victim_pids(expected)
        signals = _attack(REACH, "signals", victims, os.getpid())
        victims = _victim_pids(expected)  # still alive
        inspected = _attack(REACH, "inspect", victims, os.getpid())
        victim_results, _ = victim.result()
    assert [r.ok for r in victim_results] == [True, True] and victim_results[1].value == 42
    assert _worked(signals) == [], signals
    report = isolation_report()
    if not any(report[layer] == "on" for layer in ("processes", "filesystem", "landlock_files")):
        pytest.skip(
            "nothing hides /proc here (no namespaces, no Landlock): see the isolation report")
    assert _worked(inspected) == [], inspected


# --- the grader's session keyring --------------------------------------------------------------

@pytest.fixture(scope="module")
def planted_key():
    """A key in a session keyring of this test process, which every worker it starts inherits."""
    add_key, _, keyctl = KEY_SYSCALLS
    if _libc.syscall(keyctl, KEYCTL_JOIN_SESSION_KEYRING, b"autograder-test") < 0:
        pytest.skip(f"no keyrings here ({os.strerror(ctypes.get_errno())})")
    description, secret = f"autograder-test-{uuid.uuid4().hex}".encode(), uuid.uuid4().hex.encode()
    serial = _libc.syscall(add_key, b"user", description, secret, len(secret),
                           KEY_SPEC_SESSION_KEYRING)
    assert serial > 0, os.strerror(ctypes.get_errno())
    yield serial, description.decode(), secret.decode()
    _libc.syscall(keyctl, KEYCTL_INVALIDATE, serial)


KEYRING = """
def keys(serial, description):
    buffer = ctypes.create_string_buffer(4096)
    tries = [
        attempt("request_key",
                lambda: libc.syscall(REQUEST_KEY, b"user", description.encode(), None, 0)),
        attempt("keyctl read", lambda: libc.syscall(KEYCTL, 11, serial, buffer, 4096)),
        attempt("keyctl search @s",
                lambda: libc.syscall(KEYCTL, 10, -3, b"user", description.encode(), 0)),
        attempt("keyctl search @u",
                lambda: libc.syscall(KEYCTL, 10, -4, b"user", description.encode(), 0)),
        attempt("add_key", lambda: libc.syscall(ADD_KEY, b"user", b"x", b"x", 1, -3)),
    ]
    return tries, buffer.raw.rstrip(b"\\0").decode("latin-1")
"""


def test_the_planted_key_is_readable_outside_the_sandbox(planted_key):
    """The control: a plain child process of the grader reads the key."""
    serial, _, secret = planted_key
    read = (f"import ctypes; libc = ctypes.CDLL(None); b = ctypes.create_string_buffer(64); "
            f"libc.syscall({KEY_SYSCALLS[2]}, 11, {serial}, b, 64); print(b.value.decode())")
    assert subprocess.run([sys.executable, "-c", read], capture_output=True, text=True,
                          check=True).stdout.strip() == secret


@AT_EACH_LEVEL
def test_a_worker_cannot_read_a_key_in_the_graders_session_keyring(planted_key):
    serial, description, secret = planted_key
    source = KEYRING + ("\ndef run(serial, description):\n"
                        "    tries, read = keys(serial, description)\n"
                        "    return [tries, read]\n")
    tries, read = _attack(source, "run", serial, description)
    assert _worked(tries) == [], tries
    assert secret not in read


# --- sockets -----------------------------------------------------------------------------------

SOCKETS = """
def connect(path, abstract, port):
    def unix(address):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(1)
            client.connect(address)
            client.send(b"x")
    def udp():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            return client.sendto(b"x", ("127.0.0.1", port))
    return [attempt("unix socket by path", lambda: unix(path)),
            attempt("abstract unix socket", lambda: unix(abstract)),
            attempt("udp to 127.0.0.1", udp),
            attempt("socketpair", socket.socketpair),
            attempt("raw socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, 1))]
"""


@AT_EACH_LEVEL
def test_a_worker_cannot_reach_unix_socket_or_udp_listeners_on_the_host():
    folder = tempfile.mkdtemp(prefix="autograder-test-", dir="/tmp")
    os.chmod(folder, 0o755)
    path, abstract = os.path.join(folder, "listener"), f"\0autograder-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX) as by_path, socket.socket(socket.AF_UNIX) as hidden, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        by_path.bind(path)
        os.chmod(path, 0o777)
        hidden.bind(abstract)
        udp.bind(("127.0.0.1", 0))
        for listener in (by_path, hidden):
            listener.listen(1)
            listener.setblocking(False)
        udp.setblocking(False)
        tries = _attack(SOCKETS, "connect", path, abstract, udp.getsockname()[1])
        for listener in (by_path, hidden):
            with pytest.raises(BlockingIOError):
                listener.accept()
        with pytest.raises(BlockingIOError):
            udp.recv(16)
    os.unlink(path)
    os.rmdir(folder)
    assert _worked(tries) == [], tries


# --- SysV and POSIX shared memory --------------------------------------------------------------

SHARED_MEMORY = """
def read(key, shmid, posix_name):
    def sysv(get_id):
        address = libc.shmat(get_id(), None, 0o10000)  # SHM_RDONLY
        if address == ctypes.c_void_p(-1).value:
            return -1
        return ctypes.string_at(address, 32)
    libc.shmat.restype = ctypes.c_void_p
    return [attempt("shmget by key", lambda: libc.shmget(key, 0, 0)),
            attempt("shmat by id", lambda: sysv(lambda: shmid)),
            attempt("posix shm", lambda: open(f"/dev/shm/{posix_name}", "rb").read())]
"""


@AT_EACH_LEVEL
def test_a_worker_cannot_read_the_hosts_shared_memory():
    secret = uuid.uuid4().hex.encode()
    key = int.from_bytes(os.urandom(3), "little") + 1
    shmid = _libc.shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0o666)
    assert shmid >= 0, os.strerror(ctypes.get_errno())
    _libc.shmat.restype = ctypes.c_void_p
    posix_name = f"autograder-test-{uuid.uuid4().hex}"
    try:
        address = _libc.shmat(shmid, None, 0)
        ctypes.memmove(address, secret, len(secret))
        _libc.shmdt(ctypes.c_void_p(address))
        Path("/dev/shm", posix_name).write_bytes(secret)
        os.chmod(Path("/dev/shm", posix_name), 0o644)
        tries = _attack(SHARED_MEMORY, "read", key, shmid, posix_name)
    finally:
        _libc.shmctl(shmid, IPC_RMID, None)
        Path("/dev/shm", posix_name).unlink(missing_ok=True)
    assert _worked(tries) == [], tries


# --- system calls of another ABI, and the seccomp filter on its own ----------------------------

@AT_EACH_LEVEL
@pytest.mark.skipif(platform.machine() != "x86_64", reason="x32 system calls exist on x86_64 only")
def test_an_x32_system_call_kills_the_worker():
    source = ("import ctypes\ndef x32():\n    return ctypes.CDLL(None).syscall(0x40000000 | 39)\n"
              "def one():\n    return 1\n")
    results, _ = run_steps([Exec("x32", source), Call("x32", "x32"), Call("after", "one")], FAST)
    assert results[1].error == "the process was killed by SIGSYS while running this step"
    assert results[2].ok and results[2].value == 1


SECCOMP_ALONE = f"""
import ctypes, json, os, socket, sys
sys.path.insert(0, {str(COURSE.parent)!r})
from autograder.sandbox import seccomp
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.prctl(38, 1, 0, 0, 0)
seccomp.restrict_self(os.getpid())
parent = os.getppid()
calls = {{
    "kill the parent": lambda: os.kill(parent, 0),
    "ptrace the parent": lambda: libc.ptrace(16, parent, 0, 0),
    "unix socket": lambda: socket.socket(socket.AF_UNIX),
    "udp socket": lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM),
    "keyctl": lambda: libc.syscall({KEY_SYSCALLS[2]}, 0, -3, 0),
    "shmget": lambda: libc.shmget(0, 4096, 0o1666),
    "user namespace": lambda: libc.unshare(0x10000000),
    "io_uring": lambda: libc.syscall(425, 1, None),
    "memfd": lambda: os.memfd_create("x"),
    "clone3": lambda: libc.syscall(435, None, 0),
}}
outcome = {{}}
for name, call in calls.items():
    try:
        result = call()
        outcome[name] = (os.strerror(ctypes.get_errno())
                         if isinstance(result, int) and result < 0 else "ok")
    except OSError as error:
        outcome[name] = error.strerror
os.kill(os.getpid(), 0)  # its own pid stays allowed
print(json.dumps(outcome))
"""


def test_the_seccomp_filter_alone_stops_every_class_without_namespaces_or_landlock():
    """What a host with no user namespaces and no Landlock still gets (a locked-down GitHub
    runner)."""
    done = subprocess.run([sys.executable, "-c", SECCOMP_ALONE], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    assert outcome.pop("clone3") == "Function not implemented"
    assert set(outcome.values()) == {"Operation not permitted"}, outcome


# --- honest work and the report ----------------------------------------------------------------

@AT_EACH_LEVEL
@pytest.mark.parametrize("assignment", ["optimization", "initialization"])
def test_a_completed_notebook_keeps_full_marks(assignment, tmp_path):
    notebook = write_notebook(source_notebook(assignment), tmp_path / f"{assignment}.ipynb")
    report = grading.grade(notebook, assignment, COURSE)
    assert all(full_marks(result) for result in report.results), [
        (result.name, result.output) for result in report.results if not full_marks(result)]


@AT_EACH_LEVEL
def test_the_report_names_the_effective_landlock_abi():
    abi = int(os.environ.get("AUTOGRADER_LANDLOCK_ABI", NATIVE))
    report = isolation_report()
    landlock = {layer: report[layer]
                for layer in ("landlock_files", "landlock_tcp", "landlock_scopes")}
    if abi == NATIVE:
        assert all(state == "on" or f"the kernel has Landlock ABI {NATIVE}" in state
                   for state in landlock.values()), landlock
    elif abi == 0:
        assert set(landlock.values()) == {
            ("off: the worker uses Landlock ABI 0 (AUTOGRADER_LANDLOCK_ABI=0; "
             f"the kernel has ABI {NATIVE})")}
    else:
        assert landlock["landlock_files"] == landlock["landlock_tcp"] == "on"
        assert landlock["landlock_scopes"] == (
            "off: needs Landlock ABI 6; the worker uses Landlock ABI 4 "
            f"(AUTOGRADER_LANDLOCK_ABI=4; the kernel has ABI {NATIVE})")
    assert report["keyring"] == report["seccomp"] == "on"
    namespaced = ("network", "filesystem", "processes", "ipc", "disk")
    if os.geteuid() == 0 or report["network"] == "on":
        assert all(report[layer] == "on" for layer in namespaced), report
    else:
        refused = "off: the grader is not root and this host refuses it a user namespace"
        assert all(report[layer].startswith(refused) for layer in namespaced), report
    assert report["user"] == ("on" if os.geteuid() == 0 else
                              "off: the grader does not run as root "
                              "(the worker keeps the grader's uid)")


def test_each_root_worker_runs_as_a_uid_of_its_own():
    if os.geteuid() != 0:
        pytest.skip("only root can give each worker its own uid")
    steps = [Exec("uid", "import os\nuid = os.getuid()"), Fetch("uid", "uid")]
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: run_steps(steps, FAST)[0][1].value, range(2)))
    assert len(set(runs)) == 2 and all(uid >= 0x7F000000 for uid in runs), runs


# --- refusing to grade when a required layer is off --------------------------------------------

OPTIMIZATION = COURSE / "source" / "optimization" / "optimization.ipynb"


def test_grade_refuses_with_exit_3_and_writes_nothing_when_a_required_layer_is_off(
        tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_LANDLOCK_ABI", "0")
    results = tmp_path / "results.json"
    done = run_cli("grade", str(OPTIMIZATION), "--assignment", "optimization", "--results",
                   str(results), "--require-isolation", "seccomp,landlock_files")
    assert done.returncode == 3 and not results.exists()
    assert done.stderr.strip().splitlines() == [(
        "autograder: error: refusing to run student code: required isolation layers are off on "
        "this host: landlock_files (the worker uses Landlock ABI 0 (AUTOGRADER_LANDLOCK_ABI=0; "
        f"the kernel has ABI {NATIVE}))")]


def test_the_course_config_can_require_isolation(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_LANDLOCK_ABI", "4")
    course = tmp_path / "assignments"
    (course / "source").mkdir(parents=True)
    (course / "source" / "optimization").symlink_to(COURSE / "source" / "optimization")
    (course / "nbgrader_config.py").write_text(
        'c = get_config()\nc.Autograder.require_isolation = "all"\n')
    code, _, stderr = invoke_cli("grade", str(OPTIMIZATION), "-a", "optimization", "--course",
                                 str(course), "--results", str(tmp_path / "r.json"))
    assert code == 3 and "landlock_scopes (needs Landlock ABI 6" in stderr
    code, _, _ = invoke_cli("grade", str(OPTIMIZATION), "-a", "optimization", "--course",
                            str(course), "--results", str(tmp_path / "r.json"),
                            "--require-isolation", "none", "-q")
    assert code == 0 and (tmp_path / "r.json").exists()


def test_autograde_refuses_before_touching_the_gradebook(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_LANDLOCK_ABI", "0")
    monkeypatch.setenv(policy.REQUIRE_VARIABLE, "landlock_files")
    course = tmp_path / "course"
    (course / "submitted" / "alice" / "optimization").mkdir(parents=True)
    (course / "source").mkdir()
    (course / "source" / "optimization").symlink_to(COURSE / "source" / "optimization")
    code, _, stderr = invoke_cli("autograde", "optimization", "--course", str(course))
    assert code == 3 and "landlock_files" in stderr
    assert sorted(path.name for path in course.iterdir()) == ["source", "submitted"]


def test_an_unknown_layer_is_a_usage_error():
    code, _, stderr = invoke_cli("grade", str(OPTIMIZATION), "-a", "optimization",
                                 "--require-isolation", "network,firewall")
    assert code == 2 and "unknown isolation layer 'firewall'" in stderr


def test_every_worker_checks_the_requirement_again_before_student_code_runs(monkeypatch):
    monkeypatch.setenv("AUTOGRADER_LANDLOCK_ABI", "0")
    monkeypatch.setenv(policy.REQUIRE_VARIABLE, "landlock_files")
    results, _ = run_steps([Exec("cell", "x = 1")], FAST)
    assert not results[0].ok and results[0].error.startswith(
        "the grading worker could not start: refusing to run student code: required isolation "
        "layers are off on this host: landlock_files")
    assert isolation_report()["landlock_files"].startswith("off: ")  # no steps: only reports
