"""Two instances' backplanes: room channels, inboxes, broadcasts, and re-subscription."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_twisted
from support.redis import RedisServer
from support.words import FRENCH_WORDS
from twisted.internet import reactor
from twisted.internet.task import deferLater
from twisted.logger import globalLogPublisher

from lingualeap.backends.memory.backplane import MemoryBackplane, MemoryHub
from lingualeap.backends.redis.backplane import RedisBackplane
from lingualeap.backends.redis.client import RedisAddress, RedisClient
from lingualeap.backends.redis.rooms import RedisRoomLeases, RedisRoomStore
from lingualeap.domain import room
from lingualeap.domain.errors import GameError
from lingualeap.domain.model import Player


class Recorder:
    def __init__(self) -> None:
        self.rooms: list[tuple[str, dict[str, Any]]] = []
        self.direct_messages: list[dict[str, Any]] = []
        self.broadcasts: list[dict[str, Any]] = []
        self.resubscriptions = 0

    def room_batch(self, room_id: str, batch: dict[str, Any]) -> None:
        self.rooms.append((room_id, batch))

    def direct(self, message: dict[str, Any]) -> None:
        self.direct_messages.append(message)

    def broadcasted(self, message: dict[str, Any]) -> None:
        self.broadcasts.append(message)

    def resubscribed(self) -> None:
        self.resubscriptions += 1


async def eventually(predicate: Any, timeout: float = 5.0) -> None:
    deadline = reactor.seconds() + timeout  # type: ignore[attr-defined]
    while not predicate():
        if reactor.seconds() > deadline:  # type: ignore[attr-defined]
            raise AssertionError("condition not met in time")
        await deferLater(reactor, 0.01, lambda: None)  # type: ignore[arg-type]


class Pair:
    def __init__(self, one: Any, two: Any, clients: list[RedisClient]) -> None:
        self.one, self.two, self.clients = one, two, clients
        self.r1, self.r2 = Recorder(), Recorder()
        one.attach(self.r1)
        two.attach(self.r2)


@pytest_twisted.async_yield_fixture(params=["memory", "redis"])
async def pair(request: Any, redis_server: RedisServer) -> AsyncIterator[Pair]:
    if request.param == "memory":
        hub = MemoryHub()
        yield Pair(MemoryBackplane("i1", hub), MemoryBackplane("i2", hub), [])
        return
    async for p in _redis_pair(redis_server):
        yield p


@pytest_twisted.async_yield_fixture
async def redis_pair(redis_server: RedisServer) -> AsyncIterator[Pair]:
    """Two Redis backplanes: for what only Redis does (the room store publishes commits)."""
    async for p in _redis_pair(redis_server):
        yield p


async def _redis_pair(redis_server: RedisServer) -> AsyncIterator[Pair]:
    address = RedisAddress.parse(redis_server.url)
    clients = [RedisClient(reactor, address), RedisClient(reactor, address)]
    planes = [RedisBackplane(reactor, address, c, f"i{n}") for n, c in enumerate(clients, start=1)]
    p = Pair(planes[0], planes[1], clients)
    for client, plane in zip(clients, planes):
        client.start()
        plane.start()
    for client, plane in zip(clients, planes):
        await client.wait_connected()
        await plane.ready
    yield p
    for client, plane in zip(clients, planes):
        await plane.stop()
        await client.stop()


@pytest_twisted.ensureDeferred
async def test_room_events_reach_watchers_only(pair: Pair) -> None:
    await pair.two.watch("r1")
    await pair.one.publish("r1", {"seq": 1, "events": []})
    await eventually(lambda: pair.r2.rooms == [("r1", {"seq": 1, "events": []})])
    assert pair.r1.rooms == []
    await pair.two.unwatch("r1")
    await pair.one.publish("r1", {"seq": 2, "events": []})
    await pair.one.send("i2", {"marker": True})  # ordered after the publish on the wire
    await eventually(lambda: pair.r2.direct_messages == [{"marker": True}])
    assert len(pair.r2.rooms) == 1


@pytest_twisted.ensureDeferred
async def test_inboxes_and_broadcasts(pair: Pair) -> None:
    await pair.one.send("i2", {"call": "x"})
    await pair.two.broadcast({"event": "hello"})
    await eventually(lambda: pair.r2.direct_messages == [{"call": "x"}])
    await eventually(lambda: pair.r1.broadcasts == [{"event": "hello"}] and pair.r2.broadcasts == [{"event": "hello"}])
    assert pair.r1.direct_messages == []


@pytest_twisted.ensureDeferred
async def test_sending_to_an_absent_instance_fails_fast(pair: Pair) -> None:
    with pytest.raises(GameError) as e:
        await pair.one.send("nobody", {"call": "x"})
    assert e.value.code == "unavailable"


@pytest_twisted.ensureDeferred
async def test_a_dropped_subscriber_resubscribes_and_says_so(redis_server: RedisServer) -> None:
    address = RedisAddress.parse(redis_server.url)
    client = RedisClient(reactor, address)
    plane = RedisBackplane(reactor, address, client, "i9")
    recorder = Recorder()
    plane.attach(recorder)
    lost: list[str] = []

    def observe(event: dict[str, Any]) -> None:
        if "subscriber connection lost" in str(event.get("log_format")):
            lost.append(str(event.get("redis")))

    globalLogPublisher.addObserver(observe)
    try:
        client.start()
        plane.start()
        await client.wait_connected()
        await plane.ready
        await plane.watch("r9")
        assert recorder.resubscriptions == 1
        await client.execute("CLIENT", "KILL", "TYPE", "pubsub")
        await eventually(lambda: recorder.resubscriptions == 2, timeout=15)
        await client.execute("PUBLISH", "ll:0:ch:room:r9", '{"seq": 5}')
        await eventually(lambda: recorder.rooms == [("r9", {"seq": 5})])
        assert len(lost) == 1  # the kill was worth a warning
        await plane.stop()
        await client.stop()
        assert len(lost) == 1  # stopping is not losing the connection
    finally:
        globalLogPublisher.removeObserver(observe)


@pytest_twisted.ensureDeferred
async def test_a_publisher_does_not_hear_its_own_room_batches(pair: Pair) -> None:
    # The owner hands its batches to its own players directly; hearing them again cost a copy
    # (memory) or a JSON decode (Redis) per event, only to be dropped as already delivered.
    await pair.one.watch("r1")
    await pair.two.watch("r1")
    await pair.one.publish("r1", {"seq": 1, "events": []})
    await pair.two.publish("r1", {"seq": 2, "events": []})
    await pair.one.send("i2", {"marker": 1})  # ordered after the publications on the wire
    await pair.two.send("i1", {"marker": 2})
    await eventually(lambda: pair.r1.direct_messages == [{"marker": 2}] and pair.r2.direct_messages == [{"marker": 1}])
    assert pair.r1.rooms == [("r1", {"seq": 2, "events": []})]
    assert pair.r2.rooms == [("r1", {"seq": 1, "events": []})]


@pytest_twisted.ensureDeferred
async def test_a_committing_owner_does_not_hear_its_commit_back(redis_pair: Pair) -> None:
    pair = redis_pair  # memory stores publish through the backplane: the test above covers them
    client, db = pair.clients[0], pair.clients[0].address.db
    state, _ = room.create("r-own-commit", "french", private=True, rules=room.Rules(rounds=3), words=FRENCH_WORDS,
                           now=10, players=[Player("u-a", "Ana")])
    await pair.one.watch(state.room_id)
    await pair.two.watch(state.room_id)
    lease = await RedisRoomLeases(client).acquire(state.room_id, "i1")
    assert lease is not None
    batch = {"seq": 1, "events": [{"name": "e", "data": {"seq": 1}, "to": ["u-a"]}]}
    assert await RedisRoomStore(client, db).commit(state, lease, batch)
    await pair.one.send("i2", {"marker": True})
    await pair.two.send("i1", {"marker": True})
    await eventually(lambda: pair.r1.direct_messages == pair.r2.direct_messages == [{"marker": True}])
    assert pair.r2.rooms == [(state.room_id, batch)] and pair.r1.rooms == []
    assert await RedisRoomStore(client, db).events_since(state.room_id, 0) == batch["events"]
