"""HTTP long-polling transport: a held GET carries packets down, POSTs carry them up.

At most one GET waits per session; it is answered as soon as the session has packets (the
heartbeat guarantees one within ``ping_interval``). A second concurrent GET is a protocol error
that ends the session. A client that drops its waiting GET ends the session too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.server import NOT_DONE_YET, Request

from .engineio_packets import DecodeError, Packet, PacketType, decode_payload, encode_payload
from .http_responses import ErrorCode, send_error
from .options import EngineIOOptions

if TYPE_CHECKING:
    from .engineio_session import EngineIOSession

__all__ = ["PollingTransport"]

_NOOP = Packet(PacketType.NOOP)
_CLOSE = Packet(PacketType.CLOSE)


class PollingTransport:
    log = Logger()

    def __init__(self, options: EngineIOOptions) -> None:
        self._options = options
        self._session: EngineIOSession | None = None
        self._get: Request | None = None
        self._done = False

    @property
    def name(self) -> str:
        return "polling"

    @property
    def writable(self) -> bool:
        return self._get is not None

    def bind(self, session: EngineIOSession) -> None:
        self._session = session

    # -- requests (the resource calls these once the sid matched) ---------------------------

    def handle_get(self, request: Request) -> bytes | int:
        """Hold ``request`` until the session has packets for it."""
        session = self._session
        if session is None or self._done:
            return send_error(request, ErrorCode.BAD_REQUEST, self._options)
        if self._get is not None:
            self.log.info("session {sid}: overlapping long-poll GET", sid=session.sid)
            body = send_error(request, ErrorCode.BAD_REQUEST, self._options)
            session.transport_lost(self, "transport error")
            return body
        result = self.hold(request)
        session.transport_ready(self)
        return result

    def hold(self, request: Request) -> int:
        """Keep ``request`` open as this session's long-poll GET."""
        self._get = request
        request.notifyFinish().addErrback(self._get_lost, request)
        return NOT_DONE_YET

    def handle_post(self, request: Request) -> bytes:
        """Decode the packets in the body and hand them to the session; answer ``ok``."""
        session = self._session
        if session is None or self._done:
            return send_error(request, ErrorCode.BAD_REQUEST, self._options)
        content_type = (request.getHeader(b"content-type") or b"").split(b";")[0].strip()
        if content_type.lower() == b"application/octet-stream":
            self.log.info("session {sid}: binary POST is not Engine.IO v4", sid=session.sid)
            session.transport_lost(self, "transport error")
            return send_error(request, ErrorCode.BAD_REQUEST, self._options)
        body = self._read_body(request)
        if body is None:
            self.log.info("session {sid}: POST larger than maxPayload", sid=session.sid)
            session.transport_lost(self, "transport error")
            request.setResponseCode(413)
            request.setHeader(b"content-length", b"0")
            return b""
        try:
            packets = decode_payload(body)
        except DecodeError as e:
            self.log.info("session {sid}: bad POST payload: {error}", sid=session.sid, error=e)
            session.transport_lost(self, "parse error")
            return send_error(request, ErrorCode.BAD_REQUEST, self._options)
        for packet in packets:
            if packet.type is PacketType.CLOSE and self._get is not None:
                self._respond([_NOOP])  # the client closes: release its waiting GET
            session.packet_received(self, packet)
            if packet.type is PacketType.CLOSE:
                break
        request.setHeader(b"content-type", b"text/html")
        request.setHeader(b"content-length", b"2")
        return b"ok"

    def _read_body(self, request: Request) -> bytes | None:
        limit = self._options.max_payload
        declared = request.getHeader(b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            return None
        content = request.content
        body = content.read(limit + 1) if content is not None else b""
        return None if len(body) > limit else body

    def _get_lost(self, failure: Failure, request: Request) -> None:
        if request is not self._get:
            return
        self._get = None
        if self._session is not None and not self._done:
            self.log.debug("session {sid}: client dropped its GET", sid=self._session.sid)
            self._session.transport_lost(self, "transport error")

    # -- Transport -------------------------------------------------------------------------

    def send(self, packets: Sequence[Packet]) -> None:
        if self._get is None:
            raise RuntimeError("polling transport is not writable")
        self._respond(packets)

    def close(self) -> None:
        if self._done:
            return
        self._done = True
        if self._get is not None:
            self._respond([_CLOSE])

    def discard(self) -> None:
        self._done = True
        if self._get is not None:
            self._respond([_NOOP])

    def _respond(self, packets: Sequence[Packet]) -> None:
        request, self._get = self._get, None
        assert request is not None
        body = encode_payload(packets)
        request.setHeader(b"content-type", b"text/plain; charset=UTF-8")
        request.setHeader(b"cache-control", b"no-store")
        request.setHeader(b"content-length", str(len(body)).encode("ascii"))
        request.write(body)
        request.finish()
