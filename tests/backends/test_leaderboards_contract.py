from __future__ import annotations

import pytest_twisted
from support.ports import Ports

from lingualeap.ports import LeaderboardEntry


@pytest_twisted.ensureDeferred
async def test_increment_orders_by_score_then_member(ports: Ports) -> None:
    board = ports.leaderboards
    assert await board.increment("global", "u-b", 30, "Ben") == 30
    await board.increment("global", "u-a", 30, "Ana")
    await board.increment("global", "u-c", 10, "007")
    assert await board.increment("global", "u-c", 5, "007") == 15
    assert await board.top("global", 10) == [
        LeaderboardEntry("u-a", "Ana", 30), LeaderboardEntry("u-b", "Ben", 30), LeaderboardEntry("u-c", "007", 15)
    ]
    assert [e.member for e in await board.top("global", 1)] == ["u-a"]
    await board.increment("global", "u-b", 0, "Benny")  # a rename keeps the score
    assert (await board.top("global", 2))[1] == LeaderboardEntry("u-b", "Benny", 30)
    await board.remove("global", "u-a")
    assert [e.member for e in await board.top("global", 10)] == ["u-b", "u-c"]


@pytest_twisted.ensureDeferred
async def test_set_scores_replaces_a_board(ports: Ports) -> None:
    board = ports.leaderboards
    assert not await board.exists("room:x")
    await board.set_scores("room:x", {"p1": ("Ana", 10), "p2": ("Ben", 40)}, ttl=3600)
    await board.set_scores("room:x", {"p1": ("Ana", 50), "p3": ("Cat", 0)}, ttl=3600)
    assert await board.exists("room:x")
    assert await board.top("room:x", 10) == [LeaderboardEntry("p1", "Ana", 50), LeaderboardEntry("p3", "Cat", 0)]
    assert await board.top("nothing", 10) == []
