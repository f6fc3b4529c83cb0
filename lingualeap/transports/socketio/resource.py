"""The one twisted.web resource of an Engine.IO endpoint.

Requests carrying ``Upgrade: websocket`` go to Autobahn's ``WebSocketResource``; everything
else is long-polling. Every request is checked first, in the reference server's order, and
refused with ``400 {"code": N, "message": ...}`` (``403`` for a refused ``Origin``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twisted.logger import Logger
from twisted.web.resource import IResource, Resource
from twisted.web.server import Request

from .http_responses import ErrorCode, answer_preflight, apply_cors, request_origin, send_error
from .polling import PollingTransport
from .request_info import RequestInfo, query_of

if TYPE_CHECKING:
    from .engineio_server import EngineIOServer

__all__ = ["EngineIOResource"]

_TRANSPORTS = frozenset({"polling", "websocket"})


class EngineIOResource(Resource):
    """Serve one Engine.IO endpoint; mount with ``root.putChild(b"socket.io", resource)``."""

    isLeaf = True
    log = Logger()

    def __init__(self, engine: EngineIOServer, websocket: IResource) -> None:
        super().__init__()
        self._engine = engine
        self._websocket = websocket

    def render(self, request: Request) -> bytes | int:
        options = self._engine.options
        if not options.origin_allowed(request_origin(request)):
            self.log.info("refused origin {origin}", origin=request_origin(request))
            return send_error(request, ErrorCode.FORBIDDEN, options)
        if request.method == b"OPTIONS":
            return answer_preflight(request, options)
        apply_cors(request, options)

        query = query_of(request)
        transport = query.get("transport", "")
        if transport not in _TRANSPORTS:
            return send_error(request, ErrorCode.UNKNOWN_TRANSPORT, options)
        if query.get("EIO") != "4":
            return send_error(request, ErrorCode.UNSUPPORTED_PROTOCOL_VERSION, options)
        upgrade = (request.getHeader(b"upgrade") or b"").strip().lower() == b"websocket"
        if upgrade != (transport == "websocket"):
            return send_error(request, ErrorCode.BAD_REQUEST, options)

        sid = query.get("sid", "")
        if not sid:
            if request.method != b"GET":
                return send_error(request, ErrorCode.BAD_HANDSHAKE_METHOD, options)
            if upgrade:
                return self._websocket.render(request)  # type: ignore[no-any-return]
            return self._polling_handshake(request)

        session = self._engine.get_session(sid)
        if session is None:
            return send_error(request, ErrorCode.UNKNOWN_SID, options)
        if upgrade:
            return self._websocket.render(request)  # type: ignore[no-any-return]
        polling = session.transport
        if not isinstance(polling, PollingTransport):
            return send_error(request, ErrorCode.BAD_REQUEST, options)  # upgraded already
        if request.method == b"GET":
            return polling.handle_get(request)
        if request.method == b"POST":
            return polling.handle_post(request)
        return send_error(request, ErrorCode.BAD_REQUEST, options)

    def _polling_handshake(self, request: Request) -> bytes | int:
        engine = self._engine
        sid = engine.new_sid()
        cookie = engine.cookie_header(sid)
        if cookie is not None:
            request.setHeader(b"set-cookie", cookie)
        transport = PollingTransport(engine.options)
        result = transport.hold(request)  # the open packet answers it
        engine.open_session(sid, transport, RequestInfo.from_twisted(request, "polling"))
        return result
