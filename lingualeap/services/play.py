"""The commands a connected player sends, routed to the use cases that carry them out."""

from __future__ import annotations

from typing import Any

from twisted.logger import Logger

from lingualeap.domain.errors import GameError
from lingualeap.domain.model import Player
from lingualeap.services.game import GameService
from lingualeap.services.matchmaking import MatchmakingService
from lingualeap.services.metrics import Metrics
from lingualeap.services.overload import LagMonitor
from lingualeap.services.throttle import Throttle
from lingualeap.domain.commands import CancelMatch, FindMatch, JoinRoom, LeaveRoom, MakeGuess, Resume


class PlayService:
    log = Logger()

    def __init__(self, game: GameService, matchmaking: MatchmakingService, metrics: Metrics,
                 throttle: Throttle | None = None, lag: LagMonitor | None = None) -> None:
        self._game = game
        self._matchmaking = matchmaking
        self._metrics = metrics
        self._throttle = throttle
        self._lag = lag

    async def handle(self, player: Player, command: Any) -> None:
        handler = getattr(self, f"on_{command.NAME}", None)
        if handler is None:
            raise GameError("unknown_event", f"unknown event {command.NAME!r}")
        if self._throttle is not None and not self._guess_in_own_room(player, command):
            # Per user, on top of each transport's per-connection bucket: more connections (or
            # instances) do not buy a player more commands. Raises RateLimited.
            await self._throttle.command(player.id, command.NAME)
        await handler(player, command)

    def _guess_in_own_room(self, player: Player, command: Any) -> bool:
        """A guess in the room the player sits in is limited by the instance hosting that room
        (``RoomHost.guess``), which sees all of that room's guesses: no shared-store round trip
        on the hottest path. A guess anywhere else is checked against the shared buckets."""
        return isinstance(command, MakeGuess) and self._game.room_of(player.id) == command.room_id

    async def on_findMatch(self, player: Player, command: FindMatch) -> None:
        await self._matchmaking.find_match(player, command.language, command.players, practice=command.practice)

    async def on_cancelMatch(self, player: Player, command: CancelMatch) -> None:
        await self._matchmaking.cancel(player.id)

    async def on_joinRoom(self, player: Player, command: JoinRoom) -> None:
        if await self._matchmaking.is_queued(player.id):
            raise GameError("already_queued", "you are waiting for a match; cancel it first")
        await self._game.join_room(player, command.room_id, command.language)

    async def on_leaveRoom(self, player: Player, command: LeaveRoom) -> None:
        await self._game.leave_room(player.id, command.room_id)

    async def on_makeGuess(self, player: Player, command: MakeGuess) -> None:
        try:
            if self._lag is not None:
                self._lag.check_guess()
            await self._game.guess(player.id, command.room_id, command.guess)
        except GameError:
            self._metrics.guessed("rejected")
            raise

    async def on_resume(self, player: Player, command: Resume) -> None:
        if await self._matchmaking.is_queued(player.id):
            raise GameError("already_queued", "you are waiting for a match; cancel it first")
        await self._game.resume(player, command.room_id, command.last_seq)

    async def disconnected(self, player: Player) -> None:
        """The player's last connection here closed."""
        await self._matchmaking.player_gone(player.id)
        await self._game.player_gone(player.id)
