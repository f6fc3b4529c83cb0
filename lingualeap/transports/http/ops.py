"""Operational endpoints: ``/health`` for load balancers and ``/metrics`` for Prometheus."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST
from twisted.web.resource import Resource
from twisted.web.server import Request

from lingualeap.services.metrics import Metrics
from lingualeap.transports.http.json_resource import write_json


class HealthResource(Resource):
    isLeaf = True

    def __init__(self, report: Callable[[], dict[str, Any]]) -> None:
        super().__init__()
        self._report = report

    def render_GET(self, request: Request) -> bytes:
        report = self._report()
        # Degraded still serves (games go on from memory): only a draining instance asks load
        # balancers to stop sending players, or one Redis outage would take every instance out.
        write_json(request, 503 if report.get("status") == "draining" else 200, report)
        return b""

    render_HEAD = render_GET


class MetricsResource(Resource):
    isLeaf = True

    def __init__(self, metrics: Metrics) -> None:
        super().__init__()
        self._metrics = metrics

    def render_GET(self, request: Request) -> bytes:
        request.setHeader(b"content-type", CONTENT_TYPE_LATEST.encode())
        return self._metrics.render()
