"""Request-level guards for the whole site: a body size backstop and per-address rate limits.

The API checks its own (smaller) body limit; this one protects every resource, including ones
we did not write, from being handed a gigabyte: the excess is dropped as it arrives, never
stored, and the request is answered 413. Rate-limited requests get 429 with ``Retry-After``.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any

from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.web.error import UnsupportedMethod
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Request

from lingualeap.domain.errors import GameError, RateLimited
from lingualeap.transports.http.access_log import redact_text
from lingualeap.transports.http.json_resource import error_body, write_json

#: Site-wide body backstop (Socket.IO long-polling posts may be up to 1 MB).
DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024


class BoundedRequest(Request):
    """Stops storing a body once it passes the site's ``max_request_bytes``."""

    received = 0
    too_large = False

    def handleContentChunk(self, data: bytes) -> None:
        self.received += len(data)
        limit = getattr(getattr(self.channel, "site", None), "max_request_bytes", DEFAULT_MAX_REQUEST_BYTES)
        if self.received > limit:
            self.too_large = True
            return
        super().handleContentChunk(data)


def refuse(request: Request, error: GameError, status: int) -> None:
    if isinstance(error, RateLimited):
        request.setHeader(b"retry-after", str(max(1, math.ceil(error.retry_after))).encode())
    write_json(request, status, error_body(error))


class Refusal(Resource):
    """Answers every request with one error."""

    isLeaf = True

    def __init__(self, status: int, error: GameError) -> None:
        super().__init__()
        self._status = status
        self._error = error

    def render(self, request: Request) -> bytes:
        refuse(request, self._error, self._status)
        return b""


class Throttled(Resource):
    """Renders ``inner`` once ``admit()`` lets the request through (e.g. the client address's
    HTTP request allowance, or its new-connection allowance for a Socket.IO handshake); answers
    429 with ``Retry-After`` when it raises :class:`RateLimited`."""

    isLeaf = True
    log = Logger()

    def __init__(self, inner: Resource, admit: Callable[[], Awaitable[None]]) -> None:
        super().__init__()
        self._inner = inner
        self._admit = admit

    def render(self, request: Request) -> Any:
        gone = False

        def went(_: object) -> None:
            nonlocal gone
            gone = True

        request.notifyFinish().addBoth(went)

        async def check() -> None:
            try:
                await self._admit()
            except RateLimited as e:
                if not gone:
                    refuse(request, e, 429)
                    request.finish()
                return
            if not gone:
                request.render(self._inner)

        def failed(failure: Any) -> None:
            self.log.failure("serving {uri} failed", failure, uri=redact_text(request.uri))

        Deferred.fromCoroutine(check()).addErrback(failed)
        return NOT_DONE_YET


class MethodGuard(Resource):
    """Answers methods a resource does not take with 405 and ``Allow``.

    twisted.web answers any method but GET, HEAD and POST that a resource lacks with "501 Not
    Implemented" (a server error, as if we were broken); it is the client's mistake.
    """

    isLeaf = True

    def __init__(self, inner: Resource) -> None:
        super().__init__()
        self._inner = inner

    def render(self, request: Request) -> Any:
        try:
            return self._inner.render(request)
        except UnsupportedMethod as e:
            if request.method in (b"GET", b"HEAD", b"POST"):
                raise  # twisted.web does these right (405, and HEAD as GET)
            methods: tuple[object, ...] = tuple(e.allowedMethods or ())
            allowed = [m if isinstance(m, bytes) else str(m).encode() for m in methods]
            request.setHeader(b"allow", b", ".join(allowed))
            write_json(request, 405, {"message": "method not allowed here", "code": "method_not_allowed"})
            return b""
