"""The one exception the rules raise: a refused command, with a stable machine-readable code."""

from __future__ import annotations


class GameError(Exception):
    """A command was refused. ``code`` is part of the protocol; ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GameError) and (self.code, self.message) == (
            other.code,
            other.message,
        )

    def __hash__(self) -> int:
        return hash((self.code, self.message))


class RateLimited(GameError):
    """Too many of something: try again in ``retry_after`` seconds (``Retry-After``, ``retryAfter``)."""

    def __init__(self, retry_after: float, message: str = "too many requests; slow down") -> None:
        super().__init__("rate_limited", message)
        self.retry_after = max(0.0, retry_after)
