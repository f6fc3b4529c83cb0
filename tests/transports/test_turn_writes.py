"""Turn-batched writes (lingualeap.transports.turn_writes) over real loopback TCP connections."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_twisted
from twisted.internet import protocol, reactor
from twisted.internet.defer import Deferred, DeferredQueue
from twisted.internet.interfaces import ITCPTransport
from twisted.internet.task import deferLater
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure

from lingualeap.transports.turn_writes import TurnBatchedTransport, batch_writes

DEADLINE = 10.0


class Writer(protocol.Protocol):
    """Server side: runs the test's ``script`` on its batched transport once connected."""

    def connectionMade(self) -> None:
        self.raw = self.transport
        self.transport = batch_writes(self.transport)
        self.factory.connected.callback(self)  # type: ignore[attr-defined]

    def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
        self.factory.lost.callback(reason.value)  # type: ignore[attr-defined]


class Reader(protocol.Protocol):
    """Client side: everything received, and when the connection closed."""

    def __init__(self) -> None:
        self.received = bytearray()
        self.closed: Deferred[None] = Deferred()
        self._waits: list[tuple[int, Deferred[None]]] = []

    def dataReceived(self, data: bytes) -> None:
        self.received += data
        for wait in [w for w in self._waits if len(self.received) >= w[0]]:
            self._waits.remove(wait)
            wait[1].callback(None)

    def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
        self.closed.callback(None)

    def until(self, size: int) -> Deferred[None]:
        d: Deferred[None] = Deferred()
        if len(self.received) >= size:
            d.callback(None)
        else:
            self._waits.append((size, d))
        return d.addTimeout(DEADLINE, reactor)


class Pair:
    def __init__(self, writer: Writer, reader: Reader, lost: Deferred[BaseException]) -> None:
        self.writer, self.reader, self.lost = writer, reader, lost

    @property
    def transport(self) -> Any:
        return self.writer.transport


@pytest_twisted.async_yield_fixture
async def pair() -> AsyncIterator[Pair]:
    factory = protocol.Factory.forProtocol(Writer)
    factory.connected = Deferred()  # type: ignore[attr-defined]
    factory.lost = Deferred()  # type: ignore[attr-defined]
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    reader = Reader()
    client = await protocol.ClientCreator(reactor, lambda: reader).connectTCP(
        "127.0.0.1", port.getHost().port, timeout=DEADLINE)
    writer = await factory.connected.addTimeout(DEADLINE, reactor)
    try:
        yield Pair(writer, reader, factory.lost)
    finally:
        client.transport.abortConnection()
        writer.raw.abortConnection()
        await reader.closed.addTimeout(DEADLINE, reactor)
        await port.stopListening()


def next_turn() -> Deferred[None]:
    return deferLater(reactor, 0, lambda: None)


@pytest_twisted.ensureDeferred
async def test_writes_of_one_turn_arrive_whole_and_in_order_without_a_write_wait(pair: Pair) -> None:
    assert isinstance(pair.transport, TurnBatchedTransport)
    pair.transport.write(b"one,")
    pair.transport.writeSequence([b"two,", b"three"])
    # Nothing has left yet: the turn is not over.
    assert pair.writer.raw._tempDataLen == 0 and pair.writer.raw.dataBuffer == b""
    await next_turn()
    # Sent straight to the socket: Twisted was never asked to wait for writability.
    assert pair.writer.raw not in reactor.getWriters()
    await pair.reader.until(len(b"one,two,three"))
    assert bytes(pair.reader.received) == b"one,two,three"


