"""Leaderboards as Redis sorted sets, with display labels in a hash beside each board.

Scores are stored negated, so one ascending ZRANGE gives highest score first with ties broken by
member id ascending, the same order the memory boards use.
"""

from __future__ import annotations

from collections.abc import Mapping

from lingualeap.backends.redis import keys
from lingualeap.backends.redis.client import RedisClient, Script
from lingualeap.ports import LeaderboardEntry

# KEYS: board, labels. ARGV: member, amount, label.
_INCREMENT = Script("""
local score = redis.call('ZINCRBY', KEYS[1], -tonumber(ARGV[2]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return score
""")

# KEYS: board, labels. ARGV: ttl (0 = none), then member, label, score triples.
_REPLACE = Script("""
redis.call('DEL', KEYS[1], KEYS[2])
for i = 2, #ARGV, 3 do
  redis.call('ZADD', KEYS[1], -tonumber(ARGV[i + 2]), ARGV[i])
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
end
if tonumber(ARGV[1]) > 0 and #ARGV > 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  redis.call('EXPIRE', KEYS[2], ARGV[1])
end
return 1
""")

# KEYS: board, labels. ARGV: limit. Returns member, label, score, ...
_TOP = Script("""
local members = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1, 'WITHSCORES')
local out = {}
for i = 1, #members, 2 do
  table.insert(out, members[i])
  table.insert(out, redis.call('HGET', KEYS[2], members[i]) or members[i])
  table.insert(out, members[i + 1])
end
return out
""")


class RedisLeaderboards:
    def __init__(self, client: RedisClient) -> None:
        self._client = client

    async def increment(self, board: str, member: str, amount: float, label: str) -> float:
        score = await self._client.script(
            _INCREMENT, [keys.board(board), keys.board_labels(board)], [member, repr(float(amount)), label]
        )
        return -float(score)

    async def set_scores(
        self, board: str, entries: Mapping[str, tuple[str, float]], ttl: float | None = None
    ) -> None:
        args: list[object] = [int(ttl or 0)]
        for member, (label, score) in entries.items():
            args += [member, label, repr(float(score))]
        await self._client.script(_REPLACE, [keys.board(board), keys.board_labels(board)], args)

    async def top(self, board: str, limit: int) -> list[LeaderboardEntry]:
        if limit <= 0:
            return []
        flat = await self._client.script(_TOP, [keys.board(board), keys.board_labels(board)], [limit])
        return [
            LeaderboardEntry(str(flat[i]), str(flat[i + 1]), -float(flat[i + 2]) + 0.0)
            for i in range(0, len(flat or ()), 3)
        ]

    async def remove(self, board: str, member: str) -> None:
        await self._client.execute("ZREM", keys.board(board), member)
        await self._client.execute("HDEL", keys.board_labels(board), member)

    async def exists(self, board: str) -> bool:
        return bool(int(await self._client.execute("EXISTS", keys.board(board))))
