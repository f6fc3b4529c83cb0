"""The ``/ws`` origin rule in front of ``/socket.io/``: same origin always, others when listed.

The Engine.IO resource only knows a fixed list of origins; our rule also lets a page talk to
the host that served it, whatever name that host goes by (behind a proxy, on a LAN address).
"""

from __future__ import annotations

from twisted.logger import Logger
from twisted.web.resource import IResource, Resource
from twisted.web.server import Request

from lingualeap.transports.identity import origin_allowed
from lingualeap.transports.socketio import EngineIOOptions
from lingualeap.transports.socketio.http_responses import ErrorCode, send_error


def _header(request: Request, name: bytes) -> str | None:
    value = request.getHeader(name)
    return None if value is None else value.decode("latin-1")


class OriginGuard(Resource):
    """Refuse (403, Engine.IO's ``{"code":4}``) requests from foreign origins, pass the rest on.

    Covers polling requests and WebSocket handshakes alike, since both come through here.
    """

    isLeaf = True
    log = Logger()

    def __init__(self, inner: IResource, allowed: tuple[str, ...], options: EngineIOOptions) -> None:
        super().__init__()
        self._inner = inner
        self._allowed = allowed
        self._options = options

    def render(self, request: Request) -> bytes | int:
        origin = _header(request, b"origin")
        if not origin_allowed(origin, _header(request, b"host"), self._allowed):
            self.log.info("refused Socket.IO request from origin {origin}", origin=origin)
            request.setHeader(b"vary", b"Origin")
            return send_error(request, ErrorCode.FORBIDDEN, self._options)
        return self._inner.render(request)  # type: ignore[no-any-return]
