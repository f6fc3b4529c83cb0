from __future__ import annotations

import pytest_twisted
from support.ports import Ports
from support.words import FRENCH_WORDS

from lingualeap.domain import room
from lingualeap.domain.model import Player
from lingualeap.domain.room import Rules


def a_room(room_id: str = "r1") -> room.RoomState:
    state, _ = room.create(room_id, "french", private=True, rules=Rules(rounds=3), words=FRENCH_WORDS,
                           now=10, players=[Player("u-a", "Ana"), Player("g-b", "007", True)])
    state, _ = room.numbered(*room.tick(state, 12))
    return state


@pytest_twisted.ensureDeferred
async def test_one_owner_at_a_time_with_growing_fencing_tokens(ports: Ports) -> None:
    first = await ports.leases.acquire("r1", "i1")
    assert first is not None and first.instance == "i1"
    assert await ports.leases.acquire("r1", "i2") is None
    assert await ports.leases.owner("r1") == "i1"
    assert await ports.leases.renew(first)
    await ports.leases.release(first)
    assert await ports.leases.owner("r1") is None
    assert not await ports.leases.renew(first)
    second = await ports.leases.acquire("r1", "i2")
    assert second is not None and second.token > first.token
    await ports.leases.release(first)  # a stale release does nothing
    assert await ports.leases.owner("r1") == "i2"


@pytest_twisted.ensureDeferred
async def test_snapshots_round_trip(ports: Ports) -> None:
    lease = await ports.leases.acquire("r1", "i1")
    assert lease is not None
    state = a_room()
    assert await ports.rooms.save(state, lease)
    assert await ports.rooms.load("r1") == state
    await ports.rooms.delete("r1")
    assert await ports.rooms.load("r1") is None


@pytest_twisted.ensureDeferred
async def test_a_superseded_owner_cannot_write(redis_ports: Ports) -> None:
    ports = redis_ports  # fencing matters where a lease can expire and move: shared stores
    old = await ports.leases.acquire("r1", "i1")
    assert old is not None
    await ports.leases.release(old)  # as if it had expired
    new = await ports.leases.acquire("r1", "i2")
    assert new is not None
    state = a_room()
    assert await ports.rooms.save(state, new)
    assert not await ports.rooms.save(state, old)
