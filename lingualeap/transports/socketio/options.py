"""Engine.IO server settings (times in seconds, sizes in bytes)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["EngineIOOptions", "ANY_ORIGIN"]

ANY_ORIGIN: Literal["*"] = "*"
# Session ids travel unescaped in URLs and cookies.
_SID_PREFIX = re.compile(r"[A-Za-z0-9._-]{0,100}")


@dataclass(frozen=True)
class EngineIOOptions:
    """How an Engine.IO server behaves. The defaults are the reference server's.

    ``allowed_origins`` is ``"*"`` (any origin) or the exact origins (``"https://x.example"``)
    whose browser pages may use the server: it drives the CORS answers to polling requests and
    the ``Origin`` check of every request (requests without an ``Origin`` header, i.e. from
    non-browser clients, are always let through). ``cookie`` names the sticky-session cookie set
    on the handshake (``"io"`` for HAProxy's ``cookie io prefix``); ``None`` sets none.
    """

    ping_interval: float = 25.0
    ping_timeout: float = 20.0
    max_payload: int = 1_000_000
    upgrade_timeout: float = 10.0
    #: How long a server-closed polling session waits for a GET to deliver its close packet.
    close_timeout: float = 30.0
    allowed_origins: tuple[str, ...] | Literal["*"] = ANY_ORIGIN
    cookie: str | None = None
    #: Advertised and accepted upgrades; ``False`` keeps polling clients on polling.
    allow_upgrades: bool = True
    #: Start of every session id (e.g. ``"app1."``): a proxy can route a session's requests to
    #: the process that issued it from the ``sid`` parameter alone, without cookies.
    sid_prefix: str = ""
    _origins: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("ping_interval", "ping_timeout", "upgrade_timeout", "close_timeout"):
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f"{name}: must be a positive number of seconds, not {value!r}")
        if self.max_payload < 1:
            raise ValueError(
                f"max_payload: must be a positive byte count, not {self.max_payload!r}"
            )
        if self.allowed_origins != ANY_ORIGIN:
            origins = tuple(self.allowed_origins)
            if ANY_ORIGIN in origins or not all(isinstance(o, str) for o in origins):
                raise ValueError('allowed_origins: give "*" alone, or a list of origin strings')
            object.__setattr__(self, "allowed_origins", origins)
            object.__setattr__(self, "_origins", frozenset(o.rstrip("/") for o in origins))
        else:
            object.__setattr__(self, "_origins", frozenset())
        if not _SID_PREFIX.fullmatch(self.sid_prefix):
            raise ValueError(
                f"sid_prefix: at most 100 of A-Z a-z 0-9 . _ - (URL-safe), not {self.sid_prefix!r}"
            )
        if self.cookie is not None and not self.cookie.isidentifier():
            raise ValueError(f"cookie: not a usable cookie name: {self.cookie!r}")

    @classmethod
    def origins_from(cls, spec: str | Iterable[str]) -> tuple[str, ...] | Literal["*"]:
        """Parse ``"*"`` or a comma-separated list (as given on a command line)."""
        items = [s.strip() for s in spec.split(",")] if isinstance(spec, str) else list(spec)
        items = [s for s in items if s]
        if items == [ANY_ORIGIN]:
            return ANY_ORIGIN
        return tuple(items)

    @property
    def ping_interval_ms(self) -> int:
        return int(round(self.ping_interval * 1000))

    @property
    def ping_timeout_ms(self) -> int:
        return int(round(self.ping_timeout * 1000))

    def origin_allowed(self, origin: str | None) -> bool:
        """Whether a request with this ``Origin`` header (``None``: no header) may proceed."""
        if origin is None or self.allowed_origins == ANY_ORIGIN:
            return True
        return origin.rstrip("/") in self._origins
