"""Matchmaking queues in Redis, taken atomically by Lua so no player is matched twice."""

from __future__ import annotations

import json
from typing import Any

from lingualeap.backends.redis import keys
from lingualeap.backends.redis.client import RedisClient, Script
from lingualeap.backends.redis.instances import HEARTBEAT_TTL_MS
from lingualeap.domain.errors import GameError
from lingualeap.domain.model import Player
from lingualeap.ports import QueuedPlayer

# KEYS: queue list, queued hash, the instance's heartbeat key. ARGV: player id, entry json, ttl ms.
# Returns the position or -1. An instance that queues a player is alive: if its first heartbeat
# has not landed yet, the key is created here, so `take` does not drop the player as orphaned.
_ENQUEUE = Script("""
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return -1 end
redis.call('SET', KEYS[3], '{}', 'PX', ARGV[3], 'NX')
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return redis.call('RPUSH', KEYS[1], ARGV[1])
""")

# KEYS: queued hash. ARGV: player id, queue key prefix. Returns the language or nil.
_REMOVE = Script("""
local entry = redis.call('HGET', KEYS[1], ARGV[1])
if not entry then return false end
local language = cjson.decode(entry)['language']
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('LREM', ARGV[2] .. language, 0, ARGV[1])
return language
""")

# KEYS: queue list, queued hash. ARGV: count, instance key prefix.
# Takes the first `count` players whose instance is alive; players of dead instances are dropped.
_TAKE = Script("""
local count = tonumber(ARGV[1])
-- Look at a bounded window: dead entries beyond it are cleaned up by later takes.
local ids = redis.call('LRANGE', KEYS[1], 0, count * 8 - 1)
local alive = {}
local dead = {}
for _, id in ipairs(ids) do
  local entry = redis.call('HGET', KEYS[2], id)
  if entry then
    local instance = cjson.decode(entry)['instance']
    if redis.call('EXISTS', ARGV[2] .. instance) == 1 then
      if #alive < count then table.insert(alive, {id, entry}) end
    else
      table.insert(dead, id)
    end
  else
    table.insert(dead, id)
  end
end
for _, id in ipairs(dead) do
  redis.call('LREM', KEYS[1], 0, id)
  redis.call('HDEL', KEYS[2], id)
end
if #alive < count then return {} end
local taken = {}
for _, pair in ipairs(alive) do
  redis.call('LREM', KEYS[1], 1, pair[1])
  redis.call('HDEL', KEYS[2], pair[1])
  table.insert(taken, pair[2])
end
return taken
""")


class RedisMatchQueue:
    def __init__(self, client: RedisClient) -> None:
        self._client = client

    async def enqueue(self, language: str, player: Player, instance: str) -> int:
        entry = json.dumps({"language": language, "instance": instance,
                            "player": {"id": player.id, "username": player.username, "guest": player.guest}})
        position = int(await self._client.script(
            _ENQUEUE, [keys.queue(language), keys.QUEUED, keys.instance(instance)],
            [player.id, entry, HEARTBEAT_TTL_MS],
        ))
        if position < 0:
            raise GameError("already_queued", "you are already waiting for a match")
        return position

    async def remove(self, player_id: str) -> str | None:
        language = await self._client.script(_REMOVE, [keys.QUEUED], [player_id, keys.queue("")])
        return str(language) if language else None

    async def take(self, language: str, count: int) -> list[QueuedPlayer]:
        if count <= 0:
            return []
        taken = await self._client.script(
            _TAKE, [keys.queue(language), keys.QUEUED], [count, keys.instance("")]
        )
        return [_queued(json.loads(raw)) for raw in taken or ()]

    async def queued_language(self, player_id: str) -> str | None:
        entry = await self._client.execute("HGET", keys.QUEUED, player_id)
        return str(json.loads(entry)["language"]) if entry else None

    async def sizes(self) -> dict[str, int]:
        entries = await self._client.execute("HVALS", keys.QUEUED)
        sizes: dict[str, int] = {}
        for raw in entries or ():
            language = str(json.loads(raw)["language"])
            sizes[language] = sizes.get(language, 0) + 1
        return sizes


def _queued(entry: dict[str, Any]) -> QueuedPlayer:
    p = entry["player"]
    return QueuedPlayer(Player(str(p["id"]), str(p["username"]), bool(p["guest"])), str(entry["instance"]))
