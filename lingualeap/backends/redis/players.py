"""Accounts in Redis, for clusters without MongoDB: a hash per user and unique index keys.

Creating, renaming and crediting run as Lua scripts, so the name and e-mail indexes never
disagree with the users and a match is credited once however often it is recorded.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from lingualeap.backends.credit import credited_stats, progression_document, progression_record, registered_ratings
from lingualeap.backends.redis import keys
from lingualeap.backends.redis.client import RedisClient, Script
from lingualeap.clock import Clock
from lingualeap.domain import stats as match_stats
from lingualeap.domain.errors import GameError
from lingualeap.domain.rating import from_record
from lingualeap.domain.results import MatchResult
from lingualeap.ports import LanguageStats, ProgressionRecord, UserRecord, WordProgress

MATCH_TTL_S = 30 * 24 * 3600

# KEYS: user, by-email, by-name. ARGV: id, then field/value pairs.
_CREATE = Script("""
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
redis.call('SET', KEYS[2], ARGV[1])
redis.call('SET', KEYS[3], ARGV[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
return 1
""")

# KEYS: user, old by-email, old by-name, new by-email, new by-name. ARGV: id, field/value pairs.
_UPDATE = Script("""
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
for i = 4, 5 do
  local owner = redis.call('GET', KEYS[i])
  if owner and owner ~= ARGV[1] then return 0 end
end
if KEYS[2] ~= KEYS[4] then redis.call('DEL', KEYS[2]) end
if KEYS[3] ~= KEYS[5] then redis.call('DEL', KEYS[3]) end
redis.call('SET', KEYS[4], ARGV[1])
redis.call('SET', KEYS[5], ARGV[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
return 1
""")

# KEYS: match. ARGV: match json, ttl, user-key prefix, then per user: id, xp, won, the stats
# field read before (what the new one was computed from), the new stats field.
# Returns 1 (recorded), 0 (a replay) or -1 (some stats changed meanwhile: compute again).
_RECORD = Script("""
for i = 4, #ARGV, 5 do
  local user = ARGV[3] .. ARGV[i]
  if redis.call('EXISTS', user) == 1 and (redis.call('HGET', user, 'stats') or '[]') ~= ARGV[i + 3] then
    return -1
  end
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) == false then return 0 end
for i = 4, #ARGV, 5 do
  local user = ARGV[3] .. ARGV[i]
  if redis.call('EXISTS', user) == 1 then
    redis.call('HINCRBY', user, 'total_xp', ARGV[i + 1])
    redis.call('HINCRBY', user, 'games_played', 1)
    redis.call('HINCRBY', user, 'wins', ARGV[i + 2])
    redis.call('HSET', user, 'stats', ARGV[i + 4])
  end
end
return 1
""")
#: How often a match is computed again when its players' stats keep changing under it.
RECORD_ATTEMPTS = 8

# KEYS: user, grants. ARGV: grant id, amount.
_GRANT = Script("""
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[1], 'total_xp', ARGV[2])
return 1
""")

# KEYS: user. ARGV: the version expected, the new progression json, bonus XP. 1 if saved.
_SAVE_PROGRESSION = Script("""
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if tonumber(redis.call('HGET', KEYS[1], 'progression_version') or '0') ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'progression', ARGV[2], 'progression_version', tonumber(ARGV[1]) + 1)
redis.call('HINCRBY', KEYS[1], 'total_xp', ARGV[3])
return 1
""")

_FIELDS = {f.name: f for f in dataclasses.fields(UserRecord)}


def _flatten(user: UserRecord) -> list[str]:
    flat: list[str] = []
    for name, value in dataclasses.asdict(user).items():
        if name == "grants":
            continue  # kept in a set beside the hash
        flat += [name, json.dumps(value)]
    return flat


def _record(raw: Any, grants: Any) -> UserRecord | None:
    if not raw:
        return None
    pairs = dict(zip(raw[::2], raw[1::2])) if isinstance(raw, list) else dict(raw)
    values: dict[str, Any] = {}
    for name in _FIELDS:
        if name in pairs:
            values[name] = json.loads(pairs[name])
    values["grants"] = tuple(sorted(grants or ()))
    # JSON gives the per-language stats back as plain objects.
    values["stats"] = _stats(values.get("stats"))
    return UserRecord(**values)


def _stats(decoded: Any) -> tuple[LanguageStats, ...]:
    """Per-language stats from their JSON form (plain objects)."""
    return tuple(LanguageStats(**{**s, "rating": from_record(s.get("rating") or {})}) for s in decoded or ())


def _name_key(name: str) -> str:
    return keys.user_by_name(name.casefold())


class RedisPlayerStore:
    def __init__(self, client: RedisClient, clock: Clock) -> None:
        self._client = client
        self._clock = clock

    async def create_user(self, user: UserRecord) -> None:
        created = await self._client.script(
            _CREATE,
            [keys.user(user.id), keys.user_by_email(user.email.lower()), _name_key(user.name)],
            [user.id, *_flatten(user)],
        )
        if not int(created):
            raise GameError("user_exists", "User already exists")

    async def user_by_id(self, user_id: str) -> UserRecord | None:
        raw = await self._client.execute("HGETALL", keys.user(user_id))
        if not raw:
            return None
        grants = await self._client.execute("SMEMBERS", keys.user_grants(user_id))
        return _record(raw, grants)

    async def user_by_email(self, email: str) -> UserRecord | None:
        user_id = await self._client.execute("GET", keys.user_by_email(email.lower()))
        return await self.user_by_id(str(user_id)) if user_id else None

    async def user_by_name(self, name: str) -> UserRecord | None:
        user_id = await self._client.execute("GET", _name_key(name))
        return await self.user_by_id(str(user_id)) if user_id else None

    async def update_user(self, user_id: str, changes: Mapping[str, Any]) -> UserRecord:
        unknown = set(changes) - (set(_FIELDS) - {"id", "grants", "created_at"})
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        user = await self.user_by_id(user_id)
        if user is None:
            raise GameError("unknown_user", "no such user")
        updated = dataclasses.replace(user, **changes, updated_at=self._clock.now())
        result = int(await self._client.script(
            _UPDATE,
            [keys.user(user_id), keys.user_by_email(user.email.lower()), _name_key(user.name),
             keys.user_by_email(updated.email.lower()), _name_key(updated.name)],
            [user_id, *[v for name in (*changes, "updated_at")
                        for v in (name, json.dumps(getattr(updated, name)))]],
        ))
        if result == -1:
            raise GameError("unknown_user", "no such user")
        if result == 0:
            raise GameError("user_exists", "User already exists")
        return updated

    async def delete_user(self, user_id: str) -> bool:
        user = await self.user_by_id(user_id)
        if user is None:
            return False
        await self._client.execute(
            "DEL", keys.user(user_id), keys.user_grants(user_id),
            keys.user_by_email(user.email.lower()), _name_key(user.name),
        )
        return True

    async def record_match(self, result: MatchResult) -> bool:
        document = json.dumps({
            "match_id": result.match_id, "language": result.language,
            "started_at": result.started_at, "ended_at": result.ended_at,
            "players": [dataclasses.asdict(p) for p in result.players],
            "rounds": [dataclasses.asdict(r) for r in result.rounds],
        }, separators=(",", ":"), ensure_ascii=False)
        registered = [p for p in result.players if not p.guest]
        for _ in range(RECORD_ATTEMPTS):
            raw = {p.id: await self._client.execute("HGET", keys.user(p.id), "stats") for p in registered}
            users = {p.id: _stats(json.loads(raw[p.id])) for p in registered if raw[p.id] is not None}
            rated = match_stats.new_ratings(result, registered_ratings(result, users))
            credits: list[object] = []
            for player in registered:
                user = users.get(player.id)
                after = credited_stats(user, result, player, rated) if user is not None else ()
                credits += [player.id, player.xp, 1 if player.won else 0, raw[player.id] or "[]",
                            json.dumps([dataclasses.asdict(s) for s in after])]
            recorded = int(await self._client.script(
                _RECORD, [keys.match(result.record_id)], [document, MATCH_TTL_S, keys.user(""), *credits]
            ))
            if recorded >= 0:
                return bool(recorded)
        raise GameError("unavailable", f"the players of match {result.record_id} kept changing; retried later")

    async def grant_xp(self, user_id: str, amount: int, grant_id: str) -> UserRecord | None:
        granted = int(await self._client.script(
            _GRANT, [keys.user(user_id), keys.user_grants(user_id)], [grant_id, amount]
        ))
        if granted == -1:
            raise GameError("unknown_user", "no such user")
        return await self.user_by_id(user_id) if granted else None

    # Match history, per-language stats and word progress are kept only with --mongo; these
    # answer the PlayerStore port for a Redis-only cluster without them.
    async def history(self, user_id: str, limit: int) -> list[MatchResult]:
        return []

    async def top_by_xp(self, limit: int) -> list[UserRecord]:
        return []  # the leaderboard sorted set is this store's only XP index

    async def progress(self, user_id: str, language: str) -> list[WordProgress]:
        return []

    async def progression(self, user_id: str) -> ProgressionRecord | None:
        found = await self._client.execute("HMGET", keys.user(user_id), "id", "progression", "progression_version")
        if not found or found[0] is None:
            return None
        return progression_record(json.loads(found[1]) if found[1] else None, found[2])

    async def save_progression(self, user_id: str, record: ProgressionRecord, bonus_xp: int) -> bool:
        saved = await self._client.script(
            _SAVE_PROGRESSION, [keys.user(user_id)],
            [record.version - 1, json.dumps(progression_document(record)), bonus_xp],
        )
        return bool(int(saved))
