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
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from support.unprivileged import LAUNCH_PYTEST, unprivileged_user

REPOSITORY = Path(__file__).resolve().parents[1]
#: The slow tests (timeouts: the grader's own timers) run as root, at each Landlock level.
SUITES = ["tests/test_sandbox.py", "tests/test_sandbox_exploits.py",
          "tests/test_isolation_hosts.py", "tests/test_sandbox_zygote.py", "-m", "not slow"]
#: Without user namespaces: the attacks, the report and honest work of the host isolation tests.
ATTACKS = ["tests/test_isolation_hosts.py", "tests/test_sandbox_zygote.py", "-k",
           "cannot or x32 or alone or full_marks or effective or zygote"]


@pytest.mark.skipif(os.geteuid() != 0,
                    reason="already unprivileged: this run is the unprivileged one")
@pytest.mark.parametrize("host, tests",
                         [("user-namespaces", SUITES), ("no-user-namespaces", ATTACKS)])
def test_the_sandbox_suites_pass_as_an_unprivileged_user(host, tests):
    user = unprivileged_user()
    home = tempfile.mkdtemp(prefix="autograder-test-home-")
    os.chown(home, user.pw_uid, user.pw_gid)
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
           "AUTOGRADER_TEST_LANDLOCK_LEVELS": "native", "COLUMNS": "120"}
    try:
        done = subprocess.run(
            [sys.executable, "-c", LAUNCH_PYTEST, str(REPOSITORY), str(user.pw_uid),
             str(user.pw_gid), host, "-q", "-p", "no:cacheprovider", *tests],
            cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=600, check=False)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(done.stdout[-2000:])
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]
    assert " passed" in done.stdout.splitlines()[-1]
