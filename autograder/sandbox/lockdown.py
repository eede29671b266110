"""The isolation layers the worker applies to itself before it reads any student code.

Each layer that this machine cannot provide is skipped and reported as "off: <why>".
"""

from __future__ import annotations

import ctypes
import os
import pwd
import resource
import signal
import stat
import sys
import sysconfig

import numpy as np

from autograder.sandbox import landlock
from autograder.sandbox.steps import Limits

_libc = ctypes.CDLL(None, use_errno=True)
_CLONE_NEWNS, _CLONE_NEWNET = 0x00020000, 0x40000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 32, 4096, 16384, 1 << 18
_PR_SET_NO_NEW_PRIVS = 38
SYSTEM_LIBRARIES = ("/usr/lib", "/usr/lib64", "/lib", "/lib64")


def _ok(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None):
    def encode(text: str | None) -> bytes | None:
        return None if text is None else text.encode()

    _ok(_libc.mount(encode(source), encode(target), encode(fstype), ctypes.c_ulong(flags),
                    encode(data)), f"mount {target}")


def python_paths() -> dict[str, list[str]]:
    """Directories the worker reads after lockdown: stdlib entries (not site-packages), numpy."""
    stdlib = sysconfig.get_paths()["stdlib"]
    numpy_dir = os.path.dirname(np.__file__)
    numpy_libs = numpy_dir + ".libs"
    return {
        "stdlib": [stdlib],
        "stdlib_entries": [os.path.join(stdlib, name) for name in sorted(os.listdir(stdlib))
                           if name not in ("site-packages", "dist-packages")],
        "numpy": [numpy_dir] + ([numpy_libs] if os.path.isdir(numpy_libs) else []),
    }


def _hidden_ancestor(path: str, uid: int) -> str | None:
    """The topmost ancestor of `path` that `uid` (not owning it) may not traverse, if any."""
    parts = os.path.abspath(path).split(os.sep)[1:]
    for depth in range(1, len(parts) + 1):
        ancestor = os.sep + os.sep.join(parts[:depth])
        info = os.stat(ancestor)
        if not info.st_mode & stat.S_IXOTH and info.st_uid != uid:
            return ancestor
    return None


def _private_mounts() -> None:
    """A mount namespace of the worker's own: its mounts are invisible to the grader."""
    _ok(_libc.unshare(_CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)


def _scratch_quota(scratch: str, limits: Limits, owner: pwd.struct_passwd | None) -> None:
    """Cover the scratch dir with a tmpfs of `disk_bytes`: all files together fit in it."""
    ids = f",uid={owner.pw_uid},gid={owner.pw_gid}" if owner else ""
    _mount("tmpfs", scratch, "tmpfs", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC,
           f"mode=700,size={limits.disk_bytes}{ids}")


def _expose_python(paths: list[str], uid: int) -> None:
    """In the private mount namespace, make `paths` reachable by `uid` (read-only bind mounts).

    Directories such as /root (0700) that hide them are covered by an empty tmpfs, so nothing
    else beneath them stays visible.
    """
    hidden = {path: _hidden_ancestor(path, uid) for path in paths}
    sources = {path: os.open(path, os.O_PATH | os.O_CLOEXEC) for path, top in hidden.items() if top}
    try:
        for top in sorted({top for top in hidden.values() if top}):
            _mount("tmpfs", top, "tmpfs", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, "mode=755,size=64k")
        for path, fd in sources.items():
            os.makedirs(path, exist_ok=True)
            _mount(f"/proc/self/fd/{fd}", path, None, _MS_BIND)
            _mount(None, path, None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV)
    finally:
        for fd in sources.values():
            os.close(fd)


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
    rules.update({"/etc/ld.so.cache": landlock.READ_FILE, "/dev/urandom": landlock.READ_FILE,
                  "/dev/null": landlock.READ_FILE | landlock.WRITE_FILE})
    rules[scratch] = landlock.READ_WRITE
    return rules


def lock_down(scratch: str, limits: Limits, keep_fds: set[int]) -> dict[str, str]:
    """Apply every layer this machine supports to the current process; return the report."""
    report: dict[str, str] = {}
    _close_other_fds(keep_fds)
    report["file_descriptors"] = "on"
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past RLIMIT_FSIZE fail with EFBIG
    paths = python_paths()

    nobody = _nobody()
    if os.geteuid() != 0:
        report["network"] = report["user"] = report["disk"] = "off: the grader does not run as root"
    elif nobody is None:
        report["user"] = "off: there is no user 'nobody'"
    if os.geteuid() == 0:
        try:
            _ok(_libc.unshare(_CLONE_NEWNET), "unshare(CLONE_NEWNET)")
            report["network"] = "on"
        except OSError as exc:
            report["network"] = f"off: {exc}"
        try:
            _private_mounts()
        except OSError as exc:
            report["disk"] = f"off: {exc}"
            if nobody is not None:
                report["user"] = f"off: {exc}"
                nobody = None
        else:
            try:
                _scratch_quota(scratch, limits, nobody)
                report["disk"] = "on"
            except OSError as exc:
                report["disk"] = f"off: {exc}"
        if nobody is not None:
            try:
                _expose_python(paths["stdlib"] + paths["numpy"], nobody.pw_uid)
            except OSError as exc:
                report["user"] = f"off: {exc}"
                nobody = None

    site = os.path.join(scratch, ".python")  # after the quota: the tmpfs hides what was there
    os.makedirs(site, exist_ok=True)
    for path in paths["numpy"]:
        os.symlink(path, os.path.join(site, os.path.basename(path)))

    try:
        _set_rlimits(limits)
        report["rlimits"] = "on"
    except (OSError, ValueError) as exc:
        report["rlimits"] = f"off: {exc}"

    if os.geteuid() == 0 and nobody is not None:
        os.setgroups([])
        os.setgid(nobody.pw_gid)
        os.setuid(nobody.pw_uid)
        report["user"] = "on"

    _ok(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
    report["no_new_privs"] = "on"

    abi = landlock.abi_version()
    why = "off: the kernel has no Landlock"
    try:
        if abi:
            report.update(landlock.restrict_self(_landlock_rules(scratch, paths), abi))
    except OSError as exc:
        why = f"off: {exc}"
    for layer in ("landlock_files", "landlock_tcp", "landlock_scopes"):
        report.setdefault(layer, why)

    stdlib = paths["stdlib"][0]
    sys.path[:] = [stdlib, os.path.join(stdlib, "lib-dynload"), site]
    sys.path_importer_cache.clear()
    sys.dont_write_bytecode = True
    os.chdir(scratch)
    return report


def _nobody() -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam("nobody")
    except KeyError:
        return None
