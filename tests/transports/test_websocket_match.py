"""Two real WebSocket clients play whole matches against a real listening server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_twisted
from support.live import LiveServer
from support.words import FRENCH_WORDS
from support.wsclient import WsClient, connect

from lingualeap.domain.progression import DAILY_STREAK_XP

ANSWERS = {p.english: p.answer for p in FRENCH_WORDS}


@pytest_twisted.async_yield_fixture
async def server() -> AsyncIterator[LiveServer]:
    live = await LiveServer(rounds=3, round_seconds=2, start_delay=0.2, intermission=0.2, reconnect_grace=1).start()
    yield live
    await live.stop()


async def register(server: LiveServer, name: str) -> str:
    status, body, _ = await server.request(
        "POST", "/api/users", {"name": name, "email": f"{name}@example.com", "password": "password123"}
    )
    assert status == 201, body
    return str(body["token"])


@pytest_twisted.ensureDeferred
async def test_two_players_play_a_whole_match(server: LiveServer) -> None:
    ana_token, ben_token = await register(server, "ana"), await register(server, "ben")
    ana = await connect(server.ws_url(f"token={ana_token}"))
    ben = await connect(server.ws_url(), headers={"Authorization": f"Bearer {ben_token}"})
    assert (await ana.next("welcome"))["player"]["username"] == "ana"
    assert (await ben.next("welcome"))["player"]["guest"] is False

    ana.send("findMatch", {"language": "french"})
    await ana.next("queued")
    ben.send("findMatch", {"language": "french"})
    info = await ana.next("roomInfo")
    room = info["roomId"]
    assert [p["username"] for p in info["players"]] == ["ana", "ben"]
    assert (await ben.next("matchFound"))["roomId"] == room
    await ana.next("matchFound")
    assert ana.names().index("roomInfo") < ana.names().index("matchFound")

    # Round 1: Ben's wrong guess, Ana's partial one, then Ana is right.
    first = await ana.next("newRound")
    assert first["hint"] == first["word"] and set(first["hint"]) <= {"_", "-", " "}
    answer = ANSWERS[first["translation"]]
    ben.send("makeGuess", {"roomId": room, "guess": "qqqqqqqqqq"})
    assert (await ana.next("wrongGuess"))["player"]["username"] == "ben"
    ana.send("makeGuess", {"roomId": room, "guess": answer[0] + "#" * (len(answer) - 1)})
    partial = await ben.next("correctGuess")
    assert partial["exact"] is False and partial["revealedChars"] == [0] and partial["points"] == 10
    ana.send("makeGuess", {"roomId": room, "guess": answer.upper()})
    exact = await ben.next("correctGuess")
    assert exact["exact"] is True and exact["player"]["username"] == "ana"
    ended = await ben.next("roundEnded")
    assert ended["word"] == answer and ended["winner"]["username"] == "ana"
    assert await ana.next("roundEnded") == ended
    await ana.next("gameLeaderboardUpdate")

    # Round 2 times out with nobody right; round 3 too.
    second = await ana.next("newRound")
    assert second["round"] == 2
    timed_out = await ana.next("roundEnded")
    assert timed_out["winner"] is None and timed_out["word"] == ANSWERS[second["translation"]]
    await ana.next("newRound")

    result = await ana.next("matchEnded", timeout=10)
    assert result == await ben.next("matchEnded")
    assert result["winner"]["username"] == "ana"
    assert result["standings"][0]["xp"] > 0
    # Ana's total adds the daily-streak bonus of her first match today (she solved one round).
    award = await ana.next("xpAwarded")
    assert (award["xp"], award["dailyStreakBonus"], award["roundStreakBonus"]) == (
        result["standings"][0]["xp"], DAILY_STREAK_XP, 0)
    xp = award["xp"] + award["bonus"]
    update = await ben.next("globalLeaderboardUpdate")
    assert update["leaderboard"][0] == {"name": "ana", "totalXP": xp, "level": 1}

    status, board, _ = await server.request("GET", "/api/leaderboard/global")
    assert status == 200 and board[0]["name"] == "ana" and board[0]["totalXP"] == xp
    status, room_board, _ = await server.request("GET", f"/api/leaderboard/game/{room}")
    assert status == 200 and room_board[0]["name"] == "ana"
    status, total, _ = await server.request("GET", "/api/users/ana/totalXP")
    assert total["totalXP"] == xp
    ana.close(), ben.close()


@pytest_twisted.ensureDeferred
async def test_guests_play_in_a_private_room_and_see_each_other_leave(server: LiveServer) -> None:
    zoe = await connect(server.ws_url("username=Zo%C3%A9"))
    max_ = await connect(server.ws_url())
    welcome = await zoe.next("welcome")
    assert welcome["player"]["username"] == "Zoé" and welcome["player"]["guest"] is True
    assert (await max_.next("welcome"))["player"]["username"].startswith("Guest-")
    zoe.send("joinRoom", {"roomId": "salon", "language": "french"})
    await zoe.next("roomInfo")
    max_.send("joinRoom", {"roomId": "salon", "language": "french"})
    await zoe.next("playerJoined")
    await max_.next("matchFound")
    await max_.next("newRound")
    max_.close()
    gone = await zoe.next("playerDisconnected")
    assert gone["player"]["username"].startswith("Guest-") and gone["until"] > 0
    left = await zoe.next("playerLeft")  # after the one-second grace period
    assert left["player"]["username"].startswith("Guest-")
    assert (await zoe.next("matchEnded"))["winner"]["username"] == "Zoé"
    zoe.close()


@pytest_twisted.ensureDeferred
async def test_bad_frames_get_errors_and_the_connection_and_neighbours_carry_on(server: LiveServer) -> None:
    bad = await connect(server.ws_url("username=bad"))
    good = await connect(server.ws_url("username=good"))
    cases = [
        ("{not json", "bad_json"),
        ('["a list"]', "bad_json"),
        ('{"event": "explode", "data": {}}', "unknown_event"),
        ('{"event": "findMatch", "data": {"language": 3}}', "invalid_field"),
        ('{"event": "findMatch", "data": "french"}', "invalid_field"),
        ('{"event": "findMatch", "data": {"language": "klingon"}}', "unknown_language"),
        ('{"event": "makeGuess", "data": {"roomId": "nope", "guess": "x"}}', "unknown_room"),
        ('{"event": "makeGuess", "data": {"roomId": "nope", "guess": "' + "x" * 65 + '"}}', "invalid_field"),
        # Within the frame limit but many times the server's read size: read in pieces, whole.
        ('{"event": "makeGuess", "data": {"roomId": "nope", "guess": "' + "x" * 60_000 + '"}}', "invalid_field"),
        ('{"event": "cancelMatch", "data": {}}', "not_queued"),
        ('{"event": "leaveRoom", "data": {"roomId": "nope"}}', "unknown_room"),
    ]
    for frame, code in cases:
        bad.send_raw(frame)
        error = await bad.next("error")
        assert error["code"] == code, (frame, error)
        assert error["message"]
    bad.send_raw(b"\x00\x01", binary=True)
    assert (await bad.next("error"))["code"] == "bad_json"
    good.send("findMatch", {"language": "french"})
    assert (await good.next("queued"))["position"] == 1
    bad.send("findMatch", {"language": "french"})
    assert (await bad.next("matchFound"))["roomId"] == (await good.next("matchFound"))["roomId"]
    bad.close(), good.close()


@pytest_twisted.ensureDeferred
async def test_oversized_frames_close_the_connection(server: LiveServer) -> None:
    client = await connect(server.ws_url())
    client.send_raw('{"event": "makeGuess", "data": {"guess": "' + "x" * 70_000 + '"}}')
    code, _ = await client.wait_closed()
    assert code == 1009


@pytest_twisted.ensureDeferred
async def test_floods_are_rate_limited_then_closed(server: LiveServer) -> None:
    client = await connect(server.ws_url())
    bystander = await connect(server.ws_url())
    for _ in range(200):
        client.send("cancelMatch")
    limited = await client.next("error")
    while limited["code"] != "rate_limited":
        limited = await client.next("error")
    assert limited["retryAfter"] > 0
    code, reason = await client.wait_closed()
    assert (code, reason) == (1008, "flood")
    bystander.send("cancelMatch")
    assert (await bystander.next("error"))["code"] == "not_queued"
    bystander.close()


@pytest.mark.parametrize("query", ["token=not-a-jwt"])
@pytest_twisted.ensureDeferred
async def test_invalid_tokens_are_refused_at_the_handshake(server: LiveServer, query: str) -> None:
    with pytest.raises(ConnectionError):
        await connect(server.ws_url(query))


@pytest_twisted.ensureDeferred
async def test_logged_out_tokens_are_refused_at_the_handshake(server: LiveServer) -> None:
    token = await register(server, "cleo")
    ok = await connect(server.ws_url(f"token={token}"))
    ok.close()
    status, _, headers = await server.request("POST", "/api/users/logout", token=token)
    assert status == 200
    assert b"Max-Age=0" in headers.getRawHeaders(b"set-cookie")[0]
    with pytest.raises(ConnectionError):
        await connect(server.ws_url(f"token={token}"))


def _unused(client: WsClient) -> None:  # keeps the import for type hints of helpers
    pass


@pytest_twisted.ensureDeferred
async def test_a_guest_who_reconnects_with_the_guest_token_keeps_the_seat(server: LiveServer) -> None:
    zoe = await connect(server.ws_url("username=Zoe"))
    max_ = await connect(server.ws_url("username=Max"))
    await zoe.next("welcome")
    first = await max_.next("welcome")
    assert first["guestToken"]
    zoe.send("findMatch", {"language": "french"})
    await zoe.next("queued")
    max_.send("findMatch", {"language": "french"})
    room = (await max_.next("newRound"))["roomId"]
    seen = max(f["data"].get("seq", 0) for f in max_.events)
    max_.close()
    await max_.wait_closed()
    await zoe.next("playerDisconnected")
    again = await connect(server.ws_url(f"guest={first['guestToken']}"))
    assert (await again.next("welcome"))["player"] == first["player"]
    again.send("resume", {"roomId": room, "lastSeq": seen})
    assert (await zoe.next("playerReconnected"))["player"]["id"] == first["player"]["id"]
    zoe.send("makeGuess", {"roomId": room, "guess": "zzzz"})
    assert (await again.next("wrongGuess"))["player"]["username"] == "Zoe"
    # Anything but a guest token of ours makes a new guest, never someone else.
    registered = await register(server, "ursula")
    for bad in ("not-a-token", registered):
        stranger = await connect(server.ws_url(f"guest={bad}"))
        assert (await stranger.next("welcome"))["player"]["id"] != first["player"]["id"]
        stranger.close()
    zoe.close(), again.close()
