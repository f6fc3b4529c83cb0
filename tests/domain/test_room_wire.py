"""Sequence numbers, snapshots and the stored form of rooms."""

from __future__ import annotations

from support.words import FRENCH_WORDS

from lingualeap.domain import room, room_codec
from lingualeap.domain.model import Player
from lingualeap.domain.room import Rules

ANA, BEN = Player("u-a", "Ana"), Player("g-b", "Ben", guest=True)


def test_events_are_numbered_in_order_per_room() -> None:
    state, events = room.create("r", "french", private=False, rules=Rules(rounds=2), words=FRENCH_WORDS,
                                now=0, players=[ANA, BEN])
    state, events = room.numbered(state, events)
    assert [e.data["seq"] for e in events] == [1, 2] and state.seq == 2
    state, more = room.numbered(*room.tick(state, 2))
    assert [e.data["seq"] for e in more] == [3]
    assert room.numbered(state, []) == (state, [])


def test_snapshot_shows_the_mask_never_the_answer() -> None:
    state, _ = room.create("r", "french", private=False, rules=Rules(rounds=2), words=FRENCH_WORDS,
                           now=0, players=[ANA, BEN])
    state, _ = room.tick(state, 2)
    state, _ = room.guess(state, ANA.id, "mXXXXX", 3)
    snap = room.snapshot(state).data
    assert snap["hint"] == "m_____" and snap["translation"] == "house"
    assert "maison" not in str(snap)
    assert snap["phase"] == "round" and snap["endsAt"] == 32_000


def test_rooms_survive_a_round_trip_through_the_stored_form() -> None:
    state, _ = room.create("r", "french", private=True, rules=Rules(rounds=3), words=FRENCH_WORDS,
                           now=5, players=[ANA, BEN])
    state, _ = room.numbered(*room.tick(state, 7))
    state, _ = room.guess(state, ANA.id, "maison", 8)
    state, _ = room.tick(state, 10)
    import json

    stored = json.loads(json.dumps(room_codec.to_dict(state)))
    assert room_codec.from_dict(stored) == state
    # A store may keep the words (which never change) apart from the rest.
    without = json.loads(json.dumps(room_codec.to_dict(state, words=False)))
    assert "words" not in without
    words = json.loads(json.dumps(room_codec.words_to_list(state.words)))
    assert room_codec.from_dict(without, words) == state
