"""``benchmarks/pypy/pypy3`` without the root that ``setup`` builds says what to do, and fails."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wrapper_without_a_root_tells_you_to_run_setup(tmp_path: Path) -> None:
    env = {**os.environ, "LINGUALEAP_PYPY_ROOT": str(tmp_path / "none")}
    done = subprocess.run([str(ROOT / "benchmarks" / "pypy" / "pypy3"), "-c", "print(1)"],
                          env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert "run benchmarks/pypy/setup first" in done.stderr
    assert done.stdout == ""


def test_the_scripts_parse() -> None:
    for script in ("setup", "pypy3"):
        shell = "bash" if script == "setup" else "sh"
        done = subprocess.run([shell, "-n", str(ROOT / "benchmarks" / "pypy" / script)],
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
