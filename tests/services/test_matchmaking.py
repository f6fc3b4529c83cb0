from __future__ import annotations

import pytest
import pytest_twisted
from support.harness import Harness
from twisted.logger import LogLevel, globalLogPublisher

from lingualeap.domain.commands import CancelMatch, FindMatch, JoinRoom
from lingualeap.domain.errors import GameError
from lingualeap.domain.model import Player
from lingualeap.domain.rating import Rating
from lingualeap.ports import LanguageStats, UserRecord

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
async def test_queue_sizes_are_exported_as_metrics_on_the_clock() -> None:
    h = Harness(bot_after=0)
    h.server.matchmaking.start()
    h.connect(ANA)
    await h.server.play.handle(ANA, FindMatch("french"))
    h.advance(2.0)
    await h.settle()
    assert 'lingualeap_queued_players{language="french"} 1.0' in h.server.metrics.render().decode()
    await h.server.play.handle(ANA, CancelMatch())
    h.advance(2.0)
    await h.settle()
    assert 'lingualeap_queued_players{language="french"} 0.0' in h.server.metrics.render().decode()


# -- skill-balanced matchmaking (issue 8) ------------------------------------------------------

DAN = Player("u-dan", "Dan")


async def rated(h: Harness, player: Player, rating: float, deviation: float = 60.0) -> None:
    """Give a registered player an account with a rating in French."""
    await h.server.players.create_user(UserRecord(
        player.id, player.username, f"{player.id}@example.com", "$2b$04$hash", 1.0, 1.0,
        stats=(LanguageStats("french", games=30, rating=Rating(rating, deviation)),),
    ))


@pytest_twisted.ensureDeferred
async def test_distant_ratings_wait_for_the_window_to_widen_with_queue_status() -> None:
    h = Harness(bot_after=0)
    h.server.matchmaking.start()
    await rated(h, ANA, 1300), await rated(h, BEN, 1700)
    ana, ben = h.connect(ANA), h.connect(BEN)
    await h.server.play.handle(ANA, FindMatch("french"))
    await h.server.play.handle(BEN, FindMatch("french"))
    assert "matchFound" not in ana.names() + ben.names()  # 400 apart; windows start at 50 + 15
    h.advance(2.0)
    status = ana.last("queueStatus")
    assert status == {"language": "french", "players": 2, "position": 1, "waited": 2, "window": 85,
                      "botOffer": False}
    assert ben.last("queueStatus")["position"] == 2
    # Windows widen by 10 points a second: 50 + 15 + 10 t >= 400 after 33.5 s (next look: 34 s).
    h.advance(30.0)
    assert "matchFound" not in ana.names()
    h.advance(2.0)
    assert ana.last("matchFound")["roomId"] == ben.last("matchFound")["roomId"]
    count = len(ana.named("queueStatus"))
    h.advance(4.0)
    assert len(ana.named("queueStatus")) == count  # matched players are told no more


@pytest_twisted.ensureDeferred
async def test_the_closest_pair_is_matched_first() -> None:
    h = Harness(bot_after=0)
    for player, rating in ((ANA, 1500), (BEN, 1900), (CAT, 1530)):
        await rated(h, player, rating)
    conns = {p.id: h.connect(p) for p in (ANA, BEN, CAT)}
    for player in (ANA, BEN, CAT):
        await h.server.play.handle(player, FindMatch("french"))
    assert "matchFound" in conns[ANA.id].names() and "matchFound" in conns[CAT.id].names()
    assert "matchFound" not in conns[BEN.id].names()


@pytest_twisted.ensureDeferred
async def test_rooms_of_three_form_from_their_own_queue() -> None:
    h = Harness(bot_after=0)
    conns = [h.connect(p) for p in (ANA, BEN, CAT, DAN)]
    await h.server.play.handle(ANA, FindMatch("french", players=3))
    await h.server.play.handle(BEN, FindMatch("french", players=3))
    await h.server.play.handle(DAN, FindMatch("french"))  # wants a duel: another queue
    assert conns[0].last("queued") == {"language": "french", "position": 1, "players": 3}
    assert all("matchFound" not in c.names() for c in conns)
    await h.server.play.handle(CAT, FindMatch("french", players=3))
    room = conns[0].last("roomInfo")
    assert [p["id"] for p in room["players"]] == [ANA.id, BEN.id, CAT.id]
    assert "matchFound" not in conns[3].names()


