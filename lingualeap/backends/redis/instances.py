"""Live instances: each registers itself with an expiring heartbeat key."""

from __future__ import annotations

import json
from typing import Any

from lingualeap.backends.redis import keys
from lingualeap.backends.redis.client import RedisClient
from lingualeap.clock import Clock

HEARTBEAT_INTERVAL = 2.0
HEARTBEAT_TTL_MS = 6_000


class RedisInstanceRegistry:
    def __init__(self, client: RedisClient, clock: Clock, instance_id: str, info: dict[str, Any]) -> None:
        self._client = client
        self._clock = clock
        self.instance_id = instance_id
        self._info = info
        self.last_beat: float | None = None

    async def beat(self) -> None:
        now = self._clock.now()
        info = json.dumps({**self._info, "id": self.instance_id, "heartbeat": now})
        await self._client.execute("SET", keys.instance(self.instance_id), info, "PX", HEARTBEAT_TTL_MS)
        await self._client.execute("ZADD", keys.INSTANCES, int(now * 1000) + HEARTBEAT_TTL_MS, self.instance_id)
        self.last_beat = now

    async def leave(self) -> None:
        await self._client.execute("DEL", keys.instance(self.instance_id))
        await self._client.execute("ZREM", keys.INSTANCES, self.instance_id)

    async def live(self) -> list[dict[str, Any]]:
        now_ms = int(self._clock.now() * 1000)
        await self._client.execute("ZREMRANGEBYSCORE", keys.INSTANCES, "-inf", now_ms)
        ids = await self._client.execute("ZRANGE", keys.INSTANCES, 0, -1)
        found = []
        for instance_id in ids or ():
            raw = await self._client.execute("GET", keys.instance(str(instance_id)))
            if raw:
                found.append(json.loads(raw))
        return found
