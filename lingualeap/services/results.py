"""What a finished match leaves behind: stored history, XP, and leaderboards.

The player store is the truth; leaderboards are derived from it. When the store cannot take a
result (MongoDB down), the result waits in the outbox and the game goes on; when it is stored
later, its players' global-leaderboard entries are set to their stored totals rather than
incremented, since the failed attempt may have been applied before it timed out.
"""

from __future__ import annotations

from twisted.logger import Logger

from lingualeap.clock import Clock
from lingualeap.domain.errors import GameError
from lingualeap.domain.events import Event
from lingualeap.domain.results import MatchResult
from lingualeap.domain.room import RoomState
from lingualeap.domain.scoring import level_for_xp
from lingualeap.ports import EventSink, LeaderboardEntry, Leaderboards, PlayerStore, ResultSpool, RoomStore
from lingualeap.services.leaderboards import LeaderboardService
from lingualeap.services.metrics import Metrics
from lingualeap.services.outbox import DEFAULT_CAPACITY, ResultOutbox
from lingualeap.services.progression import ProgressionService
from lingualeap.services.ratings import Ratings

GLOBAL_BOARD = "global"
TOP = 10
ROOM_BOARD_TTL = 3600.0
#: Most players put back on an empty global leaderboard from the player store.
REBUILD_LIMIT = 10_000


def room_board(room_id: str) -> str:
    return f"room:{room_id}"


def global_entry(entry: LeaderboardEntry) -> dict[str, object]:
    xp = int(entry.score)
    return {"name": entry.label, "totalXP": xp, "level": level_for_xp(xp)}