@pytest.mark.parametrize("players", [1, 5, "3", True, 2.5])
def test_find_match_validates_the_room_size(players: object) -> None:
    with pytest.raises(GameError) as e:
        FindMatch.parse({"language": "french", "players": players})
    assert e.value.code == "invalid_field"


def test_old_find_match_means_a_duel() -> None:
    assert FindMatch.parse({"language": "french"}) == FindMatch("french", 2)
    assert FindMatch.parse({"language": "french", "players": 4}).players == 4


@pytest_twisted.ensureDeferred
async def test_a_lone_player_gets_a_practice_bot_that_does_not_change_ratings() -> None:
    # A seeded game: the bot's rolls (and the words) are the same on every run.
    h = Harness(bot_after=10, rounds=3, round_seconds=10, start_delay=1, intermission=1, word_seed=8)
    h.server.matchmaking.start()
    await rated(h, ANA, 1600)
    ana = h.connect(ANA)
    await h.server.play.handle(ANA, FindMatch("french"))
    h.advance(8.0)
    assert "matchFound" not in ana.names() and ana.last("queueStatus")["botOffer"] is False
    h.advance(2.0)
    found = ana.last("matchFound")
    players = ana.last("roomInfo")["players"]
    assert [p["username"] for p in players] == ["Ana", "LeapBot"] and players[1]["id"].startswith("bot-")
    assert not await h.server.matchmaking.is_queued(ANA.id)
    # The bot plays on the clock: within three rounds of 10 s it answers something at 1600.
    h.advance(40.0)
    await h.settle()
    ended = ana.last("matchEnded")
    assert ended["roomId"] == found["roomId"]
    bot_score = next(s["score"] for s in ended["standings"] if s["id"].startswith("bot-"))
    assert bot_score > 0
    assert h.server.matchmaking._bots is not None and h.server.matchmaking._bots.active == 0
    user = await h.server.players.user_by_id(ANA.id)
    assert user is not None
    french = user.stats_for("french")
    assert french.games == 31 and french.rating == Rating(1600, 60.0)  # practice: not rated


@pytest_twisted.ensureDeferred
async def test_no_bot_when_bots_are_off() -> None:
    h = Harness(bot_after=0)
    h.server.matchmaking.start()
    ana = h.connect(ANA)
    await h.server.play.handle(ANA, FindMatch("french"))
    h.advance(120.0)
    assert "matchFound" not in ana.names()
    assert ana.last("queueStatus")["botOffer"] is False and ana.last("queueStatus")["waited"] == 120


@pytest_twisted.ensureDeferred
async def test_a_player_who_declines_practice_keeps_waiting_for_people() -> None:
    h = Harness(bot_after=10)
    h.server.matchmaking.start()
    ana = h.connect(ANA)
    h.connect(BEN)
    await h.server.play.handle(ANA, FindMatch("french", practice=False))
    h.advance(60.0)
    assert "matchFound" not in ana.names() and await h.server.matchmaking.is_queued(ANA.id)
    assert ana.last("queueStatus")["botOffer"] is False and ana.last("queueStatus")["waited"] == 60
    await h.server.play.handle(BEN, FindMatch("french"))
    h.advance(2.0)
    players = {p["username"] for p in ana.last("roomInfo")["players"]}
    assert players == {"Ana", "Ben"}


def test_practice_must_be_a_boolean() -> None:
    assert FindMatch.parse({"language": "french", "practice": False}).practice is False
    assert FindMatch.parse({"language": "french"}).practice is True
    with pytest.raises(GameError) as e:
        FindMatch.parse({"language": "french", "practice": "no"})
    assert e.value.code == "invalid_field"


@pytest_twisted.ensureDeferred
async def test_a_player_dropped_from_the_queue_without_a_room_is_logged_one_look_later() -> None:
    warnings: list[str] = []

    def observe(event: dict[str, object]) -> None:
        if event.get("log_level") == LogLevel.warn and "got no room" in str(event.get("log_format")):
            warnings.append(str(event.get("player")))

    h = Harness()
    h.connect(ANA)
    await h.server.play.handle(ANA, FindMatch("french"))
    await h.server.backends.queue.remove(ANA.id)  # as a dead instance's entries are dropped
    globalLogPublisher.addObserver(observe)
    try:
        await h.server.matchmaking.look()
        assert warnings == []  # at first her room may be on its way from another instance
        await h.server.matchmaking.look()
        assert warnings == [ANA.id]
        await h.server.matchmaking.look()
        assert warnings == [ANA.id]  # once
    finally:
        globalLogPublisher.removeObserver(observe)
