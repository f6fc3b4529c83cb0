"""Interpreter settings of a server process (lingualeap.app.runtime)."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest
from twisted.logger import LogLevel, capturedLogs, formatEvent

from lingualeap.app.runtime import PYPY_JIT_PARAMS, PYPY_JIT_VARIABLE, tune_pypy_jit


@pytest.mark.skipif(not hasattr(gc, "freeze"), reason="gc.freeze is CPython's (PyPy's branch is tested below)")
def test_cpython_freezes_what_start_up_built() -> None:
    # In a child: freezing this test process would change every later test's collections.
    code = ("import gc; from lingualeap.app.runtime import tune_for_serving; "
            "before = gc.get_freeze_count(); tune_for_serving(); print(before, gc.get_freeze_count())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    before, after = map(int, out.stdout.split())
    assert before == 0 and after > 1000


def test_pypy_jit_waits_for_more_guard_failures_by_default() -> None:
    calls: list[str] = []
    assert tune_pypy_jit(calls.append, {})
    assert calls == [PYPY_JIT_PARAMS] == ["trace_eagerness=1000"]


def test_pypy_jit_parameters_can_be_replaced_or_left_alone() -> None:
    calls: list[str] = []
    assert tune_pypy_jit(calls.append, {PYPY_JIT_VARIABLE: "decay=10"})
    assert tune_pypy_jit(calls.append, {PYPY_JIT_VARIABLE: ""})
    assert calls == ["decay=10"]


def test_parameters_pypy_refuses_are_logged_and_the_server_starts_anyway() -> None:
    def refuse(params: str) -> None:
        raise ValueError("error in JIT parameters string")  # what pypyjit.set_param raises

    with capturedLogs() as events:
        assert not tune_pypy_jit(refuse, {PYPY_JIT_VARIABLE: "trace_eagerness=lots"})
    warnings = [formatEvent(e) for e in events if e["log_level"] == LogLevel.warn]
    assert len(warnings) == 1 and "trace_eagerness=lots" in warnings[0] and PYPY_JIT_VARIABLE in warnings[0]
