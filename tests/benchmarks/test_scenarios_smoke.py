"""Every benchmark scenario runs end to end for a few seconds at tiny load, so the tooling
cannot rot. No timing assertions: only that each run produced well-formed result rows with
connections and traffic. Rows go to a temporary results file, never benchmarks/RESULTS.md.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "benchmarks" / "run.py"

SCENARIOS = [
    ("single", "ws", ()),
    ("single-redis", "ws", ("redis-server",)),
    ("cluster", "ws", ("redis-server", "haproxy")),
    ("idle", "ws", ()),
    ("matchmaking", "ws", ("redis-server",)),
    ("echo-baseline", "ws", ()),
    ("echo-baseline", "socketio", ()),
]


def _missing(binaries: tuple[str, ...]) -> list[str]:
    return [b for b in binaries if not (shutil.which(b) or Path("/usr/sbin", b).exists() or Path("/usr/bin", b).exists())]


@pytest.mark.slow
@pytest.mark.timeout(90)
@pytest.mark.parametrize(("scenario", "transport", "needs"), SCENARIOS,
                         ids=[f"{s}-{t}" for s, t, _ in SCENARIOS])
def test_scenario_runs_and_records_a_row(tmp_path: Path, scenario: str, transport: str, needs: tuple[str, ...]) -> None:
    missing = _missing(needs)
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed")
    results = tmp_path / "RESULTS.md"
    out = tmp_path / "result.json"
    real = ROOT / "benchmarks" / "RESULTS.md"
    real_before = real.read_bytes() if real.exists() else None
    done = subprocess.run(
        [sys.executable, str(RUN), scenario, "--smoke", "--transport", transport, "--results", str(results),
         "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=80,
    )
    assert done.returncode == 0, f"stdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-5000:]}"

    recorded = json.loads(out.read_text())
    rows, report = recorded["rows"], recorded["report"]
    assert rows, report
    from benchmarks.run import COLUMNS  # noqa: PLC0415 - the file's own column list

    for row in rows:
        assert set(COLUMNS) <= set(row), row
        assert row["scenario"].startswith(scenario)
        assert row["commit"] and row["date (UTC)"] and row["machine"]
        assert int(row["conns"]) > 0, report
    connections = report["connections"]
    assert connections["connected"] == connections["attempted"] > 0, connections
    if scenario == "idle":
        assert report["idle"]["held"] > 0
    elif scenario == "matchmaking":
        match = report["matchmaking"]
        assert match["matched"] > 0 and match["matched_twice"] == 0, match
    else:
        step = report["steps"][0]
        assert step["sent"] > 0 and step["answered"] > 0, step
        assert step["latency_ms"]["count"] == step["answered"]

    table = results.read_text()
    assert table.count("\n| ") == len(rows) + 1  # the header row, then one row per result
    assert (real.read_bytes() if real.exists() else None) == real_before, "the real RESULTS.md was written"
