"""Results that the player store could not take wait in the outbox, and are stored when it is back.

The store here is the memory one behind a switch that makes it fail as an unreachable MongoDB
does (``unavailable``); time is a fake clock.
"""

from __future__ import annotations

from typing import Any

import pytest_twisted
from support.harness import FakeConnection
from support.words import languages
from twisted.internet import reactor
from twisted.internet.task import Clock
from twisted.logger import LogLevel, globalLogPublisher

from lingualeap.app.backends import memory_backends
from lingualeap.app.wiring import build_server
from lingualeap.backends.memory.leaderboards import MemoryLeaderboards
from lingualeap.backends.memory.players import MemoryPlayerStore
from lingualeap.clock import ReactorClock
from lingualeap.config import Config
from lingualeap.domain.commands import FindMatch, MakeGuess
from lingualeap.domain.errors import GameError
from lingualeap.domain.events import Event
from lingualeap.domain.model import Player
from lingualeap.domain.progression import DAILY_STREAK_XP
from lingualeap.domain.results import MatchResult, PlayerResult
from lingualeap.ports import UserRecord
from lingualeap.services.metrics import Metrics
from lingualeap.services.outbox import OutboxService, ResultOutbox
from lingualeap.services.results import ResultsService


class SwitchableStore:
    """A memory store that can be made to fail like an unreachable MongoDB."""

    def __init__(self, inner: MemoryPlayerStore) -> None:
        self.inner = inner
        self.down = False
        #: Fail the next record_match *after* it was applied (a timeout on the reply).
        self.lose_next_reply = False
        self.attempts = 0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            if name == "record_match":
                self.attempts += 1
            if self.down:
                raise GameError("unavailable", "the player database is unreachable; try again shortly")
            result = await method(*args, **kwargs)
            if name == "record_match" and self.lose_next_reply:
                self.lose_next_reply = False
                raise GameError("unavailable", "timed out waiting for the reply")
            return result

        return call


class Sink:
    def __init__(self) -> None:
        self.broadcasts: list[Event] = []

    def deliver(self, player_ids: Any, event: Event) -> None:
        pass

    def broadcast(self, event: Event) -> None:
        self.broadcasts.append(event)


class Logged:
    """Log events at or above a level, while the test runs."""

    def __init__(self, level: LogLevel = LogLevel.critical) -> None:
        self.level = level
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any]) -> None:
        if event.get("log_level") is not None and event["log_level"] >= self.level:
            self.events.append(event)

    def __enter__(self) -> Logged:
        globalLogPublisher.addObserver(self)
        return self

    def __exit__(self, *exc: object) -> None:
        globalLogPublisher.removeObserver(self)


def setup(capacity: int = 10) -> tuple[Clock, SwitchableStore, ResultsService, Metrics, Sink]:
    time = Clock()
    time.advance(1_700_000_000)
    clock = ReactorClock(time)
    store = SwitchableStore(MemoryPlayerStore(clock))
    metrics, sink = Metrics(), Sink()
    results = ResultsService(store, MemoryLeaderboards(clock), sink, clock=clock, metrics=metrics,  # type: ignore[arg-type]
                             outbox_capacity=capacity)
    return time, store, results, metrics, sink


async def ana(store: SwitchableStore) -> None:
    await store.inner.create_user(UserRecord("u-a", "Ana", "ana@example.com", "h", 0.0, 0.0))


def result(match_id: str, xp: int = 40) -> MatchResult:
    return MatchResult(match_id, "french", 10.0, 20.0, (
        PlayerResult("u-a", "Ana", False, xp * 10, xp, True), PlayerResult("g-1", "Guest", True, 0, 0, False),
    ), ())


def gauge(metrics: Metrics, name: str) -> float:
    value = metrics.registry.get_sample_value(name)
    assert value is not None
    return value


@pytest_twisted.ensureDeferred
async def test_results_wait_while_the_store_is_down_and_are_credited_once_it_is_back() -> None:
    time, store, results, metrics, sink = setup()
    await ana(store)
    store.down = True
    await results.match_finished(result("m-1"))  # the game goes on: no exception
    await results.match_finished(result("m-2"))
    await results.match_finished(result("m-1"))  # the same match again: kept once
    assert results.outbox is not None and results.outbox.depth == 2
    assert gauge(metrics, "lingualeap_results_outbox_depth") == 2
    health = results.outbox.health()
    assert (health["status"], health["depth"]) == ("degraded", 2)
    time.advance(1)
    assert results.outbox.depth == 2  # still down: retried and kept
    store.down = False
    time.advance(2)  # the next retry, after the back-off
    assert results.outbox.depth == 0 and gauge(metrics, "lingualeap_results_outbox_depth") == 0
    assert (await store.inner.user_by_id("u-a")).total_xp == 80  # type: ignore[union-attr]
    assert await results.global_top(10) == [{"name": "Ana", "totalXP": 80, "level": 1}]
    assert sink.broadcasts[-1].name == "globalLeaderboardUpdate"
    assert results.outbox.health()["status"] == "ok"


