"""Who a Socket.IO client is: a verified JWT, or a guest, decided when it joins the namespace.

The token is looked for in the CONNECT payload (``auth: {token}``), then where ``/ws`` looks
(``?token=``, the ``jwt`` cookie, ``Authorization: Bearer``) on the Engine.IO handshake request.
A guest coming back sends the ``guestToken`` of its ``welcome`` (``auth: {guestToken}`` or
``?guest=``) to be the same guest again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from lingualeap.domain import validation
from lingualeap.domain.errors import GameError
from lingualeap.domain.model import Player
from lingualeap.services.accounts import AccountService
from lingualeap.services.tokens import Claims
from lingualeap.transports.identity import guest_player, token_from
from lingualeap.transports.socketio import ConnectRefused, RequestInfo

#: ``err.data.code`` of the ``connect_error`` a client gets for a refused identity.
UNAUTHORIZED = {"code": "unauthorized"}


@dataclass(frozen=True, slots=True)
class Identity:
    player: Player
    #: ``False`` for a guest whose name we made up: the original clients only say who they
    #: are inside ``findMatch``/``joinRoom``, so such a guest takes the first name it sends there.
    named: bool
    #: The token's claims (``None`` for a guest), to close the connection if it is revoked.
    claims: Claims | None = None


def _field(auth: object, name: str) -> object:
    return auth.get(name) if isinstance(auth, Mapping) else None


def token_of(auth: object, info: RequestInfo) -> str | None:
    token = _field(auth, "token")
    if token is not None and token != "":
        if not isinstance(token, str):
            raise ConnectRefused("auth.token must be a string", UNAUTHORIZED)
        return token
    return token_from({key: [value] for key, value in info.query.items()}, info.headers)


def _usable_name(raw: object) -> str | None:
    if not isinstance(raw, str):
        return None
    name = validation.sanitise_username(raw)
    return name if len(name) >= validation.NAME_MIN else None


async def identify(
    auth: object, info: RequestInfo, accounts: AccountService, allow_guests: bool
) -> Identity:
    """The identity of a joining client, or :class:`ConnectRefused` (``unauthorized``)."""
    token = token_of(auth, info)
    if token is not None:
        try:
            player, claims = await accounts.identify(token)
            return Identity(player, named=True, claims=claims)
        except GameError as e:
            # A bad token is "unauthorized"; anything else (e.g. "unavailable" while the store is
            # unreachable) keeps its own code, so clients can tell an outage from a bad login.
            raise ConnectRefused(e.message, {"code": e.code}) from None
    if not allow_guests:
        raise ConnectRefused("a token is required (guests are not allowed here)", UNAUTHORIZED)
    requested = _usable_name(_field(auth, "username")) or _usable_name(info.query.get("username"))
    guest_token = _field(auth, "guestToken") or info.query.get("guest")
    player = guest_player(requested, accounts.tokens, guest_token if isinstance(guest_token, str) else None)
    return Identity(player, named=requested is not None)


def renamed(player: Player, raw: object) -> Player | None:
    """``player`` under the name ``raw`` if that is a usable name (guests only)."""
    name = _usable_name(raw)
    if not player.guest or name is None:
        return None
    return replace(player, username=name)
