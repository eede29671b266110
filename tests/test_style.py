"""The code base stays ruff-clean (STYLE.md: "ruff clean")."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing():
    ruff = Path(sys.executable).with_name("ruff")
    process = subprocess.run([str(ruff), "check", "--output-format", "concise", "."], cwd=REPO,
                             capture_output=True, text=True, check=False)
    assert process.returncode == 0, process.stdout[-3000:]
