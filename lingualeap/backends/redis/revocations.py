"""Revoked tokens in Redis: a key per token id, expiring when the token would have."""

from __future__ import annotations

from lingualeap.backends.redis import keys
from lingualeap.backends.redis.client import RedisClient
from lingualeap.clock import Clock


class RedisTokenRevocations:
    def __init__(self, client: RedisClient, clock: Clock) -> None:
        self._client = client
        self._clock = clock

    async def revoke(self, token_id: str, until: float) -> None:
        ttl_ms = int((until - self._clock.now()) * 1000)
        if ttl_ms > 0:
            await self._client.execute("SET", keys.revoked(token_id), "1", "PX", ttl_ms)

    async def is_revoked(self, token_id: str) -> bool:
        return bool(int(await self._client.execute("EXISTS", keys.revoked(token_id))))
