"""Namespaces of the worker's own, so that its isolation does not rest on the newest Landlock.

As root the worker unshares them itself; as any other user it first asks for a user namespace
that maps only its own uid (most kernels allow one; Ubuntu's AppArmor may refuse it, and then each
namespace is reported off with the reason).

With a PID namespace the worker forks twice, and the process tree is

    grader -> keeper  (the process the grader started, in the grader's PID namespace)
           -> init    (PID 1 of the new namespace)
           -> worker  (PID 2: locks itself down, then runs the student's code)

The keeper waits for init and passes the worker's exit status up as its own, so the grader still
reads crashes and CPU kills from it. Init reaps orphans; when it exits, the kernel kills every
process left in the namespace, setsid daemons included. The worker cannot be PID 1 itself: the
kernel drops the signals PID 1 sends itself without a handler, so `os.kill(os.getpid(),
signal.SIGSEGV)` would not end it.

In its mount namespace the worker then gets a root of its own (`build_root`, `enter_root`): a
small read-only tmpfs with read-only binds of what Landlock would let it read (the stdlib, NumPy,
the system libraries, /dev/null, /dev/urandom), its scratch dir and its /proc. Files stay out of
reach, and nothing can be written but the scratch dir, on kernels without Landlock too.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import signal
import stat
import struct
from typing import NoReturn

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
NAMESPACES = {"mount": 0x00020000, "network": 0x40000000, "ipc": 0x08000000, "pid": 0x20000000}
_CLONE_NEWUSER = 0x10000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 32, 4096, 16384, 1 << 18
_MS_NOATIME, _MS_NODIRATIME, _MS_RELATIME = 1024, 2048, 1 << 21
#: statvfs flag -> mount flag, for the flags a user namespace may not drop from a bind mount.
_KEPT_FLAGS = {os.ST_NODEV: _MS_NODEV, os.ST_NOEXEC: _MS_NOEXEC, os.ST_NOATIME: _MS_NOATIME,
               os.ST_NODIRATIME: _MS_NODIRATIME, os.ST_RELATIME: _MS_RELATIME}
_MNT_DETACH = 2
_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41}
_PR_SET_DUMPABLE = 4
_PR_SET_NO_NEW_PRIVS = 38
_CAPABILITY_VERSION_3 = 0x20080522
_STATUS = struct.Struct("<i")


def _ok(result: int, what: str) -> None:
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int,
           data: str | None = None):
    def encode(text: str | None) -> bytes | None:
        return None if text is None else text.encode()

    _ok(_libc.mount(encode(source), encode(target), encode(fstype), ctypes.c_ulong(flags),
                    encode(data)), f"mount {target}")


def enter() -> dict[str, str]:
    """Unshare every namespace this host allows: kind (mount, network, ipc, pid) -> on / off: why.

    The PID namespace holds only the children forked after this (see `split_off_init`).
    """
    if os.geteuid() == 0:
        state = {}
        for kind, flag in NAMESPACES.items():
            try:
                _ok(_libc.unshare(flag), f"unshare({kind} namespace)")
                state[kind] = "on"
            except OSError as exc:
                state[kind] = f"off: {exc}"
        return state
    uid, gid = os.geteuid(), os.getegid()
    try:
        _ok(_libc.unshare(_CLONE_NEWUSER | sum(NAMESPACES.values())), "unshare")
    except OSError as exc:
        why = ("off: the grader is not root and this host refuses it a user namespace "
               f"({exc.strerror})")
        return dict.fromkeys(NAMESPACES, why)
    try:
        # A process that is not dumpable has root's /proc/self: dumpable only for these writes
        # (the worker boots undumpable, so a worker of the same uid cannot open its memory).
        set_dumpable(True)
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                           ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as file:
                file.write(text)
    except OSError as exc:
        set_dumpable(False)
        why = f"off: the user namespace could not map the grader's uid ({exc.strerror})"
        return dict.fromkeys(NAMESPACES, why)
    set_dumpable(False)
    return dict.fromkeys(NAMESPACES, "on")


def split_off_init(close: set[int]) -> None:
    """Fork init and the worker into the new PID namespace; returns only in the worker.

    `close` are descriptors (the progress pipe) that only the worker may hold: the grader reads
    end-of-file on them as soon as the worker is gone.
    """
    status_r, status_w = os.pipe()
    init = os.fork()
    if init:
        os.close(status_w)
        _keep(init, status_r, close)
    os.close(status_r)
    worker = os.fork()
    if worker:
        _init(worker, status_w, close)
    os.close(status_w)


def _keep(init: int, status_r: int, close: set[int]) -> NoReturn:
    """The keeper: wait for init, then end exactly as the worker ended."""
    for fd in close:
        os.close(fd)
    _, init_status = os.waitpid(init, 0)
    data = os.read(status_r, _STATUS.size)
    status = _STATUS.unpack(data)[0] if len(data) == _STATUS.size else init_status
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        set_dumpable(False)  # no core dump of the keeper either
        if number not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(number, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {number})
        os.kill(os.getpid(), number)
        os._exit(128 + number)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def _init(worker: int, status_w: int, close: set[int]) -> NoReturn:
    """PID 1 of the namespace: reap every orphan until the worker ends, then tell the keeper."""
    for fd in close:
        os.close(fd)
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # PID 1 gets only the signals it handles
    set_dumpable(False)  # the worker may not read init's /proc files
    status = 1 << 8
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        if pid == worker:
            break
    os.write(status_w, _STATUS.pack(status))
    os._exit(0)  # the kernel now kills whatever is left in the namespace


def make_private() -> None:
    """Mounts made from now on stay in the worker's mount namespace."""
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)


