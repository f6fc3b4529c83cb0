"""The PlayerStore contract, for the memory store and for MongoDB (SecantusDB or a real mongod).

Every test runs against both; see tests/support/mongo.py for which MongoDB is used.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_twisted
from support.progression_contract import check_progression_compare_and_set
from support.mongo import MongoServer, drop_database, mongo_server, new_database  # noqa: F401
from twisted.internet import reactor
from twisted.internet.task import Clock

from lingualeap.backends.memory.players import MemoryPlayerStore
from lingualeap.backends.mongo.connection import MongoService, MongoSettings
from lingualeap.backends.mongo.players import MongoPlayerStore
from lingualeap.clock import ReactorClock
from lingualeap.domain.errors import GameError
from lingualeap.domain.rating import Rating
from lingualeap.domain.results import MatchResult, PlayerResult
from lingualeap.domain.room import RoundRecord
from lingualeap.domain.stats import ANONYMOUS_ID, ANONYMOUS_NAME
from lingualeap.ports import UserRecord


@pytest.fixture(params=["memory", "mongo"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest_twisted.async_yield_fixture
async def store(kind: str, fake_time: Clock, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    if kind == "memory":
        yield MemoryPlayerStore(ReactorClock(fake_time))
        return
    server: MongoServer = request.getfixturevalue("mongo_server")
    database = new_database()
    service = MongoService(MongoSettings(server.uri(database), "majority", 5.0), ReactorClock(reactor))
    service.startService()
    assert await service.check(), service.health()
    # Record times come from the test's clock; the connection's pings use the real one.
    yield MongoPlayerStore(service, ReactorClock(fake_time), "i1")
    await service.stopService()
    drop_database(server, database)


def user(user_id: str, name: str, email: str) -> UserRecord:
    return UserRecord(user_id, name, email, "$2b$04$hash", created_at=1.0, updated_at=1.0)


def rounds(*winners: str | None) -> tuple[RoundRecord, ...]:
    words = [("house", "maison"), ("student", "élève"), ("tomorrow", "demain"), ("c.-à-d.", "that is")]
    return tuple(
        RoundRecord(i + 1, words[i][0], words[i][1], winner, 10.0 + i, 11.0 + i) for i, winner in enumerate(winners)
    )


def match(match_id: str, started: float = 10.0, ended: float = 20.0,
          winners: tuple[str | None, ...] = ("u-a", "u-a", None)) -> MatchResult:
    return MatchResult(match_id, "french", started, ended, (
        PlayerResult("u-a", "Ana", False, 300, 50, True),
        PlayerResult("g-x", "Guest", True, 100, 10, False),
        PlayerResult("u-b", "Ben", False, 20, 2, False),
    ), rounds(*winners))


async def ana_and_ben(store: Any) -> None:
    await store.create_user(user("u-a", "Ana", "ana@example.com"))
    await store.create_user(user("u-b", "Ben", "ben@example.com"))


@pytest_twisted.ensureDeferred
async def test_create_and_find_case_insensitively(store: Any) -> None:
    await store.create_user(user("u-a", "Ana", "ana@example.com"))
    for found in (await store.user_by_id("u-a"), await store.user_by_name("ANA"),
                  await store.user_by_email("Ana@Example.com")):
        assert found == user("u-a", "Ana", "ana@example.com")
    assert await store.user_by_name("nobody") is None
    assert await store.user_by_id("u-nobody") is None
    for clash in (user("u-x", "aNa", "x@example.com"), user("u-y", "Other", "ANA@example.com"),
                  user("u-a", "Third", "third@example.com")):
        with pytest.raises(GameError) as e:
            await store.create_user(clash)
        assert (e.value.code, e.value.message) == ("user_exists", "User already exists")


@pytest_twisted.ensureDeferred
async def test_update_reindexes_and_refuses_taken_names(store: Any, fake_time: Clock) -> None:
    await ana_and_ben(store)
    fake_time.advance(5)
    updated = await store.update_user("u-a", {"name": "Anita", "email": "anita@example.com"})
    assert (updated.name, updated.email, updated.updated_at) == ("Anita", "anita@example.com", fake_time.seconds())
    assert await store.user_by_name("ana") is None and await store.user_by_email("ana@example.com") is None
    assert await store.user_by_email("ANITA@example.com") == updated
    assert await store.user_by_name("anita") == updated
    for taken in ({"name": "BEN"}, {"email": "Ben@Example.com"}):
        with pytest.raises(GameError) as e:
            await store.update_user("u-a", taken)
        assert e.value.code == "user_exists"
    with pytest.raises(GameError) as e:
        await store.update_user("u-zzz", {"name": "Zed"})
    assert e.value.code == "unknown_user"
    with pytest.raises(ValueError):
        await store.update_user("u-a", {"grants": ("x",)})
    assert (await store.update_user("u-b", {"token_version": 3})).token_version == 3
    assert (await store.user_by_id("u-b")).token_version == 3


@pytest_twisted.ensureDeferred
async def test_a_match_credits_registered_players_once(store: Any) -> None:
    await ana_and_ben(store)
    assert await store.record_match(match("m-1"))
    ana, ben = await store.user_by_id("u-a"), await store.user_by_id("u-b")
    assert (ana.total_xp, ana.games_played, ana.wins) == (50, 1, 1)
    assert (ben.total_xp, ben.games_played, ben.wins) == (2, 1, 0)
    french = ana.stats_for("french")
    assert (french.games, french.wins, french.xp, french.best_streak) == (1, 1, 50, 2)
    assert (ben.stats_for("french").games, ben.stats_for("french").best_streak) == (1, 0)
    # Ana beat both others, Ben lost to both: ratings move apart, both grow surer.
    assert french.rating.rating > Rating().rating > ben.stats_for("french").rating.rating
    assert french.rating.deviation < Rating().deviation
    assert [s.language for s in ana.stats] == ["french"]
    # A replay (a retry, a failover) changes nothing at all.
    assert not await store.record_match(match("m-1"))
    assert await store.user_by_id("u-a") == ana and await store.user_by_id("u-b") == ben


@pytest_twisted.ensureDeferred
async def test_a_private_room_played_again_is_a_new_match(store: Any) -> None:
    await ana_and_ben(store)
    assert await store.record_match(match("lobby", started=10.0, ended=20.0))
    assert await store.record_match(match("lobby", started=30.0, ended=40.0))
    ana = await store.user_by_id("u-a")
    assert (ana.total_xp, ana.games_played, ana.stats_for("french").games) == (100, 2, 2)


@pytest_twisted.ensureDeferred
async def test_word_progress_counts_each_match_once(store: Any) -> None:
    await ana_and_ben(store)
    await store.record_match(match("m-1", ended=20.0, winners=("u-a", "u-b", None, "u-b")))
    await store.record_match(match("m-1", ended=20.0, winners=("u-a", "u-b", None, "u-b")))  # replay
    await store.record_match(match("m-2", started=30.0, ended=40.0, winners=("u-b",)))
    ana = {p.word: p for p in await store.progress("u-a", "french")}
    ben = {p.word: p for p in await store.progress("u-b", "french")}
    assert set(ana) == {"maison", "élève", "demain", "that is"}
    assert (ana["maison"].seen, ana["maison"].solved, ana["maison"].last_seen) == (2, 1, 40.0)
    assert (ana["élève"].seen, ana["élève"].solved, ana["élève"].english) == (1, 0, "student")
    assert (ben["maison"].seen, ben["maison"].solved) == (2, 1)
    assert (ben["that is"].seen, ben["that is"].solved, ben["that is"].english) == (1, 1, "c.-à-d.")
    assert await store.progress("u-a", "spanish") == []
    assert await store.progress("g-x", "french") == []  # guests keep nothing


@pytest_twisted.ensureDeferred
async def test_history_is_newest_first_and_limited(store: Any) -> None:
    await ana_and_ben(store)
    for i in range(3):
        await store.record_match(match(f"m-{i}", started=10.0 * i, ended=10.0 * i + 5))
    history = await store.history("u-a", 2)
    assert [m.match_id for m in history] == ["m-2", "m-1"]
    assert history[0] == match("m-2", started=20.0, ended=25.0)
    assert [m.match_id for m in await store.history("u-b", 10)] == ["m-2", "m-1", "m-0"]
    assert await store.history("u-nobody", 10) == []
    assert await store.history("u-a", 0) == []


@pytest_twisted.ensureDeferred
async def test_top_by_xp_ranks_players_with_xp(store: Any) -> None:
    for i, name in enumerate(["Cat", "Ana", "Ben", "Dan"]):
        await store.create_user(user(f"u-{name.lower()}", name, f"{name}@example.com"))
    await store.grant_xp("u-ana", 30, "g1")
    await store.grant_xp("u-cat", 30, "g1")
    await store.grant_xp("u-ben", 50, "g1")
    top = await store.top_by_xp(10)
    assert [(u.name, u.total_xp) for u in top] == [("Ben", 50), ("Ana", 30), ("Cat", 30)]
    assert [u.name for u in await store.top_by_xp(1)] == ["Ben"]
    assert top[0] == await store.user_by_id("u-ben")


@pytest_twisted.ensureDeferred
async def test_grants_are_given_once(store: Any) -> None:
    await store.create_user(user("u-a", "Ana", "ana@example.com"))
    granted = await store.grant_xp("u-a", 10, "daily:2026-01-01")
    assert granted is not None and granted.total_xp == 10 and granted.grants == ("daily:2026-01-01",)
    assert await store.grant_xp("u-a", 10, "daily:2026-01-01") is None
    assert (await store.grant_xp("u-a", 10, "daily:2026-01-02")).total_xp == 20
    with pytest.raises(GameError) as e:
        await store.grant_xp("u-nobody", 10, "daily:2026-01-01")
    assert e.value.code == "unknown_user"


@pytest_twisted.ensureDeferred
async def test_delete_frees_the_name_and_anonymises_history(store: Any) -> None:
    await ana_and_ben(store)
    await store.record_match(match("m-1"))
    assert await store.delete_user("u-a")
    assert not await store.delete_user("u-a")
    assert await store.user_by_id("u-a") is None and await store.user_by_name("ana") is None
    assert await store.progress("u-a", "french") == []
    assert await store.history("u-a", 10) == []
    # Ben's history keeps the match; Ana is no longer in it, her scores and rounds are.
    [kept] = await store.history("u-b", 10)
    assert [(p.id, p.username, p.score) for p in kept.players] == [
        (ANONYMOUS_ID, ANONYMOUS_NAME, 300), ("g-x", "Guest", 100), ("u-b", "Ben", 20)
    ]
    assert [r.winner for r in kept.rounds] == [ANONYMOUS_ID, ANONYMOUS_ID, None]
    assert "u-a" not in repr(kept) and "Ana" not in repr(kept)
    await store.create_user(user("u-c", "Ana", "ana@example.com"))
    assert await store.history("u-c", 10) == []


@pytest_twisted.ensureDeferred
async def test_progression_is_saved_by_compare_and_set(store: Any) -> None:
    await check_progression_compare_and_set(store, user("u-a", "Ana", "ana@example.com"))
