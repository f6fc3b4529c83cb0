"""``pip install .`` ships what the server needs at run time: word banks, web client, plugin."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from support.processes import ROOT


def test_the_wheel_contains_the_data_the_server_loads(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    wheel = next(tmp_path.glob("lingualeap-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("lingualeap/words/data/french.json", "lingualeap/words/data/spanish.json",
                   "lingualeap/words/data/LICENSE.md", "lingualeap/web/index.html", "lingualeap/web/app.js",
                   "twisted/plugins/lingualeap_plugin.py"):
        assert needed in names, needed
    assert not any(name.startswith("twisted/plugins/__init__") for name in names)
