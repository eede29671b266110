"""The autograder zip of ``autograder gradescope build``, unpacked and run the way Gradescope runs
it (tests/test_packaging_gradescope.py, tests/test_security_reading.py); holds no tests."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

from click.testing import CliRunner

from autograder.cli import main
from autograder.packaging import results_errors

#: This project's venv: on PATH, it stands for the one Gradescope's setup.sh would install.
VENV_BIN = Path(sys.executable).parent


def build(assignment: str, output: Path, *args: str) -> Path:
    """``autograder gradescope build assignment --output output``; the zip."""
    result = CliRunner().invoke(
        main, ["gradescope", "build", assignment, "--output", str(output), *args])
    assert result.exit_code == 0, result.output
    return output


def mode(info: zipfile.ZipInfo) -> int:
    return info.external_attr >> 16


def unpack(bundle: Path, root: Path) -> Path:
    """Unzip into ``root/source`` keeping the modes, as Gradescope does; returns ``root``."""
    with zipfile.ZipFile(bundle) as archive:
        for info in archive.infolist():
            path = Path(archive.extract(info, root / "source"))
            path.chmod(stat.S_IMODE(mode(info)))
    return root


def run_autograder(root: Path, path: str) -> subprocess.CompletedProcess:
    env = {"PATH": path, "AUTOGRADER_ROOT": str(root), "HOME": str(root), "LANG": "C.UTF-8"}
    return subprocess.run(
        [str(root / "source" / "run_autograder")],
        check=False, env=env, capture_output=True, text=True, timeout=300,
    )


def results_of(root: Path) -> dict:
    """The results.json run_autograder left, checked against Gradescope's specification."""
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert results_errors(results) == []
    return results