@pytest_twisted.ensureDeferred
async def test_a_result_applied_before_its_reply_was_lost_is_not_counted_twice() -> None:
    time, store, results, _, _ = setup()
    await ana(store)
    await results.match_finished(result("m-0", xp=10))  # on the board already: 10
    store.lose_next_reply = True
    await results.match_finished(result("m-1", xp=40))  # stored, but we were told it failed
    assert results.outbox is not None and results.outbox.depth == 1
    time.advance(1)
    assert results.outbox.depth == 0
    assert (await store.inner.user_by_id("u-a")).total_xp == 50  # type: ignore[union-attr]
    assert await results.global_top(10) == [{"name": "Ana", "totalXP": 50, "level": 1}]


@pytest_twisted.ensureDeferred
async def test_retries_back_off_and_a_recovered_store_is_tried_at_once() -> None:
    time, store, results, _, _ = setup()
    await ana(store)
    store.down = True
    await results.match_finished(result("m-1"))
    attempts = []
    for _ in range(31):
        time.advance(1)
        attempts.append(store.attempts)
    # Tried at once, then after 1, 2, 4, 8 and 16 seconds.
    assert [t + 1 for t in range(31) if attempts[t] != (attempts[t - 1] if t else 1)] == [1, 3, 7, 15, 31]
    store.down = False
    await results.store_ready()  # what MongoDB's recovery runs
    assert results.outbox is not None and results.outbox.depth == 0


@pytest_twisted.ensureDeferred
async def test_what_exceeds_the_bound_is_logged_loudly_and_counted() -> None:
    time, store, results, metrics, _ = setup(capacity=2)
    await ana(store)
    store.down = True
    with Logged() as logged:
        for i in range(3):
            await results.match_finished(result(f"m-{i}"))
    assert results.outbox is not None and results.outbox.depth == 2 and results.outbox.dropped == 1
    assert gauge(metrics, "lingualeap_results_dropped_total") == 1
    [lost] = logged.events
    assert lost["match"] == "m-2@10000" and '"match_id":"m-2"' in lost["result"]
    assert "RESULT LOST" in lost["log_format"]
    store.down = False
    time.advance(1)
    assert (await store.inner.user_by_id("u-a")).total_xp == 80  # type: ignore[union-attr]


@pytest_twisted.ensureDeferred
async def test_a_result_that_keeps_failing_for_another_reason_does_not_hold_up_the_rest() -> None:
    time = Clock()
    delivered: list[str] = []

    async def deliver(r: MatchResult) -> None:
        if r.match_id == "bad":
            raise ValueError("a bug, not an outage")
        delivered.append(r.match_id)

    outbox = ResultOutbox(ReactorClock(time), deliver)
    with Logged(LogLevel.error):
        outbox.add(result("bad"), "first failure")
        outbox.add(result("good"), "first failure")
        time.advance(1)
        time.advance(2)
    assert delivered == ["good"] and [r.match_id for r in outbox.waiting()] == ["bad"]


@pytest_twisted.ensureDeferred
async def test_stopping_tries_once_more_then_logs_what_is_left() -> None:
    time, store, results, _, _ = setup()
    await ana(store)
    store.down = True
    await results.match_finished(result("m-1"))
    assert results.outbox is not None
    with Logged() as logged:
        await OutboxService(results.outbox).stopService()
    [left] = logged.events
    assert "RESULT NOT STORED" in left["log_format"] and left["match"] == "m-1@10000"
    time.advance(60)
    assert store.attempts == 2  # the first try and the last one: no retries after stopping


@pytest_twisted.ensureDeferred
async def test_an_empty_global_leaderboard_is_rebuilt_from_the_store() -> None:
    _, store, results, _, _ = setup()
    await ana(store)
    await store.inner.create_user(UserRecord("u-b", "Ben", "ben@example.com", "h", 0.0, 0.0))
    await store.inner.grant_xp("u-a", 30, "g")
    await store.inner.grant_xp("u-b", 70, "g")
    assert await results.rebuild_global_board() == 2
    assert [e["name"] for e in await results.global_top(10)] == ["Ben", "Ana"]
    assert await results.rebuild_global_board() is None  # there already: left alone


