"""In-memory stand-ins for the unit tests: a request, a WebSocket transport, a recording handler.

Time is a ``twisted.internet.task.Clock``: the tests move it with ``advance()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO
from urllib.parse import urlencode

from twisted.python.failure import Failure
from twisted.web.test.requesthelper import DummyRequest

from lingualeap.transports.socketio.engineio_packets import (
    Packet,
    decode_packet,
    encode_payload,
)
from lingualeap.transports.socketio.engineio_session import EngineIOSession


class FakeRequest(DummyRequest):
    def __init__(self, method: bytes = b"GET", body: bytes = b"", **args: str) -> None:
        super().__init__([])
        self.method = method
        self.uri = b"/socket.io/?" + urlencode(args).encode()
        self.content = BytesIO(body)
        self.requestHeaders.setRawHeaders(b"content-length", [str(len(body)).encode()])

    def isSecure(self) -> bool:
        return False

    @property
    def body(self) -> bytes:
        return b"".join(self.written)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def drop(self) -> None:
        """The client goes away before the response."""
        self.processingFailed(Failure(ConnectionError("client went away")))


class FakeWebSocket:
    """A WebSocket transport that records what the session sends."""

    name = "websocket"
    writable = True

    def __init__(self) -> None:
        self.sent: list[Packet] = []
        self.closed = False
        self.session: EngineIOSession | None = None

    def send(self, packets: Sequence[Packet]) -> None:
        assert not self.closed, "send on a closed WebSocket"
        self.sent.extend(packets)

    def close(self) -> None:
        self.closed = True

    def discard(self) -> None:
        pass

    def bind(self, session: EngineIOSession) -> None:
        self.session = session

    def receive(self, frame: str | bytes) -> None:
        assert self.session is not None
        self.session.packet_received(self, decode_packet(frame))

    def take(self) -> list[str | bytes]:
        """The frames sent since the last call (text frames as str)."""
        frames: list[str | bytes] = []
        for packet in self.sent:
            payload, binary = packet.frame
            frames.append(payload if binary else payload.decode("utf-8"))
        self.sent = []
        return frames


def payload_of(packets: Sequence[Packet]) -> str:
    return encode_payload(packets).decode("utf-8")
