"""The Autobahn server protocol both WebSocket transports (``/ws`` and Socket.IO) build on.

At thousands of frames a second, three costs below the game showed in profiles: Autobahn formats
a debug line (highlighted names, peer, length) for every read and write before the logger drops
it; Twisted sends each write after a round trip through ``epoll``; and Twisted asks for 64 KiB
per read. This base class skips the first, sends each connection's writes once per reactor turn
(:mod:`lingualeap.transports.turn_writes`), and reads in pieces sized for game frames.
"""

from __future__ import annotations

from autobahn.twisted.websocket import WebSocketServerProtocol
from twisted.internet.abstract import FileDescriptor

from lingualeap.transports.turn_writes import batch_writes

__all__ = ["READ_SIZE", "LeanServerProtocol"]

#: Bytes asked of the socket per read. Twisted asks for 64 KiB, and PyPy allocates all of it for
#: each read before it knows what arrived: with game frames of a few hundred bytes that was most
#: of what a busy server allocated, and the collections it caused showed in the latency tail.
#: A bigger frame just takes a few more reads.
READ_SIZE = 4096


class LeanServerProtocol(WebSocketServerProtocol):
    def connectionMade(self) -> None:
        # After Autobahn read the transport's details (peer, TLS) from the real transport.
        super().connectionMade()
        if isinstance(self.transport, FileDescriptor):
            self.transport.bufferSize = READ_SIZE
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
