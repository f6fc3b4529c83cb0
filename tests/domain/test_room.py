from __future__ import annotations

import json

import pytest
from support.words import FRENCH_WORDS

from lingualeap.domain import room
from lingualeap.domain.errors import GameError
from lingualeap.domain.events import Event
from lingualeap.domain.model import Player
from lingualeap.domain.room import Phase, RoomState, Rules

ANA = Player("u-ana", "Ana")
BEN = Player("u-ben", "Ben")
CAT = Player("g-cat", "Cat", guest=True)
DAN = Player("u-dan", "Dan")
EVE = Player("u-eve", "Eve")
RULES = Rules(rounds=3, round_seconds=30, start_delay=2, intermission=2)


def names(events: list[Event]) -> list[str]:
    return [e.name for e in events]


def matched(now: float = 100.0) -> tuple[RoomState, list[Event]]:
    return room.create("m-1", "french", private=False, rules=RULES, words=FRENCH_WORDS, now=now, players=[ANA, BEN])


def playing(now: float = 100.0) -> RoomState:
    state, _ = matched(now)
    state, _ = room.tick(state, now + 2)
    return state


def test_a_formed_match_announces_room_then_match_then_first_round_two_seconds_later() -> None:
    state, events = matched(100.0)
    assert names(events) == ["roomInfo", "matchFound"]
    assert events[1].data["startsAt"] == 102_000
    assert state.phase is Phase.STARTING
    assert room.tick(state, 101.9) == (state, [])
    state, events = room.tick(state, 102.0)
    assert names(events) == ["newRound"]
    new_round = events[0].data
    assert new_round["round"] == 1 and new_round["totalRounds"] == 3
    assert new_round["translation"] == "house"
    assert new_round["hint"] == new_round["word"] == "______"
    assert new_round["endsAt"] == 132_000


def test_no_event_before_the_round_ends_carries_the_answer() -> None:
    state = playing()
    all_events: list[Event] = []
    state, events = room.guess(state, ANA.id, "mXXXXX", 103)
    all_events += events
    state, events = room.guess(state, BEN.id, "nope", 104)
    all_events += events
    state, events = room.guess(state, BEN.id, "MAISON", 105)
    all_events += events
    before_end = all_events[: names(all_events).index("roundEnded")]
    assert "maison" not in json.dumps([e.data for e in before_end]).lower()
    assert all_events[names(all_events).index("roundEnded")].data["word"] == "maison"


def test_exact_guess_scores_speed_and_ends_the_round() -> None:
    state = playing(100.0)
    state, events = room.guess(state, ANA.id, "Maison", 112.0)  # 10 s into the round
    assert names(events) == ["correctGuess", "gameLeaderboardUpdate", "roundEnded"]
    assert events[0].data["exact"] is True and events[0].data["points"] == 300
    ended = events[2].data
    assert ended["winner"] == ANA.public() and ended["word"] == "maison"
    assert ended["scores"] == {ANA.id: 300, BEN.id: 0}
    assert ended["nextRoundAt"] == 114_000
    assert state.phase is Phase.INTERMISSION
    with pytest.raises(GameError) as e:
        room.guess(state, BEN.id, "maison", 112.5)
    assert e.value.code == "no_round"


def test_partial_guess_reveals_new_letters_for_ten_points_each() -> None:
    state = playing()
    state, events = room.guess(state, ANA.id, "maXXXX", 103)
    assert events[0].data["revealedChars"] == [0, 1]
    assert events[0].data["hint"] == "ma____"
    assert events[0].data["points"] == 20
    state, events = room.guess(state, BEN.id, "maiXXX", 104)
    assert events[0].data["revealedChars"] == [2]
    assert state.scores == {ANA.id: 20, BEN.id: 10}


def test_a_guess_revealing_nothing_new_is_wrong_and_costs_twenty_but_not_below_zero() -> None:
    state = playing()
    state, _ = room.guess(state, ANA.id, "maXXXX", 103)
    state, events = room.guess(state, ANA.id, "maXXXX", 104)
    assert names(events) == ["wrongGuess", "gameLeaderboardUpdate"]
    assert events[0].data["points"] == -20 and state.scores[ANA.id] == 0
    state, events = room.guess(state, BEN.id, "zzz", 105)
    assert events[0].data["points"] == 0 and state.scores[BEN.id] == 0


