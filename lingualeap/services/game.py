"""Hosting rooms: apply the rules, deliver their events, and wake rooms when their timers are due.

Every change to a room runs synchronously from the current state to the next one and delivers
its events before anything is awaited, so the events of one room leave in the order the rules
produced them without locks. Persistence of snapshots and results follows, asynchronously.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence

from twisted.internet.defer import Deferred
from twisted.logger import Logger

from lingualeap.clock import Cancellable, Clock
from lingualeap.domain import room as rules
from lingualeap.domain import words
from lingualeap.domain.errors import GameError
from lingualeap.domain.events import Event
from lingualeap.domain.model import Language, Player
from lingualeap.domain.results import result_of
from lingualeap.domain.room import Phase, RoomState
from lingualeap.ports import EventSink, RoomStore
from lingualeap.services.metrics import Metrics
from lingualeap.services.results import ResultsService

Transition = Callable[[RoomState, float], tuple[RoomState, list[Event]]]


def new_room_id(prefix: str = "m") -> str:
    # 60 random bits: unique without coordination, unlike the original's language_timestamp.
    return f"{prefix}-{secrets.token_hex(8)}"


class GameService:
    log = Logger()

    def __init__(
        self,
        *,
        clock: Clock,
        room_rules: rules.Rules,
        languages: Mapping[str, Language],
        rooms: RoomStore,
        sink: EventSink,
        results: ResultsService,
        metrics: Metrics,
        rng: random.Random | None = None,
    ) -> None:
        self._clock = clock
        self._rules = room_rules
        self._languages = languages
        self._store = rooms
        self._sink = sink
        self._results = results
        self._metrics = metrics
        self._rng = rng or random.SystemRandom()
        self._rooms: dict[str, RoomState] = {}
        self._timers: dict[str, Cancellable] = {}
        self._room_of: dict[str, str] = {}
        self._pending: set[Deferred[None]] = set()

    # -- queries ---------------------------------------------------------------------------
    @property
    def rules(self) -> rules.Rules:
        return self._rules

    def room_of(self, player_id: str) -> str | None:
        return self._room_of.get(player_id)

    def room(self, room_id: str) -> RoomState | None:
        return self._rooms.get(room_id)

    def active_rooms(self) -> int:
        return len(self._rooms)

    def language(self, language_id: object) -> Language:
        if not isinstance(language_id, str) or language_id not in self._languages:
            known = ", ".join(sorted(self._languages))
            raise GameError("unknown_language", f"unknown language {language_id!r}; use one of {known}")
        return self._languages[language_id]

    # -- commands --------------------------------------------------------------------------
    def create_match(self, players: Sequence[Player], language_id: str) -> str:
        """A matchmaking room for ``players``, starting about ``start_delay`` seconds from now."""
        for player in players:
            self._ensure_free(player.id)
        language = self.language(language_id)
        room_id = new_room_id("m")
        now = self._clock.now()
        state, events = rules.create(
            room_id, language.id, private=False, rules=self._rules,
            words=words.draw(language, self._rules.rounds, self._rng), now=now, players=players,
        )
        for player in players:
            self._room_of[player.id] = room_id
        self._commit(state, events)
        return room_id

    def join_room(self, player: Player, room_id: str, language_id: object) -> None:
        current = self._room_of.get(player.id)
        if current is not None and current != room_id:
            raise GameError("already_in_room", f"you are already in room {current}; leave it first")
        state = self._rooms.get(room_id)
        if state is None:
            language = self.language(language_id)
            state, events = rules.create(
                room_id, language.id, private=True, rules=self._rules,
                words=words.draw(language, self._rules.rounds, self._rng), now=self._clock.now(),
            )
            self._commit(state, events)
        elif language_id is not None and language_id != state.language:
            raise GameError(
                "invalid_field", f"room {room_id} plays {state.language}, not {language_id}"
            )
        self._apply(room_id, lambda s, now: rules.join(s, player, now))
        joined = self._rooms.get(room_id)
        if joined is not None and joined.member(player.id) is not None:
            self._room_of[player.id] = room_id

    def leave_room(self, player_id: str, room_id: str) -> None:
        if room_id not in self._rooms:
            raise GameError("unknown_room", f"no room {room_id}")
        self._apply(room_id, lambda s, now: rules.leave(s, player_id, now))
        self._room_of.pop(player_id, None)

    def guess(self, player_id: str, room_id: str, text: str) -> None:
        if room_id not in self._rooms:
            raise GameError("unknown_room", f"no room {room_id}")
        self._apply(room_id, lambda s, now: rules.guess(s, player_id, text, now))

    def player_gone(self, player_id: str) -> None:
        """The player's last connection closed: they leave their room."""
        room_id = self._room_of.get(player_id)
        if room_id is not None and room_id in self._rooms:
            self.leave_room(player_id, room_id)
        self._room_of.pop(player_id, None)

    def _ensure_free(self, player_id: str) -> None:
        if player_id in self._room_of:
            raise GameError("already_in_room", f"you are already in room {self._room_of[player_id]}")

    # -- the engine ------------------------------------------------------------------------
    def _apply(self, room_id: str, transition: Transition) -> None:
        state = self._rooms.get(room_id)
        if state is None:
            raise GameError("unknown_room", f"no room {room_id}")
        new_state, events = transition(state, self._clock.now())
        if new_state is state and not events:
            return
        self._commit(new_state, events, previous=state)

    def _commit(self, state: RoomState, events: list[Event], previous: RoomState | None = None) -> None:
        room_id = state.room_id
        self._rooms[room_id] = state
        self._observe(previous, state)
        if any(e.name == "gameLeaderboardUpdate" for e in events):
            self._background(self._results.room_scores(state), "room leaderboard {room}", room_id)
        for event in events:
            self._count_guess(event)
            recipients = event.to if event.to is not None else state.member_ids
            self._sink.deliver(recipients, event)
        self._schedule(state)
        if state.is_over:
            self._close(state)
        else:
            self._background(self._store.save(state), "saving room {room}", room_id)

    def _count_guess(self, event: Event) -> None:
        if event.name == "correctGuess":
            self._metrics.guesses.labels(outcome="exact" if event.data["exact"] else "partial").inc()
        elif event.name == "wrongGuess":
            self._metrics.guesses.labels(outcome="wrong").inc()

    def _observe(self, previous: RoomState | None, state: RoomState) -> None:
        if previous is not None and previous.phase is Phase.ROUND and state.phase is not Phase.ROUND:
            self._metrics.round_duration.observe(max(0.0, self._clock.now() - previous.round_started_at))
        self._metrics.active_rooms.set(len(self._rooms))

    def _schedule(self, state: RoomState) -> None:
        timer = self._timers.pop(state.room_id, None)
        if timer is not None:
            timer.cancel()
        if state.next_at is not None and not state.is_over:
            delay = state.next_at - self._clock.now()
            self._timers[state.room_id] = self._clock.call_later(delay, self._wake, state.room_id)

    def _wake(self, room_id: str) -> None:
        self._timers.pop(room_id, None)
        try:
            self._apply(room_id, rules.tick)
        except Exception:
            self.log.failure("room {room} failed to advance", room=room_id)

    def _close(self, state: RoomState) -> None:
        room_id = state.room_id
        self._rooms.pop(room_id, None)
        for player_id, joined in list(self._room_of.items()):
            if joined == room_id:
                del self._room_of[player_id]
        self._metrics.active_rooms.set(len(self._rooms))
        self._background(self._store.delete(room_id), "deleting room {room}", room_id)
        if state.phase is Phase.FINISHED:
            self._metrics.matches_finished.inc()
            self._background(self._results.match_finished(result_of(state)), "results of {room}", room_id)

    def _background(self, work: Awaitable[object], what: str, room_id: str) -> None:
        async def run() -> None:
            await work

        d = Deferred.fromCoroutine(run())
        self._pending.add(d)

        def done(result: object) -> None:
            self._pending.discard(d)

        d.addErrback(lambda f: self.log.failure("failed: " + what, f, room=room_id))
        d.addBoth(done)

    async def settle(self) -> None:
        """Wait for background persistence started so far (tests, and shutdown)."""
        while self._pending:
            pending = list(self._pending)
            for d in pending:
                await d

    async def stop(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        await self.settle()
