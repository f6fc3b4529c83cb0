"""Period leaderboards (and their archive) in process memory, with expiry through the Clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lingualeap.backends.memory.leaderboards import ExpiringBoards
from lingualeap.domain.leaderboard_periods import ScoreEncoding
from lingualeap.ports import RankedRow


@dataclass(frozen=True, slots=True)
class _Entry:
    score: int
    ticks: int
    label: str


class MemoryPeriodLeaderboards(ExpiringBoards[_Entry]):
    def _ordered(self, board: str) -> list[tuple[str, _Entry]]:
        return sorted(self._board(board).items(), key=lambda kv: (-kv[1].score, kv[1].ticks, kv[0]))

    async def credit(
        self, board: str, member: str, label: str, points: int, at: float, encoding: ScoreEncoding,
        expires_at: float | None,
    ) -> int:
        entries = self._board(board)
        old = entries.get(member)
        if old is not None and points == 0:
            entry = _Entry(old.score, old.ticks, label)
        else:
            score = (old.score if old else 0) + points
            encoding.encode(score, at)  # refuses scores and times the board cannot hold
            entry = _Entry(score, encoding.tick(at), label)
        entries[member] = entry
        if expires_at is not None:
            self._expires[board] = expires_at
        return entry.score

    async def rows(self, board: str, start: int, stop: int) -> list[RankedRow]:
        ordered = self._ordered(board)
        end = len(ordered) if stop == -1 else stop + 1
        return [RankedRow(i + 1, m, e.label, e.score) for i, (m, e) in enumerate(ordered) if start <= i < end]

    async def rank(self, board: str, member: str) -> int | None:
        return next((i for i, (m, _) in enumerate(self._ordered(board)) if m == member), None)

    async def size(self, board: str) -> int:
        return len(self._board(board))


class MemoryBoardArchive:
    def __init__(self) -> None:
        self.snapshots: dict[str, tuple[float, tuple[RankedRow, ...]]] = {}

    async def archived(self, board: str) -> bool:
        return board in self.snapshots

    async def archive(self, board: str, rows: Sequence[RankedRow], at: float) -> None:
        self.snapshots[board] = (at, tuple(rows))
