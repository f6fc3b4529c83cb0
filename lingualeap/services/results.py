"""What a finished match leaves behind: stored history, XP, and leaderboards."""

from __future__ import annotations

from twisted.logger import Logger

from lingualeap.domain.events import Event
from lingualeap.domain.results import MatchResult
from lingualeap.domain.room import RoomState
from lingualeap.domain.scoring import level_for_xp
from lingualeap.ports import EventSink, LeaderboardEntry, Leaderboards, PlayerStore

GLOBAL_BOARD = "global"
TOP = 10
ROOM_BOARD_TTL = 3600.0


def room_board(room_id: str) -> str:
    return f"room:{room_id}"


def global_entry(entry: LeaderboardEntry) -> dict[str, object]:
    xp = int(entry.score)
    return {"name": entry.label, "totalXP": xp, "level": level_for_xp(xp)}


class ResultsService:
    log = Logger()

    def __init__(self, players: PlayerStore, leaderboards: Leaderboards, sink: EventSink) -> None:
        self._players = players
        self._boards = leaderboards
        self._sink = sink

    async def room_scores(self, state: RoomState) -> None:
        await self._boards.set_scores(
            room_board(state.room_id),
            {s.player.id: (s.player.username, float(s.score)) for s in state.standings()},
            ttl=ROOM_BOARD_TTL,
        )

    async def match_finished(self, result: MatchResult) -> None:
        """Store the result and credit XP; safe to replay (the store credits a match once)."""
        await self._boards.set_scores(
            room_board(result.match_id),
            {p.id: (p.username, float(p.score)) for p in result.players},
            ttl=ROOM_BOARD_TTL,
        )
        if not await self._players.record_match(result):
            self.log.info("match {match} was already recorded; nothing credited twice", match=result.match_id)
            return
        before = await self._boards.top(GLOBAL_BOARD, TOP)
        for player in result.players:
            if player.guest or player.xp <= 0:
                continue
            user = await self._players.user_by_id(player.id)
            if user is None:
                continue  # deleted meanwhile
            await self._boards.increment(GLOBAL_BOARD, user.id, player.xp, user.name)
        await self.announce_if_changed(before)

    async def announce_if_changed(self, before: list[LeaderboardEntry]) -> None:
        after = await self._boards.top(GLOBAL_BOARD, TOP)
        if after != before:
            self._sink.broadcast(
                Event("globalLeaderboardUpdate", {"leaderboard": [global_entry(e) for e in after]})
            )

    async def global_top(self, limit: int) -> list[dict[str, object]]:
        return [global_entry(e) for e in await self._boards.top(GLOBAL_BOARD, limit)]

    async def room_top(self, room_id: str) -> list[dict[str, object]] | None:
        board = room_board(room_id)
        if not await self._boards.exists(board):
            return None
        return [{"name": e.label, "score": int(e.score)} for e in await self._boards.top(board, TOP)]
