"""Access log lines without secrets, and with the client address we actually limit.

twisted.web logs every request's URI, so a ``/ws?token=JWT`` or ``?token=`` on any path would
put a working credential into the log. Query values named like credentials are replaced by
``[redacted]``, in the request line and in the Referer.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.web.http import combinedLogFormatter

from lingualeap.transports.client_ip import UNKNOWN, ClientAddresses

REDACTED = b"[redacted]"
SENSITIVE = re.compile(rb"([?&;](?:token|access_token|id_token|jwt|password|secret)=)[^&;#\s]*", re.IGNORECASE)


def redact(uri: bytes) -> bytes:
    """``uri`` with the values of credential-like query parameters replaced."""
    return SENSITIVE.sub(lambda m: m.group(1) + REDACTED, uri)


def redact_text(uri: str | bytes | None) -> str:
    """For our own log messages about requests."""
    if uri is None:
        return "-"
    raw = uri if isinstance(uri, bytes) else uri.encode("utf-8", "replace")
    return redact(raw).decode("utf-8", "replace")


class _Redacted:
    """Shows combinedLogFormatter a request with secrets and proxies taken out of it."""

    def __init__(self, request: Any, client: str) -> None:
        self._request = request
        self._client = client
        self.uri = redact(request.uri or b"")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._request, name)

    def getHeader(self, name: bytes) -> bytes | None:
        value = self._request.getHeader(name)
        return redact(value) if value is not None and name.lower() == b"referer" else value

    def getClientAddress(self) -> Any:
        if self._client == UNKNOWN:
            return self._request.getClientAddress()
        kind = IPv6Address if isinstance(ipaddress.ip_address(self._client), ipaddress.IPv6Address) else IPv4Address
        return kind("TCP", self._client, 0)


def access_log_formatter(addresses: ClientAddresses) -> Any:
    """An ``IAccessLogFormatter`` for ``Site(logFormatter=...)``."""

    def format(timestamp: str, request: Any) -> str:
        return str(combinedLogFormatter(timestamp, _Redacted(request, addresses.of_request(request))))

    return format
