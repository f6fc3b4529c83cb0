"""What only the MongoDB store has to get right: indexes, interrupted credits, concurrent
writers, timeouts, outages, and the connection settings taken from the URI."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_twisted
from support.mongo import MongoServer, drop_database, eventually, mongo_server, new_database  # noqa: F401
from support.processes import free_port
from twisted.internet import reactor
from twisted.internet.defer import Deferred, DeferredList

from lingualeap.backends.mongo.calls import MongoUnavailable
from lingualeap.backends.mongo.connection import MongoService, MongoSettings
from lingualeap.backends.mongo.players import MongoPlayerStore
from lingualeap.clock import ReactorClock
from lingualeap.domain.errors import GameError
from lingualeap.domain.results import MatchResult, PlayerResult
from lingualeap.domain.room import RoundRecord
from lingualeap.ports import UserRecord

CLOCK = ReactorClock(reactor)


@dataclass
class Mongo:
    server: MongoServer
    database: str
    service: MongoService
    store: MongoPlayerStore

    async def raw(self, collection: str, query: dict[str, Any]) -> Any:
        return await self.service.db[collection].find_one(query, timeout=5)


async def connect(server: MongoServer, database: str, timeout: float = 5.0, write_concern: str = "majority",
                  ping_interval: float = 0.2, **uri_options: str) -> MongoService:
    service = MongoService(MongoSettings(server.uri(database, **uri_options), write_concern, timeout), CLOCK,
                           ping_interval=ping_interval)
    service.startService()
    return service


@pytest_twisted.async_yield_fixture
async def mongo(mongo_server: MongoServer) -> AsyncIterator[Mongo]:  # noqa: F811
    database = new_database()
    service = await connect(mongo_server, database)
    await eventually(lambda: service.reachable, 15, "MongoDB reachable")
    yield Mongo(mongo_server, database, service, MongoPlayerStore(service, CLOCK, "i1"))
    await service.stopService()
    drop_database(mongo_server, database)


def user(user_id: str, name: str, email: str) -> UserRecord:
    return UserRecord(user_id, name, email, "$2b$04$hash", created_at=1.0, updated_at=1.0)


def match(match_id: str = "m-1") -> MatchResult:
    return MatchResult(match_id, "spanish", 10.0, 20.0, (
        PlayerResult("u-a", "Ana", False, 300, 50, True),
        PlayerResult("u-b", "Ben", False, 20, 2, False),
    ), (RoundRecord(1, "house", "casa", "u-a", 10.0, 11.0), RoundRecord(2, "water", "agua", None, 12.0, 13.0)))


async def gather(*coroutines: Any) -> list[tuple[bool, Any]]:
    return list(await DeferredList([Deferred.fromCoroutine(c) for c in coroutines], consumeErrors=True))


@pytest_twisted.ensureDeferred
async def test_indexes_are_ensured_at_start(mongo: Mongo) -> None:
    listed = {}
    for collection in ("users", "matches", "progress"):
        reply = await mongo.service.db.command("listIndexes", collection, timeout=5)
        listed[collection] = {i["name"]: i for i in reply["cursor"]["firstBatch"]}
    assert listed["users"]["name_key_unique"]["unique"] and listed["users"]["email_key_unique"]["unique"]
    assert dict(listed["users"]["total_xp_desc"]["key"]) == {"total_xp": -1, "_id": 1}
    assert dict(listed["matches"]["player_history"]["key"]) == {"players.id": 1, "ended_at": -1}
    assert listed["progress"]["user_language"]["unique"]


@pytest_twisted.ensureDeferred
async def test_concurrent_registrations_leave_exactly_one_account_per_name_and_email(mongo: Mongo) -> None:
    names = await gather(*(mongo.store.create_user(user(f"u-n{i}", ["ana", "ANA", "Ana"][i % 3], f"n{i}@example.com"))
                           for i in range(12)))
    emails = await gather(*(mongo.store.create_user(user(f"u-e{i}", f"Name{i}", ["x@example.com", "X@EXAMPLE.com"][i % 2]))
                            for i in range(12)))
    for outcomes in (names, emails):
        assert sum(ok for ok, _ in outcomes) == 1
        refused = [f.value for ok, f in outcomes if not ok]
        assert all(isinstance(e, GameError) and e.code == "user_exists" for e in refused), refused
    count = await mongo.service.db["users"].count_documents({}, timeout=5)
    assert count == 2


@pytest_twisted.ensureDeferred
async def test_a_recording_cut_off_half_way_is_finished_by_the_replay_without_double_credit(mongo: Mongo) -> None:
    store = mongo.store
    await store.create_user(user("u-a", "Ana", "ana@example.com"))
    await store.create_user(user("u-b", "Ben", "ben@example.com"))

    async def cut_off(*args: Any) -> None:
        raise MongoUnavailable("connection lost")  # after Ana's XP, before her progress

    store._practised = cut_off  # type: ignore[method-assign]
    with pytest.raises(MongoUnavailable):
        await store.record_match(match())
    stored = await mongo.raw("matches", {"_id": match().record_id})
    assert stored["pending"] == ["u-a", "u-b"]
    assert ((await store.user_by_id("u-a")).total_xp, (await store.user_by_id("u-b")).total_xp) == (50, 0)

    del store._practised  # the connection is back
    assert not await store.record_match(match())  # a replay (the outbox, or another instance)
    ana, ben = await store.user_by_id("u-a"), await store.user_by_id("u-b")
    assert (ana.total_xp, ana.games_played, ana.stats_for("spanish").games) == (50, 1, 1)
    assert (ben.total_xp, ben.games_played) == (2, 1)
    assert [(p.word, p.seen, p.solved) for p in sorted(await store.progress("u-a", "spanish"), key=lambda p: p.word)] == [
        ("agua", 1, 0), ("casa", 1, 1)
    ]
    assert "pending" not in await mongo.raw("matches", {"_id": match().record_id})
    assert not await store.record_match(match())
    assert (await store.user_by_id("u-a")) == ana


@pytest_twisted.ensureDeferred
async def test_interrupted_matches_are_finished_without_a_replay(mongo: Mongo) -> None:
    store = mongo.store
    await store.create_user(user("u-a", "Ana", "ana@example.com"))
    await store.create_user(user("u-b", "Ben", "ben@example.com"))

    async def crash(*args: Any) -> None:
        raise MongoUnavailable("the instance died here")

    store._credit = crash  # type: ignore[method-assign]
    with pytest.raises(MongoUnavailable):
        await store.record_match(match())
    del store._credit
    assert (await store.user_by_id("u-a")).total_xp == 0
    await store.finish_interrupted()  # what runs whenever MongoDB becomes reachable
    assert ((await store.user_by_id("u-a")).total_xp, (await store.user_by_id("u-b")).total_xp) == (50, 2)
    await store.finish_interrupted()
    assert (await store.user_by_id("u-a")).total_xp == 50


@pytest_twisted.ensureDeferred
async def test_a_hung_server_times_out_then_recovers(mongo_server: MongoServer) -> None:  # noqa: F811
    mongo_server.require_control()
    server = MongoServer().start()  # this test freezes its server: not the shared one
    service = await connect(server, "lltest_hang", timeout=1.0)
    readied: list[float] = []

    async def ready() -> None:
        readied.append(time.monotonic())

    service.on_ready.append(ready)
    try:
        await eventually(lambda: readied, 15, "first ready")
        store = MongoPlayerStore(service, CLOCK, "i1")
        await store.create_user(user("u-a", "Ana", "ana@example.com"))
        server.pause()
        started = time.monotonic()
        with pytest.raises(MongoUnavailable) as e:
            await store.user_by_id("u-a")
        assert e.value.code == "unavailable" and time.monotonic() - started < 2.5
        health = await eventually(lambda: service.health()["status"] == "degraded" and service.health(), 5,
                                  "health degraded")
        assert "error" in health and "s3cret" not in str(health)
        server.resume()
        await eventually(lambda: len(readied) == 2, 15, "ready again")
        assert service.health()["status"] == "ok"
        assert (await store.user_by_id("u-a")) is not None
    finally:
        await service.stopService()
        server.cleanup()


@pytest_twisted.ensureDeferred
async def test_a_restarted_server_is_found_again_with_its_data(mongo_server: MongoServer) -> None:  # noqa: F811
    mongo_server.require_control()
    server = MongoServer().start()
    service = await connect(server, "lltest_restart", timeout=1.0)
    try:
        await eventually(lambda: service.reachable, 15, "reachable")
        store = MongoPlayerStore(service, CLOCK, "i1")
        await store.create_user(user("u-a", "Ana", "ana@example.com"))
        server.stop()
        with pytest.raises(MongoUnavailable):
            await store.user_by_name("ana")
        await eventually(lambda: not service.reachable, 5, "noticed the outage")
        server.start()
        await eventually(lambda: service.reachable, 15, "reconnected")
        assert (await store.user_by_name("ana")) == user("u-a", "Ana", "ana@example.com")
    finally:
        await service.stopService()
        server.cleanup()


@pytest_twisted.ensureDeferred
async def test_the_replica_set_named_in_the_uri_is_required(mongo_server: MongoServer) -> None:  # noqa: F811
    if mongo_server.kind != "secantus":
        pytest.skip("SecantusDB presents itself as replica set 'secantus'; other servers vary")
    right = await connect(mongo_server, "lltest_rs", timeout=1.0, replicaSet="secantus")
    wrong = await connect(mongo_server, "lltest_rs", timeout=1.0, replicaSet="elsewhere")
    try:
        await eventually(lambda: right.reachable, 15, "reachable with the right set name")
        assert not await wrong.check() and wrong.health()["status"] == "degraded"
    finally:
        await right.stopService()
        await wrong.stopService()


@pytest_twisted.ensureDeferred
async def test_write_concern_one_is_honoured(mongo_server: MongoServer) -> None:  # noqa: F811
    assert MongoSettings("mongodb://h/db", "1").pool_options()["w"] == 1
    assert MongoSettings("mongodb://h/db").pool_options()["w"] == "majority"
    database = new_database()
    service = await connect(mongo_server, database, write_concern="1")
    try:
        await eventually(lambda: service.reachable, 15, "reachable")
        store = MongoPlayerStore(service, CLOCK, "i1")
        await store.create_user(user("u-a", "Ana", "ana@example.com"))
        assert (await store.user_by_id("u-a")) is not None
        assert service.db["users"].write_concern.document == {"w": 1, "wtimeout": 5000}
    finally:
        await service.stopService()
        drop_database(mongo_server, database)


@pytest_twisted.ensureDeferred
async def test_credentials_in_the_uri_are_used_and_never_shown() -> None:
    port = free_port()  # nothing listens there: only what the service makes of the URI matters
    service = MongoService(MongoSettings(f"mongodb://ll:s3cret@127.0.0.1:{port}/llgame?authSource=admin", timeout=0.5),
                           CLOCK, ping_interval=60)
    service.startService()
    try:
        assert service._pool.auth_creds == {"admin": ("ll", "s3cret", "DEFAULT")}
        assert service.health()["address"] == f"127.0.0.1:{port}/llgame"
        assert service.db.name == "llgame"
        assert not await service.check()
        assert "s3cret" not in str(service.health())
    finally:
        await service.stopService()


@pytest_twisted.ensureDeferred
async def test_finished_leaderboard_periods_are_archived_once_per_board(mongo: Mongo) -> None:
    from lingualeap.backends.mongo.archive import MongoBoardArchive
    from lingualeap.ports import RankedRow

    archive = MongoBoardArchive(mongo.service)
    board = "french:daily:2025-01-29"
    assert not await archive.archived(board)
    await archive.archive(board, [RankedRow(1, "u-a", "Ana", 60), RankedRow(2, "u-b", "Ben", 10)], 1_738_195_300.0)
    await archive.archive(board, [RankedRow(1, "u-a", "Ana", 60)], 1_738_195_400.0)  # a second archiver
    assert await archive.archived(board)
    stored = await mongo.raw("leaderboard_archive", {"_id": board})
    assert (stored["language"], stored["period"], stored["key"]) == ("french", "daily", "2025-01-29")
    assert stored["rows"] == [{"rank": 1, "member": "u-a", "name": "Ana", "score": 60}]
