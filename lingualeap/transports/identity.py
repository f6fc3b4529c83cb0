"""Who is on the other end of a connection: tokens, origins and guest identities (transport-neutral)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from http.cookies import CookieError, SimpleCookie
from urllib.parse import urlsplit

from typing import Any

from lingualeap.domain import validation
from lingualeap.domain.errors import GameError
from lingualeap.domain.events import Event
from lingualeap.domain.model import Player
from lingualeap.services.tokens import GUEST_PREFIX, TokenService


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


def guest_player(requested: str | None, tokens: TokenService | None = None, guest_token: str | None = None) -> Player:
    """A guest: the one ``guest_token`` names (a guest reconnecting keeps their seat), or a new one.

    A guest token that is not valid any more (expired, signed with a retired key) is no reason
    to turn a guest away: they start again as a new guest, which ``welcome`` tells them.
    """
    name = validation.sanitise_username(requested or "")
    if tokens is not None and guest_token:
        try:
            claims = tokens.verify_guest(guest_token)
        except GameError:
            pass
        else:
            return Player(id=claims.user_id, username=name if len(name) >= validation.NAME_MIN else claims.name,
                          guest=True)
    if len(name) < validation.NAME_MIN:
        name = f"Guest-{secrets.randbelow(9000) + 1000}"
    return Player(id=f"{GUEST_PREFIX}{secrets.token_hex(8)}", username=name, guest=True)


def welcome(player: Player, tokens: TokenService, settings: Mapping[str, Any]) -> Event:
    """The first event of every connection; a guest gets the token to come back as themselves."""
    data: dict[str, Any] = {"player": {**player.public(), "guest": player.guest}, **settings}
    if player.guest:
        data["guestToken"] = tokens.issue_guest(player.id, player.username)
    return Event("welcome", data)
