"""Dropped connections: the seat is kept for a grace period, and a resume replays what was missed."""

from __future__ import annotations

import pytest
import pytest_twisted
from support.harness import FakeConnection, Harness

from lingualeap.domain.commands import FindMatch, MakeGuess, Resume
from lingualeap.domain.errors import GameError
from lingualeap.domain.model import Player

ANA, BEN = Player("u-a", "Ana"), Player("u-b", "Ben")


async def matched(h: Harness) -> tuple[str, FakeConnection, FakeConnection]:
    ca, cb = h.connect(ANA), h.connect(BEN)
    await h.server.play.handle(ANA, FindMatch("french"))
    await h.server.play.handle(BEN, FindMatch("french"))
    h.advance(2)
    return ca.last("newRound")["roomId"], ca, cb


def seqs(connection: FakeConnection) -> list[int]:
    return [int(e.data["seq"]) for e in connection.events if "seq" in e.data and e.name != "roomState"]


@pytest_twisted.ensureDeferred
async def test_a_player_who_comes_back_gets_the_missed_events_in_order_and_keeps_the_seat() -> None:
    h = Harness(rounds=3)
    room, ca, cb = await matched(h)
    last_seen = seqs(cb)[-1]
    await h.disconnect(cb)
    assert ca.last("playerDisconnected")["player"] == BEN.public()
    await h.server.play.handle(ANA, MakeGuess(room, "zzzz"))  # Ben misses this...
    h.advance(30 - 1)  # ...and the round's end, but comes back just within the grace period
    back = h.connect(BEN)
    await h.server.play.handle(BEN, Resume(room, last_seen))
    assert back.names()[:3] == ["playerDisconnected", "wrongGuess", "gameLeaderboardUpdate"]
    assert seqs(back)[0] == last_seen + 1 and seqs(back) == sorted(set(seqs(back)))
    assert ca.last("playerReconnected")["player"] == BEN.public()
    h.advance(30)  # the grace deadline passed while he was back: he keeps playing
    assert "playerLeft" not in ca.names()
    assert back.last("newRound")["round"] >= 2


@pytest_twisted.ensureDeferred
async def test_events_before_the_resume_reach_a_new_connection_once_and_in_order() -> None:
    h = Harness(rounds=3)
    room, ca, cb = await matched(h)
    last_seen = seqs(cb)[-1]
    await h.disconnect(cb)
    back = h.connect(BEN)  # connected again, but has not said which room to resume yet
    await h.server.play.handle(ANA, MakeGuess(room, "zzzz"))
    assert seqs(back) == []
    await h.server.play.handle(BEN, Resume(room, last_seen))
    assert seqs(back) == list(range(last_seen + 1, seqs(ca)[-1] + 1))


@pytest_twisted.ensureDeferred
async def test_after_the_grace_period_the_seat_is_gone() -> None:
    h = Harness(rounds=3, reconnect_grace=5)
    room, ca, cb = await matched(h)
    await h.disconnect(cb)
    h.advance(5)
    assert ca.last("playerLeft")["player"] == BEN.public()
    h.connect(BEN)
    with pytest.raises(GameError) as e:
        await h.server.play.handle(BEN, Resume(room, 0))
    assert e.value.code in ("not_in_room", "unknown_room")


@pytest_twisted.ensureDeferred
async def test_resume_with_no_known_events_gets_every_event_of_the_room() -> None:
    h = Harness(rounds=3)
    room, ca, cb = await matched(h)
    await h.disconnect(cb)
    back = h.connect(BEN)
    await h.server.play.handle(BEN, Resume(room, 0))
    assert [e.name for e in back.events][:3] == ["roomInfo", "matchFound", "newRound"]


@pytest_twisted.ensureDeferred
async def test_resume_of_an_unknown_room_is_an_error() -> None:
    h = Harness()
    h.connect(ANA)
    with pytest.raises(GameError) as e:
        await h.server.play.handle(ANA, Resume("nope", 0))
    assert e.value.code == "unknown_room"
