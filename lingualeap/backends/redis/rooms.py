"""Room leases (ownership with fencing) and room snapshots in Redis."""

from __future__ import annotations

import json
from typing import Any

from lingualeap.backends.memory.rooms import events_after
from lingualeap.backends.redis import keys
from lingualeap.backends.redis.client import RedisClient, Script
from lingualeap.domain import room_codec
from lingualeap.domain.room import RoomState
from lingualeap.ports import Lease

#: A lease outlives three missed renewals (see RoomHost's renewal interval).
LEASE_TTL_MS = 6_000
SNAPSHOT_TTL_S = 2 * 3600
#: Batches of events kept per room for players who reconnect (older ones: a snapshot instead).
EVENT_LOG_LIMIT = 200
FENCE_TTL_S = 24 * 3600

# KEYS: lease, fence. ARGV: instance, ttl ms, fence ttl s. Returns the new token or nil.
_ACQUIRE = Script("""
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local token = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. token, 'PX', ARGV[2])
return token
""")

# KEYS: lease, fence. ARGV: 'instance token', ttl ms, token, fence ttl s.
# A lease that merely lapsed (Redis was unreachable, or restarted empty) is taken back if nobody
# else acquired the room since: the fencing counter still shows our token, or is gone entirely.
_RENEW = Script("""
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if holder then return 0 end
local fence = redis.call('GET', KEYS[2])
if fence and fence ~= ARGV[3] then return 0 end
redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
""")

# KEYS: lease, fence. ARGV: 'instance token'.
# Moving the fence on means a released lease can never be renewed back into life.
_RELEASE = Script("""
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('INCR', KEYS[2])
  return redis.call('DEL', KEYS[1])
end
return 0
""")

# KEYS: lease, room hash, event log. ARGV: 'instance token', snapshot json, seq, ttl s,
# batch json ('' for none), channel, log length.
# Snapshot, log and publication happen together or not at all, and only while the lease is
# ours: a superseded owner can neither clobber the room nor talk to its players.
_COMMIT = Script("""
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], 'state', ARGV[2], 'owner', ARGV[1], 'seq', ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[4])
if ARGV[5] ~= '' then
  redis.call('RPUSH', KEYS[3], ARGV[5])
  redis.call('LTRIM', KEYS[3], -tonumber(ARGV[7]), -1)
  redis.call('EXPIRE', KEYS[3], ARGV[4])
  redis.call('PUBLISH', ARGV[6], ARGV[5])
end
return 1
""")


def _holder(lease: Lease) -> str:
    return f"{lease.instance} {lease.token}"


class RedisRoomLeases:
    def __init__(self, client: RedisClient, ttl_ms: int = LEASE_TTL_MS) -> None:
        self._client = client
        self._ttl_ms = ttl_ms

    async def acquire(self, room_id: str, instance: str) -> Lease | None:
        token = await self._client.script(
            _ACQUIRE, [keys.lease(room_id), keys.fence(room_id)], [instance, self._ttl_ms, FENCE_TTL_S]
        )
        return None if token is None else Lease(room_id, instance, int(token))

    async def renew(self, lease: Lease) -> bool:
        renewed = await self._client.script(
            _RENEW, [keys.lease(lease.room_id), keys.fence(lease.room_id)],
            [_holder(lease), self._ttl_ms, lease.token, FENCE_TTL_S],
        )
        return bool(int(renewed))

    async def release(self, lease: Lease) -> None:
        await self._client.script(_RELEASE, [keys.lease(lease.room_id), keys.fence(lease.room_id)], [_holder(lease)])

    async def owner(self, room_id: str) -> str | None:
        holder = await self._client.execute("GET", keys.lease(room_id))
        return str(holder).split(" ", 1)[0] if holder else None


class RedisRoomStore:
    def __init__(self, client: RedisClient, db: int, log_limit: int = EVENT_LOG_LIMIT) -> None:
        self._client = client
        self._channels = keys.Channels(db)
        self._log_limit = log_limit

    async def commit(self, state: RoomState, lease: Lease, batch: dict[str, Any] | None) -> bool:
        snapshot = _json(room_codec.to_dict(state))
        committed = await self._client.script(
            _COMMIT,
            [keys.lease(state.room_id), keys.room(state.room_id), keys.room_events(state.room_id)],
            [_holder(lease), snapshot, state.seq, SNAPSHOT_TTL_S, _json(batch) if batch else "",
             self._channels.room(state.room_id), self._log_limit],
        )
        return bool(int(committed))

    async def load(self, room_id: str) -> RoomState | None:
        raw = await self._client.execute("HGET", keys.room(room_id), "state")
        return room_codec.from_dict(json.loads(raw)) if raw else None

    async def events_since(self, room_id: str, seq: int) -> list[dict[str, Any]] | None:
        batches = await self._client.execute("LRANGE", keys.room_events(room_id), 0, -1)
        events = [event for raw in batches or () for event in json.loads(raw)["events"]]
        return events_after(events, seq)

    async def delete(self, room_id: str) -> None:
        await self._client.execute("DEL", keys.room(room_id), keys.room_events(room_id))


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
