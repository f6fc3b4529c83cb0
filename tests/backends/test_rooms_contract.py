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
async def test_the_owners_of_many_rooms_in_one_question(ports: Ports) -> None:
    await ports.leases.acquire("r1", "i1")
    await ports.leases.acquire("r3", "i2")
    rooms = ["r1", "r2", "r3", *(f"x{n}" for n in range(600))]  # more than one MGET's worth
    owners = await ports.leases.owners(rooms)
    assert owners["r1"] == "i1" and owners["r3"] == "i2" and owners["r2"] is None
    assert set(owners) == set(rooms) and all(owners[f"x{n}"] is None for n in range(600))


def batch(*seqs: int) -> dict[str, object]:
    return {"seq": seqs[-1], "events": [{"name": "e", "data": {"seq": s}, "to": ["u-a"]} for s in seqs]}


@pytest_twisted.ensureDeferred
async def test_commits_store_the_snapshot_and_log_the_events(ports: Ports) -> None:
    lease = await ports.leases.acquire("r1", "i1")
    assert lease is not None
    state = a_room()
    assert await ports.rooms.commit(state, lease, batch(1, 2))
    assert await ports.rooms.commit(state, lease, None)
    assert await ports.rooms.commit(state, lease, batch(3))
    assert await ports.rooms.load("r1") == state
    assert [e["data"]["seq"] for e in await ports.rooms.events_since("r1", 1) or []] == [2, 3]
    assert await ports.rooms.events_since("r1", 3) == []
    await ports.rooms.delete("r1")
    assert await ports.rooms.load("r1") is None


@pytest_twisted.ensureDeferred
async def test_a_superseded_owner_can_neither_write_nor_log(ports: Ports) -> None:
    old = await ports.leases.acquire("r1", "i1")
    assert old is not None
    await ports.leases.release(old)  # as if it had expired
    new = await ports.leases.acquire("r1", "i2")
    assert new is not None
    state = a_room()
    assert await ports.rooms.commit(state, new, batch(1))
    assert not await ports.rooms.commit(state, old, batch(2))
    assert [e["data"]["seq"] for e in await ports.rooms.events_since("r1", 0) or []] == [1]


@pytest_twisted.ensureDeferred
async def test_a_lapsed_lease_is_renewed_unless_someone_else_took_the_room(redis_ports: Ports) -> None:
    ports = redis_ports  # only shared leases lapse: Redis unreachable for longer than their life
    assert ports.client is not None
    lease = await ports.leases.acquire("r1", "i1")
    assert lease is not None
    await ports.client.execute("DEL", "ll:lease:r1")  # lapsed
    assert await ports.leases.renew(lease)
    assert await ports.leases.owner("r1") == "i1"
    await ports.client.execute("FLUSHALL")  # Redis restarted empty
    assert await ports.leases.renew(lease)
    await ports.client.execute("DEL", "ll:lease:r1")
    other = await ports.leases.acquire("r1", "i2")
    assert other is not None
    assert not await ports.leases.renew(lease)


@pytest_twisted.ensureDeferred
async def test_the_log_is_bounded_and_says_when_it_no_longer_reaches_back(ports: Ports) -> None:
    lease = await ports.leases.acquire("r1", "i1")
    assert lease is not None
    for seq in range(1, 601):
        await ports.rooms.commit(a_room(), lease, batch(seq))
    assert await ports.rooms.events_since("r1", 1) is None
    recent = await ports.rooms.events_since("r1", 590)
    assert [e["data"]["seq"] for e in recent or []] == list(range(591, 601))


@pytest_twisted.ensureDeferred
async def test_leases_are_renewed_together_one_answer_each(ports: Ports) -> None:
    from lingualeap.backends.redis.rooms import RENEW_BATCH

    held = [await ports.leases.acquire(f"r{n}", "i1") for n in range(RENEW_BATCH + 5)]
    assert all(lease is not None for lease in held)
    leases = [lease for lease in held if lease is not None]
    await ports.leases.release(leases[3])
    assert await ports.leases.renew_all(leases) == [n != 3 for n in range(len(leases))]
    assert await ports.leases.renew_all([]) == []


@pytest_twisted.ensureDeferred
async def test_a_room_reused_by_name_loads_its_own_words(ports: Ports) -> None:
    # Redis keeps a room's words apart from its changing state: a new room of the same name
    # (private rooms are named by players) must not get the old one's words.
    first = await ports.leases.acquire("r1", "i1")
    assert first is not None
    assert await ports.rooms.commit(a_room(), first, None)
    await ports.leases.release(first)
    again = await ports.leases.acquire("r1", "i2")
    assert again is not None
    other, _ = room.create("r1", "french", private=True, rules=Rules(rounds=2), words=FRENCH_WORDS[2:],
                           now=20, players=[Player("u-c", "Cat")])
    assert await ports.rooms.commit(other, again, None)
    assert await ports.rooms.load("r1") == other


@pytest_twisted.ensureDeferred
async def test_a_rooms_words_are_sent_once_and_again_if_the_store_lost_them(redis_ports: Ports) -> None:
    ports = redis_ports  # the words are most of a snapshot: not resent with every change
    client = ports.client
    assert client is not None
    sent: list[str] = []
    script = client.script

    async def recording(s: object, keys: list[str], args: list[object]) -> object:
        if keys[1:2] == ["ll:room:r1"]:  # a commit (the words go last)
            sent.append(str(args[-1]))
        return await script(s, keys, args)  # type: ignore[arg-type]

    client.script = recording  # type: ignore[method-assign]
    lease = await ports.leases.acquire("r1", "i1")
    assert lease is not None
    state = a_room()
    for seq in (1, 2, 3):
        assert await ports.rooms.commit(state, lease, batch(seq))
    assert [len(words) > 100 for words in sent] == [True, False, False]
    await client.execute("HDEL", "ll:room:r1", "words")  # e.g. Redis restarted empty meanwhile
    sent.clear()
    assert await ports.rooms.commit(state, lease, batch(4))
    assert [len(words) > 100 for words in sent] == [False, True]  # asked for them, sent them
    assert await ports.rooms.load("r1") == state