def _bind_read_only(source: str, target: str) -> None:
    _mount(source, target, None, _MS_BIND | _MS_REC)
    kept = os.statvfs(source).f_flag
    flags = sum(flag for bit, flag in _KEPT_FLAGS.items() if kept & bit)
    _mount(None, target, None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | flags)


def bind(source: str, target: str) -> None:
    """`source` also at `target`, writable."""
    _mount(source, target, None, _MS_BIND)


def build_root(top: str, paths: list[str], hidden: list[str], scratch: str) -> None:
    """At `top`, an empty tmpfs with read-only binds of `paths` (at the same paths beneath it),
    empty, read-only `hidden` directories over what the binds would show of those, and an empty
    directory at `scratch` for the scratch dir to be mounted on.

    Symbolic links among `paths` (/lib -> usr/lib) are copied as links. See `enter_root`.
    """
    _mount("tmpfs", top, "tmpfs", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, "mode=755,size=1m")
    umask = os.umask(0o022)  # every directory on the way may be traversed by the worker's uid
    try:
        _fill_root(top, paths, hidden)
    finally:
        os.umask(umask)
    os.makedirs(top + scratch, exist_ok=True)


def _fill_root(top: str, paths: list[str], hidden: list[str]) -> None:
    for path in paths:
        target = top + path
        if os.path.islink(path):
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if not os.path.lexists(target):
                os.symlink(os.readlink(path), target)
            continue
        if os.path.isdir(path):
            os.makedirs(target, exist_ok=True)
        elif os.path.exists(path):
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if not os.path.exists(target):
                os.close(os.open(target, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o444))
        else:
            continue
        _bind_read_only(path, target)
    for path in hidden:
        if os.path.isdir(top + path):
            _mount("tmpfs", top + path, "tmpfs", _MS_RDONLY | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC,
                   "mode=555,size=4k")


def enter_root(top: str) -> None:
    """Make `top` (built by `build_root`) the root; the old root goes, and the new one turns
    read-only. Descriptors opened before stay valid."""
    machine = os.uname().machine
    if machine not in _PIVOT_ROOT:
        raise OSError(errno.ENOSYS, f"pivot_root: no system call number known for {machine}")
    os.chdir(top)
    _ok(_libc.syscall(ctypes.c_long(_PIVOT_ROOT[machine]), b".", b"."), "pivot_root")
    _ok(_libc.umount2(b".", _MNT_DETACH), "umount the old root")
    os.chdir("/")
    _mount(None, "/", None,
           _MS_BIND | _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)


def mount_proc(at: str = "/proc") -> None:
    """A /proc of the worker's own PID namespace: it lists the worker's processes only."""
    os.makedirs(at, exist_ok=True)
    _mount("proc", at, "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC)


def hide_shm() -> None:
    """An empty, read-only /dev/shm: the host's POSIX shared memory is out of sight."""
    if os.path.isdir("/dev/shm"):
        _mount("tmpfs", "/dev/shm", "tmpfs", _MS_RDONLY | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC,
               "mode=555,size=4k")


#: Files in the scratch tmpfs: an empty file costs kernel memory but no bytes of `size`.
SCRATCH_INODES = 16384


def scratch_quota(scratch: str, size: int, owner: int | None) -> None:
    """Cover the scratch dir with a tmpfs of `size` bytes owned by `owner`: all files fit in it."""
    ids = f",uid={owner},gid={owner}" if owner is not None else ""
    _mount("tmpfs", scratch, "tmpfs", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC,
           f"mode=700,size={size},nr_inodes={SCRATCH_INODES}{ids}")


def hidden_ancestor(path: str, uid: int) -> str | None:
    """The topmost ancestor of `path` that `uid` (not owning it) may not traverse, if any."""
    parts = os.path.abspath(path).split(os.sep)[1:]
    for depth in range(1, len(parts) + 1):
        ancestor = os.sep + os.sep.join(parts[:depth])
        info = os.stat(ancestor)
        if not info.st_mode & stat.S_IXOTH and info.st_uid != uid:
            return ancestor
    return None


def expose(paths: list[str], uid: int) -> None:
    """In a private mount namespace, make `paths` reachable by `uid` (read-only bind mounts).

    Directories such as /root (0700) that hide them are covered by an empty tmpfs, so nothing
    else beneath them stays visible.
    """
    hidden = {path: hidden_ancestor(path, uid) for path in paths}
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


def drop_capabilities() -> None:
    """Give up the capabilities a user namespace granted (capset with empty sets)."""
    header = (ctypes.c_uint32 * 2)(_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()
    _ok(_libc.capset(ctypes.byref(header), ctypes.byref(data)), "capset")


def set_dumpable(dumpable: bool) -> None:
    """Not dumpable: processes of the same uid may not ptrace it or open its /proc files (memory,
    environ, fds), which then belong to root. A change of uid resets it to the host's
    fs.suid_dumpable, so the worker sets it again after taking its own uid."""
    _ok(_libc.prctl(_PR_SET_DUMPABLE, int(dumpable), 0, 0, 0), "prctl(PR_SET_DUMPABLE)")


def set_no_new_privs() -> None:
    """No exec may gain privileges again (setuid binaries, file capabilities): what Landlock and
    seccomp need before they apply, and what keeps them applied."""
    _ok(_libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
