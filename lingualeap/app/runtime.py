"""Interpreter settings for a long-running server process, applied once it serves.

- CPython: ``gc.freeze()`` leaves everything built at start-up (word banks, modules) out of the
  collector's full collections, whose pauses were the latency tail under load.
- PyPy: the JIT compiles a bridge for a guard after it failed 200 times. A game server keeps
  meeting new combinations (words, guesses, room states) for minutes, and compiling them paused
  the server for 3–17 ms, a few times a second at 2,000 guesses/s: that was PyPy's p99 there
  (5.9–6.6 ms). Waiting for 1,000 failures took it to 3.5–4.5 ms, for a few per cent more CPU.
  ``$LINGUALEAP_PYPY_JIT`` replaces these parameters (empty: PyPy's own defaults).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Mapping

from twisted.logger import Logger

__all__ = ["PYPY_JIT_PARAMS", "PYPY_JIT_VARIABLE", "tune_for_serving", "tune_pypy_jit"]

PYPY_JIT_PARAMS = "trace_eagerness=1000"
PYPY_JIT_VARIABLE = "LINGUALEAP_PYPY_JIT"

log = Logger()


def tune_for_serving(environ: Mapping[str, str] = os.environ) -> None:
    """Apply the settings for this interpreter, and log what was done."""
    if hasattr(gc, "freeze"):
        gc.collect()
        gc.freeze()
        log.info("interpreter: start-up objects frozen out of the garbage collector")
        return
    try:
        import pypyjit  # PyPy only
    except ImportError:
        return
    tune_pypy_jit(pypyjit.set_param, environ)


def tune_pypy_jit(set_param: Callable[[str], None], environ: Mapping[str, str]) -> bool:
    """Set the JIT's parameters from ``$LINGUALEAP_PYPY_JIT`` or ours; ``False`` if refused."""
    params = environ.get(PYPY_JIT_VARIABLE, PYPY_JIT_PARAMS)
    if not params:
        log.info("interpreter: PyPy's JIT at its defaults")
        return True
    try:
        set_param(params)
    except ValueError:
        # A tuning knob set wrong should not keep a server from starting.
        log.warn("interpreter: PyPy refused JIT parameters {params!r} from ${variable}; "
                 "its defaults stay", params=params, variable=PYPY_JIT_VARIABLE)
        return False
    log.info("interpreter: PyPy's JIT set to {params}", params=params)
    return True
