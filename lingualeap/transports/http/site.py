"""The resource tree one port serves: web client, REST API, WebSocket, health and metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autobahn.twisted.resource import WebSocketResource
from twisted.web.resource import NoResource, Resource
from twisted.web.server import Site
from twisted.web.static import File

from lingualeap.transports.http.api import Api
from lingualeap.transports.http.ops import HealthResource, MetricsResource


class WebClient(File):
    """Static files of the browser client; no directory listings."""

    def directoryListing(self) -> Resource:
        return NoResource()


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


class GameSite(Site):
    """Stamps every response with the instance that served it (load-balancer debugging)."""

    def __init__(self, root: Resource, instance_id: str) -> None:
        super().__init__(root)
        self.displayTracebacks = False
        self._instance = instance_id.encode()

    def getResourceFor(self, request: Any) -> Any:
        request.setHeader(INSTANCE_HEADER, self._instance)
        return super().getResourceFor(request)


def build_site(root: Resource, instance_id: str) -> Site:
    return GameSite(root, instance_id)
