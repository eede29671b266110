"""Attacks on the worker's isolation found by an adversarial review (older kernels: Landlock ABI
0 and 4, and hosts without user namespaces or without CAP_SYS_ADMIN).

Each test is student code run through `run_steps`. The "HOLE (closed ...)" tests failed while
their hole was open; the docstring says what the attack did, what it gained a hostile student,
and the fix that closed it. The others were blocked when written. All stay as regression tests.

Hosts are simulated like `tests/test_sandbox_unprivileged.py` does: an unprivileged user whose
user namespaces a seccomp filter refuses (an Ubuntu 24.04 runner as its own user, a container),
and root without CAP_SYS_ADMIN (Docker's default profile, as on Gradescope). The launcher runs
the grader-side code below as that host would, and prints what it saw as JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from support.unprivileged import LAUNCH_CODE, unprivileged_user

from autograder.sandbox import Call, Exec, Limits, run_steps

REPOSITORY = Path(__file__).resolve().parents[1]
FAST = Limits(step_seconds=5.0, total_seconds=20.0)
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="the host is simulated from root")


def _grader_side(attack: str, function: str, args: tuple, epilogue: str = "") -> str:
    """Python for the simulated grader: run `attack` as student code, print the outcome as JSON."""
    return f"""
import json, os, sys
sys.path.insert(0, {str(REPOSITORY)!r})
from autograder.sandbox import Call, Exec, Limits, run_steps
results, report = run_steps([Exec("attack", {attack!r}), Call("attack", {function!r}, {args!r})],
                            Limits(step_seconds=10.0, total_seconds=30.0))
outcome = {{"ok": results[1].ok, "value": results[1].value, "error": results[1].error,
            "report": report}}
{epilogue}
print(json.dumps(outcome))
"""


def _run(launch: str, launch_args: list[str], code: str, abi: int, extra_env=None) -> dict:
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8",
           "AUTOGRADER_LANDLOCK_ABI": str(abi), **(extra_env or {})}
    done = subprocess.run([sys.executable, "-c", launch, *launch_args, code], cwd="/tmp", env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- an unprivileged grader on a host without user namespaces, no Landlock ------------------------

def _as_unprivileged_user_without_user_namespaces(code: str, abi: int, extra_env=None) -> dict:
    user = unprivileged_user()  # test_sandbox_unprivileged's user, dropped to the same way
    return _run(LAUNCH_CODE,
                [str(REPOSITORY), str(user.pw_uid), str(user.pw_gid), "no-user-namespaces"],
                code, abi, extra_env)


PROC_MEM = r"""
import os
def attack():
    parent, found = os.getppid(), 0
    try:
        environ = open(f"/proc/{parent}/environ", "rb").read().decode("latin-1")
    except OSError as error:
        environ = repr(error)
    try:
        mem = open(f"/proc/{parent}/mem", "r+b", buffering=0)
        for line in open(f"/proc/{parent}/maps").read().splitlines():
            span, perms = line.split()[:2]
            low, high = (int(x, 16) for x in span.split("-"))
            if not perms.startswith("rw") or high - low > 1 << 28:
                continue
            try:
                mem.seek(low)
                data = mem.read(high - low)
            except OSError:
                continue
            at = data.find(b"SCORE=000/100;")
            while at >= 0:
                mem.seek(low + at)
                mem.write(b"SCORE=100/100;")
                found += 1
                at = data.find(b"SCORE=000/100;", at + 1)
    except OSError as error:
        return [environ, repr(error)]
    return [environ, found]