def test_revealing_every_letter_piecewise_ends_the_round_without_a_winner() -> None:
    state = playing()
    state, _ = room.guess(state, ANA.id, "maiXXX", 103)
    state, events = room.guess(state, BEN.id, "XXXson", 104)
    assert names(events)[-1] == "roundEnded"
    assert events[-1].data["winner"] is None


def test_round_times_out_then_next_round_then_match_ends_with_standings() -> None:
    state = playing(100.0)
    state, events = room.tick(state, 132.0)
    assert names(events) == ["roundEnded"]
    assert events[0].data["winner"] is None
    state, events = room.tick(state, 134.0)
    assert names(events) == ["newRound"] and events[0].data["round"] == 2
    state, _ = room.guess(state, BEN.id, "eleve", 135.0)
    state, events = room.tick(state, 137.0)
    assert events[0].data["round"] == 3
    state, events = room.tick(state, 167.0)
    assert names(events) == ["roundEnded", "matchEnded"]
    assert events[0].data["nextRoundAt"] is None
    result = events[1].data
    assert result["winner"] == BEN.public()
    assert result["standings"][0] == {"id": BEN.id, "username": "Ben", "score": 390, "xp": 39 + 20, "guest": False}
    assert result["standings"][1]["xp"] == 0
    assert state.phase is Phase.FINISHED and state.is_over
    assert [r.winner for r in state.history] == [None, BEN.id, None]


def test_equal_scores_and_rounds_won_are_a_draw() -> None:
    state = playing(100.0)
    for now in (132.0, 134.0, 164.0, 166.0, 196.0):
        state, events = room.tick(state, now)
    assert events[-1].name == "matchEnded"
    assert events[-1].data["winner"] is None


def test_guesses_from_strangers_are_refused() -> None:
    with pytest.raises(GameError) as e:
        room.guess(playing(), "u-nobody", "maison", 103)
    assert e.value.code == "not_in_room"


def test_private_room_starts_two_seconds_after_the_second_player_and_holds_four() -> None:
    state, events = room.create("fun", "french", private=True, rules=RULES, words=FRENCH_WORDS, now=0)
    assert events == []
    state, events = room.join(state, ANA, 1)
    assert names(events) == ["playerJoined", "roomInfo"]
    state, events = room.join(state, BEN, 2)
    assert names(events) == ["playerJoined", "roomInfo", "matchFound"]
    assert state.next_at == 4
    state, _ = room.join(state, CAT, 3)
    state, _ = room.join(state, DAN, 3)
    state, events = room.join(state, EVE, 3)
    assert names(events) == ["roomFull"] and events[0].to == (EVE.id,)
    assert len(state.players) == 4
    state, _ = room.tick(state, 4)
    with pytest.raises(GameError) as e:
        room.join(state, EVE, 5)
    assert e.value.code == "room_not_joinable"


def test_private_room_waits_again_when_players_leave_before_the_start() -> None:
    state, _ = room.create("fun", "french", private=True, rules=RULES, words=FRENCH_WORDS, now=0)
    state, _ = room.join(state, ANA, 0)
    state, _ = room.join(state, BEN, 0)
    state, events = room.leave(state, BEN.id, 1)
    assert names(events) == ["playerLeft"]
    assert state.phase is Phase.WAITING and state.next_at is None


def test_matchmaking_room_closes_if_a_player_leaves_before_the_start() -> None:
    state, _ = matched()
    state, events = room.leave(state, ANA.id, 101)
    assert names(events) == ["playerLeft", "roomDeleted"]
    assert state.phase is Phase.CLOSED


def test_last_player_standing_wins_when_the_others_leave_mid_match() -> None:
    state = playing()
    state, _ = room.guess(state, ANA.id, "maXXXX", 103)
    state, events = room.leave(state, ANA.id, 104)
    assert names(events) == ["playerLeft", "matchEnded"]
    assert events[1].data["winner"] == BEN.public()
    assert [s["id"] for s in events[1].data["standings"]] == [BEN.id]


def test_matchmaking_rooms_cannot_be_joined_by_id() -> None:
    state, _ = matched()
    with pytest.raises(GameError) as e:
        room.join(state, CAT, 101)
    assert e.value.code == "room_not_joinable"


def test_a_room_needs_enough_words() -> None:
    with pytest.raises(ValueError):
        room.create("x", "french", private=True, rules=Rules(rounds=50), words=FRENCH_WORDS, now=0)
