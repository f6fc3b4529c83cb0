"""The in-memory replay log holds each event at its own size: orjson's encoder hands back its
4 KiB working buffer, and 500 logged events for each of 500 rooms grew a server past a gigabyte."""

from __future__ import annotations

import tracemalloc

import pytest_twisted
from support.words import FRENCH_WORDS

from lingualeap.backends.memory.backplane import MemoryBackplane, MemoryHub
from lingualeap.backends.memory.rooms import EVENT_LOG_LIMIT, MemoryRoomLeases, MemoryRoomStore
from lingualeap.domain import room
from lingualeap.domain.model import Player
from lingualeap.domain.room import Rules


@pytest_twisted.ensureDeferred
async def test_logged_events_cost_their_size_not_the_encoders_buffer() -> None:
    leases = MemoryRoomLeases()
    store = MemoryRoomStore(MemoryBackplane("i1", MemoryHub()), leases)
    state, _ = room.create("r1", "french", private=True, rules=Rules(rounds=3), words=FRENCH_WORDS,
                           now=10, players=[Player("u-a", "Ana"), Player("u-b", "Ben")])
    lease = await leases.acquire("r1", "i1")
    assert lease is not None
    event = {"name": "wrongGuess", "to": ["u-a", "u-b"],
             "data": {"roomId": "r1", "round": 1, "player": {"id": "u-a", "username": "Ana"},
                      "points": -1, "scores": {"u-a": 4, "u-b": 7}}}
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for seq in range(1, EVENT_LOG_LIMIT + 1):
            await store.commit(state, lease, {"seq": seq, "events": [{**event, "data": {**event["data"], "seq": seq}}]})
        grown = sum(s.size_diff for s in tracemalloc.take_snapshot().compare_to(before, "filename"))
    finally:
        tracemalloc.stop()
    assert grown / EVENT_LOG_LIMIT < 1024, f"{grown / EVENT_LOG_LIMIT:.0f} bytes per logged event"
    assert len(await store.events_since("r1", 0) or []) == EVENT_LOG_LIMIT


@pytest_twisted.ensureDeferred
async def test_the_log_drops_whole_batches_and_keeps_at_least_its_limit() -> None:
    leases = MemoryRoomLeases()
    store = MemoryRoomStore(MemoryBackplane("i1", MemoryHub()), leases)
    state, _ = room.create("r1", "french", private=True, rules=Rules(rounds=3), words=FRENCH_WORDS,
                           now=10, players=[Player("u-a", "Ana")])
    lease = await leases.acquire("r1", "i1")
    assert lease is not None
    seq = 0
    for _ in range(EVENT_LOG_LIMIT):  # batches of three events
        events = [{"name": "e", "to": ["u-a"], "data": {"seq": seq + i}} for i in (1, 2, 3)]
        seq += 3
        await store.commit(state, lease, {"seq": seq, "events": events})
    assert await store.events_since("r1", 0) is None  # the oldest are gone
    kept = await store.events_since("r1", seq - EVENT_LOG_LIMIT)
    assert [e["data"]["seq"] for e in kept or []] == list(range(seq - EVENT_LOG_LIMIT + 1, seq + 1))
    assert await store.events_since("r1", seq - EVENT_LOG_LIMIT - 3) is None  # at most a batch more