class ResultsService:
    log = Logger()

    def __init__(
        self,
        players: PlayerStore,
        leaderboards: Leaderboards,
        sink: EventSink,
        clock: Clock | None = None,
        metrics: Metrics | None = None,
        outbox_capacity: int = DEFAULT_CAPACITY,
        spool: ResultSpool | None = None,
        progression: ProgressionService | None = None,
        period_boards: LeaderboardService | None = None,
        ratings: Ratings | None = None,
        rooms: RoomStore | None = None,
    ) -> None:
        self._players = players
        self._rooms = rooms
        self._progression = progression
        self._period_boards = period_boards
        self._ratings = ratings
        self._boards = leaderboards
        self._sink = sink
        #: Results waiting for the store; without a clock, store failures propagate instead.
        self.outbox: ResultOutbox | None = None
        if clock is not None:
            self.outbox = ResultOutbox(
                clock,
                self._stored_late,
                capacity=outbox_capacity,
                on_depth=metrics.results_outbox.set if metrics is not None else None,
                on_drop=metrics.results_dropped.inc if metrics is not None else None,
                spool=spool,
            )

    async def room_scores(self, state: RoomState) -> None:
        await self._boards.set_scores(
            room_board(state.room_id),
            {s.player.id: (s.player.username, float(s.score)) for s in state.standings()},
            ttl=ROOM_BOARD_TTL,
        )

    async def match_finished(self, result: MatchResult) -> None:
        """Store the result and credit XP; safe to replay (the store credits a match once).

        If the store fails, the result goes to the outbox, which retries until it is stored.
        """
        try:
            await self._boards.set_scores(
                room_board(result.match_id),
                {p.id: (p.username, float(p.score)) for p in result.players},
                ttl=ROOM_BOARD_TTL,
            )
        except Exception:
            # The room's board is a convenience that expires anyway; the result matters more.
            self.log.failure("the leaderboard of room {room} was not stored", room=result.match_id)
        try:
            fresh = await self._players.record_match(result)
        except Exception as e:
            if self.outbox is None:
                raise
            if not (isinstance(e, GameError) and e.code == "unavailable"):
                self.log.failure("storing match {match} failed", match=result.record_id)
            self.outbox.add(result, _reason(e))
            return
        bonuses = await self._progress(result)
        await self._refresh_ratings(result)
        if not fresh:
            self.log.info("match {match} was already recorded; nothing credited twice", match=result.match_id)
            return
        await self._credit_global(result, bonuses)
        await self._credit_periods(result, bonuses)

    async def _credit_periods(self, result: MatchResult, bonuses: dict[str, int]) -> None:
        """The per-language period boards (only ever after a store that credited the match now:
        counting a replay could count it twice, so a result stored late whose first attempt
        may have landed is left off them)."""
        if self._period_boards is None:
            return
        try:
            await self._period_boards.credit_match(result, bonuses)
        except Exception:
            self.log.failure("the period leaderboards missed match {match}", match=result.record_id)

    async def _refresh_ratings(self, result: MatchResult) -> None:
        if self._ratings is None:
            return
        try:
            await self._ratings.refresh(result)
        except Exception:
            self.log.failure("cached ratings of match {match} not refreshed", match=result.record_id)

    async def _progress(self, result: MatchResult) -> dict[str, int]:
        """Streak bonuses and achievements (guarded per match, so replays are safe); a failure
        here is logged, never undoes the stored result."""
        if self._progression is None:
            return {}
        try:
            return await self._progression.match_recorded(result)
        except Exception:
            self.log.failure("progression of match {match} failed", match=result.record_id)
            return {}

    async def _credit_global(self, result: MatchResult, bonuses: dict[str, int]) -> None:
        before = await self._boards.top(GLOBAL_BOARD, TOP)
        for player in result.players:
            xp = player.xp + bonuses.get(player.id, 0)
            if player.guest or xp <= 0:
                continue
            user = await self._players.user_by_id(player.id)
            if user is None:
                continue  # deleted meanwhile
            await self._boards.increment(GLOBAL_BOARD, user.id, xp, user.name)
        await self.announce_if_changed(before)

    async def _stored_late(self, result: MatchResult) -> None:
        """Deliver a result from the outbox: store it, then bring its players' board entries to
        their stored totals (the first attempt may have been applied after all; adding the
        match's XP again could count it twice)."""
        fresh = await self._players.record_match(result)
        bonuses = await self._progress(result)
        await self._refresh_ratings(result)
        if fresh:
            await self._credit_periods(result, bonuses)
        try:
            before = await self._boards.top(GLOBAL_BOARD, TOP)
            for player in result.players:
                if player.guest or player.xp <= 0:
                    continue
                user = await self._players.user_by_id(player.id)
                if user is None:
                    continue
                shown = await self._boards.increment(GLOBAL_BOARD, user.id, 0, user.name)
                if shown != user.total_xp:
                    await self._boards.increment(GLOBAL_BOARD, user.id, user.total_xp - shown, user.name)
            await self.announce_if_changed(before)
        except Exception:
            self.log.failure("the global leaderboard missed match {match}; it catches up when rebuilt",
                             match=result.record_id)

    async def rebuild_global_board(self, limit: int = REBUILD_LIMIT) -> int | None:
        """Fill an empty (new, or lost with its Redis) global leaderboard from the player store;
        how many players it got, or ``None`` if the board was there already."""
        if await self._boards.exists(GLOBAL_BOARD):
            return None
        users = await self._players.top_by_xp(limit)
        if users:
            await self._boards.set_scores(GLOBAL_BOARD, {u.id: (u.name, float(u.total_xp)) for u in users})
        self.log.info("rebuilt the global leaderboard from the player store: {count} players", count=len(users))
        if len(users) >= limit:
            self.log.warn("only the top {limit} players were put back on the global leaderboard", limit=limit)
        return len(users)

    async def store_ready(self) -> None:
        """The player store is reachable (at start, or again): rebuild what derives from it, then
        deliver what waited for it."""
        try:
            await self.rebuild_global_board()
        finally:
            if self.outbox is not None:
                self.outbox.kick()

    async def announce_if_changed(self, before: list[LeaderboardEntry]) -> None:
        after = await self._boards.top(GLOBAL_BOARD, TOP)
        if after != before:
            self._sink.broadcast(
                Event("globalLeaderboardUpdate", {"leaderboard": [global_entry(e) for e in after]})
            )

    async def global_top(self, limit: int) -> list[dict[str, object]]:
        return [global_entry(e) for e in await self._boards.top(GLOBAL_BOARD, limit)]

    async def room_top(self, room_id: str) -> list[dict[str, object]] | None:
        """A room's scores: live from its snapshot while it runs, then from the board it left."""
        live = await self._rooms.load(room_id) if self._rooms is not None else None
        if live is not None:
            return [{"name": s.player.username, "score": s.score} for s in live.standings()[:TOP]]
        board = room_board(room_id)
        if not await self._boards.exists(board):
            return None
        return [{"name": e.label, "score": int(e.score)} for e in await self._boards.top(board, TOP)]


def _reason(error: Exception) -> str:
    detail = getattr(error, "detail", None)
    return str(detail) if detail else f"{type(error).__name__}: {error}"
