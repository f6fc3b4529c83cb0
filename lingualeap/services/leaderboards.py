"""Leaderboards per language and period: XP earned in the language this day, this ISO week and
all time (``domain/leaderboard_periods.py``), top N and "around me", and archived snapshots of
periods that ended.

Each result counts on the boards of the period its match *ended* in, so a rollover has no gap
whatever the instance's clock; a live board is kept 8 days after its period, long enough for
any instance's archiver (which runs every ``ARCHIVE_INTERVAL`` and copies the period that ended
last, once) to snapshot it into the archive (MongoDB, when configured).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from twisted.internet.defer import Deferred
from twisted.logger import Logger

from lingualeap.clock import Cancellable, Clock
from lingualeap.domain import leaderboard_periods as periods
from lingualeap.domain.errors import GameError
from lingualeap.domain.leaderboard_periods import Period
from lingualeap.domain.results import MatchResult
from lingualeap.domain.stats import is_bot
from lingualeap.ports import BoardArchive, PeriodLeaderboards, RankedRow

ARCHIVE_INTERVAL = 300.0
MAX_LIMIT = 100
DEFAULT_LIMIT = 10


def parse_period(raw: object) -> Period:
    try:
        return Period(raw if raw is not None else Period.ALL_TIME.value)
    except ValueError:
        raise GameError("invalid_field", "period must be alltime, weekly or daily") from None


def parse_limit(raw: object) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    try:
        limit = int(str(raw))
    except ValueError:
        raise GameError("invalid_field", f"limit must be a whole number from 1 to {MAX_LIMIT}") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise GameError("invalid_field", f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return limit


def _row(row: RankedRow, me: str | None) -> dict[str, Any]:
    shown: dict[str, Any] = {"rank": row.rank, "name": row.label, "xp": row.score}
    if me is not None and row.member == me:
        shown["me"] = True
    return shown


class LeaderboardService:
    log = Logger()

    def __init__(self, boards: PeriodLeaderboards, clock: Clock, languages: Iterable[str],
                 archive: BoardArchive | None = None) -> None:
        self._boards = boards
        self._clock = clock
        self._languages = tuple(languages)
        self._archive = archive
        self._loop: Cancellable | None = None

    async def credit_match(self, result: MatchResult, bonuses: Mapping[str, int]) -> None:
        """Count a newly stored match on its language's boards (XP earned, with bonuses)."""
        if any(is_bot(p.id) for p in result.players):
            return  # practice matches do not count
        at = result.ended_at
        for player in result.players:
            xp = player.xp + bonuses.get(player.id, 0)
            if player.guest or xp <= 0:
                continue
            for period, board in periods.boards_for(result.language, at).items():
                await self._boards.credit(board, player.id, player.username, xp, at,
                                          periods.encoding_for(period, at), periods.expires_at(period, at))

    async def query(self, language: str, period: Period, limit: int, around: str | None = None) -> dict[str, Any]:
        """The current period's board: the top ``limit``, or ``limit`` rows centred on ``around``."""
        now = self._clock.now()
        board = periods.board_id(language, period, now)
        total = await self._boards.size(board)
        if around is None:
            rows = await self._boards.rows(board, 0, limit - 1)
        else:
            index = await self._boards.rank(board, around)
            if index is None:
                rows = []
            else:
                start, stop = periods.around_range(index, (limit - 1) // 2, total)
                rows = await self._boards.rows(board, start, stop)
        return {
            "language": language,
            "period": period.value,
            "key": periods.period_key(period, now),
            "total": total,
            "entries": [_row(r, around) for r in rows],
        }

    # -- archive ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._archive is not None and self._loop is None:
            self._loop = self._clock.looping_call(ARCHIVE_INTERVAL, self._tick)

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            self._loop = None

    def _tick(self) -> None:
        archived = Deferred.fromCoroutine(self.archive_finished())
        archived.addErrback(lambda f: self.log.failure("archiving leaderboards failed; trying again later", f))

    async def archive_finished(self) -> list[str]:
        """Snapshot the boards of the daily and weekly periods that ended last (once each);
        the boards archived now."""
        if self._archive is None:
            return []
        now, done = self._clock.now(), []
        for language in self._languages:
            for period in (Period.DAILY, Period.WEEKLY):
                start, _ = periods.period_bounds(period, now)
                board = periods.board_id(language, period, start - 1.0)  # the period before
                if await self._archive.archived(board):
                    continue
                rows = await self._boards.rows(board, 0, -1)
                if rows:
                    await self._archive.archive(board, rows, now)
                    done.append(board)
        return done
