"""A token bucket: ``burst`` actions at once, refilled at ``rate`` per second (``now`` passed in)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class TokenBucket:
    rate: float
    burst: float
    tokens: float
    updated_at: float

    @classmethod
    def full(cls, rate: float, burst: float, now: float) -> TokenBucket:
        return cls(rate=rate, burst=burst, tokens=burst, updated_at=now)

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated_at)
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        self.updated_at = now

    def take(self, now: float, cost: float = 1.0) -> bool:
        self._refill(now)
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False

    def retry_after(self, now: float, cost: float = 1.0) -> float:
        """Seconds until ``cost`` tokens are available again."""
        self._refill(now)
        return max(0.0, (cost - self.tokens) / self.rate) if self.rate > 0 else float("inf")


@dataclass(frozen=True, slots=True)
class Rate:
    """A limit for a token bucket: ``burst`` actions at once, refilled at ``per_second``."""

    per_second: float
    burst: float

    def __post_init__(self) -> None:
        if not (self.per_second > 0 and self.burst >= 1):
            raise ValueError("a rate needs per_second > 0 and burst >= 1")

    @property
    def refill_seconds(self) -> float:
        """How long an empty bucket takes to fill up again (after that it is as good as new)."""
        return self.burst / self.per_second

    def __str__(self) -> str:
        return f"{self.per_second:g}:{self.burst:g}"


@dataclass(frozen=True, slots=True)
class Backoff:
    """Growing delays after failures (logins): ``free`` failures cost nothing; each one after
    that locks the key for ``base`` seconds, doubling every time, at most ``maximum``. Failures
    are forgotten ``window`` seconds after the last one."""

    free: int
    base: float
    maximum: float
    window: float

    def __post_init__(self) -> None:
        if self.free < 0 or self.base <= 0 or self.maximum < self.base or self.window <= 0:
            raise ValueError("a backoff needs free >= 0, 0 < base <= maximum and window > 0")

    def delay_after(self, failures: int) -> float:
        """The lock imposed by the ``failures``-th failure in a row."""
        over = failures - self.free
        if over <= 0:
            return 0.0
        # min() first: 2 ** 2000 would overflow a float.
        return float(min(self.maximum, self.base * 2 ** min(over - 1, 64)))

    def __str__(self) -> str:
        return f"{self.free}:{self.base:g}:{self.maximum:g}"


@dataclass(frozen=True, slots=True)
class Decision:
    """What a rate limiter said: go ahead, or wait ``retry_after`` seconds."""

    allowed: bool
    retry_after: float = 0.0
