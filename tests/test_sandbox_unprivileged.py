"""The sandbox suites once more as a user that is not root, as on a GitHub runner or a laptop.

CI runs as root, so this test makes a system user and runs the sandbox, exploit and host
isolation tests (all but the slow ones) as that user, at the kernel's own Landlock ABI: once
where the kernel grants it a user namespace (as here), and the attacks once more where it does
not (Ubuntu 24.04's AppArmor, a Docker container: a seccomp filter in the launcher refuses them).
The repository and the venv may live under a private home (/root, 0700): the launcher makes them
reachable in a mount namespace of its own (read-only), drops to the user, and starts pytest.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
USER = "autograder-test"
#: The slow tests (timeouts: the grader's own timers) run as root, at each Landlock level.
SUITES = ["tests/test_sandbox.py", "tests/test_sandbox_exploits.py",
          "tests/test_isolation_hosts.py", "tests/test_sandbox_zygote.py", "-m", "not slow"]
#: Without user namespaces: the attacks, the report and honest work of the host isolation tests.
ATTACKS = ["tests/test_isolation_hosts.py", "tests/test_sandbox_zygote.py", "-k",
           "cannot or x32 or alone or full_marks or effective or zygote"]
LAUNCH = """
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
os.execv(sys.executable, [sys.executable, "-m", "pytest", *sys.argv[5:]])
"""


def _user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        USER], check=True, capture_output=True)
        return pwd.getpwnam(USER)


@pytest.mark.skipif(os.geteuid() != 0,
                    reason="already unprivileged: this run is the unprivileged one")
@pytest.mark.parametrize("host, tests",
                         [("user-namespaces", SUITES), ("no-user-namespaces", ATTACKS)])
def test_the_sandbox_suites_pass_as_an_unprivileged_user(host, tests):
    user = _user()
    home = tempfile.mkdtemp(prefix="autograder-test-home-")
    os.chown(home, user.pw_uid, user.pw_gid)
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
           "AUTOGRADER_TEST_LANDLOCK_LEVELS": "native", "COLUMNS": "120"}
    try:
        done = subprocess.run(
            [sys.executable, "-c", LAUNCH, str(REPOSITORY), str(user.pw_uid), str(user.pw_gid),
             host, "-q", "-p", "no:cacheprovider", *tests],
            cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=600, check=False)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(done.stdout[-2000:])
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]
    assert " passed" in done.stdout.splitlines()[-1]
