"""Who plays whom: skill-balanced groups from a queue, with a window that widens as players wait.

Every waiting player has a *window*: how far (in rating points) from their own rating they accept
opponents. It starts narrow and widens with waiting time up to a cap, and is wider for uncertain
ratings (a newcomer's 1500 is a guess, so insisting on 1500 ± 50 would only make them wait)::

    window = min(max_window, initial_window + widen_per_second · waited + deviation_share · RD)

Players are *compatible* when each lies within the other's window: |r_a − r_b| ≤ min(w_a, w_b),
so nobody is ever given opponents further away than they agreed to. A *group* is ``size`` pairwise
compatible players. Among all groups the policy picks the closest one: the smallest rating span
(highest minus lowest rating); equal spans go to the group whose members come first in queue order,
which sorts by (rating, enqueued_at, player_id), so among equally rated players those waiting
longest go first. The choice is a pure function of the entries and ``now``: every instance
looking at the same queue picks the same group.

What the Redis side needs to fetch (``tests/domain/test_matchmaking_policy.py`` proves both):

- every possible partner of an entry ``e`` lies in ``partner_range(e)`` = r_e ± w_e, so
  ``pick_group_with(e, ZRANGEBYSCORE(queue, *partner_range(e)))`` finds the same group as a
  search of the whole queue would (the best group that contains ``e``);
- every group lies within ``max_window`` of its lowest member, so sweeping the queue (sorted by
  rating) with a range ``[r, r + max_window]`` per entry sees every group, and the best group of
  the queue is the best of the groups found per lowest member (this is how :func:`pick_group`
  searches).

Taking a group is the store's job: remove all its members atomically if all are still queued
(another instance may have taken one meanwhile), otherwise fetch again and pick again.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

MIN_GROUP, MAX_GROUP = 2, 4


@dataclass(frozen=True, slots=True)
class WaitingEntry:
    """A player in a matchmaking queue: their rating, its deviation, and when they joined."""

    player_id: str
    rating: float
    deviation: float
    enqueued_at: float

    @property
    def order(self) -> tuple[float, float, str]:
        """Queue order: by rating, then longest waiting, then id (unique, so a total order)."""
        return (self.rating, self.enqueued_at, self.player_id)


@dataclass(frozen=True, slots=True)
class MatchmakingConfig:
    """How windows widen and when a bot is offered; every field is a server setting."""

    initial_window: float = 50.0
    widen_per_second: float = 10.0
    max_window: float = 400.0
    deviation_share: float = 0.25
    bot_after: float = 30.0

    def __post_init__(self) -> None:
        if not (0 <= self.initial_window <= self.max_window):
            raise ValueError("matchmaking needs 0 <= initial_window <= max_window")
        if self.widen_per_second < 0 or self.deviation_share < 0 or self.bot_after < 0:
            raise ValueError("widen_per_second, deviation_share and bot_after must be >= 0")


DEFAULT_CONFIG = MatchmakingConfig()


def window(
    waited_seconds: float, config: MatchmakingConfig = DEFAULT_CONFIG, deviation: float = 0.0
) -> float:
    """How far from their rating a player who waited ``waited_seconds`` accepts opponents."""
    waited = max(0.0, waited_seconds)
    wanted = config.initial_window + config.widen_per_second * waited + config.deviation_share * deviation
    return min(config.max_window, wanted)


def reach(entry: WaitingEntry, now: float, config: MatchmakingConfig = DEFAULT_CONFIG) -> float:
    """The entry's window at ``now``."""
    return window(now - entry.enqueued_at, config, entry.deviation)


def partner_range(
    entry: WaitingEntry, now: float, config: MatchmakingConfig = DEFAULT_CONFIG
) -> tuple[float, float]:
    """The ratings every possible partner of ``entry`` has at ``now`` (inclusive bounds)."""
    w = reach(entry, now, config)
    return (entry.rating - w, entry.rating + w)


def compatible(
    a: WaitingEntry, b: WaitingEntry, now: float, config: MatchmakingConfig = DEFAULT_CONFIG
) -> bool:
    """Whether each of the two lies within the other's window."""
    return abs(a.rating - b.rating) <= min(reach(a, now, config), reach(b, now, config))


def group_compatible(
    group: Sequence[WaitingEntry], now: float, config: MatchmakingConfig = DEFAULT_CONFIG
) -> bool:
    return all(
        compatible(a, b, now, config) for i, a in enumerate(group) for b in group[i + 1 :]
    )


