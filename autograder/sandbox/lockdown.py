"""The isolation layers the worker applies to itself before it reads any student code.

Each layer that this machine cannot provide is skipped and reported as "off: <why>". The layers
that keep workers apart from each other and from the host (namespaces, a uid of each worker's
own, seccomp) do not depend on the Landlock ABI; Landlock adds file and TCP rules on top.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import pwd
import resource
import signal
import sys
import sysconfig
from collections.abc import Callable

import numpy as np

from autograder.sandbox import landlock, namespaces, seccomp
from autograder.sandbox.limits import Limits

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
SYSTEM_LIBRARIES = ("/usr/lib", "/usr/lib64", "/lib", "/lib64")
DEVICES_AND_FILES = ("/etc/ld.so.cache", "/dev/urandom", "/dev/null")
#: As root each worker runs as a uid of its own, with no passwd entry: this base plus the pid of
#: the process the grader started (unique while it lives), far above the ids of real users.
WORKER_UIDS = 0x7F000000
_KEYCTL = {"x86_64": 250, "aarch64": 219, "riscv64": 219}
_KEYCTL_JOIN_SESSION_KEYRING = 1


@functools.cache
def python_paths() -> dict[str, list[str]]:
    """Directories the worker reads after lockdown: stdlib entries (not site-packages), numpy.

    Looked up once per process: a zygote's workers inherit the answer (nobody may change it)."""
    stdlib = sysconfig.get_paths()["stdlib"]
    numpy_dir = os.path.dirname(np.__file__)
    numpy_libs = numpy_dir + ".libs"
    return {
        "stdlib": [stdlib],
        "stdlib_entries": [os.path.join(stdlib, name) for name in sorted(os.listdir(stdlib))
                           if name not in ("site-packages", "dist-packages")],
        "numpy": [numpy_dir] + ([numpy_libs] if os.path.isdir(numpy_libs) else []),
    }


def _close_other_fds(keep: set[int]) -> None:
    start = 3
    for fd in sorted(f for f in keep if f >= 3):
        os.closerange(start, fd)
        start = fd + 1
    os.closerange(start, resource.getrlimit(resource.RLIMIT_NOFILE)[0])


def _memory_in_use() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _set_rlimits(limits: Limits) -> None:
    rlimits = {
        resource.RLIMIT_AS: _memory_in_use() + limits.memory_bytes,
        resource.RLIMIT_CPU: limits.cpu_seconds,
        resource.RLIMIT_FSIZE: limits.file_bytes,
        resource.RLIMIT_NOFILE: limits.open_files,
        resource.RLIMIT_NPROC: limits.processes,
        resource.RLIMIT_CORE: 0,
    }
    for which, value in rlimits.items():
        hard = value + 1 if which == resource.RLIMIT_CPU else value  # SIGXCPU first, then SIGKILL
        resource.setrlimit(which, (value, hard))


def _landlock_rules(scratch: str, paths: dict[str, list[str]]) -> dict[str, int]:
    rules = {path: landlock.READ_DIR for path in paths["stdlib"]}
    rules.update({path: landlock.READ for path in paths["stdlib_entries"] + paths["numpy"]})
    rules.update({path: landlock.READ for path in SYSTEM_LIBRARIES})
    rules.update({path: landlock.READ_FILE for path in DEVICES_AND_FILES})
    rules["/dev/null"] |= landlock.WRITE_FILE
    rules[scratch] = landlock.READ_WRITE
    return rules


def _root_contents(paths: dict[str, list[str]], scratch: str) -> tuple[list[str], list[str], str]:
    """What the worker's own root shows (what Landlock lets it read), the directories in it that
    stay empty (the stdlib's site-packages), and where its scratch dir goes."""
    stdlib = paths["stdlib"][0]
    shown = [*SYSTEM_LIBRARIES, stdlib, *paths["numpy"], *DEVICES_AND_FILES]
    return (shown, [os.path.join(stdlib, name) for name in ("site-packages", "dist-packages")],
            scratch)


def _apply(report: dict[str, str], layer: str, needs: str, action: Callable[[], None]) -> None:
    """Run `action` for `layer` if what it needs is on; report it on, or off with the reason."""
    if needs != "on":
        report[layer] = needs
        return
    try:
        action()
        report[layer] = "on"
    except OSError as exc:
        report[layer] = f"off: {exc}"


def _both(first: str, second: str) -> str:
    return first if first != "on" else second


def _reach_python(paths: dict[str, list[str]], uid: int, mounts: str) -> str:
    """Whether `uid` can read the stdlib and NumPy (bind-mounted into sight if need be)."""
    needed = paths["stdlib"] + paths["numpy"]
    hidden = [path for path in needed if namespaces.hidden_ancestor(path, uid)]
    if not hidden:
        return "on"
    if mounts != "on":
        return f"off: {hidden[0]} is hidden from other users ({mounts.removeprefix('off: ')})"
    try:
        namespaces.expose(needed, uid)
    except OSError as exc:
        return f"off: {exc}"
    return "on"


