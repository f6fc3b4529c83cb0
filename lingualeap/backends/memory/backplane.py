"""Messaging between instances in one process: a hub that several backplanes can share.

A single server has a private hub; tests put several instances on one hub to exercise the same
routing code that Redis pub/sub carries between processes.
"""

from __future__ import annotations

import copy
from typing import Any

from lingualeap.domain.errors import GameError
from lingualeap.ports import BackplaneHandler


class MemoryHub:
    def __init__(self) -> None:
        self.handlers: dict[str, BackplaneHandler] = {}
        self.watchers: dict[str, set[str]] = {}


class MemoryBackplane:
    def __init__(self, instance_id: str, hub: MemoryHub | None = None) -> None:
        self.instance_id = instance_id
        self._hub = hub or MemoryHub()

    def attach(self, handler: BackplaneHandler) -> None:
        self._hub.handlers[self.instance_id] = handler

    async def watch(self, room_id: str) -> None:
        self._hub.watchers.setdefault(room_id, set()).add(self.instance_id)

    async def unwatch(self, room_id: str) -> None:
        watchers = self._hub.watchers.get(room_id)
        if watchers is not None:
            watchers.discard(self.instance_id)
            if not watchers:
                del self._hub.watchers[room_id]

    async def publish(self, room_id: str, batch: dict[str, Any]) -> None:
        for instance in sorted(self._hub.watchers.get(room_id, ())):
            if instance == self.instance_id:
                continue  # the owner hands its batches to its own players directly
            handler = self._hub.handlers.get(instance)
            if handler is not None:
                # A copy per receiver, as if it had crossed a wire.
                handler.room_batch(room_id, copy.deepcopy(batch))

    async def send(self, instance_id: str, message: dict[str, Any]) -> None:
        handler = self._hub.handlers.get(instance_id)
        if handler is None:
            raise GameError("unavailable", f"instance {instance_id} is not listening")
        handler.direct(copy.deepcopy(message))

    async def broadcast(self, message: dict[str, Any]) -> None:
        for handler in list(self._hub.handlers.values()):
            handler.broadcasted(copy.deepcopy(message))


class MemoryInstanceRegistry:
    """One process is one instance."""

    def __init__(self, info: dict[str, Any]) -> None:
        self._info = info

    async def live(self) -> list[dict[str, Any]]:
        return [dict(self._info)]
