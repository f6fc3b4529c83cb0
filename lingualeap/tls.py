"""Client-side TLS that verifies: the certificate chain and the host name (or IP address).

Used for ``rediss://`` and offered to any other outgoing connection (MongoDB ``tls=true``).
Twisted checks host names only when ``service_identity`` is importable and would otherwise
just warn; it is imported here on purpose, so a missing package fails loudly at start-up
instead of silently accepting any certificate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
