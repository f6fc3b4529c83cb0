from __future__ import annotations

import pytest
import pytest_twisted
from support.harness import Harness

from lingualeap.domain.commands import CancelMatch, FindMatch, JoinRoom
from lingualeap.domain.errors import GameError
from lingualeap.domain.model import Player

ANA = Player("u-ana", "Ana")
BEN = Player("u-ben", "Ben")
CAT = Player("u-cat", "Cat")


@pytest_twisted.ensureDeferred
async def test_two_queued_players_are_matched_and_play_starts_two_seconds_later() -> None:
    h = Harness()
    ana, ben = h.connect(ANA), h.connect(BEN)
    await h.server.play.handle(ANA, FindMatch("french"))
    assert ana.names() == ["queued"]
    await h.server.play.handle(BEN, FindMatch("french"))
    for conn in (ana, ben):
        assert conn.names()[-2:] == ["roomInfo", "matchFound"]
    room_id = ana.last("roomInfo")["roomId"]
    assert ben.last("matchFound")["roomId"] == room_id
    h.advance(1.9)
    assert "newRound" not in ana.names()
    h.advance(0.1)
    assert ana.last("newRound")["roomId"] == room_id
    assert h.server.game.room_of(ANA.id) == h.server.game.room_of(BEN.id) == room_id


@pytest_twisted.ensureDeferred
async def test_languages_are_matched_separately() -> None:
    h = Harness()
    ana, ben = h.connect(ANA), h.connect(BEN)
    await h.server.play.handle(ANA, FindMatch("french"))
    await h.server.play.handle(BEN, FindMatch("spanish"))
    assert "roomInfo" not in ana.names() + ben.names()


@pytest_twisted.ensureDeferred
async def test_a_player_cannot_queue_twice_or_while_in_a_room() -> None:
    h = Harness()
    h.connect(ANA), h.connect(BEN), h.connect(CAT)
    await h.server.play.handle(ANA, FindMatch("french"))
    with pytest.raises(GameError) as e:
        await h.server.play.handle(ANA, FindMatch("spanish"))
    assert e.value.code == "already_queued"
    with pytest.raises(GameError) as e:
        await h.server.play.handle(ANA, JoinRoom("fun", "french"))
    assert e.value.code == "already_queued"
    await h.server.play.handle(BEN, FindMatch("french"))
    with pytest.raises(GameError) as e:
        await h.server.play.handle(ANA, FindMatch("french"))
    assert e.value.code == "already_in_room"


@pytest_twisted.ensureDeferred
async def test_cancel_leaves_the_queue() -> None:
    h = Harness()
    ana, _ = h.connect(ANA), h.connect(BEN)
    await h.server.play.handle(ANA, FindMatch("french"))
    await h.server.play.handle(ANA, CancelMatch())
    assert ana.last("matchCancelled") == {"language": "french"}
    await h.server.play.handle(BEN, FindMatch("french"))
    assert "roomInfo" not in ana.names()
    with pytest.raises(GameError) as e:
        await h.server.play.handle(ANA, CancelMatch())
    assert e.value.code == "not_queued"


@pytest_twisted.ensureDeferred
async def test_disconnecting_removes_a_queued_player() -> None:
    h = Harness()
    ana, ben, cat = h.connect(ANA), h.connect(BEN), h.connect(CAT)
    await h.server.play.handle(ANA, FindMatch("french"))
    await h.disconnect(ana)
    await h.server.play.handle(BEN, FindMatch("french"))
    await h.server.play.handle(CAT, FindMatch("french"))
    assert ben.last("roomInfo")["players"] == [BEN.public(), CAT.public()]
    assert "roomInfo" not in ana.names()


@pytest_twisted.ensureDeferred
async def test_unknown_language_is_refused() -> None:
    h = Harness()
    h.connect(ANA)
    with pytest.raises(GameError) as e:
        await h.server.play.handle(ANA, FindMatch("klingon"))
    assert e.value.code == "unknown_language"


@pytest_twisted.ensureDeferred
async def test_queue_sizes_are_exported_as_metrics() -> None:
    h = Harness()
    h.connect(ANA)
    await h.server.play.handle(ANA, FindMatch("french"))
    text = h.server.metrics.render().decode()
    assert 'lingualeap_queued_players{language="french"} 1.0' in text
