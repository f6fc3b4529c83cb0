"""Match results waiting for MongoDB, kept in Redis (one hash) so no instance takes them to its grave.

An instance whose outbox is full spills results here, and every outbox keeps a copy of what it
holds; when MongoDB is back, any instance may pick them up (storing a result twice is harmless).
"""

from __future__ import annotations

from lingualeap.backends.redis import keys
from lingualeap.backends.redis.client import RedisClient, Script

WAITING = f"{keys.PREFIX}:results:waiting"
#: Results kept at most (a few KB each): a bound on Redis memory, as the outbox bounds ours.
MAX_SPOOLED = 50_000

# KEYS: the hash. ARGV: record id, document, bound. A result already there is rewritten.
_SAVE = Script("""
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) and redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
""")


class RedisResultSpool:
    def __init__(self, client: RedisClient, bound: int = MAX_SPOOLED) -> None:
        self._client = client
        self._bound = bound

    async def save(self, record_id: str, document: str) -> bool:
        return bool(int(await self._client.script(_SAVE, [WAITING], [record_id, document, self._bound])))

    async def remove(self, record_id: str) -> None:
        await self._client.execute("HDEL", WAITING, record_id)

    async def load(self, limit: int) -> dict[str, str]:
        found: dict[str, str] = {}
        cursor = "0"
        while len(found) < limit:
            cursor, flat = await self._client.execute("HSCAN", WAITING, cursor, "COUNT", max(10, limit))
            found.update(zip(flat[::2], flat[1::2]))
            if str(cursor) == "0":
                break
        return dict(list(found.items())[:limit])
