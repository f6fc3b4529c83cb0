"""Sorted leaderboards in process memory, with expiry through the Clock."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Generic, TypeVar

from lingualeap.clock import Clock
from lingualeap.ports import LeaderboardEntry

T = TypeVar("T")


class ExpiringBoards(Generic[T]):
    """Named boards of members that disappear at their deadline on the Clock."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._boards: dict[str, dict[str, T]] = {}
        self._expires: dict[str, float] = {}

    def _board(self, board: str) -> dict[str, T]:
        deadline = self._expires.get(board)
        if deadline is not None and self._clock.now() >= deadline:
            self._boards.pop(board, None)
            self._expires.pop(board, None)
        return self._boards.setdefault(board, {})


class MemoryLeaderboards(ExpiringBoards[LeaderboardEntry]):
    async def increment(self, board: str, member: str, amount: float, label: str) -> float:
        entries = self._board(board)
        old = entries.get(member)
        score = (old.score if old else 0.0) + amount
        entries[member] = LeaderboardEntry(member, label, score)
        return score

    async def set_scores(
        self, board: str, entries: Mapping[str, tuple[str, float]], ttl: float | None = None
    ) -> None:
        self._boards[board] = {m: LeaderboardEntry(m, label, s) for m, (label, s) in entries.items()}
        if ttl is None:
            self._expires.pop(board, None)
        else:
            self._expires[board] = self._clock.now() + ttl

    async def top(self, board: str, limit: int) -> list[LeaderboardEntry]:
        entries = self._board(board).values()
        return sorted(entries, key=lambda e: (-e.score, e.member))[: max(0, limit)]

    async def remove(self, board: str, member: str) -> None:
        self._board(board).pop(member, None)

    async def exists(self, board: str) -> bool:
        return bool(self._board(board))