def span(group: Sequence[WaitingEntry]) -> float:
    """How far apart the group's ratings are: the rating gap of a pair."""
    ratings = [e.rating for e in group]
    return max(ratings) - min(ratings)


def group_key(group: Sequence[WaitingEntry]) -> tuple[float, tuple[tuple[float, float, str], ...]]:
    """What :func:`pick_group` minimises: the span, then the members' queue order."""
    return (span(group), tuple(sorted(e.order for e in group)))


def _check_size(size: int) -> None:
    if not MIN_GROUP <= size <= MAX_GROUP:
        raise ValueError(f"a match needs {MIN_GROUP} to {MAX_GROUP} players, not {size}")


def _first_group(
    anchor: WaitingEntry,
    candidates: Sequence[WaitingEntry],
    size: int,
    fits: Callable[[WaitingEntry, WaitingEntry], bool],
    required: WaitingEntry | None,
) -> tuple[WaitingEntry, ...] | None:
    """The first pairwise compatible group ``anchor`` + ``size − 1`` of ``candidates`` in
    lexicographic queue order (``candidates`` are sorted and all compatible with ``anchor``),
    containing ``required`` if given."""
    chosen: list[WaitingEntry] = [anchor]

    def extend(start: int) -> bool:
        if len(chosen) == size:
            return required is None or required in chosen
        for index in range(start, len(candidates)):
            candidate = candidates[index]
            if required is not None and required not in chosen and required.order < candidate.order:
                return False  # the required member can no longer be chosen
            if all(fits(candidate, member) for member in chosen[1:]):
                chosen.append(candidate)
                if extend(index + 1):
                    return True
                chosen.pop()
        return False

    return tuple(chosen) if extend(0) else None


def _best_group(
    entries: Iterable[WaitingEntry],
    now: float,
    size: int,
    config: MatchmakingConfig,
    required: WaitingEntry | None = None,
) -> tuple[WaitingEntry, ...] | None:
    _check_size(size)
    ordered = sorted(entries, key=lambda e: e.order)
    reaches = {e.player_id: reach(e, now, config) for e in ordered}

    def fits(a: WaitingEntry, b: WaitingEntry) -> bool:
        return abs(a.rating - b.rating) <= min(reaches[a.player_id], reaches[b.player_id])

    best: tuple[WaitingEntry, ...] | None = None
    best_span = math.inf
    for position, anchor in enumerate(ordered):
        if required is not None and required.order < anchor.order:
            break  # every later anchor would be above the required member
        # Only a strictly smaller span beats the best so far: an earlier anchor comes first in
        # queue order, so it wins a tie.
        limit = anchor.rating + reaches[anchor.player_id]
        candidates: list[WaitingEntry] = []
        for other in ordered[position + 1 :]:
            if other.rating > limit or other.rating - anchor.rating >= best_span:
                break
            if fits(anchor, other):
                candidates.append(other)
        # Raise the ceiling one distinct rating at a time: the first ceiling under which a group
        # exists is this anchor's smallest span.
        for level in sorted({c.rating for c in candidates}):
            below = [c for c in candidates if c.rating <= level]
            if len(below) < size - 1:
                continue
            group = _first_group(anchor, below, size, fits, required)
            if group is not None:
                best, best_span = group, level - anchor.rating
                break
    return best


def pick_group(
    entries: Iterable[WaitingEntry], now: float, size: int = 2, config: MatchmakingConfig = DEFAULT_CONFIG
) -> tuple[WaitingEntry, ...] | None:
    """The closest compatible group of ``size`` players in the queue, or ``None`` if there is
    none yet. Members are listed in queue order (lowest rating first)."""
    return _best_group(entries, now, size, config)


def pick_group_with(
    entry: WaitingEntry,
    candidates: Iterable[WaitingEntry],
    now: float,
    size: int = 2,
    config: MatchmakingConfig = DEFAULT_CONFIG,
) -> tuple[WaitingEntry, ...] | None:
    """The closest compatible group that contains ``entry``, from ``entry`` and ``candidates``
    (``entry`` may or may not be among them). Candidates within :func:`partner_range` suffice."""
    pool = {e.player_id: e for e in candidates if e.player_id != entry.player_id}
    pool[entry.player_id] = entry
    return _best_group(pool.values(), now, size, config, required=entry)


def pick_groups(
    entries: Iterable[WaitingEntry], now: float, size: int = 2, config: MatchmakingConfig = DEFAULT_CONFIG
) -> list[tuple[WaitingEntry, ...]]:
    """Every group one matchmaking pass forms: the closest group, then the closest among those
    left, until no group is possible."""
    if size == 2:
        return _pick_pairs(entries, now, config)
    return _pick_groups_one_by_one(entries, now, size, config)


