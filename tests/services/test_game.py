from __future__ import annotations

import pytest
import pytest_twisted
from support.harness import FakeConnection, Harness

from lingualeap.domain.commands import FindMatch, JoinRoom, LeaveRoom, MakeGuess
from lingualeap.domain.errors import GameError
from lingualeap.domain.model import Player
from lingualeap.ports import QueuedPlayer
from lingualeap.services.accounts import Session


async def register(h: Harness, name: str) -> tuple[Session, Player]:
    session = await h.server.accounts.register(name, f"{name.lower()}@example.com", "password123")
    return session, Player(session.user.id, session.user.name)


async def start_match(h: Harness, a: Player, b: Player) -> tuple[str, FakeConnection, FakeConnection]:
    ca, cb = h.connect(a), h.connect(b)
    await h.server.play.handle(a, FindMatch("french"))
    await h.server.play.handle(b, FindMatch("french"))
    room_id = ca.last("matchFound")["roomId"]
    h.advance(2)
    return room_id, ca, cb


def answer(h: Harness, room_id: str) -> str:
    state = h.server.game.room(room_id)
    assert state is not None and state.current_word is not None
    return state.current_word.answer


@pytest_twisted.ensureDeferred
async def test_a_whole_match_credits_xp_to_registered_players_and_the_leaderboards() -> None:
    h = Harness(rounds=3, round_seconds=30)
    (_, ana), (_, ben) = await register(h, "Ana"), await register(h, "Ben")
    room_id, ca, cb = await start_match(h, ana, ben)

    h.advance(5)  # round 1: Ana is right after 5 s
    await h.server.play.handle(ana, MakeGuess(room_id, answer(h, room_id).upper()))
    assert ca.last("roundEnded")["winner"] == ana.public()
    assert cb.last("correctGuess")["points"] == 350
    h.advance(2)  # round 2: Ben is wrong, then the round times out
    await h.server.play.handle(ben, MakeGuess(room_id, "zzzzzzzz"))
    assert ca.last("wrongGuess")["player"] == ben.public()
    h.advance(30)
    assert cb.last("roundEnded")["round"] == 2 and cb.last("roundEnded")["winner"] is None
    h.advance(2)  # round 3: Ben is right at once
    await h.server.play.handle(ben, MakeGuess(room_id, answer(h, room_id)))
    await h.settle()

    ended = ca.last("matchEnded")
    assert ended == cb.last("matchEnded")
    assert ended["winner"] == ben.public()
    assert [(s["username"], s["score"], s["xp"]) for s in ended["standings"]] == [
        ("Ben", 400, 60), ("Ana", 350, 35)
    ]
    assert h.server.game.active_rooms() == 0 and h.server.game.room_of(ana.id) is None
    # Totals add the daily-streak bonus of the first match of the day (domain/progression.py).
    assert await h.server.results.global_top(10) == [
        {"name": "Ben", "totalXP": 70, "level": 1}, {"name": "Ana", "totalXP": 45, "level": 1}
    ]
    assert ca.last("globalLeaderboardUpdate")["leaderboard"][0]["name"] == "Ben"
    assert (await h.server.accounts.total_xp("ana"))["totalXP"] == 45
    assert await h.server.results.room_top(room_id) == [
        {"name": "Ben", "score": 400}, {"name": "Ana", "score": 350}
    ]
    metrics = h.server.metrics.render().decode()
    assert 'lingualeap_guesses_total{outcome="exact"} 2.0' in metrics
    assert 'lingualeap_guesses_total{outcome="wrong"} 1.0' in metrics
    assert "lingualeap_matches_finished_total 1.0" in metrics


@pytest_twisted.ensureDeferred
async def test_replaying_a_finished_match_credits_nothing_twice() -> None:
    h = Harness(rounds=1)
    (_, ana), (_, ben) = await register(h, "Ana"), await register(h, "Ben")
    room_id, ca, _ = await start_match(h, ana, ben)
    await h.server.play.handle(ana, MakeGuess(room_id, answer(h, room_id)))
    await h.settle()
    xp = (await h.server.accounts.total_xp("Ana"))["totalXP"]
    board = await h.server.results.global_top(10)
    assert xp > 0 and board[0]["totalXP"] == xp
    recorded = h.server.players.matches[room_id]  # what the room stored
    await h.server.results.match_finished(recorded)  # a retry delivers it again
    assert (await h.server.accounts.total_xp("Ana"))["totalXP"] == xp
    assert await h.server.results.global_top(10) == board


