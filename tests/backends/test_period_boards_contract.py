"""The PeriodLeaderboards contract, memory and real Redis: rank order, tie-breaks, windows."""

from __future__ import annotations

import random

import pytest
import pytest_twisted
from support.ports import Ports

from lingualeap.backends.memory.period_boards import MemoryPeriodLeaderboards
from lingualeap.backends.redis.period_boards import RedisPeriodLeaderboards
from lingualeap.domain import leaderboard_periods as lp
from lingualeap.domain.leaderboard_periods import Period
from lingualeap.ports import PeriodLeaderboards, RankedRow

AT = 1_738_000_000.0  # Mon 27 Jan 2025 17:46:40 UTC
DAILY = lp.encoding_for(Period.DAILY, AT)


def boards(ports: Ports) -> PeriodLeaderboards:
    return RedisPeriodLeaderboards(ports.client) if ports.client is not None else MemoryPeriodLeaderboards(ports.clock)


@pytest_twisted.ensureDeferred
async def test_ties_go_to_who_reached_the_score_first_then_to_the_smaller_id(ports: Ports) -> None:
    b = boards(ports)
    await b.credit("d", "u-b", "Ben", 50, AT + 1.0, DAILY, None)
    await b.credit("d", "u-a", "Ana", 50, AT + 2.0, DAILY, None)  # same score, later
    await b.credit("d", "u-c", "Cat", 50, AT + 1.0, DAILY, None)  # same score and time as Ben
    await b.credit("d", "u-z", "Zed", 80, AT + 3.0, DAILY, None)
    assert await b.rows("d", 0, -1) == [
        RankedRow(1, "u-z", "Zed", 80), RankedRow(2, "u-b", "Ben", 50),
        RankedRow(3, "u-c", "Cat", 50), RankedRow(4, "u-a", "Ana", 50),
    ]
    # Earning nothing keeps one's place; earning moves the time reached.
    assert await b.credit("d", "u-b", "Ben B.", 0, AT + 9.0, DAILY, None) == 50
    assert await b.rank("d", "u-b") == 1
    assert await b.credit("d", "u-a", "Ana", 30, AT + 10.0, DAILY, None) == 80
    assert [r.member for r in await b.rows("d", 0, 1)] == ["u-z", "u-a"]
    assert await b.rows("d", 2, 3) == [RankedRow(3, "u-b", "Ben B.", 50), RankedRow(4, "u-c", "Cat", 50)]
    assert await b.rank("d", "u-nobody") is None
    assert (await b.size("d"), await b.size("empty"), await b.rows("empty", 0, 9)) == (4, 0, [])


@pytest_twisted.ensureDeferred
async def test_scores_outside_the_board_are_refused(ports: Ports) -> None:
    b = boards(ports)
    with pytest.raises(ValueError):
        await b.credit("d", "u-a", "Ana", 5, AT + lp.DAY, DAILY, None)  # the next day
    assert await b.size("d") == 0


@pytest_twisted.ensureDeferred
async def test_ranks_equal_a_sort_of_the_credited_results(ports: Ports) -> None:
    rng = random.Random(8)
    b = boards(ports)
    stored: dict[str, lp.BoardEntry] = {}
    start, _ = lp.period_bounds(Period.DAILY, AT)
    for _ in range(120):
        member, points = f"u-{rng.randrange(25):02d}", rng.choice([0, 0, 5, 10, 10, 20])
        at = start + rng.randrange(0, 400) * 0.0005  # many results share a millisecond
        stored[member] = lp.credit(stored.get(member), member, points, at)
        await b.credit("d", member, member.upper(), points, at, DAILY, None)
    expected = lp.ranked(stored.values(), DAILY)
    assert [(r.rank, r.member, r.score) for r in await b.rows("d", 0, -1)] == [
        (e.rank, e.member, e.score) for e in expected
    ]


@pytest_twisted.ensureDeferred
async def test_a_board_expires_after_its_period(ports: Ports) -> None:
    b = boards(ports)
    at = 3_000_000_000.0  # in the future of any real clock, so Redis keeps the key until then
    expires = lp.expires_at(Period.DAILY, at)
    assert expires is not None
    await b.credit("d", "u-a", "Ana", 5, at, lp.encoding_for(Period.DAILY, at), expires)
    if ports.client is not None:
        assert int(await ports.client.execute("EXPIRETIME", "ll:plb:d")) == int(expires)
        return
    ports.time.advance(expires - ports.time.seconds())
    assert await b.size("d") == 0
