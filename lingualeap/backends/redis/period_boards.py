"""Period leaderboards as Redis sorted sets (``domain/leaderboard_periods.py``).

Each board is a sorted set whose one number packs (score, time reached) so that ascending order
is rank order, ties falling back to member id; a hash beside it keeps each member's raw score,
tick and label, so crediting is one atomic read-modify-write in Lua.
"""

from __future__ import annotations

import json

from lingualeap.backends.redis import keys
from lingualeap.backends.redis.client import RedisClient, Script
from lingualeap.domain.leaderboard_periods import ScoreEncoding
from lingualeap.ports import RankedRow

# KEYS: board zset, data hash. ARGV: member, label, points, ticks, max score, 2^time bits,
# expire-at seconds (0: never). Returns the new score, or an error if it does not fit.
_CREDIT = Script("""
local points, ticks, max = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local score = points
local old = redis.call('HGET', KEYS[2], ARGV[1])
if old then
  local entry = cjson.decode(old)
  if points == 0 then ticks = entry['t'] end
  score = entry['s'] + points
end
if score < 0 or score > max then return redis.error_reply('score out of range for this board') end
redis.call('ZADD', KEYS[1], (max - score) * tonumber(ARGV[6]) + ticks, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode({s = score, t = ticks, l = ARGV[2]}))
if tonumber(ARGV[7]) > 0 then
  redis.call('EXPIREAT', KEYS[1], ARGV[7])
  redis.call('EXPIREAT', KEYS[2], ARGV[7])
end
return score
""")

# KEYS: board zset, data hash. ARGV: start, stop. Returns member, data json, ... in rank order.
_ROWS = Script("""
local members = redis.call('ZRANGE', KEYS[1], ARGV[1], ARGV[2])
local out = {}
for _, member in ipairs(members) do
  table.insert(out, member)
  table.insert(out, redis.call('HGET', KEYS[2], member) or '{}')
end
return out
""")


class RedisPeriodLeaderboards:
    def __init__(self, client: RedisClient) -> None:
        self._client = client

    async def credit(
        self, board: str, member: str, label: str, points: int, at: float, encoding: ScoreEncoding,
        expires_at: float | None,
    ) -> int:
        encoding.encode(0, at)  # refuses times outside the board's period
        score = await self._client.script(
            _CREDIT, [keys.period_board(board), keys.period_board(board, "data")],
            [member, label, int(points), encoding.tick(at), encoding.max_score, 1 << encoding.time_bits,
             int(expires_at or 0)],
        )
        return int(score)

    async def rows(self, board: str, start: int, stop: int) -> list[RankedRow]:
        flat = await self._client.script(
            _ROWS, [keys.period_board(board), keys.period_board(board, "data")], [start, stop]
        )
        rows: list[RankedRow] = []
        for i in range(0, len(flat or ()), 2):
            data = json.loads(flat[i + 1])
            member = str(flat[i])
            rows.append(RankedRow(start + i // 2 + 1, member, str(data.get("l", member)), int(data.get("s", 0))))
        return rows

    async def rank(self, board: str, member: str) -> int | None:
        found = await self._client.execute("ZRANK", keys.period_board(board), member)
        return None if found is None else int(found)

    async def size(self, board: str) -> int:
        return int(await self._client.execute("ZCARD", keys.period_board(board)))
