"""Who is connected to this instance, and delivery of events to their connections.

A transport registers each open connection here. Events are encoded at most once per wire format
(:class:`Outbound` caches the encoding), however many connections receive them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from twisted.logger import Logger

from lingualeap.domain.events import Event
from lingualeap.domain.model import Player


class Outbound:
    """An event on its way out, with one cached encoding per wire format."""

    __slots__ = ("event", "_encoded")

    def __init__(self, event: Event) -> None:
        self.event = event
        self._encoded: dict[str, Any] = {}

    def encoded(self, wire: str, encode: Callable[[Event], Any]) -> Any:
        try:
            return self._encoded[wire]
        except KeyError:
            value = self._encoded[wire] = encode(self.event)
            return value


class Connection(Protocol):
    """A connected player as services see one: an identity and a way to send."""

    @property
    def player(self) -> Player: ...

    def send(self, message: Outbound) -> None: ...

    def close(self, code: int, reason: str) -> None: ...


class Presence:
    """This instance's open connections by player id; it is the :class:`EventSink` of a process."""

    log = Logger()

    def __init__(self, on_change: Callable[[int, int], None] | None = None) -> None:
        self._by_player: dict[str, list[Connection]] = {}
        self._count = 0
        self._on_change = on_change

    def add(self, connection: Connection) -> bool:
        """Register a connection; ``True`` if it is the player's first one here."""
        connections = self._by_player.setdefault(connection.player.id, [])
        connections.append(connection)
        self._changed(+1)
        return len(connections) == 1

    def discard(self, connection: Connection) -> bool:
        """Forget a connection; ``True`` if the player has no connection left here."""
        connections = self._by_player.get(connection.player.id)
        if not connections or connection not in connections:
            return False
        connections.remove(connection)
        if not connections:
            del self._by_player[connection.player.id]
        self._changed(-1)
        return not connections

    def _changed(self, delta: int) -> None:
        self._count += delta
        if self._on_change is not None:
            self._on_change(self._count, len(self._by_player))

    @property
    def connection_count(self) -> int:
        return self._count

    def player_count(self) -> int:
        return len(self._by_player)

    def is_connected(self, player_id: str) -> bool:
        return player_id in self._by_player

    def connections_of(self, player_id: str) -> list[Connection]:
        """The player's connections here, oldest first."""
        return list(self._by_player.get(player_id, ()))

    def connections(self) -> Iterator[Connection]:
        for connections in list(self._by_player.values()):
            yield from list(connections)

    def deliver(self, player_ids: Sequence[str], event: Event) -> None:
        message = Outbound(event)
        for player_id in player_ids:
            for connection in list(self._by_player.get(player_id, ())):
                self._send(connection, message)

    def broadcast(self, event: Event) -> None:
        message = Outbound(event)
        for connection in self.connections():
            self._send(connection, message)

    def _send(self, connection: Connection, message: Outbound) -> None:
        # One broken connection must never stop delivery to the others.
        try:
            connection.send(message)
        except Exception:
            self.log.failure("sending {event} failed", event=message.event.name)
