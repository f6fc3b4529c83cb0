"""The Autobahn server protocol both WebSocket transports (``/ws`` and Socket.IO) build on.

Autobahn formats a debug line (highlighted names, peer, length) for every read and every write
before the logger decides to drop it, and Twisted sends each write after a round trip through
``epoll``. At thousands of frames a second both showed in profiles; this base class skips the
first and batches writes per reactor turn (:mod:`lingualeap.transports.turn_writes`).
"""

from __future__ import annotations

from autobahn.twisted.websocket import WebSocketServerProtocol

from lingualeap.transports.turn_writes import batch_writes

__all__ = ["LeanServerProtocol"]


class LeanServerProtocol(WebSocketServerProtocol):
    def connectionMade(self) -> None:
        # After Autobahn read the transport's details (peer, TLS) from the real transport.
        super().connectionMade()
        self.transport = batch_writes(self.transport)

    def dataReceived(self, data: bytes) -> None:
        self._dataReceived(data)

    def sendData(self, data: bytes, sync: bool = False, chopsize: int | None = None) -> None:
        if sync or chopsize or self.send_queue or getattr(self, "logOctets", False):
            super().sendData(data, sync, chopsize)
            return
        # Autobahn's traffic counters are not read here (trackTimings is off).
        assert self.transport is not None, "Autobahn sends only on a connected protocol"
        self.transport.write(data)
