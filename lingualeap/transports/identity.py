"""Who is on the other end of a connection: tokens, origins and guest identities (transport-neutral)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from http.cookies import CookieError, SimpleCookie
from urllib.parse import urlsplit

from lingualeap.domain import validation
from lingualeap.domain.model import Player


def token_from(params: Mapping[str, Sequence[str]], headers: Mapping[str, str]) -> str | None:
    """The JWT a handshake carries: ``?token=``, then the ``jwt`` cookie, then a Bearer header."""
    if params.get("token"):
        return params["token"][0]
    cookie_header = headers.get("cookie")
    if cookie_header:
        try:
            cookies = SimpleCookie(cookie_header)
        except CookieError:
            cookies = SimpleCookie()
        if "jwt" in cookies and cookies["jwt"].value:
            return cookies["jwt"].value
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return None


def origin_allowed(origin: str | None, host: str | None, allowed: tuple[str, ...]) -> bool:
    """Same-origin and non-browser (no Origin) clients always; others only when listed."""
    if not origin:
        return True
    if "*" in allowed or origin.rstrip("/") in allowed:
        return True
    return bool(host) and urlsplit(origin).netloc.lower() == (host or "").lower()


def guest_player(requested: str | None) -> Player:
    name = validation.sanitise_username(requested or "")
    if len(name) < validation.NAME_MIN:
        name = f"Guest-{secrets.randbelow(9000) + 1000}"
    return Player(id=f"g-{secrets.token_hex(8)}", username=name, guest=True)
