"""Room snapshots in process memory (states are immutable, so storing the object is a snapshot)."""

from __future__ import annotations

from lingualeap.domain.room import RoomState


class MemoryRoomStore:
    def __init__(self) -> None:
        self._rooms: dict[str, RoomState] = {}

    async def save(self, state: RoomState) -> None:
        self._rooms[state.room_id] = state

    async def load(self, room_id: str) -> RoomState | None:
        return self._rooms.get(room_id)

    async def delete(self, room_id: str) -> None:
        self._rooms.pop(room_id, None)
