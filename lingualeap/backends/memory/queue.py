"""Matchmaking queues in process memory: first come, first served, per language."""

from __future__ import annotations

from lingualeap.domain.errors import GameError
from lingualeap.domain.model import Player
from lingualeap.ports import QueuedPlayer


class MemoryMatchQueue:
    def __init__(self) -> None:
        # dicts keep insertion order: the oldest waiting player comes first.
        self._queues: dict[str, dict[str, QueuedPlayer]] = {}
        self._language_of: dict[str, str] = {}

    async def enqueue(self, language: str, player: Player, instance: str) -> int:
        if player.id in self._language_of:
            raise GameError("already_queued", "you are already waiting for a match")
        queue = self._queues.setdefault(language, {})
        queue[player.id] = QueuedPlayer(player, instance)
        self._language_of[player.id] = language
        return len(queue)

    async def remove(self, player_id: str) -> str | None:
        language = self._language_of.pop(player_id, None)
        if language is not None:
            self._queues[language].pop(player_id, None)
        return language

    async def take(self, language: str, count: int) -> list[QueuedPlayer]:
        queue = self._queues.get(language, {})
        if count <= 0 or len(queue) < count:
            return []
        taken = [queue.pop(player_id) for player_id in list(queue)[:count]]
        for entry in taken:
            self._language_of.pop(entry.player.id, None)
        return taken

    async def queued_language(self, player_id: str) -> str | None:
        return self._language_of.get(player_id)

    async def sizes(self) -> dict[str, int]:
        return {language: len(queue) for language, queue in self._queues.items()}
