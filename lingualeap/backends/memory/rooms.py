"""Room snapshots and ownership in process memory (one instance owns everything)."""

from __future__ import annotations

import itertools

from lingualeap.domain.room import RoomState
from lingualeap.ports import Lease


class MemoryRoomStore:
    def __init__(self) -> None:
        self._rooms: dict[str, RoomState] = {}

    async def save(self, state: RoomState, lease: Lease) -> bool:
        # States are immutable, so keeping the object is a snapshot.
        self._rooms[state.room_id] = state
        return True

    async def load(self, room_id: str) -> RoomState | None:
        return self._rooms.get(room_id)

    async def delete(self, room_id: str) -> None:
        self._rooms.pop(room_id, None)


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

    async def renew(self, lease: Lease) -> bool:
        return self._leases.get(lease.room_id) == lease

    async def release(self, lease: Lease) -> None:
        if self._leases.get(lease.room_id) == lease:
            del self._leases[lease.room_id]

    async def owner(self, room_id: str) -> str | None:
        lease = self._leases.get(room_id)
        return lease.instance if lease else None
