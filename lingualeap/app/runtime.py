"""Interpreter settings for a long-running server process, applied once it serves.

- CPython: ``gc.freeze()`` leaves everything built at start-up (word banks, modules) out of the
  collector's full collections, whose pauses were the latency tail under load.
- PyPy: the JIT compiles a bridge for a guard after it failed 200 times. A game server keeps
  meeting new combinations (words, guesses, room states) for minutes, and compiling them paused
  the server for 3–17 ms, a few times a second at 2,000 guesses/s: that was PyPy's p99 there
  (5.9–6.6 ms). Waiting for 1,000 failures took it to 4.0–4.5 ms, for a few per cent more CPU.
  ``$LINGUALEAP_PYPY_JIT`` replaces these parameters (empty: PyPy's own defaults).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Mapping

__all__ = ["PYPY_JIT_PARAMS", "PYPY_JIT_VARIABLE", "tune_for_serving", "tune_pypy_jit"]

PYPY_JIT_PARAMS = "trace_eagerness=1000"
PYPY_JIT_VARIABLE = "LINGUALEAP_PYPY_JIT"


def tune_for_serving(environ: Mapping[str, str] = os.environ) -> str:
    """Apply the settings for this interpreter; says what was done, for the log."""
    if hasattr(gc, "freeze"):
        gc.collect()
        gc.freeze()
        return "start-up objects frozen out of the garbage collector"
    try:
        import pypyjit  # PyPy only
    except ImportError:
        return "no interpreter settings for this interpreter"
    return tune_pypy_jit(pypyjit.set_param, environ)


def tune_pypy_jit(set_param: Callable[[str], None], environ: Mapping[str, str]) -> str:
    params = environ.get(PYPY_JIT_VARIABLE, PYPY_JIT_PARAMS)
    if not params:
        return "PyPy's JIT at its defaults"
    set_param(params)
    return f"PyPy's JIT set to {params}"