def _become(uid: int) -> None:
    os.setgroups([])
    try:
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    except OSError as exc:  # EINVAL: a user namespace of few ids (a rootless container)
        if exc.errno != errno.EINVAL:
            raise
        nobody = pwd.getpwnam("nobody")
        os.setresgid(nobody.pw_gid, nobody.pw_gid, nobody.pw_gid)
        os.setresuid(nobody.pw_uid, nobody.pw_uid, nobody.pw_uid)


def _join_session_keyring() -> None:
    """A new, empty session keyring: the grader's keys are not the worker's."""
    machine = os.uname().machine
    if machine not in _KEYCTL:
        raise OSError(errno.ENOSYS, f"keyctl: no system call number known for {machine}")
    if _libc.syscall(ctypes.c_long(_KEYCTL[machine]), ctypes.c_int(_KEYCTL_JOIN_SESSION_KEYRING),
                     None) < 0:
        number = ctypes.get_errno()
        raise OSError(number, f"keyctl(KEYCTL_JOIN_SESSION_KEYRING): {os.strerror(number)}")


def _mount_layers(report: dict[str, str], state: dict[str, str], scratch: str,
                  paths: dict[str, list[str]], limits: Limits, owner: int | None) -> str:
    """The layers that live in the worker's mount namespace: a root of its own (built in the
    scratch dir, then entered), its own /proc, no /dev/shm, the scratch quota. Returns whether
    the mount namespace is usable ("on" / "off: why")."""
    mounts = state["mount"]
    if mounts == "on":
        try:
            namespaces.make_private()
        except OSError as exc:
            mounts = f"off: {exc}"
    top = ""
    if mounts == "on":
        try:
            os.mkdir(os.path.join(scratch, ".root"), 0o700)
            namespaces.build_root(os.path.join(scratch, ".root"), *_root_contents(paths, scratch))
            top = os.path.join(scratch, ".root")
        except OSError as exc:
            report["filesystem"] = f"off: {exc}"
    report.setdefault("filesystem", "on" if top else mounts)
    _apply(report, "processes", _both(state["pid"], mounts),
           lambda: namespaces.mount_proc(top + "/proc"))
    # The worker's own root has no /dev/shm; the host's root shows the host's, unless hidden.
    _apply(report, "ipc", _both(state["ipc"], mounts),
           (lambda: None) if top else namespaces.hide_shm)
    _apply(report, "disk", mounts,
           lambda: namespaces.scratch_quota(top + scratch, limits.disk_bytes, owner))
    if top:
        if report["disk"] != "on":
            namespaces.bind(scratch, top + scratch)
        namespaces.enter_root(top)
    return mounts


def lock_down(scratch: str, limits: Limits, keep_fds: set[int]) -> dict[str, str]:
    """Apply every layer this machine supports to the current process; return the report.

    With a PID namespace this returns in a grandchild of the calling process, PID 2 of the new
    namespace (see `namespaces`); the two processes above it never return.
    """
    report: dict[str, str] = {}
    _close_other_fds(keep_fds)
    report["file_descriptors"] = "on"
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past RLIMIT_FSIZE fail with EFBIG
    paths = python_paths()
    abi, kernel_abi = landlock.effective_abi()
    root = os.geteuid() == 0
    uid = WORKER_UIDS + os.getpid()

    state = namespaces.enter()
    report["network"] = state["network"]
    if state["pid"] == "on":
        namespaces.split_off_init({fd for fd in keep_fds if fd > 2})
    mounts = _mount_layers(report, state, scratch, paths, limits, uid if root else None)
    user = _reach_python(paths, uid, mounts) if root else (
        "off: the grader does not run as root (the worker keeps the grader's uid)")
    if root and report["disk"] != "on":
        os.chown(scratch, uid, uid)

    site = os.path.join(scratch, ".python")  # after the quota: the tmpfs hides what was there
    os.makedirs(site, exist_ok=True)
    for path in paths["numpy"]:
        os.symlink(path, os.path.join(site, os.path.basename(path)))

    try:
        _set_rlimits(limits)
        report["rlimits"] = "on"
    except (OSError, ValueError) as exc:
        report["rlimits"] = f"off: {exc}"

    if root:  # whatever `user` says: student code never runs as root (a failure stops here)
        _become(uid)
        user = "on"  # a stdlib left hidden from the uid only makes later imports fail
    else:
        namespaces.drop_capabilities()  # those a user namespace gave
    report["user"] = user
    _apply(report, "keyring", "on", _join_session_keyring)
    namespaces.set_dumpable(False)  # again: the change of uid reset it
    namespaces.set_no_new_privs()
    report["no_new_privs"] = "on"

    landlock_layers = ("landlock_files", "landlock_tcp", "landlock_scopes")
    off = landlock.off_reasons(abi, kernel_abi)
    if abi:
        try:
            landlock.restrict_self(_landlock_rules(scratch, paths), abi)
        except OSError as exc:
            off = dict.fromkeys(landlock_layers, f"off: {exc}")
    report.update({layer: off.get(layer, "on") for layer in landlock_layers})
    _apply(report, "seccomp", seccomp.UNAVAILABLE or "on",
           lambda: seccomp.restrict_self(os.getpid()))

    stdlib = paths["stdlib"][0]
    sys.path[:] = [stdlib, os.path.join(stdlib, "lib-dynload"), site]
    sys.path_importer_cache.clear()
    sys.dont_write_bytecode = True
    os.chdir(scratch)
    return report
