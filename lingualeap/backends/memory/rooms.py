"""Room snapshots and ownership in process memory (one instance owns everything)."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Sequence
from typing import Any

from lingualeap import jsonbytes
from lingualeap.domain.room import RoomState
from lingualeap.ports import Backplane, Lease


#: Events kept per room for players who reconnect; older ones are replaced by a snapshot.
EVENT_LOG_LIMIT = 500


class MemoryRoomStore:
    def __init__(self, backplane: Backplane, leases: MemoryRoomLeases | None = None) -> None:
        self._backplane = backplane
        self._leases = leases
        self._rooms: dict[str, RoomState] = {}
        # Each logged batch as the JSON of its events, with how many there are: bytes are not
        # tracked by the garbage collector, while 500 nested dicts per room made every full
        # collection walk the whole log; and one encoding per batch costs less than one per event.
        self._logs: dict[str, _Log] = {}

    async def commit(self, state: RoomState, lease: Lease, batch: dict[str, Any] | None) -> bool:
        if self._leases is not None and not self._leases.holds(lease):
            return False
        # States are immutable, so keeping the object is a snapshot.
        self._rooms[state.room_id] = state
        if batch is not None:
            log = self._logs.get(state.room_id)
            if log is None:
                log = self._logs[state.room_id] = _Log()
            log.append(batch["events"])
            await self._backplane.publish(state.room_id, batch)
        return True

    async def load(self, room_id: str) -> RoomState | None:
        return self._rooms.get(room_id)

    async def events_since(self, room_id: str, seq: int) -> list[dict[str, Any]] | None:
        log = self._logs.get(room_id)
        return events_after(log.events() if log is not None else [], seq)

    async def delete(self, room_id: str) -> None:
        self._rooms.pop(room_id, None)
        self._logs.pop(room_id, None)


class _Log:
    """A room's last ``EVENT_LOG_LIMIT`` events (or a few more: whole batches are dropped)."""

    __slots__ = ("_batches", "_count")

    def __init__(self) -> None:
        self._batches: deque[tuple[int, bytes]] = deque()
        self._count = 0

    def append(self, events: list[dict[str, Any]]) -> None:
        self._batches.append((len(events), _compact(jsonbytes.dumps(events))))
        self._count += len(events)
        while self._count - self._batches[0][0] >= EVENT_LOG_LIMIT:
            self._count -= self._batches.popleft()[0]

    def events(self) -> list[dict[str, Any]]:
        return [event for _, encoded in self._batches for event in jsonbytes.loads(encoded)]


def _compact(encoded: bytes) -> bytes:
    """A right-sized copy: orjson (what ``jsonbytes`` uses on CPython) hands back its whole 4 KiB
    write buffer, and the log keeps hundreds of them per room (a gigabyte for 500 rooms)."""
    return bytes(memoryview(encoded))


def events_after(log: list[dict[str, Any]], seq: int) -> list[dict[str, Any]] | None:
    """The logged events after ``seq``, or ``None`` unless they are all there, without gaps."""
    wanted = [e for e in log if int(e["data"].get("seq", 0)) > seq]
    expected = seq + 1
    for event in wanted:
        if int(event["data"].get("seq", 0)) != expected:
            return None  # trimmed away, or lost while the store was unreachable
        expected += 1
    if not wanted and log and int(log[-1]["data"].get("seq", 0)) < seq:
        return None  # the caller has seen more than the log holds: it is behind the room
    return wanted


class MemoryRoomLeases:
    """Leases without expiry: in one process the owner cannot die without the rooms."""

    def __init__(self) -> None:
        self._leases: dict[str, Lease] = {}
        self._tokens = itertools.count(1)

    async def acquire(self, room_id: str, instance: str) -> Lease | None:
        if room_id in self._leases:
            return None
        lease = self._leases[room_id] = Lease(room_id, instance, next(self._tokens))
        return lease

    def holds(self, lease: Lease) -> bool:
        return self._leases.get(lease.room_id) == lease

    async def renew(self, lease: Lease) -> bool:
        return self.holds(lease)

    async def renew_all(self, leases: Sequence[Lease]) -> list[bool]:
        return [self.holds(lease) for lease in leases]

    async def release(self, lease: Lease) -> None:
        if self._leases.get(lease.room_id) == lease:
            del self._leases[lease.room_id]

    async def owner(self, room_id: str) -> str | None:
        lease = self._leases.get(room_id)
        return lease.instance if lease else None

    async def owners(self, room_ids: Sequence[str]) -> dict[str, str | None]:
        return {room_id: await self.owner(room_id) for room_id in room_ids}
