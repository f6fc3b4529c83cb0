"""One Socket.IO socket of the game namespace as the services see a connection."""

from __future__ import annotations

from collections.abc import Callable

from lingualeap.domain.model import Player
from lingualeap.domain.ratelimit import TokenBucket
from lingualeap.services.connections import CLOSE_POLICY, FINAL_CLOSE_CODES, IdleWatch
from lingualeap.services.presence import Outbound
from lingualeap.transports.socketio import Socket
from lingualeap.transports.socketio_game import wire

__all__ = ["CLOSE_POLICY", "DropConnection", "GameSocket"]

#: Ends a client's whole Engine.IO connection at once: ``(engine sid, reason)``.
DropConnection = Callable[[str, str], None]


class GameSocket:
    """A :class:`~lingualeap.services.presence.Connection` over one :class:`Socket`.

    Holds what ``/ws`` keeps per connection: the player, its token bucket and flood strikes,
    and (once it is open) its idle watch.
    """

    def __init__(
        self, socket: Socket, player: Player, named: bool, bucket: TokenBucket, drop: DropConnection
    ) -> None:
        self.socket = socket
        self._player = player
        self.named = named
        self.bucket = bucket
        self.strikes = 0
        self._drop = drop
        self.idle: IdleWatch | None = None

    def __repr__(self) -> str:
        return f"<GameSocket {self.socket.id} {self._player.id}>"

    @property
    def player(self) -> Player:
        return self._player

    def adopt(self, player: Player) -> None:
        """Take a new display name (same id, so Presence and the services are unaffected)."""
        if player.id != self._player.id:
            raise ValueError("a connection cannot change whose it is")
        self._player = player

    def send(self, message: Outbound) -> None:
        # Encoded once per event for every Socket.IO socket (Outbound caches per wire format).
        self.socket.send(message.encoded(wire.WIRE, wire.encode))

    def close(self, code: int, reason: str) -> None:
        if code in FINAL_CLOSE_CODES:
            # A DISCONNECT packet first: stock clients treat "io server disconnect" as final
            # and do not reconnect, which is what a flood, an idle or surplus connection and a
            # revoked token deserve (the ``error`` event before it said why).
            self.socket.disconnect(close=True)
        else:
            # Restart / going away: drop the transport without Engine.IO's close packet. Stock
            # clients (socket.io-client and python-socketio alike) then reconnect by themselves,
            # through the load balancer to a live instance; python-socketio would not after a
            # close packet.
            self._drop(self.socket.engine_id, reason)
