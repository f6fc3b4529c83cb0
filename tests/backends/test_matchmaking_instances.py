"""Two instances' matchmakers racing over one queue (memory, and a real Redis): every waiting
player lands in exactly one room, and rooms hold players of close ratings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest_twisted
from support.ports import Ports
from twisted.internet.defer import DeferredList, ensureDeferred

from lingualeap.domain.model import Player
from lingualeap.ports import QueuedPlayer, QueueTicket
from lingualeap.services.matchmaking import MatchmakingService
from lingualeap.services.metrics import Metrics


class StubGame:
    """The part of GameService matchmaking uses: rooms are just recorded."""

    def __init__(self, instance_id: str) -> None:
        self.instance_id = instance_id
        self.rooms: list[list[str]] = []

    async def create_match(self, queued: Sequence[QueuedPlayer], language_id: str) -> str:
        self.rooms.append([q.player.id for q in queued])
        return f"m-{len(self.rooms)}"


class Silent:
    def deliver(self, player_ids: Sequence[str], event: Any) -> None: ...

    def broadcast(self, event: Any) -> None: ...


@pytest_twisted.ensureDeferred
async def test_racing_instances_match_every_player_once_with_close_ratings(ports: Ports) -> None:
    await ports.alive("i1", "i2")
    ratings = [1000, 1010, 1500, 1490, 2000, 1995, 1200, 1220, 1700, 1720, 1300, 1310]
    for n, rating in enumerate(ratings):
        ticket = QueueTicket(2, float(rating), 50.0, ports.clock.now())
        await ports.queue.enqueue("french", Player(f"u-{n:02d}", f"P{n}"), "i1" if n % 2 else "i2", ticket)
    games = [StubGame("i1"), StubGame("i2")]
    services = [
        MatchmakingService(ports.queue, g, Silent(), Metrics(), clock=ports.clock)  # type: ignore[arg-type]
        for g in games
    ]
    await DeferredList([ensureDeferred(s._form_groups("french", 2)) for s in services] * 2)
    rooms = games[0].rooms + games[1].rooms
    members = sorted(p for room in rooms for p in room)
    assert members == sorted(f"u-{n:02d}" for n in range(len(ratings)))
    for room in rooms:
        a, b = (ratings[int(p[2:])] for p in room)
        assert abs(a - b) <= 20  # the closest pairs, never 1000 with 1200
    assert await ports.queue.waiting("french", 2) == []
