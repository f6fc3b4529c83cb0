"""Rate limits in Redis, shared by every instance: token buckets and failure back-off in Lua.

Each check is one script, so concurrent instances never both spend the last token. Time comes
from our Clock (passed in), like everywhere else; instance clocks are NTP-close, and a bucket
never moves backwards in time, so a lagging instance only refills a little late. Keys expire
once they would be full (or forgotten) anyway.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from lingualeap.backends.redis import keys
from lingualeap.backends.redis.client import RedisClient, Script
from lingualeap.clock import Clock
from lingualeap.domain.ratelimit import Backoff, Decision, Rate

# KEYS: bucket hashes, taken from in order. ARGV: now, then per bucket: per second, burst, cost,
# ttl ms. Returns {allowed, retry after} per bucket, up to the first that refused.
# Numbers go back as strings: Redis would truncate Lua floats to integers.
_TAKE = Script("""
local now = tonumber(ARGV[1])
local out = {}
for i, key in ipairs(KEYS) do
  local at = 2 + (i - 1) * 4
  local rate = tonumber(ARGV[at])
  local burst = tonumber(ARGV[at + 1])
  local cost = tonumber(ARGV[at + 2])
  local state = redis.call('HMGET', key, 't', 'u')
  local tokens = tonumber(state[1])
  local updated = tonumber(state[2])
  if tokens == nil or updated == nil then
    tokens = burst
    updated = now
  end
  if now > updated then
    tokens = math.min(burst, tokens + (now - updated) * rate)
    updated = now
  end
  local allowed = 0
  local retry = 0
  if tokens >= cost then
    tokens = tokens - cost
    allowed = 1
  else
    retry = (cost - tokens) / rate
  end
  redis.call('HSET', key, 't', string.format('%.6f', tokens), 'u', string.format('%.6f', updated))
  redis.call('PEXPIRE', key, ARGV[at + 3])
  out[#out + 1] = allowed
  out[#out + 1] = string.format('%.6f', retry)
  if allowed == 0 then break end
end
return out
""")

# KEYS: failures hash. ARGV: now, free, base, maximum, window (s). Returns the delay imposed.
# Failures are forgotten by the clock passed in (the window after the last one, or the end of a
# longer lock), like in memory; the key's expiry only collects the garbage.
_FAIL = Script("""
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[5])
local state = redis.call('HMGET', KEYS[1], 'n', 'last', 'until')
local n = tonumber(state[1]) or 0
local last = tonumber(state[2]) or now
local locked = tonumber(state[3]) or 0
if now >= math.max(last + window, locked) then n = 0 end
n = n + 1
local over = n - tonumber(ARGV[2])
local delay = 0
if over > 0 then
  delay = math.min(tonumber(ARGV[4]), tonumber(ARGV[3]) * 2 ^ math.min(over - 1, 64))
  locked = now + delay
end
redis.call('HSET', KEYS[1], 'n', n, 'last', string.format('%.6f', now), 'until', string.format('%.6f', locked))
redis.call('PEXPIRE', KEYS[1], math.ceil(math.max(window, delay) * 1000) + 1000)
return string.format('%.6f', delay)
""")


class RedisRateLimiter:
    def __init__(self, client: RedisClient, clock: Clock) -> None:
        self._client = client
        self._clock = clock

    async def take(self, key: str, rate: Rate, cost: float = 1.0) -> Decision:
        [decision] = await self._take([(key, rate, cost)])
        return decision

    async def take_each(self, buckets: Sequence[tuple[str, Rate]]) -> list[Decision]:
        return await self._take([(key, rate, 1.0) for key, rate in buckets])

    async def _take(self, buckets: Sequence[tuple[str, Rate, float]]) -> list[Decision]:
        args: list[object] = [repr(self._clock.now())]
        for _, rate, cost in buckets:
            args += [repr(rate.per_second), repr(rate.burst), repr(cost), math.ceil(rate.refill_seconds * 1000) + 1000]
        out = await self._client.script(_TAKE, [keys.rate(key) for key, _, _ in buckets], args)
        return [Decision(True) if int(allowed) else Decision(False, float(retry))
                for allowed, retry in zip(out[::2], out[1::2])]

    async def penalty(self, key: str) -> float:
        until = await self._client.execute("HGET", keys.failures(key), "until")
        if until is None:
            return 0.0
        return max(0.0, float(until) - self._clock.now())

    async def fail(self, key: str, backoff: Backoff) -> float:
        delay = await self._client.script(
            _FAIL, [keys.failures(key)],
            [repr(self._clock.now()), backoff.free, repr(backoff.base), repr(backoff.maximum),
             repr(backoff.window)],
        )
        return float(delay)

    async def forgive(self, key: str) -> None:
        await self._client.execute("DEL", keys.failures(key))
