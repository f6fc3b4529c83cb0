"""Room leases (ownership with fencing) and room snapshots in Redis."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from lingualeap.backends.memory.rooms import events_after
from lingualeap.backends.redis import keys
from lingualeap.backends.redis.backplane import compact_json, from_instance
from lingualeap.backends.redis.client import RedisClient, Script
from lingualeap.domain import room_codec
from lingualeap.domain.model import WordPair
from lingualeap.domain.room import RoomState
from lingualeap.ports import Lease

#: A lease outlives three missed renewals (see RoomHost's renewal interval).
LEASE_TTL_MS = 6_000
SNAPSHOT_TTL_S = 2 * 3600
#: Batches of events kept per room for players who reconnect (older ones: a snapshot instead).
EVENT_LOG_LIMIT = 200
#: Rooms whose encoded words a store keeps (past it, it forgets them all and encodes again).
WORDS_CACHE_LIMIT = 10_000
FENCE_TTL_S = 24 * 3600

# KEYS: lease, fence. ARGV: instance, ttl ms, fence ttl s. Returns the new token or nil.
_ACQUIRE = Script("""
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local token = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. token, 'PX', ARGV[2])
return token
""")

# KEYS: lease, fence of each room. ARGV: ttl ms, fence ttl s, then 'instance token', token of
# each room. Returns 1 (renewed) or 0 (lost) per room.
# A lease that merely lapsed (Redis was unreachable, or restarted empty) is taken back if nobody
# else acquired the room since: the fencing counter still shows our token, or is gone entirely.
_RENEW = Script("""
local renewed = {}
for i = 1, #KEYS, 2 do
  local lease, fence_key, mine, token = KEYS[i], KEYS[i + 1], ARGV[i + 2], ARGV[i + 3]
  local holder = redis.call('GET', lease)
  local ok = 0
  if holder == mine then
    redis.call('PEXPIRE', lease, ARGV[1])
    ok = 1
  elseif not holder then
    local fence = redis.call('GET', fence_key)
    if not fence or fence == token then
      redis.call('SET', fence_key, token, 'EX', ARGV[2])
      redis.call('SET', lease, mine, 'PX', ARGV[1])
      ok = 1
    end
  end
  table.insert(renewed, ok)
end
return renewed
""")
#: Leases renewed by one script call (a bound on how long Redis is busy with one).
RENEW_BATCH = 200
#: Lease keys read per MGET by the orphan check.
OWNERS_PER_CALL = 500

# KEYS: lease, fence. ARGV: 'instance token'.
# Moving the fence on means a released lease can never be renewed back into life.
_RELEASE = Script("""
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('INCR', KEYS[2])
  return redis.call('DEL', KEYS[1])
end
return 0
""")

# KEYS: lease, room hash, event log. ARGV: 'instance token', snapshot json (without the words),
# seq, ttl s, batch json ('' for none), channel, log length, words json ('' if already stored).
# Returns 1, 0 (the lease is not ours) or 2 (the words are missing: send them).
# Snapshot, log and publication happen together or not at all, and only while the lease is
# ours: a superseded owner can neither clobber the room nor talk to its players. The words,
# which never change, are a field of their own, sent with a room's first commit only (they are
# most of a snapshot's size); a room hash that lost them (Redis restarted empty) asks again.
_COMMIT = Script("""
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[8] == '' then
  if redis.call('HEXISTS', KEYS[2], 'words') == 0 then return 2 end
  redis.call('HSET', KEYS[2], 'state', ARGV[2], 'owner', ARGV[1], 'seq', ARGV[3])
else
  redis.call('HSET', KEYS[2], 'state', ARGV[2], 'owner', ARGV[1], 'seq', ARGV[3], 'words', ARGV[8])
