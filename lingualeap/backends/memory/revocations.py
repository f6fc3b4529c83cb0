"""Revoked token ids in process memory, forgotten once the token would have expired anyway."""

from __future__ import annotations

from lingualeap.clock import Clock


class MemoryTokenRevocations:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._revoked: dict[str, float] = {}

    async def revoke(self, token_id: str, until: float) -> None:
        self._prune()
        self._revoked[token_id] = until

    async def is_revoked(self, token_id: str) -> bool:
        until = self._revoked.get(token_id)
        return until is not None and until > self._clock.now()

    def _prune(self) -> None:
        now = self._clock.now()
        for token_id in [t for t, until in self._revoked.items() if until <= now]:
            del self._revoked[token_id]
