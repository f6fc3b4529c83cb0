"""Public matchmaking: queue players by language and form a room as soon as two wait."""

from __future__ import annotations

from twisted.logger import Logger

from lingualeap.domain.errors import GameError
from lingualeap.domain.events import Event
from lingualeap.domain.model import Player
from lingualeap.ports import EventSink, MatchQueue
from lingualeap.services.game import GameService
from lingualeap.services.metrics import Metrics

MATCH_SIZE = 2


class MatchmakingService:
    log = Logger()

    def __init__(self, queue: MatchQueue, game: GameService, sink: EventSink, metrics: Metrics) -> None:
        self._queue = queue
        self._game = game
        self._sink = sink
        self._metrics = metrics

    async def find_match(self, player: Player, language_id: object) -> None:
        language = self._game.language(language_id)
        room_id = self._game.room_of(player.id)
        if room_id is not None:
            raise GameError("already_in_room", f"you are already in room {room_id}; leave it first")
        try:
            position = await self._queue.enqueue(language.id, player, self._game.instance_id)
        except GameError as e:
            if e.code != "unavailable":
                raise
            raise GameError(
                "unavailable", "matchmaking is paused while the server reconnects to its store; try again shortly"
            ) from e
        self._sink.deliver([player.id], Event("queued", {"language": language.id, "position": position}))
        group = await self._queue.take(language.id, MATCH_SIZE)
        if group:
            try:
                await self._game.create_match(group, language.id)
            except Exception:
                self.log.failure("forming a {language} match failed; the players wait again", language=language.id)
                for entry in group:
                    await self._queue.enqueue(language.id, entry.player, entry.instance)
        await self._publish_sizes()

    async def cancel(self, player_id: str) -> None:
        language = await self._queue.remove(player_id)
        if language is None:
            raise GameError("not_queued", "you are not waiting for a match")
        self._sink.deliver([player_id], Event("matchCancelled", {"language": language}))
        await self._publish_sizes()

    async def is_queued(self, player_id: str) -> bool:
        return await self._queue.queued_language(player_id) is not None

    async def player_gone(self, player_id: str) -> None:
        if await self._queue.remove(player_id) is not None:
            await self._publish_sizes()

    async def _publish_sizes(self) -> None:
        sizes = await self._queue.sizes()
        for language, size in sizes.items():
            self._metrics.queued_players.labels(language=language).set(size)