@pytest_twisted.ensureDeferred
async def test_a_match_played_while_the_store_is_down_is_credited_when_it_returns() -> None:
    time = Clock()
    time.advance(1_700_000_000)
    clock = ReactorClock(time)
    backends = memory_backends("i1", clock, languages())
    store = SwitchableStore(backends.players)  # type: ignore[arg-type]
    backends.players = store  # type: ignore[assignment]
    config = Config(bcrypt_rounds=4, jwt_secret="test-secret-that-is-long-enough-for-hs256", rounds=1)
    server = build_server(config, reactor, clock=clock, languages=languages(), backends=backends)
    sessions = [await server.accounts.register(n, f"{n}@example.com", "password123") for n in ("Ana", "Ben")]
    players = [Player(s.user.id, s.user.name) for s in sessions]
    connections = [FakeConnection(p) for p in players]
    for connection in connections:
        server.presence.add(connection)
    for player in players:
        await server.play.handle(player, FindMatch("french"))
    room_id = connections[0].last("matchFound")["roomId"]
    for _ in range(12):
        time.advance(0.25)
    store.down = True  # MongoDB goes away in the middle of the match
    state = server.game.room(room_id)
    assert state is not None and state.current_word is not None
    await server.play.handle(players[0], MakeGuess(room_id, state.current_word.answer))
    await server.host.settle()
    ended = connections[1].last("matchEnded")  # the players see the end as usual
    xp = ended["standings"][0]["xp"]
    assert xp > 0 and server.results.outbox is not None and server.results.outbox.depth == 1
    store.down = False
    await server.results.store_ready()
    await server.host.settle()
    # With the daily-streak bonus of the first match of the day (domain/progression.py).
    assert (await server.accounts.total_xp("Ana"))["totalXP"] == xp + DAILY_STREAK_XP
    assert (await server.results.global_top(1))[0]["totalXP"] == xp + DAILY_STREAK_XP


class MemorySpool:
    """What Redis keeps for the outbox, in a dict (``broken`` makes it fail like a lost Redis)."""

    def __init__(self, bound: int = 100) -> None:
        self.kept: dict[str, str] = {}
        self.bound = bound
        self.broken = False

    async def save(self, record_id: str, document: str) -> bool:
        if self.broken:
            raise GameError("unavailable", "the shared store is unreachable")
        if len(self.kept) >= self.bound and record_id not in self.kept:
            return False
        self.kept[record_id] = document
        return True

    async def remove(self, record_id: str) -> None:
        self.kept.pop(record_id, None)

    async def load(self, limit: int) -> dict[str, str]:
        return dict(list(self.kept.items())[:limit])


def setup_with_spool(spool: MemorySpool, capacity: int = 2) -> tuple[Clock, SwitchableStore, ResultsService]:
    time = Clock()
    time.advance(1_700_000_000)
    clock = ReactorClock(time)
    store = SwitchableStore(MemoryPlayerStore(clock))
    results = ResultsService(store, MemoryLeaderboards(clock), Sink(), clock=clock,  # type: ignore[arg-type]
                             outbox_capacity=capacity, spool=spool)
    return time, store, results


@pytest_twisted.ensureDeferred
async def test_with_a_spool_what_exceeds_the_bound_waits_there_instead_of_being_lost() -> None:
    spool = MemorySpool()
    time, store, results = setup_with_spool(spool, capacity=2)
    await ana(store)
    store.down = True
    with Logged() as logged:
        for i in range(5):
            await results.match_finished(result(f"m-{i}", xp=10))
    assert logged.events == []
    assert results.outbox is not None and results.outbox.depth == 2 and results.outbox.spilled == 3
    assert len(spool.kept) == 5  # copies of the two in memory, and the three spilled
    store.down = False
    await results.store_ready()
    assert results.outbox.depth == 0 and spool.kept == {}
    assert (await store.inner.user_by_id("u-a")).total_xp == 50  # type: ignore[union-attr]


@pytest_twisted.ensureDeferred
async def test_results_left_in_the_spool_by_a_stopped_instance_are_stored_by_the_next() -> None:
    spool = MemorySpool()
    _, store, first = setup_with_spool(spool)
    await ana(store)
    store.down = True
    await first.match_finished(result("m-1"))
    assert first.outbox is not None
    with Logged() as logged:
        await OutboxService(first.outbox).stopService()
    assert logged.events == []  # kept in the spool: nothing to enter by hand
    _, _, second = setup_with_spool(spool)
    second._players = store  # the same database, reached by another instance
    store.down = False
    await second.store_ready()
    assert spool.kept == {} and (await store.inner.user_by_id("u-a")).total_xp == 40  # type: ignore[union-attr]


@pytest_twisted.ensureDeferred
async def test_without_a_working_spool_the_bound_still_holds_and_losses_are_loud() -> None:
    spool = MemorySpool()
    spool.broken = True
    _, store, results = setup_with_spool(spool, capacity=1)
    await ana(store)
    store.down = True
    with Logged() as logged:
        await results.match_finished(result("m-1"))
        await results.match_finished(result("m-2"))
        assert results.outbox is not None
        await OutboxService(results.outbox).stopService()
    assert [e["match"] for e in logged.events] == ["m-2@10000", "m-1@10000"]
    assert results.outbox.dropped == 1
