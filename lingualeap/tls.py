"""Client-side TLS that verifies: the certificate chain and the host name (or IP address).

Used for ``rediss://`` and MongoDB ``tls=true`` (txmongo's ``ssl_context_factory``).
Twisted checks host names only when ``service_identity`` is importable and would otherwise
just warn; it is imported here on purpose, so a missing package fails loudly at start-up
instead of silently accepting any certificate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import service_identity  # noqa: F401  (see the module docstring)
from twisted.internet.ssl import Certificate, optionsForClientTLS, platformTrust, trustRootFromCertificates

_BEGIN = b"-----BEGIN CERTIFICATE-----"


def load_ca_file(path: str | Path) -> Any:
    """A trust root of every certificate in a PEM file (a CA bundle may hold several)."""
    data = Path(path).read_bytes()
    blocks = [_BEGIN + chunk for chunk in data.split(_BEGIN)[1:]]
    if not blocks:
        raise ValueError(f"{path} holds no PEM certificate")
    return trustRootFromCertificates([Certificate.loadPEM(block) for block in blocks])


def client_tls(hostname: str, ca_file: str | Path | None = None) -> Any:
    """Options for ``wrapClientTLS``: trust ``ca_file`` (or the system's roots), check ``hostname``."""
    trust = load_ca_file(ca_file) if ca_file else platformTrust()
    return optionsForClientTLS(hostname, trustRoot=trust)


#: MongoDB URI options that would switch a check off; we never do, so they are refused.
_MONGO_INSECURE = ("tlsinsecure", "tlsallowinvalidcertificates", "tlsallowinvalidhostnames")
_MONGO_CLIENT_CERT = ("tlscertificatekeyfile", "tlscertificatekeyfilepassword")


@dataclass(frozen=True, slots=True)
class MongoTLS:
    """What a ``mongodb://`` URI asks for: TLS (``tls=true`` or ``ssl=true``), whose certificate
    is checked against ``ca_file`` (``tlsCAFile``; else the system's roots) and ``hostname``
    (the first host of the URI: txmongo uses one TLS setting for every host it dials)."""

    enabled: bool
    hostname: str
    ca_file: str | None = None

    @classmethod
    def of_uri(cls, uri: str) -> MongoTLS:
        """``ValueError`` for options that would weaken the check or that we cannot honour."""
        parts = urlsplit(uri)
        options = {key.lower(): value for key, value in parse_qsl(parts.query, keep_blank_values=True)}
        for key in _MONGO_INSECURE:
            if options.get(key, "false").lower() != "false":
                raise ValueError(f"{key} is not supported: certificates and host names are always checked")
        for key in _MONGO_CLIENT_CERT:
            if key in options:
                raise ValueError(f"{key}: client certificates (mutual TLS) are not supported")
        flags = {options[k].lower() for k in ("tls", "ssl") if k in options}
        if not flags <= {"true", "false"} or len(flags) > 1:
            raise ValueError("tls/ssl must be 'true' or 'false' (and agree)")
        enabled = flags == {"true"}
        ca_file = options.get("tlscafile") or None
        if ca_file is not None and not enabled:
            raise ValueError("tlsCAFile needs tls=true")
        first = parts.netloc.rpartition("@")[2].split(",")[0]
        hostname = first[1:].partition("]")[0] if first.startswith("[") else first.partition(":")[0]
        return cls(enabled, hostname, ca_file)
