"""Room events on their way to this instance's players.

The instance watches a room's channel while it has members there, delivers each event to the
local connections of its recipients, drops what it has already delivered (events carry per-room
sequence numbers), and after a re-subscription sends its members a ``roomState`` snapshot taken
from the stored room, because pub/sub may have lost messages meanwhile.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred
from twisted.logger import Logger

from lingualeap.domain import room as rules
from lingualeap.domain.events import Event
from lingualeap.ports import Backplane, RoomStore
from lingualeap.services.presence import Presence

#: Events after which a room has no members any more.
ROOM_OVER = frozenset({"matchEnded", "roomDeleted"})


class Fanout:
    log = Logger()

    def __init__(self, backplane: Backplane, presence: Presence, rooms: RoomStore) -> None:
        self._backplane = backplane
        self._presence = presence
        self._store = rooms
        self._members: dict[str, set[str]] = {}  # room → local members (or joining players)
        self._room_of: dict[str, str] = {}  # local player → room
        self._last_seq: dict[str, int] = {}

    # -- membership ---------------------------------------------------------------------------
    def room_of(self, player_id: str) -> str | None:
        return self._room_of.get(player_id)

    def watched(self) -> list[str]:
        return sorted(self._members)

    async def expect(self, room_id: str, player_ids: list[str]) -> None:
        """Local players are about to enter ``room_id``: watch it before its first event."""
        first = room_id not in self._members
        self._members.setdefault(room_id, set()).update(player_ids)
        for player_id in player_ids:
            self._room_of[player_id] = room_id
        if first:
            await self._backplane.watch(room_id)

    async def forget(self, room_id: str, player_id: str) -> None:
        """A local player is not (or no longer) in the room."""
        if self._room_of.get(player_id) == room_id:
            del self._room_of[player_id]
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
        self._last_seq.pop(room_id, None)
        await self._backplane.unwatch(room_id)

    # -- delivery -----------------------------------------------------------------------------
    def room_batch(self, room_id: str, batch: dict[str, Any]) -> None:
        last = self._last_seq.get(room_id, 0)
        for raw in batch.get("events", ()):
            seq = int(raw["data"].get("seq", 0))
            if seq and seq <= last:
                continue  # already delivered (a snapshot or a duplicate covered it)
            last = max(last, seq)
            event = Event(str(raw["name"]), dict(raw["data"]), tuple(raw.get("to") or ()))
            self._presence.deliver(event.to or (), event)
            self._track(room_id, event)
        if room_id in self._members:
            self._last_seq[room_id] = last

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
        if event.name == "playerLeft":
            leaver = event.data.get("player")
            if isinstance(leaver, dict) and leaver.get("id") in members:
                self._later(self.forget(room_id, str(leaver["id"])), room_id)
            return
        players = event.data.get("players")
        if isinstance(players, list):
            present = {p["id"] for p in players if isinstance(p, dict)}
            for player_id in present:
                if self._presence.is_connected(player_id) and player_id not in members:
                    members.add(player_id)
                    self._room_of[player_id] = room_id

    def _later(self, work: Any, room_id: str) -> None:
        d = Deferred.fromCoroutine(work)
        d.addErrback(lambda f: self.log.failure("updating watch of {room} failed", f, room=room_id))

    # -- after a re-subscription -------------------------------------------------------------------
    def resync(self) -> None:
        for room_id in self.watched():
            self._later(self._resync(room_id), room_id)

    async def _resync(self, room_id: str) -> None:
        await self._backplane.watch(room_id)
        members = sorted(self._members.get(room_id, ()))
        if not members:
            return
        state = await self._store.load(room_id)
        if state is None:
            # The room finished or closed while we could not hear it.
            self._presence.deliver(members, Event("roomDeleted", {"roomId": room_id}))
            await self._drop(room_id)
            return
        if state.seq > self._last_seq.get(room_id, 0):
            self._last_seq[room_id] = state.seq
            self._presence.deliver(members, rules.snapshot(state))
