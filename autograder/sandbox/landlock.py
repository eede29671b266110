"""Landlock (Linux >= 5.13) through raw syscalls: the worker confines its own file and network
access.

Rules follow <linux/landlock.h>; every right the running ABI knows is handled, so whatever is not
granted below is denied.
"""

from __future__ import annotations

import ctypes
import os
import stat

ABI_VARIABLE = "AUTOGRADER_LANDLOCK_ABI"  # caps the ABI the worker uses, to test older kernels
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446  # same numbers on every architecture
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH, _RULE_NET_PORT = 1, 2

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK = 1 << 8, 1 << 9, 1 << 10, 1 << 11
MAKE_SYM, REFER, TRUNCATE, IOCTL_DEV = 1 << 12, 1 << 13, 1 << 14, 1 << 15
FILE_ONLY_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
READ = READ_FILE | READ_DIR
READ_WRITE = (READ | WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE_DIR | MAKE_REG | MAKE_SOCK
              | MAKE_FIFO | MAKE_SYM | REFER | TRUNCATE)
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def abi_version() -> int:
    """The kernel's Landlock ABI version, 0 when Landlock is missing or disabled."""
    version = _libc.syscall(_CREATE_RULESET, None, ctypes.c_size_t(0),
                            ctypes.c_uint32(_CREATE_RULESET_VERSION))
    return max(version, 0)


def effective_abi() -> tuple[int, int]:
    """(the ABI the worker uses, the kernel's): the kernel's, capped by AUTOGRADER_LANDLOCK_ABI."""
    kernel = abi_version()
    text = os.environ.get(ABI_VARIABLE, "").strip()
    if text and not text.isdigit():
        raise ValueError(f"{ABI_VARIABLE} must be a whole number >= 0, not {text!r}")
    return (min(int(text), kernel) if text else kernel), kernel


def off_reasons(abi: int, kernel: int) -> dict[str, str]:
    """Landlock layer -> "off: why" for each layer that ABI `abi` cannot provide."""
    if abi == kernel:
        phrase = f"the kernel has Landlock ABI {kernel}"
    else:
        phrase = (f"the worker uses Landlock ABI {abi} ({ABI_VARIABLE}={abi}; "
                  f"the kernel has ABI {kernel})")
    if abi == 0:
        why = "off: the kernel has no Landlock" if kernel == 0 else f"off: {phrase}"
        return dict.fromkeys(("landlock_files", "landlock_tcp", "landlock_scopes"), why)
    needs = {"landlock_tcp": 4, "landlock_scopes": 6}
    return {layer: f"off: needs Landlock ABI {least}; {phrase}"
            for layer, least in needs.items() if abi < least}


def _handled_fs(abi: int) -> int:
    rights = (1 << 13) - 1
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


def _check(result: int, what: str) -> int:
    if result < 0:
        raise OSError(ctypes.get_errno(), f"landlock {what}: {os.strerror(ctypes.get_errno())}")
    return result


def restrict_self(rules: dict[str, int], abi: int) -> None:
    """Allow only `rules` (path -> rights, beneath it), deny TCP and cross-domain IPC as far as
    `abi` (at least 1) knows them.

    Needs no_new_privs (or CAP_SYS_ADMIN). Applies to the calling thread and its future children;
    call it while the process has a single thread. Paths that do not exist are skipped.
    """
    handled = _handled_fs(abi)
    attr = _RulesetAttr(handled_access_fs=handled)
    size = 8
    if abi >= 4:
        attr.handled_access_net, size = _NET_BIND_TCP | _NET_CONNECT_TCP, 16
    if abi >= 6:
        attr.scoped, size = _SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL, 24
    ruleset = _check(_libc.syscall(_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size),
                                   ctypes.c_uint32(0)), "create_ruleset")
    try:
        for path, rights in rules.items():
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                allowed = rights & handled
                if not stat.S_ISDIR(os.fstat(fd).st_mode):
                    allowed &= FILE_ONLY_RIGHTS
                rule = _PathBeneathAttr(allowed_access=allowed, parent_fd=fd)
                _check(_libc.syscall(_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule),
                                     ctypes.c_uint32(0)), f"add_rule {path}")
            finally:
                os.close(fd)
        _check(_libc.syscall(_RESTRICT_SELF, ruleset, ctypes.c_uint32(0)), "restrict_self")
    finally:
        os.close(ruleset)
