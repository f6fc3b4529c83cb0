"""Ratings per language cached in Redis: one hash per language, user id → the rating's record."""

from __future__ import annotations

import json
from collections.abc import Mapping

from lingualeap.backends.redis import keys
from lingualeap.backends.redis.client import RedisClient
from lingualeap.domain.rating import Rating, from_record, to_record

#: Cached ratings of players who stop playing go after a month (rebuilt from the store on use).
TTL_S = 30 * 24 * 3600


class RedisRatingCache:
    def __init__(self, client: RedisClient) -> None:
        self._client = client

    async def get(self, language: str, user_id: str) -> Rating | None:
        raw = await self._client.execute("HGET", keys.ratings(language), user_id)
        return from_record(json.loads(raw)) if raw else None

    async def put(self, language: str, ratings: Mapping[str, Rating]) -> None:
        if not ratings:
            return
        flat: list[str] = []
        for user_id, rating in ratings.items():
            flat += [user_id, json.dumps(to_record(rating))]
        await self._client.execute("HSET", keys.ratings(language), *flat)
        await self._client.execute("EXPIRE", keys.ratings(language), TTL_S)
