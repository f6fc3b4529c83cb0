"""Public matchmaking: skill-balanced rooms of 2-4 players per language.

Players wait in a queue per language and room size, with their rating in that language
(newcomers and guests: a newcomer's). Whenever somebody joins, and every ``status_interval``
seconds after that, the instance looks at the queues its waiting players are in, forms every
group the matchmaking policy allows (``domain/matchmaking_policy.py``: the closest group within
windows that widen with waiting time) that has one of its own players, and claims each
atomically, so instances racing for the same players never match one twice. The room is
hosted there, so at most the other players reach it across instances. Waiting players get
``queueStatus`` on every look; one who waited ``bot_after`` seconds gets a practice match
against a bot at their level instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from twisted.internet import threads
from twisted.internet.defer import Deferred, DeferredList, DeferredSemaphore
from twisted.logger import Logger

from lingualeap.clock import Cancellable, Clock
from lingualeap.domain.errors import GameError
from lingualeap.domain.events import Event
from lingualeap.domain.matchmaking_policy import (
    DEFAULT_CONFIG,
    MAX_GROUP,
    MIN_GROUP,
    MatchmakingConfig,
    pick_groups,
    queue_statuses,
)
from lingualeap.domain.model import Player
from lingualeap.domain.rating import Rating
from lingualeap.ports import EventSink, MatchQueue, QueuedPlayer, QueueTicket
from lingualeap.services.bots import PracticeBots
from lingualeap.services.game import GameService
from lingualeap.services.metrics import Metrics
from lingualeap.services.one_at_a_time import OneAtATime
from lingualeap.services.ratings import Ratings

MATCH_SIZE = 2
#: Rooms one instance creates concurrently while a burst of players is matched.
ROOMS_STARTED_AT_ONCE = 16
#: Queues of 3-4 player rooms at least this long are searched in a thread (seconds for 2,000).
THREADED_SEARCH = 300


@dataclass(frozen=True, slots=True)
class _Waiter:
    """A player of this instance waiting in a queue."""

    player: Player
    language: str
    size: int
    #: Whether a practice match against a bot may be started after a long wait.
    practice: bool = True


class MatchmakingService:
    log = Logger()

    def __init__(
        self,
        queue: MatchQueue,
        game: GameService,
        sink: EventSink,
        metrics: Metrics,
        *,
        clock: Clock | None = None,
        ratings: Ratings | None = None,
        config: MatchmakingConfig = DEFAULT_CONFIG,
        bots: PracticeBots | None = None,
        status_interval: float = 2.0,
    ) -> None:
        self._queue = queue
        self._game = game
        self._sink = sink
        self._metrics = metrics
        self._clock = clock
        self._ratings = ratings
        self._config = config
        self._bots = bots
        self._interval = status_interval
        self._waiters: dict[str, _Waiter] = {}
        self._loop: Cancellable | None = None
        self._looking = OneAtATime(lambda f: self.log.failure("matchmaking look failed", f))
        self._forming: dict[tuple[str, int], bool] = {}  # queues with a pass running → look again
        self._counting = OneAtATime(lambda f: self.log.failure("counting the queues failed", f))
        self._starting = DeferredSemaphore(ROOMS_STARTED_AT_ONCE)
        self._counted: set[str] = set()  # languages the queue gauge shows
        #: Players who left the queue with no room here yet → (language, seen at a look already).
        self._unplaced: dict[str, tuple[str, bool]] = {}

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Send ``queueStatus``, widen windows and offer bots every ``status_interval`` seconds."""
        if self._clock is not None and self._loop is None:
            self._loop = self._clock.looping_call(self._interval, self._tick)

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            self._loop = None

    def _now(self) -> float:
        return self._clock.now() if self._clock is not None else 0.0

    # -- commands --------------------------------------------------------------------------
    async def find_match(self, player: Player, language_id: object, size: int = MATCH_SIZE,
                         *, practice: bool = True) -> None:
        language = self._game.language(language_id)
        if isinstance(size, bool) or not isinstance(size, int) or not MIN_GROUP <= size <= MAX_GROUP:
            raise GameError("invalid_field", f"players must be a whole number from {MIN_GROUP} to {MAX_GROUP}")
        room_id = self._game.room_of(player.id)
        if room_id is not None:
            raise GameError("already_in_room", f"you are already in room {room_id}; leave it first")
        rating = await self._ratings.current(player, language.id) if self._ratings is not None else Rating()
        ticket = QueueTicket(size, rating.rating, rating.deviation, self._now())
        try:
            position = await self._queue.enqueue(language.id, player, self._game.instance_id, ticket)
        except GameError as e:
            if e.code != "unavailable":
                raise
            raise GameError(
                "unavailable", "matchmaking is paused while the server reconnects to its store; try again shortly"
            ) from e
        self._waiters[player.id] = _Waiter(player, language.id, size, practice)
        queued: dict[str, object] = {"language": language.id, "position": position}
        if size != MATCH_SIZE:
            queued["players"] = size  # a duel's `queued` stays as clients have always seen it
        self._sink.deliver([player.id], Event("queued", queued))
        await self._form_groups(language.id, size)

    async def cancel(self, player_id: str) -> None:
        self._waiters.pop(player_id, None)
        language = await self._queue.remove(player_id)
        if language is None:
            raise GameError("not_queued", "you are not waiting for a match")
        self._sink.deliver([player_id], Event("matchCancelled", {"language": language}))

    async def is_queued(self, player_id: str) -> bool:
        return await self._queue.queued_language(player_id) is not None

    async def player_gone(self, player_id: str) -> None:
        self._waiters.pop(player_id, None)
        await self._queue.remove(player_id)

    # -- forming groups --------------------------------------------------------------------
    async def _form_groups(self, language: str, size: int) -> None:
        """Form every group the queue allows, in passes over one read of the queue each.

        One pass runs per queue at a time on this instance: players who join meanwhile ask for
        another pass instead of each reading and searching the whole queue (a burst of
        thousands would otherwise do thousands of full searches at once). A group whose room
        could not be created waits again, and the others are still formed (it is retried on
        the next look)."""
        key = (language, size)
        if key in self._forming:
            self._forming[key] = True
            return
        self._forming[key] = False
        failed: set[str] = set()
        try:
            while await self._form_pass(language, size, failed) or self._forming[key]:
                self._forming[key] = False
        finally:
            del self._forming[key]

    async def _form_pass(self, language: str, size: int, failed: set[str]) -> bool:
        """Claim and start the groups one read of the queue allows; whether any was formed."""
        waiting = [q for q in await self._queue.waiting(language, size) if q.player.id not in failed]
        entries = [q.entry() for q in waiting]
        if size > 2 and len(entries) >= THREADED_SEARCH:
            # Rooms of 3-4 are searched group by group; pure and on immutable data, the search
            # of a long queue need not stall the reactor. (Pairs take milliseconds.)
            groups = await threads.deferToThread(pick_groups, entries, self._now(), size, self._config)
        else:
            groups = pick_groups(entries, self._now(), size, self._config)
        starting: list[Deferred[None]] = []
        here = {q.player.id for q in waiting if q.instance == self._game.instance_id}
        for group in groups:
            chosen = {e.player_id for e in group}
            if not chosen & here:
                # Rooms are hosted where one of their players is connected, so that player's
                # guesses stay on their instance: that instance's pass takes this group.
                continue
            # In order of arrival: the room lists its players as they came.
            in_order = [q.player.id for q in waiting if q.player.id in chosen]
            claimed = await self._queue.claim(language, size, in_order)
            if not claimed:
                continue  # another instance took one of them first: the next pass sees that
            waited = self._stop_waiting(claimed)
            # Rooms start side by side (each waits on the store and other instances), a few at
            # a time so that a burst cannot flood the store.
            starting.append(self._starting.run(self._start, language, claimed, waited, failed))
        await DeferredList(starting, consumeErrors=True)
        return bool(starting)

    async def _start(self, language: str, group: list[QueuedPlayer], waited: dict[str, _Waiter],
                     failed: set[str]) -> None:
        try:
            await self._game.create_match(group, language)
        except Exception:
            self.log.failure("forming a {language} match failed; the players wait again", language=language)
            failed.update(entry.player.id for entry in group)
            await self._requeue(language, group, waited)

    def _stop_waiting(self, group: list[QueuedPlayer]) -> dict[str, _Waiter]:
        """Forget the group's local waiters, returning them in case the group must wait again."""
        popped = {entry.player.id: self._waiters.pop(entry.player.id, None) for entry in group}
        return {player_id: waiter for player_id, waiter in popped.items() if waiter is not None}

    async def _requeue(self, language: str, group: list[QueuedPlayer], waited: dict[str, _Waiter]) -> None:
        for entry in group:
            if entry.player.bot:
                continue
            try:
                await self._queue.enqueue(language, entry.player, entry.instance, entry.ticket)
            except GameError as e:
                self.log.warn("{player} could not wait again: {why}", player=entry.player.id, why=e.message)
                continue
            if entry.instance == self._game.instance_id:
                before = waited.get(entry.player.id)
                self._waiters[entry.player.id] = _Waiter(entry.player, language, entry.ticket.size,
                                                         before.practice if before else True)

    # -- the periodic look -----------------------------------------------------------------
    def _tick(self) -> None:
        # The gauge is refreshed on the clock, not per command: counting a queue of thousands
        # for every findMatch of a burst would cost more than the matching itself.
        self._counting.run(self._publish_sizes)
        if self._waiters or self._unplaced:
            self._looking.run(self.look)

    async def look(self) -> None:
        """Form groups, start due practice matches and tell waiting players where they stand,
        in every queue a player of this instance waits in."""
        for language, size in sorted({(w.language, w.size) for w in self._waiters.values()}):
            try:
                await self._form_groups(language, size)
                waiting = await self._queue.waiting(language, size)
            except Exception:
                self.log.failure("matchmaking in {language}/{size} failed; trying again", language=language, size=size)
                continue
            statuses = queue_statuses([q.entry() for q in waiting], self._now(), self._config)
            listed = {q.player.id for q in waiting}
            for queued in waiting:
                waiter = self._waiters.get(queued.player.id)
                if waiter is None:
                    continue  # waits on another instance: that one tells them
                status = statuses[queued.player.id]
                practice = status.bot_offer and waiter.practice and self._bots is not None
                if practice:
                    await self._practice(language, queued)
                    continue
                self._sink.deliver([queued.player.id], Event(
                    "queueStatus", {"language": language, "players": size, **status.as_data(), "botOffer": practice}
                ))
            for gone in [w for w in self._waiters.values() if (w.language, w.size) == (language, size)]:
                if gone.player.id not in listed and await self._queue.queued_language(gone.player.id) is None:
                    self._waiters.pop(gone.player.id, None)  # matched by another instance, or dropped
                    if self._game.room_of(gone.player.id) is None:
                        self._unplaced.setdefault(gone.player.id, (language, False))
        self._report_unplaced()

    def _report_unplaced(self) -> None:
        """Warn about players who left the queue without a room here and still have none one
        look later (at the look itself that is normal: another instance is making their room).
        Dropped with a dead instance's entries, or their room was never made: worth a line when
        someone says they waited."""
        for player_id, (language, seen) in list(self._unplaced.items()):
            if self._game.room_of(player_id) is not None or player_id in self._waiters:
                del self._unplaced[player_id]
            elif seen:
                del self._unplaced[player_id]
                self.log.warn("{player} left the {language} queue and got no room",
                              player=player_id, language=language)
            else:
                self._unplaced[player_id] = (language, True)

    async def _practice(self, language: str, queued: QueuedPlayer) -> None:
        assert self._bots is not None
        claimed = await self._queue.claim(language, queued.ticket.size, [queued.player.id])
        if not claimed:
            return  # matched meanwhile
        waited = self._stop_waiting(claimed)
        try:
            await self._bots.start(claimed[0], language)
        except Exception:
            self.log.failure("starting a practice match for {player} failed", player=queued.player.id)
            await self._requeue(language, claimed, waited)

    async def _publish_sizes(self) -> None:
        sizes = await self._queue.sizes()
        for language in self._counted - sizes.keys():
            self._metrics.queued_players.labels(language=language).set(0)  # its queue emptied
        for language, size in sizes.items():
            self._metrics.queued_players.labels(language=language).set(size)
        self._counted = set(sizes)