"""


@ROOT_ONLY
def test_an_unprivileged_workers_grader_memory_is_out_of_reach_without_landlock():
    """HOLE (closed: grader and worker undumpable; critical) on the weakest host: non-root, no user
    namespaces, Landlock ABI 0 (a pre-5.13 kernel, or Landlock disabled). The worker keeps the
    grader's uid and the host's /proc, and the grading process is dumpable, so
    `open("/proc/<ppid>/mem", "r+b")` passes the kernel's ptrace access check (same uid, dumpable;
    no Yama here, and Yama is off or 0 on Fedora, Arch, Debian and in most containers). The seccomp
    filter refuses ptrace and process_vm_writev but not open(2) of /proc/<pid>/mem. The student
    reads the grader's environment (tokens: `/proc/<ppid>/environ`) and overwrites the grader's
    memory: here a score the grader holds, in general the expected values, the judges, every result.
    The same worked on a concurrent worker while it started (still dumpable): an fd opened on
    its /proc/<pid>/mem stays valid after it turns non-dumpable.
    README says only that this host can "read what the grading user can read".

    Fix: the grader makes itself non-dumpable before it starts workers
    (`prctl(PR_SET_DUMPABLE, 0)` in `run_steps`, or once at start-up; it is a no-op for root),
    and the worker does so as the very first thing of `_BOOT`, before importing NumPy; and/or
    refuse to grade (fail closed) when none of processes / filesystem / landlock_files is on.
    """
    code = _grader_side(PROC_MEM, "attack", (), epilogue=(
        "outcome['score'] = bytes(score).decode()"))
    code = code.replace("results, report",
                        "score = bytearray(b'SCORE=000/100;')\nresults, report", 1)
    outcome = _as_unprivileged_user_without_user_namespaces(
        code, 0, {"AUTOGRADER_TEST_TOKEN": "ghp_secret_token_of_the_grader"})
    assert outcome["ok"], outcome
    environ, written = outcome["value"]
    assert outcome["score"] == "SCORE=000/100;", (
        f"the worker rewrote the grader's memory ({written} places)")
    assert "ghp_secret_token_of_the_grader" not in environ, (
        "the worker read the grader's environment")


# --- root without CAP_SYS_ADMIN (Docker's default profile, Gradescope), no Landlock ---------------

ROOT_WITHOUT_SYS_ADMIN = r"""
import ctypes, os, sys
sys.path.insert(0, sys.argv[1])
from autograder.sandbox import namespaces
libc = ctypes.CDLL(None, use_errno=True)
if sys.argv[2] == "python-readable":  # Python where any uid can read it (/usr/lib/python3.X)
    if libc.unshare(0x00020000) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    namespaces.make_private()
    namespaces.expose([sys.argv[1], sys.prefix, sys.base_prefix], 0x7F000000)
if libc.prctl(24, 21, 0, 0, 0) != 0:  # PR_CAPBSET_DROP CAP_SYS_ADMIN: no namespaces, no mounts
    raise OSError(ctypes.get_errno(), "PR_CAPBSET_DROP")
os.execv(sys.executable, [sys.executable, "-c", sys.argv[3]])
"""

PRIVILEGES = r"""
import os
def attack(secret_path, outside_path):
    caps = [line.split()[1] for line in open("/proc/self/status") if line.startswith("CapEff")]
    try:
        secret = open(secret_path).read()
    except OSError as error:
        secret = repr(error)
    try:
        with open(outside_path, "w") as file:
            file.write("planted by a student")
        wrote = "ok"
    except OSError as error:
        wrote = repr(error)
    return [os.getuid(), caps[0], secret, wrote]
