"""Hosting rooms: the owner instance applies the rules, commits their events and runs the timers.

Every change to a room runs synchronously from the current state to the next one, hands its
events to this instance's own players at once, and issues one commit (snapshot + event log +
publication to other instances) before anything is awaited, so the events of a room leave in
the order the rules produced them, without locks. Each hosted room is held under a lease; a
commit that the lease no longer covers is refused (fencing) and the room is dropped here,
because another instance has taken it over. A room whose owner died is adopted from its
snapshot by another instance and continues on the stored deadlines.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.python.failure import Failure

from lingualeap.clock import Cancellable, Clock
from lingualeap.domain import room as rules
from lingualeap.domain.errors import GameError, RateLimited
from lingualeap.domain.events import Event
from lingualeap.domain.model import Player, WordPair
from lingualeap.domain.ratelimit import Rate, TokenBucket
from lingualeap.domain.results import result_of
from lingualeap.domain.room import Phase, RoomState
from lingualeap.ports import Lease, RoomLeases, RoomStore, WordSource
from lingualeap.services.metrics import Metrics
from lingualeap.services.results import ResultsService

Transition = Callable[[RoomState, float], tuple[RoomState, list[Event]]]

#: Seconds between lease renewals; leases live three times as long (see the Redis leases).
LEASE_RENEW_INTERVAL = 2.0
#: Seconds between two warnings that the room store failed (they come with every change).
STORE_WARN_EVERY = 10.0


@dataclass
class HostedRoom:
    state: RoomState
    lease: Lease
    timer: Cancellable | None = None
    #: The ``wake_at`` the timer was set for: most changes (a wrong guess) leave it alone.
    timer_at: float | None = None
    #: Each member's guess allowance (see ``RoomHost.guess``).
    guesses: dict[str, TokenBucket] = field(default_factory=dict)


def batch_of(state: RoomState, events: list[Event]) -> dict[str, Any]:
    """The wire form of one change's events, with their recipients resolved."""
    return {
        "seq": state.seq,
        "events": [
            {"name": e.name, "data": dict(e.data), "to": list(e.to if e.to is not None else state.member_ids)}
            for e in events
        ],
    }


