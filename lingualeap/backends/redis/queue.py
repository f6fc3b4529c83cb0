"""Matchmaking queues in Redis: a sorted set per language and room size (score: rating), the
entries in one hash; Lua scripts make joining, leaving and claiming a group atomic, so no player
is matched twice however many instances race for them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from lingualeap.backends.redis import keys
from lingualeap.backends.redis.client import RedisClient, Script
from lingualeap.backends.redis.instances import HEARTBEAT_TTL_MS
from lingualeap.domain.errors import GameError
from lingualeap.domain.model import Player
from lingualeap.ports import QueuedPlayer, QueueTicket

#: Most entries one look at a queue returns (the lowest rated first).
WAITING_LIMIT = 2000

# KEYS: queue zset, queued hash, the instance's heartbeat key. ARGV: player id, entry json,
# ttl ms, rating. Returns the position by arrival (everybody else came earlier) or -1.
# An instance that queues a player is alive: if its first heartbeat has not landed yet, the key
# is created here, so the player is not dropped as orphaned.
_ENQUEUE = Script("""
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return -1 end
redis.call('SET', KEYS[3], '{}', 'PX', ARGV[3], 'NX')
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
return redis.call('ZCARD', KEYS[1])
""")

# KEYS: queued hash. ARGV: player id. Returns the language or nil.
_REMOVE = Script("""
local entry = redis.call('HGET', KEYS[1], ARGV[1])
if not entry then return false end
local decoded = cjson.decode(entry)
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', decoded['queue'], ARGV[1])
return decoded['language']
""")

# KEYS: queue zset, queued hash. ARGV: instance key prefix, limit.
# The entries of the queue whose instance is alive, lowest rating first; others are dropped.
_WAITING = Script("""
local ids = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
local alive = {}
for _, id in ipairs(ids) do
  local entry = redis.call('HGET', KEYS[2], id)
  local keep = false
  if entry then
    local decoded = cjson.decode(entry)
    if decoded['queue'] == KEYS[1] and redis.call('EXISTS', ARGV[1] .. decoded['instance']) == 1 then
      keep = true
    elseif decoded['queue'] == KEYS[1] then
      redis.call('HDEL', KEYS[2], id)
    end
  end
  if keep then table.insert(alive, entry) else redis.call('ZREM', KEYS[1], id) end
end
return alive
""")

# KEYS: queue zset, queued hash. ARGV: player ids. All of them, or nobody.
_CLAIM = Script("""
for _, id in ipairs(ARGV) do
  if not redis.call('ZSCORE', KEYS[1], id) or redis.call('HEXISTS', KEYS[2], id) == 0 then return {} end
end
local taken = {}
for _, id in ipairs(ARGV) do
  table.insert(taken, redis.call('HGET', KEYS[2], id))
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
end
return taken
""")


def _queue_key(language: str, size: int) -> str:
    return keys.queue(f"{language}:{size}")


class RedisMatchQueue:
    def __init__(self, client: RedisClient) -> None:
        self._client = client

    async def enqueue(self, language: str, player: Player, instance: str, ticket: QueueTicket = QueueTicket()) -> int:
        queue = _queue_key(language, ticket.size)
        entry = json.dumps({
            "language": language, "queue": queue, "instance": instance,
            "player": {"id": player.id, "username": player.username, "guest": player.guest},
            "ticket": {"size": ticket.size, "rating": ticket.rating, "deviation": ticket.deviation,
                       "since": ticket.since},
        })
        position = int(await self._client.script(
            _ENQUEUE, [queue, keys.QUEUED, keys.instance(instance)],
            [player.id, entry, HEARTBEAT_TTL_MS, repr(float(ticket.rating))],
        ))
        if position < 0:
            raise GameError("already_queued", "you are already waiting for a match")
        return position

    async def remove(self, player_id: str) -> str | None:
        language = await self._client.script(_REMOVE, [keys.QUEUED], [player_id])
        return str(language) if language else None

    async def waiting(self, language: str, size: int) -> list[QueuedPlayer]:
        found = await self._client.script(
            _WAITING, [_queue_key(language, size), keys.QUEUED], [keys.instance(""), WAITING_LIMIT]
        )
        entries = [_queued(json.loads(raw)) for raw in found or ()]
        # The sorted set orders by rating (for the Lua side); callers want arrival order.
        return sorted(entries, key=lambda q: q.ticket.since)

    async def claim(self, language: str, size: int, player_ids: Sequence[str]) -> list[QueuedPlayer]:
        if not player_ids or len(set(player_ids)) != len(player_ids):
            return []
        taken = await self._client.script(_CLAIM, [_queue_key(language, size), keys.QUEUED], list(player_ids))
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
    p, t, new = entry["player"], entry.get("ticket") or {}, QueueTicket()
    ticket = QueueTicket(int(t.get("size", new.size)), float(t.get("rating", new.rating)),
                         float(t.get("deviation", new.deviation)), float(t.get("since", new.since)))
    return QueuedPlayer(Player(str(p["id"]), str(p["username"]), bool(p["guest"])), str(entry["instance"]), ticket)
