"""A whole server on memory backends and a fake clock, with fake connections that record events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from twisted.internet import reactor
from twisted.internet.task import Clock

from lingualeap.app.wiring import Server, build_server
from lingualeap.clock import ReactorClock
from lingualeap.config import Config
from lingualeap.domain.events import Event
from lingualeap.domain.model import Player
from lingualeap.services.presence import Outbound
from support.words import languages


@dataclass(eq=False)
class FakeConnection:
    player: Player
    events: list[Event] = field(default_factory=list)
    closed: tuple[int, str] | None = None

    def send(self, message: Outbound) -> None:
        self.events.append(message.event)

    def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)

    def named(self, name: str) -> list[dict[str, Any]]:
        return [dict(e.data) for e in self.events if e.name == name]

    def last(self, name: str) -> dict[str, Any]:
        found = self.named(name)
        assert found, f"{self.player.username} got no {name}; got {[e.name for e in self.events]}"
        return found[-1]

    def names(self) -> list[str]:
        return [e.name for e in self.events]


class Harness:
    def __init__(self, **config: Any) -> None:
        self.time = Clock()
        self.time.advance(1_700_000_000)  # a realistic epoch, so tokens look like real ones
        self.config = Config(bcrypt_rounds=4, jwt_secret="test-secret-that-is-long-enough-for-hs256", **config)
        self.server: Server = build_server(
            self.config, reactor, clock=ReactorClock(self.time), languages=languages()
        )

    def connect(self, player: Player) -> FakeConnection:
        connection = FakeConnection(player)
        self.server.presence.add(connection)
        return connection

    async def disconnect(self, connection: FakeConnection) -> None:
        if self.server.presence.discard(connection):
            await self.server.play.disconnected(connection.player)

    def advance(self, seconds: float, step: float = 0.25) -> None:
        """Move time forward in small steps, as a real clock does.

        ``task.Clock.advance`` runs every overdue call at the end time, so one big jump would
        make timers that are scheduled by other timers see a later "now" than they would.
        """
        remaining = seconds
        while remaining > 1e-9:
            moved = min(step, remaining)
            self.time.advance(moved)
            remaining -= moved

    async def settle(self) -> None:
        await self.server.host.settle()
