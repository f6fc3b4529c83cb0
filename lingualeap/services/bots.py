"""Practice matches against a server bot, for players who waited too long for an opponent.

A bot is a connection of this instance (so the room's events reach it like any player's): on
each ``newRound`` it decides with ``domain/practice_bot.py`` whether and when to answer, and the
Clock fires its guess. It reads the word from the room this instance hosts; a practice room that
moves to another instance (its owner died) goes on without the bot's answers. Practice matches
are not rated (``domain/stats.py``).
"""

from __future__ import annotations

import random
import secrets

from twisted.internet.defer import Deferred
from twisted.logger import Logger

from lingualeap.clock import Cancellable, Clock
from lingualeap.domain import practice_bot
from lingualeap.domain.model import BOT_ID_PREFIX, Player
from lingualeap.ports import QueuedPlayer, QueueTicket
from lingualeap.services.game import GameService
from lingualeap.services.presence import Outbound, Presence

BOT_NAME = "LeapBot"
#: Events after which a bot has nothing left to do in its room.
_DONE = frozenset({"matchEnded", "roomDeleted", "playerLeft"})


class BotConnection:
    """One bot in one practice room."""

    log = Logger()

    def __init__(self, bots: PracticeBots, player: Player, rating: float) -> None:
        self._bots = bots
        self._player = player
        self.rating = rating
        self.room_id: str | None = None
        self._pending: Cancellable | None = None

    @property
    def player(self) -> Player:
        return self._player

    def send(self, message: Outbound) -> None:
        event = message.event
        if event.data.get("roomId") != self.room_id and self.room_id is not None:
            return
        if event.name == "newRound":
            self._cancel()
            delay = self._bots.plan(self.rating)
            if delay is not None:
                self._pending = self._bots.clock.call_later(delay, self._answer, int(event.data["round"]))
        elif event.name == "playerLeft" and self.room_id is not None:
            # Nobody left to practise with: the bot leaves too, which closes the room.
            left = Deferred.fromCoroutine(self._bots.game.leave_room(self._player.id, self.room_id))
            left.addErrback(lambda f: self.log.info("bot could not leave {room}: {why}", room=self.room_id,
                                                    why=f.getErrorMessage()))
            self._bots.finished(self)
        elif event.name in _DONE:
            self._bots.finished(self)

    def _answer(self, number: int) -> None:
        self._pending = None
        room_id = self.room_id
        state = self._bots.game.room(room_id) if room_id is not None else None
        word = state.current_word if state is not None and state.round == number else None
        if room_id is None or word is None:
            return
        guessed = Deferred.fromCoroutine(self._bots.game.guess(self._player.id, room_id, word.answer))
        guessed.addErrback(lambda f: self.log.info("bot guess in {room} refused: {why}", room=room_id,
                                                   why=f.getErrorMessage()))

    def _cancel(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None

    def close(self, code: int, reason: str) -> None:
        self._cancel()


class PracticeBots:
    log = Logger()

    def __init__(self, game: GameService, presence: Presence, clock: Clock, round_seconds: float,
                 rng: random.Random | None = None) -> None:
        self.game = game
        self.clock = clock
        self._presence = presence
        self._round_seconds = round_seconds
        self._rng = rng or random.Random()
        self._active: set[BotConnection] = set()

    def plan(self, rating: float) -> float | None:
        return practice_bot.answer_delay(rating, self._round_seconds, self._rng.random(), self._rng.random())

    async def start(self, queued: QueuedPlayer, language: str) -> str:
        """A practice room for the player, with a bot at their rating; the room's id."""
        bot = BotConnection(self, Player(f"{BOT_ID_PREFIX}{secrets.token_hex(6)}", BOT_NAME, guest=True),
                           queued.ticket.rating)
        self._presence.add(bot)
        self._active.add(bot)
        try:
            bot.room_id = await self.game.create_match(
                [queued, QueuedPlayer(bot.player, self.game.instance_id, QueueTicket(rating=queued.ticket.rating))],
                language,
            )
        except Exception:
            self.finished(bot)
            raise
        return bot.room_id

    def finished(self, bot: BotConnection) -> None:
        bot.close(1000, "done")
        self._active.discard(bot)
        self._presence.discard(bot)

    @property
    def active(self) -> int:
        return len(self._active)