class RoomHost:
    log = Logger()

    def __init__(
        self,
        *,
        instance_id: str,
        clock: Clock,
        room_rules: rules.Rules,
        words: WordSource,
        rooms: RoomStore,
        leases: RoomLeases,
        results: ResultsService,
        metrics: Metrics,
        local: Callable[[str, dict[str, Any]], None] | None = None,
        released: Callable[[str], None] | None = None,
        reconnect_grace: float = 30.0,
        guess_rate: Rate | None = None,
    ) -> None:
        self.instance_id = instance_id
        self._clock = clock
        self._rules = room_rules
        self._words = words
        self._store = rooms
        self._leases = leases
        self._local = local
        self._released = released
        self.reconnect_grace = reconnect_grace
        self._guess_rate = guess_rate
        self._results = results
        self._metrics = metrics
        self._rooms: dict[str, HostedRoom] = {}
        self._pending: set[Deferred[None]] = set()
        self._renewal: Cancellable | None = None
        self._warned_at: float | None = None
        self._unsaid = 0

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self._renewal = self._clock.looping_call(LEASE_RENEW_INTERVAL, self._renew_all)

    async def stop(self) -> None:
        if self._renewal is not None:
            self._renewal.cancel()
            self._renewal = None
        for hosted in self._rooms.values():
            if hosted.timer is not None:
                hosted.timer.cancel()
                hosted.timer = None
        await self.settle()

    # -- queries ---------------------------------------------------------------------------
    @property
    def rules(self) -> rules.Rules:
        return self._rules

    def owns(self, room_id: str) -> bool:
        return room_id in self._rooms

    def room(self, room_id: str) -> RoomState | None:
        hosted = self._rooms.get(room_id)
        return hosted.state if hosted else None

    def count(self) -> int:
        return len(self._rooms)

    # -- commands --------------------------------------------------------------------------
    async def create(
        self, room_id: str, language: str, *, private: bool, players: list[Player] | tuple[Player, ...] = (),
        words: Sequence[WordPair] | None = None,
    ) -> bool:
        """Host a new room here (with ``words`` chosen for its players, else drawn at random);
        ``False`` if another instance already owns that id."""
        lease = await self._leases.acquire(room_id, self.instance_id)
        if lease is None:
            return False
        if words is None or len(words) != self._rules.rounds:
            words = await self._words.draw(language, self._rules.rounds)
        state, events = rules.create(
            room_id, language, private=private, rules=self._rules, words=words,
            now=self._clock.now(), players=players,
        )
        self._rooms[room_id] = HostedRoom(state, lease)
        self._commit(room_id, state, events)
        return True

    def apply(self, room_id: str, transition: Transition) -> None:
        hosted = self._rooms.get(room_id)
        if hosted is None:
            raise GameError("unknown_room", f"no room {room_id}")
        new_state, events = transition(hosted.state, self._clock.now())
        if new_state is hosted.state and not events:
            return
        self._commit(room_id, new_state, events, previous=hosted.state)

    def join(self, room_id: str, player: Player) -> None:
        self.apply(room_id, lambda s, now: rules.join(s, player, now))

    def leave(self, room_id: str, player_id: str) -> None:
        self.apply(room_id, lambda s, now: rules.leave(s, player_id, now))

    def guess(self, room_id: str, player_id: str, text: str) -> None:
        """Every guess of a room passes here, from whichever instance, and a player sits in one
        room at a time: so the per-user guess limit is kept here, exact and without a round trip
        to a shared store. ``RateLimited`` when the player guesses too fast."""
        hosted = self._rooms.get(room_id)
        if hosted is not None and self._guess_rate is not None:
            self._take_guess(hosted, player_id, self._guess_rate)
        self.apply(room_id, lambda s, now: rules.guess(s, player_id, text, now))

    def _take_guess(self, hosted: HostedRoom, player_id: str, rate: Rate) -> None:
        if hosted.state.member(player_id) is None:
            return  # the rules refuse it; no allowance is kept for outsiders
        now = self._clock.now()
        bucket = hosted.guesses.get(player_id)
        if bucket is None:
            bucket = hosted.guesses[player_id] = TokenBucket.full(rate.per_second, rate.burst, now)
        if not bucket.take(now):
            raise RateLimited(bucket.retry_after(now), "too many guesses; slow down")

    def disconnect(self, room_id: str, player_id: str) -> None:
        self.apply(room_id, lambda s, now: rules.disconnect(s, player_id, now, self.reconnect_grace))

    def reconnect(self, room_id: str, player_id: str) -> None:
        self.apply(room_id, lambda s, now: rules.reconnect(s, player_id, now))

    async def adopt(self, room_id: str) -> bool:
        """Take over a room whose owner is gone, from its stored snapshot."""
        if room_id in self._rooms:
            return True
        if await self._store.load(room_id) is None:
            # Nothing to take over: the room is over, or is being made right now, its players
            # told to expect it before its lease is taken. Holding the lease even briefly would
            # make that creation fail, and its players would wait for a room nobody hosts.
            return False
        lease = await self._leases.acquire(room_id, self.instance_id)
        if lease is None:
            return False
        state = await self._store.load(room_id)  # again: the last owner may have written since
        if state is None or state.is_over:
            await self._leases.release(lease)
            return False
        hosted = self._rooms[room_id] = HostedRoom(state, lease)
        self.log.info("took over room {room} at seq {seq} (lease token {token})",
                      room=room_id, seq=state.seq, token=lease.token)
        self._metrics.active_rooms.set(len(self._rooms))
        self._metrics.takeovers.inc()
        self._schedule(hosted)
        if state.wake_at is not None and state.wake_at <= self._clock.now():
            self._wake(room_id)
        return True

    async def hand_off(self) -> list[str]:
        """Stop hosting every room (shutdown): let the last commits land, then free the leases."""
        await self.settle()
        handed = []
        for room_id, hosted in list(self._rooms.items()):
            if hosted.timer is not None:
                hosted.timer.cancel()
            del self._rooms[room_id]
            await self._leases.release(hosted.lease)
            handed.append(room_id)
        self._metrics.active_rooms.set(0)
        return handed

    # -- the engine ------------------------------------------------------------------------
    def _commit(self, room_id: str, state: RoomState, events: list[Event], previous: RoomState | None = None) -> None:
        hosted = self._rooms[room_id]
        state, events = rules.numbered(state, events)
        hosted.state = state
        self._observe(previous, state, events)
        batch = batch_of(state, events) if events else None
        if batch is not None and self._local is not None:
            # Our own players hear it now (and still when Redis is away); the published copy
            # is for the other instances (this one does not hear the rooms it hosts).
            self._local(room_id, batch)
        self._background(self._store_commit(hosted, state, batch), "committing room {room}", room_id)
        self._schedule(hosted)
        if state.is_over:
            self._close(hosted)

    async def _store_commit(self, hosted: HostedRoom, state: RoomState, batch: dict[str, Any] | None) -> None:
        if not await self._store.commit(state, hosted.lease, batch):
            self._lost(hosted, "a newer owner fenced off our commit")

    def _observe(self, previous: RoomState | None, state: RoomState, events: list[Event]) -> None:
        if previous is not None and previous.phase is Phase.ROUND and state.phase is not Phase.ROUND:
            self._metrics.round_duration.observe(max(0.0, self._clock.now() - previous.round_started_at))
        for event in events:
            if event.name == "correctGuess":
                self._metrics.guessed("exact" if event.data["exact"] else "partial")
            elif event.name == "wrongGuess":
                self._metrics.guessed("wrong")
        self._metrics.active_rooms.set(len(self._rooms))

    def _schedule(self, hosted: HostedRoom) -> None:
        state = hosted.state
        wake_at = state.wake_at if not state.is_over else None
        if hosted.timer is not None and wake_at is not None and wake_at == hosted.timer_at:
            return  # the deadline did not move: keep the timer rather than cancel and re-create it
        if hosted.timer is not None:
            hosted.timer.cancel()
            hosted.timer = None
        hosted.timer_at = wake_at
        if wake_at is not None:
            hosted.timer = self._clock.call_later(wake_at - self._clock.now(), self._wake, state.room_id)

    def _wake(self, room_id: str) -> None:
        hosted = self._rooms.get(room_id)
        if hosted is None:
            return
        hosted.timer = None
        try:
            self.apply(room_id, rules.tick)
        except Exception:
            self.log.failure("room {room} failed to advance", room=room_id)

    def _close(self, hosted: HostedRoom) -> None:
        state = hosted.state
        self._rooms.pop(state.room_id, None)
        self._metrics.active_rooms.set(len(self._rooms))

        async def tidy() -> None:
            # A live room's leaderboard is read from its snapshot (no write per guess); the
            # board that outlives the room is written once, before the snapshot goes.
            await self._results.room_scores(state)
            await self._store.delete(state.room_id)
            await self._leases.release(hosted.lease)

        self._background(tidy(), "closing room {room}", state.room_id)
        if state.phase is Phase.FINISHED:
            self._metrics.matches_finished.inc()
            self._background(self._results.match_finished(result_of(state)), "results of {room}", state.room_id)

    def _lost(self, hosted: HostedRoom, why: str) -> None:
        room_id = hosted.state.room_id
        if self._rooms.get(room_id) is not hosted:
            return
        self.log.warn("giving up room {room}: {why}", room=room_id, why=why)
        if hosted.timer is not None:
            hosted.timer.cancel()
        del self._rooms[room_id]
        self._metrics.active_rooms.set(len(self._rooms))
        if self._released is not None:
            self._released(room_id)

    def _renew_all(self) -> None:
        if self._rooms:
            self._background(self._renew(list(self._rooms.values())), "renewing the leases of {room}", "all rooms")

    async def _renew(self, rooms: list[HostedRoom]) -> None:
        renewed = await self._leases.renew_all([hosted.lease for hosted in rooms])
        for hosted, ok in zip(rooms, renewed):
            if not ok:
                self._lost(hosted, "another instance holds its lease now")

    def _background(self, work: Awaitable[object], what: str, room_id: str) -> None:
        async def run() -> None:
            await work

        d = Deferred.fromCoroutine(run())
        self._pending.add(d)
        d.addErrback(self._failed, what, room_id)
        d.addBoth(lambda _: self._pending.discard(d))

    def _failed(self, failure: Failure, what: str, room_id: str) -> None:
        if failure.check(GameError):
            # The store is away (Redis down or failing over): the room carries on from memory
            # and the next commit writes the whole state again. Every room commits on every
            # change, so these are said once per STORE_WARN_EVERY seconds, with a count.
            now = self._clock.now()
            if self._warned_at is not None and now - self._warned_at < STORE_WARN_EVERY:
                self._unsaid += 1
                return
            self.log.warn(what + " failed: {error} ({more} more store failures since the last warning)",
                          room=room_id, error=failure.getErrorMessage(), more=self._unsaid)
            self._warned_at, self._unsaid = now, 0
        else:
            self.log.failure("failed: " + what, failure, room=room_id)

    async def settle(self) -> None:
        """Wait for the background writes started so far (tests, and shutdown)."""
        while self._pending:
            for d in list(self._pending):
                await d
