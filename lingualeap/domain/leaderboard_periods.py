"""Leaderboards per period: which board a result goes to, and one number that ranks it.

Periods. Every result goes to three boards of its language: all-time, its ISO week and its UTC
day. The board is chosen from the result's own timestamp with half-open periods
``[start, end)``, so there is no gap and no overlap at a rollover: 23:59:59.999 belongs to the old
day, 00:00:00.000 to the new one, whatever the clock of the instance that records it.

Order. Higher score first; equal scores go to whoever reached that score first; then to the
smaller member id. "First" is measured to the board's *resolution* (1 ms on daily and weekly
boards, 1 s on the all-time board): two players reaching the same score within one tick are
ordered by id.

Encoding. A Redis sorted set orders by one double, then by member bytes. :class:`ScoreEncoding`
packs (score, time reached) into a non-negative integer below 2**53 (so a double holds it
exactly) where *smaller is better*::

    value = (max_score − score) · 2**time_bits + ticks since the board's origin

so ``ZRANGE board 0 N-1`` lists the top N, ``ZRANK`` is the 0-based rank, and equal values fall
back to member order, ascending, as our order wants (UTF-8 byte order is code-point order, the
order of Python's ``str``). A score change is a read-modify-write (keep the raw score and the time
it was reached, re-encode): a small Lua script on the Redis side, :func:`credit` here.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

DAY = 86_400.0
WEEK = 7 * DAY
#: Thursday 1 January 1970 was in ISO week 1970-W01, which began on Monday 29 December 1969.
_FIRST_ISO_MONDAY = -3 * DAY
#: The all-time boards count time from here (2024-01-01T00:00:00Z).
ALL_TIME_ORIGIN = 1_704_067_200.0


class Period(enum.Enum):
    ALL_TIME = "alltime"
    WEEKLY = "weekly"
    DAILY = "daily"


def period_bounds(period: Period, at: float) -> tuple[float, float]:
    """The period holding ``at``: ``[start, end)`` in epoch seconds (all-time never ends)."""
    if period is Period.ALL_TIME:
        return (ALL_TIME_ORIGIN, math.inf)
    length, origin = (DAY, 0.0) if period is Period.DAILY else (WEEK, _FIRST_ISO_MONDAY)
    start = origin + math.floor((at - origin) / length) * length
    return (start, start + length)


def period_key(period: Period, at: float) -> str:
    """The name of the period holding ``at``: ``all``, ``2025-W01`` (ISO week) or ``2025-01-31``."""
    if period is Period.ALL_TIME:
        return "all"
    start, _ = period_bounds(period, at)
    day = dt.date(1970, 1, 1) + dt.timedelta(days=round(start / DAY))
    if period is Period.DAILY:
        return day.isoformat()
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def previous_key(period: Period, at: float) -> str | None:
    """The period that ended last before the one holding ``at`` (the one to archive), if any."""
    if period is Period.ALL_TIME:
        return None
    start, _ = period_bounds(period, at)
    return period_key(period, start - DAY / 2)


def board_id(language: str, period: Period, at: float) -> str:
    """The board a result of ``language`` at ``at`` goes to, e.g. ``french:weekly:2025-W03``."""
    return f"{language}:{period.value}:{period_key(period, at)}"


def boards_for(language: str, at: float) -> dict[Period, str]:
    """Every board a result at ``at`` counts on."""
    return {period: board_id(language, period, at) for period in Period}


def expires_at(period: Period, at: float, keep: float = 8 * DAY) -> float | None:
    """When the live board holding ``at`` may be dropped: ``keep`` seconds after its period ends
    (time enough to archive it); never for all-time."""
    _, end = period_bounds(period, at)
    return None if math.isinf(end) else end + keep


@dataclass(frozen=True, slots=True)
class ScoreEncoding:
    """Packs (score, time reached) into one sortable integer; see the module docstring."""

    origin: float
    resolution: float
    time_bits: int

    @property
    def max_score(self) -> int:
        return (1 << (53 - self.time_bits)) - 1

    def tick(self, at: float) -> int:
        """``at`` in whole ticks since the origin. Rounding to a millionth of a tick first keeps
        float noise (0.003 / 0.001 = 2.9999999999999996) from moving a time into the tick before."""
        return math.floor(round((at - self.origin) / self.resolution, 6))

    def encode(self, score: int, reached_at: float) -> int:
        if not 0 <= score <= self.max_score:
            raise ValueError(f"score {score} is outside 0..{self.max_score} for this board")
        ticks = self.tick(reached_at)
        if not 0 <= ticks < 1 << self.time_bits:
            raise ValueError("time reached is outside the board's period")
        return ((self.max_score - score) << self.time_bits) + ticks

    def decode(self, value: float) -> tuple[int, int]:
        """``(score, ticks)`` from an encoded value (as Redis returns it, possibly a float)."""
        whole = int(value)
        return self.max_score - (whole >> self.time_bits), whole & ((1 << self.time_bits) - 1)


def encoding_for(period: Period, at: float) -> ScoreEncoding:
    """The encoding of the board holding ``at``: milliseconds within a day (scores up to
    67 million) or a week (8.3 million); seconds since 2024 for all-time (4.1 million, until
    2092)."""
    if period is Period.ALL_TIME:
        return ScoreEncoding(origin=ALL_TIME_ORIGIN, resolution=1.0, time_bits=31)
    start, _ = period_bounds(period, at)
    return ScoreEncoding(origin=start, resolution=0.001, time_bits=27 if period is Period.DAILY else 30)


@dataclass(frozen=True, slots=True)
class BoardEntry:
    """What a board stores per member: the score and when it was reached."""

    member: str
    score: int
    reached_at: float


def credit(entry: BoardEntry | None, member: str, points: int, at: float) -> BoardEntry:
    """The member's entry after earning ``points`` at ``at``. The time only moves when the score
    does: earning nothing must not cost a player their place among equals."""
    if entry is None:
        return BoardEntry(member, points, at)
    if points == 0:
        return entry
    return BoardEntry(member, entry.score + points, at)


@dataclass(frozen=True, slots=True)
class RankedEntry:
    rank: int  # 1-based, unique: the tie-break leaves no ties
    member: str
    score: int


def ranked(entries: Iterable[BoardEntry], encoding: ScoreEncoding) -> list[RankedEntry]:
    """The board in order: score descending, then earliest tick reached, then member id."""
    order = sorted(entries, key=lambda e: (-e.score, encoding.tick(e.reached_at), e.member))
    return [RankedEntry(i + 1, e.member, e.score) for i, e in enumerate(order)]


def around_range(rank_index: int, n: int, total: int) -> tuple[int, int]:
    """Inclusive 0-based ``(start, stop)`` (as for ``ZRANGE``) of the 2n+1 entries centred on
    ``rank_index``, shifted inwards at either end so that as many rows show as exist."""
    if not 0 <= rank_index < total or n < 0:
        raise ValueError("rank_index must be within the board and n >= 0")
    width = min(total, 2 * n + 1)
    start = min(max(0, rank_index - n), total - width)
    return (start, start + width - 1)


def around(entries: Sequence[RankedEntry], member: str, n: int) -> list[RankedEntry]:
    """``member``'s neighbourhood on a ranked board: n above and n below (more on one side at
    the board's ends); empty if the member is not on the board."""
    index = next((i for i, e in enumerate(entries) if e.member == member), None)
    if index is None:
        return []
    start, stop = around_range(index, n, len(entries))
    return list(entries[start : stop + 1])
