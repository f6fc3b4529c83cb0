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
        write_json(request, 200 if report.get("status") == "ok" else 503, report)
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