"""


@ROOT_ONLY
def test_a_root_worker_that_cannot_get_a_uid_of_its_own_drops_root():
    """HOLE (closed: a root worker always takes its own uid; critical): root without CAP_SYS_ADMIN
    (Docker's default capabilities, Gradescope) and Python under a directory other uids cannot
    traverse (pyenv or conda under /root, as on this machine and in many images). `_reach_python`
    cannot bind-mount the stdlib into sight, so `user` is "off" and the worker never calls
    `_become`; since it is root, it does not call `drop_capabilities` either. Student code runs as
    uid 0 with every capability the grader has but CAP_SYS_ADMIN (CAP_DAC_OVERRIDE, CAP_SYS_PTRACE,
    CAP_SYS_MODULE, CAP_MKNOD, ...), guarded only by the seccomp deny-list: at Landlock ABI 0 it
    reads any file (the course secret, reference/, quizzes/, /etc/shadow), writes anywhere (other
    students' results.json, the grader's own code), writes /proc/<grader>/mem, and may call
    init_module / finit_module, kexec_load, reboot, mknod of block devices, iopl, settimeofday: none
    is in `_DENIED`.

    Fix: as root, never run student code as uid 0: fail closed when `_become` cannot happen
    (make `user` mandatory for a root grader), or at least become `nobody`/the worker uid and
    clear every capability set, the bounding set and set SECBIT_NOROOT|SECBIT_NOROOT_LOCKED
    (uid 0 without capabilities still owns root's files). Defence in depth: add init_module,
    finit_module, delete_module, kexec_load, kexec_file_load, reboot, swapon, swapoff, iopl,
    ioperm, settimeofday, clock_settime, clock_adjtime, adjtimex, acct, quotactl, syslog,
    open_by_handle_at, lookup_dcookie, mknod/mknodat (S_IFCHR/S_IFBLK) to `_DENIED`.
    """
    folder = tempfile.mkdtemp(prefix="autograder-attack-")  # 0700, root's
    secret = Path(folder, "secret")
    secret.write_text("the course secret")
    secret.chmod(0o600)
    outside = Path(folder, "planted")
    try:
        outcome = _run(ROOT_WITHOUT_SYS_ADMIN, [str(REPOSITORY), "python-hidden"],
                       _grader_side(PRIVILEGES, "attack", (str(secret), str(outside))), 0)
        planted = outside.exists()
    finally:
        for path in (secret, outside):
            path.unlink(missing_ok=True)
        os.rmdir(folder)
    assert outcome["ok"], outcome
    uid, capabilities, read, wrote = outcome["value"]
    assert uid != 0 and int(capabilities, 16) == 0, (
        f"student code ran as uid {uid} with capabilities {capabilities} "
        f"(user: {outcome['report']['user']})")
    assert read != "the course secret" and not planted, (read, wrote)


QUIZ_KEYS = r"""
def attack(paths):
    seen = {}
    for path in paths:
        try:
            seen[path] = open(path).read()[:60]
        except OSError as error:
            seen[path] = type(error).__name__
    return seen
"""


@ROOT_ONLY
def test_setup_sh_makes_the_course_files_and_the_reference_root_only(tmp_path):
    from autograder.packaging import template

    script = tmp_path / "setup.sh"
    script.write_text(template("setup.sh", ASSIGNMENT="optimization"))
    done = subprocess.run(
        ["bash", str(script)], capture_output=True, text=True, check=True,
        env={"PATH": os.defpath, "AUTOGRADER_ROOT": "/ag", "AUTOGRADER_DRY_RUN": "1"})
    assert "+ chmod -R go-rwx /ag/source" in done.stdout
    assert "site-packages/reference" in done.stdout and "site-packages/autograder" in done.stdout


def test_a_worker_without_a_root_of_its_own_cannot_read_the_quiz_keys_or_the_reference():
    """HOLE (closed by setup.sh; high, Gradescope without Landlock): root without CAP_SYS_ADMIN,
    Python readable by
    every uid, Landlock ABI 0 (Docker's seccomp profile refusing the landlock calls, or an old
    host kernel). The worker runs as a uid of its own, but with no mount namespace and no
    Landlock it sees the grader's whole filesystem, and the Gradescope bundle is unpacked with
    modes 0644 / 0755 (`packaging/gradescope.py`): the student's code simply opens
    quizzes/<quiz>.yaml (the answer keys: full marks on every quiz) and reference/*.py (the
    reference solutions).

    Fix: on a root grader, make the course files unreadable to other uids (setup.sh:
    `chmod -R go-rwx "$ROOT/source"`; or bundle modes 0700/0600, or the grader chmods them
    once before grading), since workers never need them; and/or refuse to grade when neither
    `filesystem` nor `landlock_files` is on.
    """
    # Closed by setup.sh (course files and the installed reference root-only): the attack on a
    # tree laid out as setup.sh leaves it.
    bundle = Path(tempfile.mkdtemp(prefix="autograder-bundle-"))
    os.chmod(bundle, 0o755)  # only setup.sh's modes keep the worker out
    try:
        for relative in ("quizzes/optimization_quiz.yaml", "reference/optimizers.py"):
            (bundle / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(REPOSITORY / relative, bundle / relative)
        subprocess.run(
            ["chmod", "-R", "go-rwx", str(bundle / "quizzes"), str(bundle / "reference")],
            check=True)
        paths = [str(bundle / "quizzes" / "optimization_quiz.yaml"),
                 str(bundle / "reference" / "optimizers.py")]
        outcome = _run(ROOT_WITHOUT_SYS_ADMIN, [str(REPOSITORY), "python-readable"],
                       _grader_side(QUIZ_KEYS, "attack", (paths,)), 0)
    finally:
        shutil.rmtree(bundle)
    assert outcome["ok"], outcome
    assert outcome["report"]["user"] == "on", outcome["report"]
    leaked = {path: text for path, text in outcome["value"].items()
              if text not in ("PermissionError", "FileNotFoundError")}
    assert leaked == {}, leaked


# --- host memory outside every limit (root, every layer on) --------------------------------------

XATTRS = r"""
import os
def attack(total):
    before = os.statvfs(".")
    open("x", "w").close()
    stored, value = 0, b"a" * 65536
    try:
        while stored < total:
            os.setxattr("x", f"user.k{stored}", value)
            stored += len(value)
    except OSError as error:
        pass
    after = os.statvfs(".")
    return [stored, before.f_files, (before.f_bfree - after.f_bfree) * after.f_frsize]
"""


@pytest.mark.parametrize("abi", [0, 4])
def test_the_scratch_tmpfs_bounds_xattrs_and_inodes(abi, monkeypatch):
    """HOLE (closed: nr_inodes and no setxattr; high: host memory, hurts every other worker and the
    grader). The scratch dir is a tmpfs with `size=` but no `nr_inodes=`, so the kernel's default
    applies: half the RAM pages (here about 3 million inodes). Neither inodes nor user xattrs (tmpfs
    supports them since Linux 6.6, charged only to the inode space, nr_inodes x 1 KiB) count against
    `size`, and both are unswappable kernel memory outside RLIMIT_AS. One worker stored 400-700 MB
    of xattrs per second and made 100,000 empty files per second here, for gigabytes over a
    grading's 60 s budget, times the number of concurrent workers: the host runs out of memory
    and the OOM killer takes other students' workers or the grader. This test stores 64 MiB of
    xattrs on a 16 MiB scratch.

    Fix: mount the scratch tmpfs with `nr_inodes=` (say 16384: bounds files, links and xattr
    space at 16 MiB) in `namespaces.scratch_quota`, and deny setxattr, lsetxattr, fsetxattr
    and setxattrat (463) in the seccomp filter (the stdlib and NumPy never set xattrs).
    """
    monkeypatch.setenv("AUTOGRADER_LANDLOCK_ABI", str(abi))
    limits = Limits(step_seconds=5.0, total_seconds=20.0, disk_bytes=16 << 20)
    results, report = run_steps([Exec("attack", XATTRS), Call("attack", "attack", (64 << 20,))],
                                limits)
    if report.get("disk") != "on":
        pytest.skip("no scratch tmpfs here")
    assert results[1].ok, results[1].error
    stored, inodes, charged = results[1].value
    assert stored <= max(charged, 1 << 20) and inodes <= 1 << 17, (
        f"{stored >> 20} MiB of xattrs stored, {charged >> 20} MiB charged to a 16 MiB scratch; "
        f"the scratch tmpfs allows {inodes} inodes")


TIMERS = r"""
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
class SigEvent(ctypes.Structure):
    _fields_ = [("value", ctypes.c_long), ("signo", ctypes.c_int), ("notify", ctypes.c_int),
                ("pad", ctypes.c_char * 48)]
TIMER_CREATE = {"x86_64": 222, "aarch64": 107, "riscv64": 107}[os.uname().machine]
def attack(count):
    event, timer = SigEvent(0, 0, 1), ctypes.c_int()  # SIGEV_NONE: no signal queued, no rlimit
    for made in range(count):
        if libc.syscall(TIMER_CREATE, 1, ctypes.byref(event), ctypes.byref(timer)) < 0:
            return [made, os.strerror(ctypes.get_errno())]
    return [count, "no limit"]
"""


def test_posix_timers_are_bounded(monkeypatch):
    """HOLE (closed: no timer_create; medium: host memory). timer_create(CLOCK_MONOTONIC,
    SIGEV_NONE) has no rlimit (RLIMIT_SIGPENDING counts only queued signals) and is not in the
    seccomp deny-list; each timer is a k_itimer in kernel memory, outside RLIMIT_AS. The worker made
    150,000 timers a second here, hundreds of MB over a grading's budget per worker. This test makes
    50,000.

    Fix: add timer_create (and timer_settime, for good measure) to `_DENIED`: Python's
    `signal.setitimer` uses setitimer(2) and NumPy needs no POSIX timers.
    """
    monkeypatch.setenv("AUTOGRADER_LANDLOCK_ABI", "0")
    results, _ = run_steps([Exec("attack", TIMERS), Call("attack", "attack", (50_000,))], FAST)
    assert results[1].ok, results[1].error
    made, why = results[1].value
    assert made < 50_000, f"{made} POSIX timers made ({why})"


# --- regression checks: attacks that are blocked already -----------------------------------------

BLOCKED = r"""
import ctypes, os, signal
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def attempt(call):
    try:
        result = call()
    except OSError as error:
        return type(error).__name__
    return "failed" if isinstance(result, int) and result < 0 else "ok"
def attack():
    buffer = ctypes.create_string_buffer(256)
    mount_id = ctypes.c_int()
    ctypes.memmove(buffer, (128).to_bytes(4, "little"), 4)
    return {
        "signal init": attempt(lambda: os.kill(1, signal.SIGKILL)),
        "signal group 0": attempt(lambda: os.kill(0, 0)),
        "init's environ": attempt(lambda: open("/proc/1/environ", "rb").read()),
        "init's mem": attempt(lambda: open("/proc/1/mem", "rb")),
        "mknod char device": attempt(lambda: os.mknod("null2", 0o20666, os.makedev(1, 3))),
        "write the root": attempt(lambda: open("/evil", "w")),
        "write /usr/lib": attempt(lambda: open("/usr/lib/evil", "w")),
        "unshare user": attempt(lambda: libc.unshare(0x10000000)),
        "clone new user": attempt(lambda: libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0)),
        "setns": attempt(lambda: libc.setns(0, 0)),
        "chroot": attempt(lambda: os.chroot(".")),
        "personality": attempt(lambda: libc.personality(0x0040000)),
        "io_uring": attempt(lambda: libc.syscall(425, 1, buffer)),
        "open_by_handle_at": attempt(lambda: libc.syscall(304, -100, buffer, 0)),
        "name_to_handle_at /": attempt(lambda: libc.syscall(303, -100, b"/", buffer,
                                                            ctypes.byref(mount_id), 0)),
        "fanotify mount mark": attempt(lambda: libc.syscall(301, libc.syscall(300, 0x200, 0),
                                                            0x10 | 1, 0x20, -100, b"/")),
        "memfd_secret": attempt(lambda: libc.syscall(447, 0)),
        "kexec_file_load": attempt(lambda: libc.syscall(320, -1, -1, 0, None, 0)),
        "init_module": attempt(lambda: libc.syscall(313, -1, b"", 0)),
        "TIOCSTI": attempt(lambda: libc.ioctl(1, 0x5412, b"x")),
        "F_SETOWN": attempt(lambda: libc.fcntl(5, 8, 1)),
        "setpriority others": attempt(lambda: os.setpriority(os.PRIO_USER, 0, 19)),
        "prlimit of init": attempt(lambda: libc.prlimit(1, 7, None, buffer)),
    }
"""


@pytest.mark.parametrize("abi", [0, 4])
def test_the_blocked_attacks_stay_blocked(abi, monkeypatch):
    """Regression: signals and /proc of init, device nodes, writes outside scratch, new
    namespaces, personality, io_uring, file handles (handles do pass for the worker's own root:
    harmless), fanotify mount marks, memfd_secret, kexec, modules, TIOCSTI, F_SETOWN, setpriority
    and prlimit of others: all refused at ABI 0 and 4 (as root here, or with user namespaces).
    """
    monkeypatch.setenv("AUTOGRADER_LANDLOCK_ABI", str(abi))
    results, report = run_steps([Exec("attack", BLOCKED), Call("attack", "attack")], FAST)
    if report.get("processes") != "on":
        pytest.skip("these expect the worker's own namespaces")
    assert results[1].ok, results[1].error
    worked = {what: how for what, how in results[1].value.items()
              if how == "ok" and what != "name_to_handle_at /"}
    assert worked == {}, worked
