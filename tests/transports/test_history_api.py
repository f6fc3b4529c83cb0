"""``GET /api/users/:name/history`` and the per-language stats of the profile, over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_twisted
from support.live import LiveServer

from lingualeap.domain.results import MatchResult, PlayerResult
from lingualeap.domain.room import RoundRecord


@pytest_twisted.async_yield_fixture
async def server() -> AsyncIterator[LiveServer]:
    live = await LiveServer().start()
    yield live
    await live.stop()


async def register(server: LiveServer, name: str) -> dict[str, str]:
    status, body, _ = await server.request(
        "POST", "/api/users", {"name": name, "email": f"{name.lower()}@example.com", "password": "password123"}
    )
    assert status == 201
    return dict(body)


@pytest_twisted.ensureDeferred
async def test_history_lists_recent_matches_and_the_profile_shows_stats_per_language(server: LiveServer) -> None:
    ana, ben = await register(server, "Ana"), await register(server, "Ben")
    results = server.service.server.results
    for i, started in enumerate((100.0, 200.0)):
        await results.match_finished(MatchResult(f"room-{i}", "spanish", started, started + 30, (
            PlayerResult(ana["_id"], "Ana", False, 250, 45, True),
            PlayerResult(ben["_id"], "Ben", False, 100, 10, False),
        ), (RoundRecord(1, "house", "casa", ana["_id"], started, started + 5),
            RoundRecord(2, "water", "agua", None, started + 7, started + 30))))
    status, body, _ = await server.request("GET", "/api/users/ANA/history?limit=1")
    assert status == 200 and body["name"] == "Ana"
    assert body["matches"] == [{
        "matchId": "room-1@200000", "roomId": "room-1", "language": "spanish",
        "startedAt": 200000, "endedAt": 230000, "score": 250, "xp": 45, "won": True,
        "standings": [{"name": "Ana", "score": 250, "xp": 45, "won": True, "guest": False},
                      {"name": "Ben", "score": 100, "xp": 10, "won": False, "guest": False}],
        "rounds": [{"round": 1, "english": "house", "word": "casa", "winner": "Ana"},
                   {"round": 2, "english": "water", "word": "agua", "winner": None}],
    }]
    assert len((await server.request("GET", "/api/users/ben/history"))[1]["matches"]) == 2
    for bad in ("0", "51", "x"):
        status, body, _ = await server.request("GET", f"/api/users/ana/history?limit={bad}")
        assert (status, body["code"]) == (400, "invalid_field")
    assert (await server.request("GET", "/api/users/nobody/history"))[0] == 404
    status, profile, _ = await server.request("GET", "/api/users/profile", token=ana["token"])
    spanish = profile["languages"]["spanish"]
    assert (spanish["games"], spanish["wins"], spanish["xp"], spanish["bestStreak"]) == (2, 2, 90, 1)
    assert isinstance(spanish["rating"], int) and spanish["rating"] > 0
    assert profile["languages"].keys() == {"spanish"}
