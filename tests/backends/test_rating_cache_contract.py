"""The rating cache in front of the player store (memory, and a real Redis), and how the
Ratings service reads through it and refreshes it after a match."""

from __future__ import annotations

import pytest_twisted
from support.ports import Ports

from lingualeap.backends.memory.ratings import MemoryRatingCache
from lingualeap.backends.redis.ratings import RedisRatingCache
from lingualeap.domain.model import Player
from lingualeap.domain.rating import Rating
from lingualeap.domain.results import MatchResult, PlayerResult
from lingualeap.ports import RatingCache, UserRecord
from lingualeap.services.ratings import Ratings


def cache_of(ports: Ports) -> RatingCache:
    return RedisRatingCache(ports.client) if ports.client is not None else MemoryRatingCache()


@pytest_twisted.ensureDeferred
async def test_ratings_are_cached_per_language_and_refreshed_after_a_match(ports: Ports) -> None:
    cache = cache_of(ports)
    assert await cache.get("french", "u-a") is None
    await cache.put("french", {"u-a": Rating(1600.5, 80.25, 0.059)})
    assert await cache.get("french", "u-a") == Rating(1600.5, 80.25, 0.059)
    assert await cache.get("spanish", "u-a") is None

    await ports.players.create_user(UserRecord("u-b", "Ben", "ben@example.com", "x", 1.0, 1.0))
    await ports.players.create_user(UserRecord("u-c", "Cat", "cat@example.com", "x", 1.0, 1.0))
    ratings = Ratings(ports.players, cache)
    assert await ratings.current(Player("g-1", "Guest", guest=True), "french") == Rating()
    assert await ratings.current(Player("u-a", "Ana"), "french") == Rating(1600.5, 80.25, 0.059)  # cached
    assert await ratings.current(Player("u-b", "Ben"), "french") == Rating()  # from the store, then cached
    assert await cache.get("french", "u-b") == Rating()
    result = MatchResult("m-1", "french", 10.0, 20.0, (
        PlayerResult("u-b", "Ben", False, 300, 50, True), PlayerResult("u-c", "Cat", False, 20, 2, False),
    ), ())
    assert await ports.players.record_match(result)
    await ratings.refresh(result)
    ben = await ports.players.user_by_id("u-b")
    assert ben is not None and ben.stats_for("french").rating.rating > 1500
    assert await ratings.current(Player("u-b", "Ben"), "french") == ben.stats_for("french").rating
