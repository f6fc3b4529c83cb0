"""Rate limits in process memory: one instance's token buckets and failure counts.

Keys come from the outside world (addresses, user ids), so the tables are pruned: a bucket that
has had time to fill up again is the same as no bucket, and failures older than their window
are forgotten. Past ``max_keys`` the oldest entries go first, whatever they hold, so a flood of
new keys costs bounded memory (at worst it forgets some limits early).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lingualeap.clock import Clock
from lingualeap.domain.ratelimit import Backoff, Decision, Rate, TokenBucket

MAX_KEYS = 100_000
#: Prune at most once per this many operations (pruning walks every key).
PRUNE_EVERY = 1_000


@dataclass(slots=True)
class _Failures:
    count: int
    last_at: float
    locked_until: float
    window: float


class MemoryRateLimiter:
    def __init__(self, clock: Clock, max_keys: int = MAX_KEYS) -> None:
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[str, TokenBucket] = {}
        self._failures: dict[str, _Failures] = {}
        self._operations = 0

    async def take(self, key: str, rate: Rate, cost: float = 1.0) -> Decision:
        return self.take_now(key, rate, cost)

    async def take_each(self, buckets: Sequence[tuple[str, Rate]]) -> list[Decision]:
        decisions = []
        for key, rate in buckets:
            decisions.append(self.take_now(key, rate))
            if not decisions[-1].allowed:
                break
        return decisions

    def take_now(self, key: str, rate: Rate, cost: float = 1.0) -> Decision:
        """:meth:`take` without the coroutine, for callers that cannot wait."""
        now = self._clock.now()
        self._housekeeping(now)
        bucket = self._buckets.get(key)
        if bucket is None or bucket.rate != rate.per_second or bucket.burst != rate.burst:
            bucket = self._buckets[key] = TokenBucket.full(rate.per_second, rate.burst, now)
        if bucket.take(now, cost):
            return Decision(True)
        return Decision(False, bucket.retry_after(now, cost))

    async def penalty(self, key: str) -> float:
        record = self._failures.get(key)
        if record is None:
            return 0.0
        return max(0.0, record.locked_until - self._clock.now())

    async def fail(self, key: str, backoff: Backoff) -> float:
        now = self._clock.now()
        self._housekeeping(now)
        record = self._failures.get(key)
        if record is None or now >= max(record.last_at + record.window, record.locked_until):
            record = self._failures[key] = _Failures(0, now, now, backoff.window)
        record.count += 1
        record.last_at = now
        record.window = backoff.window
        delay = backoff.delay_after(record.count)
        if delay > 0:
            record.locked_until = now + delay
        return delay

    async def forgive(self, key: str) -> None:
        self._failures.pop(key, None)

    # -- bounded memory ----------------------------------------------------------------------
    def _housekeeping(self, now: float) -> None:
        self._operations += 1
        size = len(self._buckets) + len(self._failures)
        if self._operations % PRUNE_EVERY and size < self._max_keys:
            return
        for key in [k for k, b in self._buckets.items() if now - b.updated_at >= b.burst / b.rate]:
            del self._buckets[key]
        for key in [k for k, f in self._failures.items() if now >= max(f.last_at + f.window, f.locked_until)]:
            del self._failures[key]
        # Still too many live keys: drop the oldest (dicts keep insertion order).
        while len(self._buckets) + len(self._failures) >= self._max_keys:
            table = self._buckets if len(self._buckets) >= len(self._failures) else self._failures
            del table[next(iter(table))]

    def __len__(self) -> int:
        return len(self._buckets) + len(self._failures)
