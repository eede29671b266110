"""A seccomp filter: the system calls that reach other processes or the host fail with EPERM.

It holds on every kernel the grader runs on (seccomp filters date from Linux 3.5) and whatever
Landlock offers: no signal, ptrace or memory access to any process but the worker itself; no
sockets (no UNIX socket by path, no UDP, no raw sockets); no keyring; no SysV or POSIX IPC; no new
namespaces, mounts, io_uring (whose requests would bypass this filter), BPF or perf events.

Built with libseccomp (through `pyseccomp`, a ctypes binding of the system's libseccomp2), which
compiles the names to each architecture's numbers. Everything not listed is allowed (NumPy and
the standard library need much); a system call of another ABI than the native one (i386 or x32
on x86_64, AArch32 on AArch64) kills the worker, so the numbers cannot be dodged.
"""

from __future__ import annotations

import errno

try:
    import pyseccomp
except (ImportError, OSError, RuntimeError) as error:  # RuntimeError: libseccomp2 is missing
    pyseccomp = None
    UNAVAILABLE: str | None = f"off: libseccomp cannot be loaded ({error})"
else:
    UNAVAILABLE = None

_DENIED = (
    # other processes
    "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "kcmp", "pidfd_open",
    "pidfd_getfd", "pidfd_send_signal", "migrate_pages", "move_pages", "setpriority",
    "ioprio_set",
    # the host's IPC: sockets of every family, keyrings, SysV IPC, POSIX message queues
    "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4", "sendto",
    "sendmsg", "sendmmsg", "keyctl", "add_key", "request_key", "shmget", "shmat", "shmctl",
    "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop", "semtimedop", "semctl", "mq_open",
    "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
    # undoing the worker's own confinement
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    # kernel interfaces a grader never needs, and memory outside RLIMIT_AS
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "memfd_create", "memfd_secret",
    # kernel memory outside every rlimit: extended attributes, POSIX timers
    "setxattr", "lsetxattr", "fsetxattr", "setxattrat", "timer_create",
    # the machine itself, for a worker that kept capabilities (defence in depth)
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot",
    "swapon", "swapoff", "iopl", "ioperm", "settimeofday", "clock_settime", "clock_adjtime",
    "adjtimex", "acct", "quotactl", "syslog", "open_by_handle_at", "mknod", "mknodat",
)
#: Signals: allowed only when the first argument (pid / tgid) is the worker's own pid.
_OWN_PID_ONLY = ("kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo")
#: CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET (NEWTIME exists only for
#: unshare and clone3, both refused).
_NEW_NAMESPACES = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000,
                   0x40000000)
_F_SETOWN, _F_SETOWN_EX = 8, 15  # SIGIO to another process
#: TIOCSTI, TIOCLINUX, TIOCSPGRP, FIOSETOWN, SIOCSPGRP
_IOCTLS = (0x5412, 0x541C, 0x5410, 0x8901, 0x8902)
#: Calls added since Linux 5.1 have one number on every architecture: used where an older
#: libseccomp does not know the name yet.
_SINCE_5_1 = {"pidfd_send_signal": 424, "io_uring_setup": 425, "io_uring_enter": 426,
              "io_uring_register": 427, "open_tree": 428, "move_mount": 429, "fsopen": 430,
              "fsconfig": 431, "fsmount": 432, "fspick": 433, "pidfd_open": 434, "clone3": 435,
              "pidfd_getfd": 438, "process_madvise": 440, "mount_setattr": 442, "memfd_secret": 447,
              "setxattrat": 463}
_PERSONALITY_QUERY = 0xFFFFFFFF
_LOW_32 = 0xFFFFFFFF  # int arguments: the kernel reads only their low 32 bits


def _number(name: str) -> int | str | None:
    """The call to name in a rule; None for one this architecture does not have (iopl on arm)."""
    known = pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, name) != -1  # -1: name unknown
    return name if known else _SINCE_5_1.get(name)


def restrict_self(own_pid: int) -> None:
    """Load the filter into the calling (single-threaded) process; it has no_new_privs already."""
    if pyseccomp is None:
        raise OSError(errno.ENOSYS, UNAVAILABLE)
    deny = pyseccomp.ERRNO(errno.EPERM)
    arg = pyseccomp.Arg
    rules = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
    rules.set_attr(pyseccomp.Attr.ACT_BADARCH, pyseccomp.KILL_PROCESS)
    for name in _DENIED:
        if (number := _number(name)) is not None:
            rules.add_rule(deny, number)
    for name in _OWN_PID_ONLY:
        rules.add_rule(deny, name, arg(0, pyseccomp.NE, own_pid))
    rules.add_rule(deny, "prlimit64", arg(0, pyseccomp.NE, 0))
    rules.add_rule(deny, "personality", arg(0, pyseccomp.NE, _PERSONALITY_QUERY))
    for flag in _NEW_NAMESPACES:
        rules.add_rule(deny, "clone", arg(0, pyseccomp.MASKED_EQ, flag, flag))
    # clone3 passes its flags behind a pointer, out of the filter's sight: refused as missing,
    # the C library falls back to clone.
    rules.add_rule(pyseccomp.ERRNO(errno.ENOSYS), _number("clone3"))
    for command in (_F_SETOWN, _F_SETOWN_EX):
        rules.add_rule(deny, "fcntl", arg(1, pyseccomp.MASKED_EQ, _LOW_32, command))
    for request in _IOCTLS:
        rules.add_rule(deny, "ioctl", arg(1, pyseccomp.MASKED_EQ, _LOW_32, request))
    rules.load()
