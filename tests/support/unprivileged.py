"""The unprivileged user the sandbox tests run as, and the launchers that drop to it
(tests/test_sandbox_unprivileged.py, tests/test_isolation_attacks.py); holds no tests.

A launcher is Python for ``python -c``, with the arguments: the repository, the user's uid and
gid, then ``user-namespaces`` or ``no-user-namespaces`` (a seccomp filter then refuses them, as
Ubuntu 24.04's AppArmor or a container does). It makes the repository and the venv reachable in
a mount namespace of its own (read-only), drops to the user and runs what follows.
"""

from __future__ import annotations

import pwd
import subprocess

USER = "autograder-test"
_DROP_TO_THE_USER = """
import ctypes, os, sys
sys.path.insert(0, sys.argv[1])
from autograder.sandbox import namespaces
uid, gid = int(sys.argv[2]), int(sys.argv[3])
if ctypes.CDLL(None, use_errno=True).unshare(0x00020000) != 0:
    raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
namespaces.make_private()
namespaces.expose([sys.argv[1], sys.prefix, sys.base_prefix], uid)
if sys.argv[4] == "no-user-namespaces":
    import errno, pyseccomp
    refuse = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
    for call in ("unshare", "clone"):
        refuse.add_rule(pyseccomp.ERRNO(errno.EPERM), call,
                        pyseccomp.Arg(0, pyseccomp.MASKED_EQ, 0x10000000, 0x10000000))
    refuse.add_rule(pyseccomp.ERRNO(errno.ENOSYS), "clone3")
    refuse.load()
os.setgroups([])
os.setresgid(gid, gid, gid)
os.setresuid(uid, uid, uid)
"""
#: Then pytest, with the arguments after the fourth.
LAUNCH_PYTEST = _DROP_TO_THE_USER + (
    'os.execv(sys.executable, [sys.executable, "-m", "pytest", *sys.argv[5:]])\n')
#: Then the Python code of the fifth argument.
LAUNCH_CODE = _DROP_TO_THE_USER + "os.execv(sys.executable, [sys.executable, '-c', sys.argv[5]])\n"


def unprivileged_user() -> pwd.struct_passwd:
    """USER, made a system user first if there is none."""
    try:
        return pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        USER], check=True, capture_output=True)
        return pwd.getpwnam(USER)
