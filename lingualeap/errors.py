"""Error codes and how each transport shows them.

``GameError`` (defined with the rules) carries a protocol code; this table is the one place that
maps a code to an HTTP status. WebSocket clients get ``error {code, message}`` for all of them.
"""

from __future__ import annotations

from lingualeap.domain.errors import GameError

__all__ = ["GameError", "HTTP_STATUS", "http_status", "ConfigError"]

HTTP_STATUS: dict[str, int] = {
    "bad_json": 400,
    "invalid_field": 400,
    "unknown_language": 400,
    "user_exists": 400,
    "unauthorized": 401,
    "bad_credentials": 401,
    "forbidden": 403,
    "not_found": 404,
    "unknown_room": 404,
    "unknown_user": 404,
    "method_not_allowed": 405,
    "too_large": 413,
    "rate_limited": 429,
    "unavailable": 503,
    "internal": 500,
}


def http_status(code: str) -> int:
    return HTTP_STATUS.get(code, 400)


class ConfigError(Exception):
    """A configuration value is wrong; the message names the option."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
