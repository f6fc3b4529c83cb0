"""Which address to hold responsible for a request: the peer, or the client behind our proxies.

``X-Forwarded-For`` is only believed when the peer is a trusted proxy, and then it is read from
the right: each proxy appends the address it saw, so the nearest hop that is not one of our
proxies is the client. The left end is whatever the client chose to send (HAProxy's ``option
forwardfor`` keeps a client's own header and adds its own after it), so taking the first hop
would let anyone pick a fresh address for every request and walk past per-address limits.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Loopback only: a proxy on the same machine (HAProxy in the local cluster, tests).
DEFAULT_TRUSTED_PROXIES = ("127.0.0.0/8", "::1/128")
UNKNOWN = "unknown"


def parse_networks(specs: Iterable[str]) -> tuple[IPNetwork, ...]:
    """``10.0.0.0/8``, ``192.0.2.7``, ``::1``... (``ValueError`` names the bad one); ``none`` = none."""
    networks: list[IPNetwork] = []
    for spec in specs:
        if spec.strip().lower() == "none":
            continue
        try:
            networks.append(ipaddress.ip_network(spec.strip(), strict=False))
        except ValueError:
            raise ValueError(f"not an address or network: {spec!r}") from None
    return tuple(networks)


def _address(text: str) -> IPAddress | None:
    """An address from a forwarded hop: ``1.2.3.4``, ``1.2.3.4:567``, ``[::1]:80``, ``::1``."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        found = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(found, ipaddress.IPv6Address) and found.ipv4_mapped is not None:
        return found.ipv4_mapped
    return found


@dataclass(frozen=True)
class ClientAddresses:
    """Resolves client addresses given the proxies we trust."""

    trusted: tuple[IPNetwork, ...] = parse_networks(DEFAULT_TRUSTED_PROXIES)

    @classmethod
    def from_specs(cls, specs: Iterable[str]) -> ClientAddresses:
        return cls(parse_networks(specs))

    def is_trusted(self, address: IPAddress) -> bool:
        return any(address in network for network in self.trusted)

    def resolve(self, peer: str | None, forwarded_for: Sequence[str] = ()) -> str:
        """The client's address as text (``unknown`` for non-IP peers such as UNIX sockets)."""
        current = _address(peer) if peer else None
        if current is None:
            return UNKNOWN
        if not self.is_trusted(current):
            return str(current)
        hops = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                break  # a garbled hop: believe nothing further left of it
            current = address
            if not self.is_trusted(current):
                break
        return str(current)

    def of_request(self, request: Any) -> str:
        """For a ``twisted.web`` request."""
        peer = request.getClientAddress()
        host = getattr(peer, "host", None)
        forwarded = [
            value.decode("latin-1")
            for value in request.requestHeaders.getRawHeaders(b"x-forwarded-for", [])
        ]
        return self.resolve(host if isinstance(host, str) else None, forwarded)

