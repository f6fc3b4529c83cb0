"""Latency histograms that merge across processes.

:class:`LogHistogram` is an HDR-like log-bucketed histogram of integer microseconds: exact below
256 µs, then 128 sub-buckets per power of two (every value is reported to within 0.8 %, as the
*highest* value of its bucket, like HdrHistogram's ``highestEquivalentValue``). It is plain
Python, so it works wherever the loadgen does. When the ``hdrhistogram`` package is installed
(``pip install .[bench]``), :func:`new_histogram` returns an :class:`HdrHistogramAdapter` with the
same interface (3 significant digits). Both travel between processes as ``to_wire()`` dicts.
"""

from __future__ import annotations

import os
from typing import Any, Protocol

SUB_BITS = 7
SUB = 1 << SUB_BITS  # 128 sub-buckets per power of two
EXACT = SUB * 2  # values below 256 are their own bucket
#: Largest recorded value (µs): an hour; anything above is clamped (and counted in ``max``).
HIGHEST = 3_600_000_000


class Histogram(Protocol):
    count: int

    def record(self, value_us: int) -> None: ...

    def percentile(self, p: float) -> int: ...

    @property
    def max(self) -> int: ...

    @property
    def mean(self) -> float: ...

    def merge_wire(self, wire: dict[str, Any]) -> None: ...

    def to_wire(self) -> dict[str, Any]: ...


def bucket_of(value: int) -> int:
    if value < EXACT:
        return value if value > 0 else 0
    shift = value.bit_length() - (SUB_BITS + 1)
    return EXACT + (shift - 1) * SUB + ((value >> shift) - SUB)


def highest_of(index: int) -> int:
    """The largest value that falls in bucket ``index``."""
    if index < EXACT:
        return index
    shift = (index - EXACT) // SUB + 1
    sub = (index - EXACT) % SUB + SUB
    return ((sub + 1) << shift) - 1


class LogHistogram:
    kind = "log"

    __slots__ = ("counts", "count", "_max", "_sum")

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.count = 0
        self._max = 0
        self._sum = 0

    def record(self, value_us: int) -> None:
        if value_us < 0:
            value_us = 0
        elif value_us > HIGHEST:
            value_us = HIGHEST
        index = value_us if value_us < EXACT else bucket_of(value_us)
        counts = self.counts
        counts[index] = counts.get(index, 0) + 1
        self.count += 1
        self._sum += value_us
        if value_us > self._max:
            self._max = value_us

    def percentile(self, p: float) -> int:
        if not self.count:
            return 0
        rank = max(1, int(round(p / 100.0 * self.count + 0.4999999)))
        seen = 0
        for index in sorted(self.counts):
            seen += self.counts[index]
            if seen >= rank:
                return min(highest_of(index), self._max)
        return self._max

    @property
    def max(self) -> int:
        return self._max

    @property
    def mean(self) -> float:
        return self._sum / self.count if self.count else 0.0

    def merge_wire(self, wire: dict[str, Any]) -> None:
        if wire.get("kind") != "log":
            raise ValueError(f"cannot merge a {wire.get('kind')!r} histogram into a log histogram")
        for index, n in wire["counts"]:
            self.counts[index] = self.counts.get(index, 0) + n
        self.count += wire["count"]
        self._sum += wire["sum"]
        self._max = max(self._max, wire["max"])

    def to_wire(self) -> dict[str, Any]:
        return {"kind": "log", "counts": sorted(self.counts.items()), "count": self.count,
                "sum": self._sum, "max": self._max}


class HdrHistogramAdapter:
    """The ``hdrhistogram`` package behind the same interface (1 µs .. 1 h, 3 significant digits)."""

    kind = "hdr"

    def __init__(self) -> None:
        from hdrh.histogram import HdrHistogram

        self._h = HdrHistogram(1, HIGHEST, 3)
        self.count = 0
        self._max = 0
        self._sum = 0

    def record(self, value_us: int) -> None:
        value_us = min(max(value_us, 1), HIGHEST)
        self._h.record_value(value_us)
        self.count += 1
        self._sum += value_us
        if value_us > self._max:
            self._max = value_us

    def percentile(self, p: float) -> int:
        return min(int(self._h.get_value_at_percentile(p)), self._max) if self.count else 0

    @property
    def max(self) -> int:
        return self._max

    @property
    def mean(self) -> float:
        return self._sum / self.count if self.count else 0.0

    def merge_wire(self, wire: dict[str, Any]) -> None:
        if wire.get("kind") != "hdr":
            raise ValueError(f"cannot merge a {wire.get('kind')!r} histogram into an hdr histogram")
        if wire["count"]:
            self._h.decode_and_add(wire["encoded"])
        self.count += wire["count"]
        self._sum += wire["sum"]
        self._max = max(self._max, wire["max"])

    def to_wire(self) -> dict[str, Any]:
        encoded = self._h.encode().decode("ascii") if self.count else ""
        return {"kind": "hdr", "encoded": encoded, "count": self.count, "sum": self._sum, "max": self._max}


def hdr_available() -> bool:
    try:
        import hdrh.histogram  # noqa: F401
    except ImportError:
        return False
    return True


def histogram_kind() -> str:
    """``hdr`` when hdrhistogram is installed, else ``log``; ``$LOADGEN_HISTOGRAM`` overrides."""
    wanted = os.environ.get("LOADGEN_HISTOGRAM", "auto")
    if wanted == "log" or (wanted == "auto" and not hdr_available()):
        return "log"
    return "hdr"


def new_histogram(kind: str | None = None) -> Histogram:
    kind = kind or histogram_kind()
    return HdrHistogramAdapter() if kind == "hdr" else LogHistogram()


def from_wires(wires: list[dict[str, Any]]) -> Histogram:
    """One histogram holding every recorded value of ``wires`` (all of one kind)."""
    kinds = {w["kind"] for w in wires}
    histogram = new_histogram(kinds.pop() if len(kinds) == 1 else None)
    for wire in wires:
        histogram.merge_wire(wire)
    return histogram


def summary_ms(histogram: Histogram) -> dict[str, float | int]:
    """count, p50/p95/p99/p999/max and mean, in milliseconds."""
    return {
        "count": histogram.count,
        "p50": histogram.percentile(50) / 1000,
        "p95": histogram.percentile(95) / 1000,
        "p99": histogram.percentile(99) / 1000,
        "p999": histogram.percentile(99.9) / 1000,
        "max": histogram.max / 1000,
        "mean": round(histogram.mean / 1000, 3),
    }
