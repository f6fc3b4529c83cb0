"""Matchmaking queues in process memory: one per language and room size."""

from __future__ import annotations

from collections.abc import Sequence

from lingualeap.domain.errors import GameError
from lingualeap.domain.model import Player
from lingualeap.ports import QueuedPlayer, QueueTicket


class MemoryMatchQueue:
    def __init__(self) -> None:
        # dicts keep insertion order: the oldest waiting player comes first.
        self._queues: dict[tuple[str, int], dict[str, QueuedPlayer]] = {}
        self._queue_of: dict[str, tuple[str, int]] = {}

    async def enqueue(self, language: str, player: Player, instance: str, ticket: QueueTicket = QueueTicket()) -> int:
        if player.id in self._queue_of:
            raise GameError("already_queued", "you are already waiting for a match")
        key = (language, ticket.size)
        queue = self._queues.setdefault(key, {})
        queue[player.id] = QueuedPlayer(player, instance, ticket)
        self._queue_of[player.id] = key
        return len(queue)

    async def remove(self, player_id: str) -> str | None:
        key = self._queue_of.pop(player_id, None)
        if key is None:
            return None
        self._queues[key].pop(player_id, None)
        return key[0]

    async def waiting(self, language: str, size: int) -> list[QueuedPlayer]:
        return list(self._queues.get((language, size), {}).values())

    async def claim(self, language: str, size: int, player_ids: Sequence[str]) -> list[QueuedPlayer]:
        queue = self._queues.get((language, size), {})
        if not player_ids or len(set(player_ids)) != len(player_ids) or any(p not in queue for p in player_ids):
            return []
        for player_id in player_ids:
            del self._queue_of[player_id]
        return [queue.pop(player_id) for player_id in player_ids]

    async def queued_language(self, player_id: str) -> str | None:
        key = self._queue_of.get(player_id)
        return key[0] if key else None

    async def sizes(self) -> dict[str, int]:
        sizes: dict[str, int] = {}
        for (language, _), queue in self._queues.items():
            sizes[language] = sizes.get(language, 0) + len(queue)
        return sizes
