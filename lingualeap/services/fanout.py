"""Room events on their way to this instance's players.

The instance watches a room's channel while it has members there and another instance hosts
it (a room hosted here hands its events over directly), and delivers each event to the local
connections of its recipients, at most once per player: events carry per-room sequence numbers,
and the owner's direct hand-over, the published copy, a replay after a reconnect and a snapshot
after a re-subscription or a takeover all meet here. A player being resumed gets the logged events
they missed first; live events that arrive meanwhile wait and follow in order.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.python.failure import Failure

from lingualeap.domain import room as rules
from lingualeap.domain.events import Event
from lingualeap.domain.room import RoomState
from lingualeap.ports import Backplane, RoomStore
from lingualeap.services.presence import Presence

#: Events after which a room has no members any more.
ROOM_OVER = frozenset({"matchEnded", "roomDeleted"})

Seat = tuple[str, str]  # (room id, player id)


def _event(raw: dict[str, Any]) -> Event:
    return Event(str(raw["name"]), dict(raw["data"]), tuple(raw.get("to") or ()))


def _seq(event: Event) -> int:
    return int(event.data.get("seq", 0))


class Fanout:
    log = Logger()

    def __init__(self, backplane: Backplane, presence: Presence, rooms: RoomStore) -> None:
        self._backplane = backplane
        self._presence = presence
        self._store = rooms
        self._members: dict[str, set[str]] = {}  # room → local members (or joining players)
        self._room_of: dict[str, str] = {}  # local player → room
        self._delivered: dict[Seat, int] = {}  # last sequence number each local seat received
        self._resuming: dict[Seat, list[Event]] = {}  # live events held back during a replay
        self._hearing: dict[str, list[Deferred[None]]] = {}  # rooms being subscribed → who waits
        self._heard: set[str] = set()  # rooms whose channel is subscribed here
        self._on_still_here: Callable[[str, str], None] | None = None
        self._hosted: Callable[[str], bool] = lambda room_id: False

    def on_still_here(self, callback: Callable[[str, str], None]) -> None:
        """Call ``callback(room, player)`` when the room reports a player away who is connected here."""
        self._on_still_here = callback

    def hosted_here(self, owns: Callable[[str], bool]) -> None:
        """Which rooms this instance hosts. Their events reach local players straight from the
        host (:meth:`hosted_batch`), so their channels are not heard here: the store would only
        send every batch back to the instance that made it."""
        self._hosted = owns

    # -- membership ---------------------------------------------------------------------------
    def room_of(self, player_id: str) -> str | None:
        return self._room_of.get(player_id)

    def watched(self) -> list[str]:
        return sorted(self._members)

    @property
    def watching(self) -> Collection[str]:
        """The rooms watched here (a live view: for membership tests)."""
        return self._members.keys()

    def members(self, room_id: str) -> list[str]:
        return sorted(self._members.get(room_id, ()))

    async def expect(self, room_id: str, player_ids: list[str]) -> None:
        """Local players are about to enter ``room_id``: watch it before its first event."""
        first = room_id not in self._members
        self._members.setdefault(room_id, set()).update(player_ids)
        for player_id in player_ids:
            self._room_of[player_id] = room_id
        if first:
            await self._watch(room_id)
        elif room_id in self._hearing:
            # Another player's subscription to this room is on its way: reading the room's log
            # before the channel is heard would let an event slip between the two.
            waiter: Deferred[None] = Deferred()
            self._hearing[room_id].append(waiter)
            await waiter

    async def _watch(self, room_id: str) -> None:
        if self._hosted(room_id):
            return
        waiters: list[Deferred[None]] = []
        self._hearing[room_id] = waiters
        outcome: Failure | None = None
        try:
            await self._backplane.watch(room_id)
            self._heard.add(room_id)
        except Exception:
            outcome = Failure()
            raise
        finally:
            if self._hearing.get(room_id) is waiters:
                del self._hearing[room_id]
            for waiter in waiters:
                if outcome is None:
                    waiter.callback(None)
                else:
                    waiter.errback(outcome)

    async def forget(self, room_id: str, player_id: str) -> None:
        """A local player is not (or no longer) in the room, or no longer connected here."""
        if (room_id, player_id) in self._resuming and self._presence.is_connected(player_id):
            return  # an old connection closing while the player resumes on a new one
        if self._room_of.get(player_id) == room_id:
            del self._room_of[player_id]
        self._delivered.pop((room_id, player_id), None)
        self._resuming.pop((room_id, player_id), None)
        members = self._members.get(room_id)
        if members is None:
            return
        members.discard(player_id)
        if not members:
            await self._drop(room_id)

    async def _drop(self, room_id: str) -> None:
        for player_id in self._members.pop(room_id, set()):
            if self._room_of.get(player_id) == room_id:
                del self._room_of[player_id]
            self._delivered.pop((room_id, player_id), None)
            self._resuming.pop((room_id, player_id), None)
        self._heard.discard(room_id)
        await self._backplane.unwatch(room_id)

    # -- delivery -----------------------------------------------------------------------------
    def hosted_batch(self, room_id: str, batch: dict[str, Any]) -> None:
        """A batch from the room's host in this instance."""
        if room_id in self._heard:
            # Watched before it was hosted here (its players were told to expect it first, or
            # it was taken over): from now on its events come from here.
            self._heard.discard(room_id)
            self._later(self._backplane.unwatch(room_id), room_id)
        self.room_batch(room_id, batch)

    def released(self, room_id: str) -> None:
        """The room is still on but no longer hosted here (another instance took it over):
        hear its channel again, and catch local players up with the room as it is now."""
        if room_id in self._members:
            self._later(self._resync(room_id), room_id)

    def room_batch(self, room_id: str, batch: dict[str, Any]) -> None:
        for raw in batch.get("events", ()):
            event = _event(raw)
            self._deliver(room_id, event)
            self._track(room_id, event)

    def _deliver(self, room_id: str, event: Event) -> None:
        seq = _seq(event)
        members = self._members.get(room_id, ())
        fresh = []
        for player_id in event.to or ():
            seat = (room_id, player_id)
            if seat in self._resuming:
                self._resuming[seat].append(event)
                continue
            if player_id not in members:
                # Connected here but not (or no longer) in the room here: a connection that has
                # not resumed yet must get what it missed in order, from the replay.
                continue
            if seq and seq <= self._delivered.get(seat, 0):
                continue  # this player already has it
            if seq:
                self._delivered[seat] = seq
            fresh.append(player_id)
        if fresh:
            self._presence.deliver(fresh, event)

    def _track(self, room_id: str, event: Event) -> None:
        members = self._members.get(room_id)
        if members is None:
            return
        if event.name in ROOM_OVER:
            self._later(self._drop(room_id), room_id)
            return
        if event.name == "roomFull":
            for player_id in event.to or ():
                self._later(self.forget(room_id, player_id), room_id)
            return
        if event.name == "playerDisconnected":
            # A connection that closed elsewhere after the player had resumed here: the room
            # must hear that they are back, or their seat would lapse while they play.
            absent = event.data.get("player")
            player_id = str(absent.get("id", "")) if isinstance(absent, dict) else ""
            seat = (room_id, player_id)
            if (
                player_id in members
                and seat not in self._resuming
                and self._presence.is_connected(player_id)
                and self._on_still_here is not None
            ):
                self._on_still_here(room_id, player_id)
            return
        if event.name == "playerLeft":
            leaver = event.data.get("player")
            if isinstance(leaver, dict) and leaver.get("id") in members:
                self._later(self.forget(room_id, str(leaver["id"])), room_id)
            return

    def _later(self, work: Any, room_id: str) -> None:
        d = Deferred.fromCoroutine(work)
        d.addErrback(lambda f: self.log.failure("updating watch of {room} failed", f, room=room_id))

    # -- a player comes back ------------------------------------------------------------------
    def hold(self, room_id: str, player_id: str) -> None:
        """Hold live events for the player until :meth:`replay` has sent what they missed."""
        self._resuming[(room_id, player_id)] = []

    def replay(
        self, room_id: str, player_id: str, last_seq: int, logged: list[dict[str, Any]] | None, state: RoomState
    ) -> None:
        """Send the player what they missed since ``last_seq``, then what arrived meanwhile."""
        seat = (room_id, player_id)
        held = self._resuming.pop(seat, [])
        self._delivered[seat] = last_seq
        if logged is None:
            snapshot = rules.snapshot(state, (player_id,))
            self._presence.deliver([player_id], snapshot)
            self._delivered[seat] = state.seq
        else:
            for raw in logged:
                event = _event(raw)
                if player_id in (event.to or ()):
                    self._deliver(room_id, event)
        for event in held:
            self._deliver(room_id, event)
        if state.seq > self._delivered.get(seat, 0):
            # The log was read before some commits landed and their live copies went by: rather
            # than leave a silent gap, send the room as it is.
            self._presence.deliver([player_id], rules.snapshot(state, (player_id,)))
            self._delivered[seat] = state.seq

    # -- after a re-subscription -------------------------------------------------------------------
    def resync(self) -> None:
        for room_id in self.watched():
            self._later(self._resync(room_id), room_id)

    async def _resync(self, room_id: str) -> None:
        if self._hosted(room_id):
            return  # its players hear it from its host here, which missed nothing
        await self._backplane.watch(room_id)
        self._heard.add(room_id)
        members = sorted(self._members.get(room_id, ()))
        if not members:
            return
        state = await self._store.load(room_id)
        if state is None:
            # The room finished or closed while we could not hear it.
            self._presence.deliver(members, Event("roomDeleted", {"roomId": room_id}))
            await self._drop(room_id)
            return
        behind = [p for p in members if self._delivered.get((room_id, p), 0) < state.seq]
        if behind:
            self._presence.deliver(behind, rules.snapshot(state))
            for player_id in behind:
                self._delivered[(room_id, player_id)] = state.seq
