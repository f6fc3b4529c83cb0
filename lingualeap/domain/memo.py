"""Remembering the results of pure functions of one argument, up to a bound."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

_K = TypeVar("_K", bound=Hashable)
_V = TypeVar("_V")


def remembered(compute: Callable[[_K], _V], keep: int = 4096) -> Callable[[_K], _V]:
    """``compute`` with its first ``keep`` results kept (an argument seen later is computed
    each time). A plain dict: ``functools.lru_cache`` is written in Python on PyPy, where it cost
    more than it saved on the hot path."""
    kept: dict[_K, _V] = {}

    def remember(key: _K) -> _V:
        value = kept.get(key)
        if value is None:
            value = compute(key)
            if len(kept) < keep:
                kept[key] = value
        return value

    return remember