@pytest_twisted.ensureDeferred
async def test_guests_earn_no_persistent_xp() -> None:
    h = Harness(rounds=1)
    _, ana = await register(h, "Ana")
    guest = Player("g-1", "Visitor", guest=True)
    room_id, _, cg = await start_match(h, ana, guest)
    await h.server.play.handle(guest, MakeGuess(room_id, answer(h, room_id)))
    await h.settle()
    standing = cg.last("matchEnded")["standings"][0]
    assert standing["guest"] is True and standing["xp"] > 0
    assert "Visitor" not in [e["name"] for e in await h.server.results.global_top(10)]


@pytest_twisted.ensureDeferred
async def test_guesses_outside_a_round_or_room_are_errors_not_crashes() -> None:
    h = Harness()
    ana, ben, cat = Player("u-a", "Ana"), Player("u-b", "Ben"), Player("u-c", "Cat")
    room_id, _, _ = await start_match(h, ana, ben)
    h.connect(cat)
    for player, room, code in [(cat, room_id, "not_in_room"), (ana, "nosuchroom", "unknown_room")]:
        with pytest.raises(GameError) as e:
            await h.server.play.handle(player, MakeGuess(room, "x"))
        assert e.value.code == code
    await h.server.play.handle(ana, MakeGuess(room_id, answer(h, room_id)))
    with pytest.raises(GameError) as e:
        await h.server.play.handle(ben, MakeGuess(room_id, "late"))
    assert e.value.code == "no_round"


@pytest_twisted.ensureDeferred
async def test_a_match_never_repeats_a_word() -> None:
    h = Harness(rounds=12, round_seconds=1, intermission=0)
    room_id, ca, _ = await start_match(h, Player("u-a", "A"), Player("u-b", "B"))
    for _ in range(12):
        h.advance(1)
    words = [e["word"] for e in ca.named("roundEnded")]
    assert len(words) == 12 and len(set(words)) == 12


@pytest_twisted.ensureDeferred
async def test_private_room_flow_and_leaving() -> None:
    h = Harness(rounds=2)
    ana, ben, cat = Player("u-a", "Ana"), Player("u-b", "Ben"), Player("u-c", "Cat")
    ca, cb, cc = h.connect(ana), h.connect(ben), h.connect(cat)
    await h.server.play.handle(ana, JoinRoom("party", "spanish"))
    assert ca.last("roomInfo")["players"] == [ana.public()]
    with pytest.raises(GameError) as e:
        await h.server.play.handle(ben, JoinRoom("party", "french"))
    assert e.value.code == "invalid_field"
    await h.server.play.handle(ben, JoinRoom("party", "spanish"))
    assert ca.last("matchFound")["roomId"] == "party"
    await h.server.play.handle(cat, JoinRoom("party", None))
    assert [p["username"] for p in cc.last("roomInfo")["players"]] == ["Ana", "Ben", "Cat"]
    h.advance(2)
    assert cc.last("newRound")["round"] == 1
    await h.server.play.handle(cat, LeaveRoom("party"))
    assert ca.last("playerLeft")["player"] == cat.public()
    await h.disconnect(cb)  # Ben's connection drops: his seat is kept for the grace period
    assert ca.last("playerDisconnected")["player"] == ben.public()
    assert "matchEnded" not in ca.names()
    h.advance(30)  # ...and given up after it: Ana is the last one, and wins
    assert ca.last("playerLeft")["player"] == ben.public()
    assert ca.last("matchEnded")["winner"] == ana.public()
    assert h.server.game.active_rooms() == 0


@pytest_twisted.ensureDeferred
async def test_a_fifth_player_gets_room_full() -> None:
    h = Harness()
    players = [Player(f"u-{i}", f"P{i}") for i in range(5)]
    conns = [h.connect(p) for p in players]
    for p in players:
        await h.server.play.handle(p, JoinRoom("crowd", "french"))
    full = conns[4].last("roomFull")
    assert (full["roomId"], full["maxPlayers"]) == ("crowd", 4)
    assert h.server.game.room_of(players[4].id) is None
    assert len(conns[0].last("roomInfo")["players"]) == 4


@pytest_twisted.ensureDeferred
async def test_a_player_cannot_be_in_two_rooms() -> None:
    h = Harness()
    ana = Player("u-a", "Ana")
    h.connect(ana)
    await h.server.play.handle(ana, JoinRoom("one", "french"))
    with pytest.raises(GameError) as e:
        await h.server.play.handle(ana, JoinRoom("two", "french"))
    assert e.value.code == "already_in_room"


@pytest_twisted.ensureDeferred
async def test_room_ids_are_unique() -> None:
    h = Harness()
    ids = set()
    me = h.server.game.instance_id
    for i in range(200):
        a, b = Player(f"u-a{i}", "A"), Player(f"u-b{i}", "B")
        ids.add(await h.server.game.create_match([QueuedPlayer(a, me), QueuedPlayer(b, me)], "french"))
    assert len(ids) == 200