def _pick_pairs(
    entries: Iterable[WaitingEntry], now: float, config: MatchmakingConfig
) -> list[tuple[WaitingEntry, ...]]:
    """:func:`pick_groups` for pairs, in O(n log n + pairs looked at) instead of one search per pair.

    Whether two players fit does not depend on anyone else, so taking the closest remaining
    pair again and again is taking every compatible pair in order of (gap, queue order) and
    skipping those with a member already taken. Each player's partners further up the queue
    come in that order by themselves (ratings are sorted), so a heap holding each player's
    next candidate yields them all in order, lazily.
    """
    ordered = sorted(entries, key=lambda e: e.order)
    reaches = [reach(e, now, config) for e in ordered]
    taken = [False] * len(ordered)
    heap: list[tuple[float, int, int]] = []

    def offer(i: int, start: int) -> None:
        """Push ``i``'s closest compatible, untaken partner from ``start`` on, if any."""
        anchor, limit = ordered[i], ordered[i].rating + reaches[i]
        for j in range(start, len(ordered)):
            other = ordered[j]
            if other.rating > limit:
                return
            if not taken[j] and other.rating - anchor.rating <= reaches[j]:
                heapq.heappush(heap, (other.rating - anchor.rating, i, j))
                return

    for i in range(len(ordered)):
        offer(i, i + 1)
    formed: list[tuple[WaitingEntry, ...]] = []
    while heap:
        _, i, j = heapq.heappop(heap)
        if taken[i]:
            continue
        if taken[j]:
            offer(i, j + 1)
            continue
        taken[i] = taken[j] = True
        formed.append((ordered[i], ordered[j]))
    return formed


def _pick_groups_one_by_one(
    entries: Iterable[WaitingEntry], now: float, size: int, config: MatchmakingConfig
) -> list[tuple[WaitingEntry, ...]]:
    remaining = {e.player_id: e for e in entries}
    formed: list[tuple[WaitingEntry, ...]] = []
    while len(remaining) >= size:
        group = pick_group(remaining.values(), now, size, config)
        if group is None:
            break
        formed.append(group)
        for member in group:
            del remaining[member.player_id]
    return formed


def bot_offer_due(entry: WaitingEntry, now: float, config: MatchmakingConfig = DEFAULT_CONFIG) -> bool:
    """Whether the player has waited long enough to be offered a practice match against a bot
    (which plays at ``entry.rating``)."""
    return now - entry.enqueued_at >= config.bot_after


@dataclass(frozen=True, slots=True)
class QueueStatus:
    """What a waiting player is told: their place by arrival, how long they waited, how far
    their window reaches, and whether a bot match is on offer."""

    position: int
    waited: float
    window: float
    bot_offer: bool

    def as_data(self) -> dict[str, Any]:
        """The ``queueStatus`` event payload (whole seconds and rating points)."""
        return {
            "position": self.position,
            "waited": int(self.waited),
            "window": round(self.window),
            "botOffer": self.bot_offer,
        }


def queue_status(
    entry: WaitingEntry,
    entries: Iterable[WaitingEntry],
    now: float,
    config: MatchmakingConfig = DEFAULT_CONFIG,
) -> QueueStatus:
    """``entry``'s status among the ``entries`` of its queue (which may include it)."""
    arrival = _arrival(entry)
    ahead = sum(1 for e in entries if e.player_id != entry.player_id and _arrival(e) < arrival)
    return _status(entry, ahead + 1, now, config)


def queue_statuses(
    entries: Iterable[WaitingEntry], now: float, config: MatchmakingConfig = DEFAULT_CONFIG
) -> dict[str, QueueStatus]:
    """:func:`queue_status` of every entry of a queue at once (one sort, not one count each)."""
    by_arrival = sorted(entries, key=_arrival)
    return {e.player_id: _status(e, position, now, config) for position, e in enumerate(by_arrival, start=1)}


def _arrival(entry: WaitingEntry) -> tuple[float, str]:
    return (entry.enqueued_at, entry.player_id)


def _status(entry: WaitingEntry, position: int, now: float, config: MatchmakingConfig) -> QueueStatus:
    return QueueStatus(
        position=position,
        waited=max(0.0, now - entry.enqueued_at),
        window=reach(entry, now, config),
        bot_offer=bot_offer_due(entry, now, config),
    )
