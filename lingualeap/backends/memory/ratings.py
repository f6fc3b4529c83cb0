"""Ratings cached in process memory (tests; a single process reads its memory store directly)."""

from __future__ import annotations

from collections.abc import Mapping

from lingualeap.domain.rating import Rating


class MemoryRatingCache:
    def __init__(self) -> None:
        self._ratings: dict[tuple[str, str], Rating] = {}

    async def get(self, language: str, user_id: str) -> Rating | None:
        return self._ratings.get((language, user_id))

    async def put(self, language: str, ratings: Mapping[str, Rating]) -> None:
        self._ratings.update({(language, user_id): rating for user_id, rating in ratings.items()})
