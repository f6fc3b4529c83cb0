"""WebSocket transport on Autobahn: one Engine.IO packet per frame.

A handshake without ``sid`` opens a new session on this socket. A handshake with ``sid`` is an
upgrade probe for an existing polling session (``2probe`` / ``3probe`` / ``5``); a second
WebSocket for the same session is closed right after its handshake, as the reference does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from autobahn.twisted.websocket import WebSocketServerFactory
from autobahn.websocket.types import ConnectionDeny, ConnectionRequest
from twisted.internet.interfaces import IReactorTime, ISSLTransport
from twisted.logger import Logger

from .engineio_packets import DecodeError, Packet, decode_packet
from .request_info import RequestInfo
from ..ws_protocol import LeanServerProtocol

if TYPE_CHECKING:
    from .engineio_server import EngineIOServer
    from .engineio_session import EngineIOSession

__all__ = ["EngineIOWebSocketFactory", "EngineIOWebSocketProtocol"]


_log = Logger(namespace=__name__)


class EngineIOWebSocketProtocol(LeanServerProtocol):
    # Autobahn owns ``self.log`` (a txaio logger); ours is the module's ``_log``.
    factory: EngineIOWebSocketFactory

    def __init__(self) -> None:
        super().__init__()
        self._sid = ""
        self._probe = False
        self._request_info = RequestInfo()
        self._session: EngineIOSession | None = None

    @property
    def name(self) -> str:
        return "websocket"

    @property
    def writable(self) -> bool:
        return True

    # -- Autobahn callbacks ----------------------------------------------------------------

    def onConnect(self, request: ConnectionRequest) -> tuple[None, dict[str, str]] | None:
        engine = self.factory.engine
        sid = (request.params.get("sid") or [""])[0]
        if sid:
            if engine.get_session(sid) is None:
                raise ConnectionDeny(400, "Session ID unknown")
            self._sid, self._probe = sid, True
            return None
        query = {key: values[0] for key, values in request.params.items() if values}
        transport = self.transport
        assert transport is not None, "onConnect runs on a connected protocol"
        self._request_info = RequestInfo.build(
            query,
            request.headers,
            transport.getPeer(),
            "websocket",
            ISSLTransport.providedBy(transport),
        )
        self._sid = engine.new_sid()
        cookie = engine.cookie_header(self._sid)
        if cookie is None:
            return None
        return None, {"Set-Cookie": cookie.decode("ascii")}

    def onOpen(self) -> None:
        engine = self.factory.engine
        if not self._probe:
            engine.open_session(self._sid, self, self._request_info)
            return
        session = engine.get_session(self._sid)
        if session is None or not session.attach_probe(self):
            _log.info("closing extra WebSocket for session {sid}", sid=self._sid)
            self.close()
            return
        self.bind(session)

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        session = self._session
        if session is None:
            return
        try:
            packet = decode_packet(payload if isBinary else payload.decode("utf-8"))
        except (DecodeError, UnicodeDecodeError) as e:
            _log.info("session {sid}: bad WebSocket frame: {error}", sid=self._sid, error=e)
            session.transport_lost(self, "parse error")
            return
        session.packet_received(self, packet)

    def onClose(self, wasClean: bool, code: int | None, reason: str | None) -> None:
        session, self._session = self._session, None
        if session is not None:
            session.transport_lost(self, "transport close" if wasClean else "transport error")

    # -- Transport -------------------------------------------------------------------------

    def send(self, packets: Sequence[Packet]) -> None:
        if self.state != self.STATE_OPEN:
            return
        for packet in packets:
            payload, is_binary = packet.frame
            self.sendMessage(payload, isBinary=is_binary)

    def close(self) -> None:
        if self.state == self.STATE_OPEN:
            self.sendClose(self.CLOSE_STATUS_CODE_NORMAL)

    def discard(self) -> None:
        pass

    def bind(self, session: EngineIOSession) -> None:
        self._session = session


class EngineIOWebSocketFactory(WebSocketServerFactory):
    """Autobahn factory bound to one :class:`EngineIOServer`.

    Autobahn's own pings stay off: the heartbeat is Engine.IO's ``2``/``3``.
    """

    protocol = EngineIOWebSocketProtocol  # type: ignore[assignment]
    noisy = False

    def __init__(self, engine: EngineIOServer, reactor: IReactorTime, **kwargs: Any) -> None:
        super().__init__(reactor=reactor, **kwargs)
        self.engine = engine
        limit = engine.options.max_payload
        self.setProtocolOptions(
            maxMessagePayloadSize=limit,
            maxFramePayloadSize=limit,
            autoPingInterval=0,
            openHandshakeTimeout=10,
            closeHandshakeTimeout=2,
            allowNullOrigin=True,  # origins are checked by the Engine.IO resource
            webStatus=False,
            failByDrop=False,  # send a close frame (e.g. 1009 for maxPayload) before dropping
        )
