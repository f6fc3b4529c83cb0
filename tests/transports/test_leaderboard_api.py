"""``GET /api/leaderboard/{language}`` over real HTTP: periods, top N, around me, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_twisted
from support.live import LiveServer

from lingualeap.domain.results import MatchResult, PlayerResult


@pytest_twisted.async_yield_fixture
async def server() -> AsyncIterator[LiveServer]:
    live = await LiveServer().start()
    yield live
    await live.stop()


@pytest_twisted.ensureDeferred
async def test_language_boards_by_period_with_around_me(server: LiveServer) -> None:
    users = [await server.register(name) for name in ("Ana", "Ben", "Cat", "Dan")]
    # All three matches end on the current UTC day, a second apart (never across a midnight).
    day = server.service.server.clock.now() // 86_400 * 86_400
    for i, (winner, loser) in enumerate(((0, 1), (2, 3), (0, 3))):
        a, b = users[winner], users[loser]
        await server.service.server.results.match_finished(MatchResult(f"r-{i}", "french", day, day + 1 + i, (
            PlayerResult(a["_id"], a["name"], False, 300, 50, True),
            PlayerResult(b["_id"], b["name"], False, 100 * (i + 1), 10 * (i + 1), False),
        ), ()))
    status, body, _ = await server.request("GET", "/api/leaderboard/french?limit=2")
    assert status == 200 and (body["language"], body["period"], body["key"], body["total"]) == (
        "french", "alltime", "all", 4)
    # Ana won twice; everybody also got the daily-streak bonus of their first match today.
    # Cat and Dan tie at 60: Cat reached it a second earlier (matches end 1 s apart).
    assert [e["name"] for e in body["entries"]] == ["Ana", "Cat"]
    assert [e["rank"] for e in body["entries"]] == [1, 2] and body["entries"][0]["xp"] == 110
    alltime = (await server.request("GET", "/api/leaderboard/french"))[1]["entries"]
    for period in ("daily", "weekly"):
        # The current period's board: these matches' board, unless the period rolled over since
        # (the boards are exercised on a fake clock in tests/services/test_leaderboards.py).
        board = (await server.request("GET", f"/api/leaderboard/french?period={period}"))[1]
        assert board["period"] == period and board["entries"] in (alltime, [])
    assert (await server.request("GET", "/api/leaderboard/spanish"))[1]["entries"] == []
    status, around, _ = await server.request("GET", "/api/leaderboard/french?around=me&limit=3",
                                             token=users[3]["token"])
    assert status == 200
    assert [(e["name"], e.get("me", False)) for e in around["entries"]] == [
        ("Cat", False), ("Dan", True), ("Ben", False)
    ]
    status, body, _ = await server.request("GET", "/api/leaderboard/french?around=me")
    assert (status, body["code"]) == (401, "unauthorized")
    for query in ("period=monthly", "limit=0", "limit=101", "around=you"):
        status, body, _ = await server.request("GET", f"/api/leaderboard/french?{query}")
        assert (status, body["code"]) == (400, "invalid_field"), query
    assert (await server.request("GET", "/api/leaderboard/klingon"))[0] == 400
    assert (await server.request("GET", "/api/leaderboard/global"))[0] == 200  # unchanged
