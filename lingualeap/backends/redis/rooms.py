"""Room leases (ownership with fencing) and room snapshots in Redis."""

from __future__ import annotations

import json

from lingualeap.backends.redis import keys
from lingualeap.backends.redis.client import RedisClient
from lingualeap.domain import room_codec
from lingualeap.domain.room import RoomState
from lingualeap.ports import Lease

#: A lease outlives three missed renewals (see RoomHost's renewal interval).
LEASE_TTL_MS = 6_000
SNAPSHOT_TTL_S = 2 * 3600
FENCE_TTL_S = 24 * 3600

# KEYS: lease, fence. ARGV: instance, ttl ms, fence ttl s. Returns the new token or nil.
_ACQUIRE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local token = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. token, 'PX', ARGV[2])
return token
"""

# KEYS: lease. ARGV: 'instance token', ttl ms.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""

# KEYS: lease. ARGV: 'instance token'.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# KEYS: lease, room hash. ARGV: 'instance token', snapshot json, seq, ttl s.
# The write is refused unless the lease is still ours: a superseded owner cannot clobber.
_SAVE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], 'state', ARGV[2], 'owner', ARGV[1], 'seq', ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return 1
"""


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
        return bool(int(await self._client.script(_RENEW, [keys.lease(lease.room_id)], [_holder(lease), self._ttl_ms])))

    async def release(self, lease: Lease) -> None:
        await self._client.script(_RELEASE, [keys.lease(lease.room_id)], [_holder(lease)])

    async def owner(self, room_id: str) -> str | None:
        holder = await self._client.execute("GET", keys.lease(room_id))
        return str(holder).split(" ", 1)[0] if holder else None


class RedisRoomStore:
    def __init__(self, client: RedisClient) -> None:
        self._client = client

    async def save(self, state: RoomState, lease: Lease) -> bool:
        snapshot = json.dumps(room_codec.to_dict(state), separators=(",", ":"), ensure_ascii=False)
        saved = await self._client.script(
            _SAVE, [keys.lease(state.room_id), keys.room(state.room_id)],
            [_holder(lease), snapshot, state.seq, SNAPSHOT_TTL_S],
        )
        return bool(int(saved))

    async def load(self, room_id: str) -> RoomState | None:
        raw = await self._client.execute("HGET", keys.room(room_id), "state")
        return room_codec.from_dict(json.loads(raw)) if raw else None

    async def delete(self, room_id: str) -> None:
        await self._client.execute("DEL", keys.room(room_id))