end
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
        return (await self.renew_all([lease]))[0]

    async def renew_all(self, leases: Sequence[Lease]) -> list[bool]:
        renewed: list[bool] = []
        for start in range(0, len(leases), RENEW_BATCH):
            chunk = leases[start:start + RENEW_BATCH]
            room_keys = [k for lease in chunk for k in (keys.lease(lease.room_id), keys.fence(lease.room_id))]
            args = [a for lease in chunk for a in (_holder(lease), lease.token)]
            answer = await self._client.script(_RENEW, room_keys, [self._ttl_ms, FENCE_TTL_S, *args])
            renewed += [bool(int(ok)) for ok in answer or ()]
        return renewed

    async def release(self, lease: Lease) -> None:
        await self._client.script(_RELEASE, [keys.lease(lease.room_id), keys.fence(lease.room_id)], [_holder(lease)])

    async def owner(self, room_id: str) -> str | None:
        return _instance_of(await self._client.execute("GET", keys.lease(room_id)))

    async def owners(self, room_ids: Sequence[str]) -> dict[str, str | None]:
        found: dict[str, str | None] = {}
        for start in range(0, len(room_ids), OWNERS_PER_CALL):
            chunk = room_ids[start:start + OWNERS_PER_CALL]
            holders = await self._client.execute("MGET", *[keys.lease(room_id) for room_id in chunk])
            found.update(zip(chunk, map(_instance_of, holders or [None] * len(chunk))))
        return found


def _instance_of(holder: Any) -> str | None:
    return str(holder).split(" ", 1)[0] if holder else None


class RedisRoomStore:
    def __init__(self, client: RedisClient, db: int, log_limit: int = EVENT_LOG_LIMIT) -> None:
        self._client = client
        self._channels = keys.Channels(db)
        self._log_limit = log_limit
        # A room's words never change: encoded once per room here, not on every commit.
        self._words: dict[str, tuple[tuple[WordPair, ...], str]] = {}

    async def commit(self, state: RoomState, lease: Lease, batch: dict[str, Any] | None) -> bool:
        args = [_holder(lease), compact_json(room_codec.to_dict(state, words=False)), state.seq, SNAPSHOT_TTL_S,
                compact_json(from_instance(lease.instance, batch)) if batch else "",
                self._channels.room(state.room_id), self._log_limit, self._words_to_send(state)]
        room_keys = [keys.lease(state.room_id), keys.room(state.room_id), keys.room_events(state.room_id)]
        committed = int(await self._client.script(_COMMIT, room_keys, args))
        if committed == 2:  # the stored room lost its words: send them along
            args[-1] = self._encoded_words(state)
            committed = int(await self._client.script(_COMMIT, room_keys, args))
        return committed == 1

    def _words_to_send(self, state: RoomState) -> str:
        """The room's words with its first commit from here, then ``''`` (already stored)."""
        return "" if self._cached_words(state) is not None else self._encoded_words(state)

    def _cached_words(self, state: RoomState) -> str | None:
        cached = self._words.get(state.room_id)
        return cached[1] if cached is not None and cached[0] is state.words else None

    def _encoded_words(self, state: RoomState) -> str:
        cached = self._cached_words(state)
        if cached is not None:
            return cached
        if len(self._words) >= WORDS_CACHE_LIMIT:
            self._words.clear()
        encoded = compact_json(room_codec.words_to_list(state.words))
        self._words[state.room_id] = (state.words, encoded)
        return encoded

    async def load(self, room_id: str) -> RoomState | None:
        raw, words = await self._client.execute("HMGET", keys.room(room_id), "state", "words")
        if not raw:
            return None
        return room_codec.from_dict(json.loads(raw), json.loads(words) if words else None)

    async def events_since(self, room_id: str, seq: int) -> list[dict[str, Any]] | None:
        batches = await self._client.execute("LRANGE", keys.room_events(room_id), 0, -1)
        events = [event for raw in batches or () for event in json.loads(raw)["events"]]
        return events_after(events, seq)

    async def delete(self, room_id: str) -> None:
        self._words.pop(room_id, None)
        await self._client.execute("DEL", keys.room(room_id), keys.room_events(room_id))