@pytest_twisted.ensureDeferred
async def test_what_the_socket_does_not_take_is_buffered_and_later_writes_stay_behind_it(pair: Pair) -> None:
    pair.reader.transport.pauseProducing()  # a reader that does not read: the socket fills up
    big = bytes(range(256)) * (16 * 1024)  # 4 MiB, far more than the socket buffers
    pair.transport.write(big)
    await next_turn()
    assert pair.writer.raw.dataBuffer or pair.writer.raw._tempDataLen, "the rest waits in Twisted's buffer"
    for n in range(3):  # later turns must queue behind it, not jump ahead through the socket
        pair.transport.write(b"after-%d;" % n)
        await next_turn()
    pair.reader.transport.resumeProducing()
    tail = b"after-0;after-1;after-2;"
    await pair.reader.until(len(big) + len(tail))
    assert bytes(pair.reader.received) == big + tail


@pytest_twisted.ensureDeferred
async def test_lose_connection_sends_what_was_written_first(pair: Pair) -> None:
    pair.transport.write(b"last words")
    pair.transport.loseConnection()
    await pair.reader.closed.addTimeout(DEADLINE, reactor)
    assert bytes(pair.reader.received) == b"last words"


@pytest_twisted.ensureDeferred
async def test_abort_drops_what_was_not_sent(pair: Pair) -> None:
    pair.transport.write(b"never")
    pair.transport.abortConnection()
    await pair.reader.closed.addTimeout(DEADLINE, reactor)
    await next_turn()
    assert bytes(pair.reader.received) == b""


@pytest_twisted.ensureDeferred
async def test_a_connection_lost_before_the_turn_ends_is_not_an_error(pair: Pair) -> None:
    pair.reader.transport.abortConnection()
    await pair.lost.addTimeout(DEADLINE, reactor)
    pair.transport.write(b"to nobody")
    await next_turn()  # the flush finds the connection gone and leaves it to Twisted, quietly
    assert not pair.writer.raw.connected


@pytest_twisted.ensureDeferred
async def test_wrong_types_fail_at_the_caller(pair: Pair) -> None:
    with pytest.raises(TypeError):
        pair.transport.write("text")
    pair.transport.write(b"")  # nothing to send is not an error
    pair.transport.write(b"ok")
    await pair.reader.until(2)
    assert bytes(pair.reader.received) == b"ok"


@pytest_twisted.ensureDeferred
async def test_the_wrapper_passes_everything_else_through(pair: Pair) -> None:
    assert pair.transport.getPeer() == pair.writer.raw.getPeer()
    assert ITCPTransport.providedBy(pair.transport)
    pair.transport.setTcpNoDelay(True)
    assert pair.writer.raw.getTcpNoDelay()


@pytest.mark.parametrize("make", [StringTransport, lambda: object()])
def test_other_transports_keep_their_own_write_path(make: Callable[[], Any]) -> None:
    transport = make()
    assert batch_writes(transport) is transport


@pytest_twisted.ensureDeferred
async def test_one_connection_failing_to_send_does_not_hold_back_the_others() -> None:
    accepted: DeferredQueue[protocol.Protocol] = DeferredQueue()

    class Accepted(protocol.Protocol):
        def connectionMade(self) -> None:
            accepted.put(self)

    port = reactor.listenTCP(0, protocol.Factory.forProtocol(Accepted), interface="127.0.0.1")
    readers: list[Reader] = []
    served = []
    try:
        for _ in range(2):  # one at a time, so each server side is paired with its reader
            reader = Reader()
            await protocol.ClientCreator(reactor, lambda: reader).connectTCP(
                "127.0.0.1", port.getHost().port, timeout=DEADLINE)
            readers.append(reader)
            served.append(batch_writes((await accepted.get().addTimeout(DEADLINE, reactor)).transport))
        broken, healthy = served

        def explode(data: bytes) -> int:
            raise RuntimeError("simulated failure inside send")

        broken.wrapped.writeSomeData = explode
        broken.write(b"lost")  # first in the turn's list
        healthy.write(b"still delivered")
        await readers[1].until(len(b"still delivered"))
        assert bytes(readers[1].received) == b"still delivered"
        await readers[0].closed.addTimeout(DEADLINE, reactor)  # dropped, not left hanging
        assert bytes(readers[0].received) == b""
    finally:
        for reader in readers:
            reader.transport.abortConnection()
        await port.stopListening()
