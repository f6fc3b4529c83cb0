"""A small async JSON resource for twisted.web: routes, bodies, and one place for errors.

Handlers are coroutines ``(request, params) -> JsonResponse``; ``render`` returns NOT_DONE_YET and
finishes the request when the coroutine does. ``GameError`` becomes ``{message, code}`` with the
status from :mod:`lingualeap.errors`; anything else is logged and answered 500.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Request

from lingualeap.domain.errors import GameError, RateLimited
from lingualeap.errors import http_status
from lingualeap.transports.http.access_log import redact_text


@dataclass
class JsonResponse:
    status: int
    body: Any
    headers: dict[bytes, bytes] = field(default_factory=dict)
    cookies: list[bytes] = field(default_factory=list)


Handler = Callable[[Request, dict[str, str]], Awaitable[JsonResponse]]


@dataclass(frozen=True)
class Route:
    pattern: re.Pattern[str]
    handlers: dict[bytes, Handler]


def write_json(request: Request, status: int, body: Any) -> None:
    payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    request.setResponseCode(status)
    request.setHeader(b"content-type", b"application/json; charset=utf-8")
    request.setHeader(b"cache-control", b"no-store")
    request.setHeader(b"content-length", str(len(payload)).encode())
    request.write(payload)


def error_body(error: GameError) -> dict[str, str]:
    return {"message": error.message, "code": error.code}


def read_json(request: Request, limit: int) -> dict[str, Any]:
    """The request body as a JSON object, ``{}`` if empty; 400/413 errors otherwise."""
    declared = request.getHeader(b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise GameError("too_large", f"request body over {limit} bytes")
    assert request.content is not None
    raw = request.content.read(limit + 1)
    if len(raw) > limit:
        raise GameError("too_large", f"request body over {limit} bytes")
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: "[[[[...]]]]"
        raise GameError("bad_json", "request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise GameError("bad_json", "request body must be a JSON object")
    return body


class JsonResource(Resource):
    """A leaf resource dispatching ``METHOD /sub/path`` to coroutine handlers."""

    isLeaf = True
    log = Logger()

    def __init__(self) -> None:
        super().__init__()
        self._routes: list[Route] = []

    def route(self, method: str, path: str, handler: Handler) -> None:
        """``path`` below this resource, with ``{name}`` placeholders for one segment each."""
        regex = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path.strip("/")) + "$"
        for existing in self._routes:
            if existing.pattern.pattern == regex:
                existing.handlers[method.encode()] = handler
                return
        self._routes.append(Route(re.compile(regex), {method.encode(): handler}))

    def render(self, request: Request) -> Any:
        path = "/".join(segment.decode("utf-8", "replace") for segment in request.postpath or []).strip("/")
        for route in self._routes:
            match = route.pattern.match(path)
            if match is None:
                continue
            method = request.method or b"GET"
            handler = route.handlers.get(b"GET" if method == b"HEAD" else method)
            if handler is None:
                allowed = b", ".join(sorted(route.handlers))
                request.setHeader(b"allow", allowed)
                write_json(request, 405, {"message": f"use {allowed.decode()}", "code": "method_not_allowed"})
                return b""
            self._run(request, handler, match.groupdict())
            return NOT_DONE_YET
        write_json(request, 404, {"message": f"no such endpoint /{path}", "code": "not_found"})
        return b""

    def _run(self, request: Request, handler: Handler, params: dict[str, str]) -> None:
        finished = False

        def gone(_: object) -> None:
            nonlocal finished
            finished = True

        request.notifyFinish().addBoth(gone)

        async def respond() -> None:
            try:
                response = await handler(request, params)
            except GameError as e:
                response = JsonResponse(http_status(e.code), error_body(e))
                if isinstance(e, RateLimited):
                    response.headers[b"retry-after"] = str(max(1, math.ceil(e.retry_after))).encode()
            except Exception:
                self.log.failure("{method} {uri} failed", method=request.method, uri=redact_text(request.uri))
                response = JsonResponse(500, {"message": "internal server error", "code": "internal"})
            if finished:
                return  # the client went away; nobody to answer
            for name, value in response.headers.items():
                request.setHeader(name, value)
            for cookie in response.cookies:
                request.responseHeaders.addRawHeader(b"set-cookie", cookie)
            write_json(request, response.status, response.body)
            request.finish()

        def crashed(failure: Failure) -> None:
            self.log.failure("answering {uri} failed", failure, uri=redact_text(request.uri))

        Deferred.fromCoroutine(respond()).addErrback(crashed)
