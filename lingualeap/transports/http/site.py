"""The resource tree one port serves: web client, REST API, WebSocket, health and metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autobahn.twisted.resource import WebSocketResource
from twisted.web.resource import NoResource, Resource
from twisted.web.server import Site
from twisted.web.static import File

from lingualeap.domain.errors import GameError
from lingualeap.services.throttle import Throttle
from lingualeap.transports.client_ip import ClientAddresses
from lingualeap.transports.http.access_log import access_log_formatter
from lingualeap.transports.http.api import Api
from lingualeap.transports.http.guard import (
    DEFAULT_MAX_REQUEST_BYTES,
    BoundedRequest,
    MethodGuard,
    Refusal,
    Throttled,
)
from lingualeap.transports.http.ops import HealthResource, MetricsResource


class WebClient(File):
    """Static files of the browser client; no directory listings."""

    def directoryListing(self) -> Resource:
        return NoResource()

    def getChild(self, path: bytes, request: Any) -> Any:
        # os.stat() raises ValueError on a NUL byte (a 500 from "/%00"): no such file, simply.
        if b"\x00" in path:
            return NoResource()
        return super().getChild(path, request)


def build_root(
    *,
    web_dir: Path,
    api: Api,
    websocket: WebSocketResource,
    health: HealthResource,
    metrics: MetricsResource,
    extra: dict[bytes, Resource] | None = None,
) -> Resource:
    root: Resource = WebClient(str(web_dir)) if (web_dir / "index.html").exists() else Resource()
    root.putChild(b"api", api.resource())
    root.putChild(b"ws", websocket)
    root.putChild(b"health", health)
    root.putChild(b"metrics", metrics)
    for name, child in (extra or {}).items():
        root.putChild(name, child)
    return root


INSTANCE_HEADER = b"X-LinguaLeap-Instance"
#: Paths outside the per-address HTTP limit: real-time transports limit their connections
#: themselves (a Socket.IO long-poll is many requests), and load balancers must always get
#: their health checks through.
UNTHROTTLED = frozenset({b"ws", b"socket.io", b"health", b"metrics"})


class GameSite(Site):
    """Stamps every response with the instance that served it (load-balancer debugging), logs
    requests without credentials, bounds bodies, and applies the per-address request limit."""

    def __init__(self, root: Resource, instance_id: str, *, throttle: Throttle | None = None,
                 addresses: ClientAddresses | None = None,
                 max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES) -> None:
        self.addresses = addresses or ClientAddresses()
        super().__init__(root, requestFactory=BoundedRequest, logFormatter=access_log_formatter(self.addresses))
        self.displayTracebacks = False
        self._instance = instance_id.encode()
        self._throttle = throttle
        self.max_request_bytes = max_request_bytes

    def getResourceFor(self, request: Any) -> Any:
        request.setHeader(INSTANCE_HEADER, self._instance)
        if getattr(request, "too_large", False):
            return Refusal(413, GameError("too_large", f"request body over {self.max_request_bytes} bytes"))
        first = (request.postpath or [b""])[0]
        resource = MethodGuard(super().getResourceFor(request))
        throttle = self._throttle
        if throttle is None or first in UNTHROTTLED:
            return resource
        address = self.addresses.of_request(request)
        return Throttled(resource, lambda: throttle.http_request(address))


def build_site(root: Resource, instance_id: str, **options: Any) -> Site:
    """``options``: ``throttle``, ``addresses``, ``max_request_bytes`` (see :class:`GameSite`)."""
    return GameSite(root, instance_id, **options)
