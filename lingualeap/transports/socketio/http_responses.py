"""HTTP details shared by the Engine.IO resource and the polling transport.

Error bodies follow the reference server: ``{"code": N, "message": "..."}``. CORS headers are
only meaningful on polling responses (browsers do not apply CORS to WebSocket handshakes).
"""

from __future__ import annotations

import json
from enum import IntEnum

from twisted.web.server import Request

from .options import EngineIOOptions

__all__ = ["ErrorCode", "send_error", "apply_cors", "answer_preflight", "request_origin"]


class ErrorCode(IntEnum):
    """The reference server's error codes and the HTTP status each one goes out with."""

    UNKNOWN_TRANSPORT = 0
    UNKNOWN_SID = 1
    BAD_HANDSHAKE_METHOD = 2
    BAD_REQUEST = 3
    FORBIDDEN = 4
    UNSUPPORTED_PROTOCOL_VERSION = 5

    @property
    def message(self) -> str:
        return _MESSAGES[self]

    @property
    def status(self) -> int:
        return 403 if self is ErrorCode.FORBIDDEN else 400


_MESSAGES = {
    ErrorCode.UNKNOWN_TRANSPORT: "Transport unknown",
    ErrorCode.UNKNOWN_SID: "Session ID unknown",
    ErrorCode.BAD_HANDSHAKE_METHOD: "Bad handshake method",
    ErrorCode.BAD_REQUEST: "Bad request",
    ErrorCode.FORBIDDEN: "Forbidden",
    ErrorCode.UNSUPPORTED_PROTOCOL_VERSION: "Unsupported protocol version",
}


def request_origin(request: Request) -> str | None:
    origin = request.getHeader(b"origin")
    return None if origin is None else origin.decode("latin-1")


def apply_cors(request: Request, options: EngineIOOptions) -> None:
    """Let an allowed cross-origin page read the response, cookies included.

    The origin is reflected rather than answered with ``*``: browsers refuse ``*`` on requests
    made with credentials (``withCredentials: true``, needed for the sticky-session cookie).
    """
    request.setHeader(b"vary", b"Origin")
    origin = request.getHeader(b"origin")
    if origin is not None and options.origin_allowed(origin.decode("latin-1")):
        request.setHeader(b"access-control-allow-origin", origin)
        request.setHeader(b"access-control-allow-credentials", b"true")


def answer_preflight(request: Request, options: EngineIOOptions) -> bytes:
    """Answer a CORS preflight (``OPTIONS``): 204 with the methods and the asked-for headers."""
    apply_cors(request, options)
    request.setResponseCode(204)
    request.setHeader(b"access-control-allow-methods", b"GET,POST")
    asked = request.getHeader(b"access-control-request-headers")
    if asked:
        request.setHeader(b"access-control-allow-headers", asked)
        request.setHeader(b"vary", b"Origin, Access-Control-Request-Headers")
    request.setHeader(b"content-length", b"0")
    return b""


def send_error(request: Request, code: ErrorCode, options: EngineIOOptions) -> bytes:
    """Set up an error response and return its body (for ``render`` to return)."""
    body = json.dumps({"code": code.value, "message": code.message}).encode("utf-8")
    apply_cors(request, options)
    request.setResponseCode(code.status)
    request.setHeader(b"content-type", b"application/json")
    request.setHeader(b"content-length", str(len(body)).encode("ascii"))
    return body
