"""One ``send`` per connection per reactor turn, written straight to the socket when it can take it.

Twisted buffers every ``transport.write`` and sends it once ``epoll`` says the socket is writable:
an ``epoll_ctl`` to watch for writability, a wake-up, the ``send``, and a second ``epoll_ctl`` to
stop watching, for every connection written to in a turn. A guess writes to every player in the
room, so at thousands of guesses a second that round trip was a large share of the server's time.

:func:`batch_writes` wraps a connection's transport so that its writes during one reactor turn are
joined, and sent at the end of the turn with one ``send`` when Twisted has nothing buffered for it.
Whatever the socket does not take (a slow reader, a full buffer) and every unusual case (TLS,
closing, a lost connection) goes to Twisted's own ``write``, which buffers, applies back-pressure
and reports errors as it always does. Only writing and closing are wrapped; everything else
reaches the transport unchanged.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import tcp
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from zope.interface import directlyProvides, providedBy

__all__ = ["TurnBatchedTransport", "batch_writes"]


class _TurnFlusher:
    """Sends the writes of every connection written to during a turn, once, at the turn's end."""

    log = Logger()

    def __init__(self, reactor: IReactorTime) -> None:
        self._reactor = reactor
        self._dirty: list[TurnBatchedTransport] = []
        self._scheduled = False

    def mark(self, transport: TurnBatchedTransport) -> None:
        self._dirty.append(transport)
        if not self._scheduled:
            self._scheduled = True
            # callLater(0) runs before the reactor next waits for I/O: after every read and timer
            # of this turn has written what it will.
            self._reactor.callLater(0, self._flush)

    def _flush(self) -> None:
        self._scheduled = False
        dirty, self._dirty = self._dirty, []
        for transport in dirty:
            try:
                transport.flush()
            except Exception:
                # One connection's failure must not hold back the others' writes.
                self.log.failure("sending a connection's writes failed; dropping it")
                transport.abortConnection()


#: One per reactor (in practice, one): reactors live as long as the process.
_flushers: dict[IReactorTime, _TurnFlusher] = {}


def _flusher_for(reactor: IReactorTime) -> _TurnFlusher:
    flusher = _flushers.get(reactor)
    if flusher is None:
        flusher = _flushers[reactor] = _TurnFlusher(reactor)
    return flusher


class TurnBatchedTransport:
    """A TCP transport whose writes wait for the end of the reactor turn and leave in one ``send``."""

    def __init__(self, transport: tcp.Connection, flusher: _TurnFlusher) -> None:
        self._transport = transport
        self._flusher = flusher
        self._pending: list[bytes] | None = None
        # Checks such as ISSLTransport.providedBy see what the wrapped transport provides.
        directlyProvides(self, providedBy(transport))

    @property
    def wrapped(self) -> tcp.Connection:
        return self._transport

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)

    def write(self, data: bytes) -> None:
        if not isinstance(data, bytes):
            # Fail at the caller, as Twisted would, not at the end of the turn.
            raise TypeError(f"data must be bytes, not {type(data).__name__}")
        if not data:
            return
        if self._pending is None:
            self._pending = [data]
            self._flusher.mark(self)
        else:
            self._pending.append(data)

    def writeSequence(self, data: list[bytes]) -> None:
        for chunk in data:
            self.write(chunk)

    def flush(self) -> None:
        """Send what this turn wrote: straight to the socket if nothing is queued before it."""
        pending, self._pending = self._pending, None
        if not pending:
            return
        data = pending[0] if len(pending) == 1 else b"".join(pending)
        t = self._transport
        if t.connected and not t.disconnecting and not t._writeDisconnected and not t.dataBuffer \
                and not t._tempDataLen:
            sent = t.writeSomeData(data)
            if isinstance(sent, int) and sent >= 0:
                if sent < len(data):
                    t.write(data[sent:])
                return
        # Queued data, a closing or lost connection, or an error from send: Twisted's own path
        # keeps the order, buffers, and reports the loss through connectionLost as usual.
        t.write(data)

    def loseConnection(self) -> None:
        self.flush()
        self._transport.loseConnection()

    def abortConnection(self) -> None:
        self._pending = None
        self._transport.abortConnection()


def batch_writes(transport: Any) -> Any:
    """``transport`` with turn-batched writes if it is a plain TCP connection, else unchanged.

    TLS, UNIX sockets and test transports keep their own write path: only plain TCP is known to
    take ``writeSomeData`` from outside the reactor's write loop.
    """
    if type(transport) is not tcp.Server or getattr(transport, "TLS", False):
        return transport
    reactor: IReactorTime = transport.reactor  # type: ignore[assignment]  # the TCP reactor is one
    return TurnBatchedTransport(transport, _flusher_for(reactor))
