"""What a connection's handshake request told us: query, headers, cookies, peer address."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import parse_qsl, unquote, urlsplit

from twisted.internet.address import IPv4Address, IPv6Address, UNIXAddress
from twisted.internet.interfaces import IAddress
from twisted.web.server import Request

__all__ = ["RequestInfo", "parse_cookies", "query_of"]


def query_of(request: Request) -> dict[str, str]:
    """The URL's query parameters (first value of each).

    Read from the URI rather than ``request.args``, which twisted.web also fills from
    form-encoded POST bodies: an Engine.IO payload must never be mistaken for parameters.
    """
    query = urlsplit(request.uri).query.decode("utf-8", "replace")
    params: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        params.setdefault(key, value)
    return params

def parse_cookies(header: str | None) -> dict[str, str]:
    """Parse a ``Cookie`` header leniently: a malformed pair is skipped, not fatal."""
    cookies: dict[str, str] = {}
    if not header:
        return cookies
    for pair in header.split(";"):
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        cookies.setdefault(name, unquote(value))
    return cookies


def _host_of(address: IAddress | None) -> str:
    if isinstance(address, (IPv4Address, IPv6Address)):
        return address.host
    if isinstance(address, UNIXAddress):
        return "unix"
    return ""


@dataclass(frozen=True)
class RequestInfo:
    """The handshake request of an Engine.IO session (the first request, polling or WebSocket).

    ``headers`` keys are lower-case; repeated headers are joined with ``", "``. ``query`` keeps
    the first value of each parameter. ``remote_address`` is the TCP peer (no proxy headers are
    trusted here: read ``x-forwarded-for`` from ``headers`` if the deployment sets it).
    """

    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    cookies: Mapping[str, str] = field(default_factory=dict)
    remote_address: str = ""
    transport: str = "polling"
    secure: bool = False

    @classmethod
    def build(
        cls,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        peer: IAddress | None,
        transport: str,
        secure: bool,
    ) -> RequestInfo:
        lowered = {name.lower(): value for name, value in headers.items()}
        return cls(
            query=MappingProxyType(dict(query)),
            headers=MappingProxyType(lowered),
            cookies=MappingProxyType(parse_cookies(lowered.get("cookie"))),
            remote_address=_host_of(peer),
            transport=transport,
            secure=secure,
        )

    @classmethod
    def from_twisted(cls, request: Request, transport: str) -> RequestInfo:
        """From a ``twisted.web`` request (headers are bytes there)."""
        query = query_of(request)
        headers = {}
        for name, values in request.requestHeaders.getAllRawHeaders():
            key = name.decode("latin-1").lower()
            separator = "; " if key == "cookie" else ", "
            headers[key] = separator.join(v.decode("latin-1") for v in values)
        return cls.build(query, headers, request.getClientAddress(), transport, request.isSecure())
