"""``/ws``'s per-address limit on new connections, in front of ``/socket.io/``.

A new Engine.IO session starts with a handshake: a GET without ``sid``, by long-polling or
straight on a WebSocket. Those spend the client address's new-connection allowance
(``--limit-connections``, shared with ``/ws``) and are refused with 429 and ``Retry-After`` past
it; every later request of a session (polls, posts, the upgrade probe) goes through untouched,
since a long-polling client makes several a second.
"""

from __future__ import annotations

from twisted.web.resource import Resource
from twisted.web.server import Request

from lingualeap.services.throttle import Throttle
from lingualeap.transports.client_ip import ClientAddresses
from lingualeap.transports.http.guard import Throttled
from lingualeap.transports.socketio.request_info import query_of


def is_handshake(request: Request) -> bool:
    return request.method == b"GET" and not query_of(request).get("sid")


class HandshakeLimit(Resource):
    isLeaf = True

    def __init__(self, inner: Resource, throttle: Throttle, addresses: ClientAddresses) -> None:
        super().__init__()
        self._inner = inner
        self._throttle = throttle
        self._addresses = addresses

    def render(self, request: Request) -> bytes | int:
        if not is_handshake(request):
            return self._inner.render(request)  # type: ignore[no-any-return]
        address = self._addresses.of_request(request)
        throttled = Throttled(self._inner, lambda: self._throttle.connection(address))
        return throttled.render(request)  # type: ignore[no-any-return]
