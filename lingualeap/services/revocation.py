"""Open connections never outlive their token: revoking one closes them on every instance.

A token is checked when a connection opens. When it stops being valid later (logout, logout
everywhere and a password change move the account's token version on; a deleted account has
none left), the instance that did it closes its own connections opened with such a token at
once and tells every other instance over the backplane (``{"notice": "revoked"}``), and each
closes its own. A revocation is also remembered for a minute, for connections whose handshake
was already past the token check when the notice came.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from twisted.logger import Logger

from lingualeap.clock import Clock
from lingualeap.domain.errors import GameError
from lingualeap.services.cluster import Cluster
from lingualeap.services.connections import CLOSE_REVOKED, dismiss
from lingualeap.services.presence import Connection, Presence
from lingualeap.services.tokens import Claims

NOTICE = "revoked"
#: Seconds a revocation is kept for handshakes that were under way when it happened.
REMEMBER = 60.0
REASON = "token_revoked"


@dataclass(frozen=True, slots=True)
class Revocation:
    """Tokens of ``user_id`` that stop working: those of a version below ``below_version``, or
    exactly ``token_id``, or (neither given) all of them."""

    user_id: str
    below_version: int | None = None
    token_id: str | None = None

    def covers(self, claims: Claims) -> bool:
        if claims.user_id != self.user_id:
            return False
        if self.token_id is not None:
            return claims.token_id == self.token_id
        return self.below_version is None or claims.version < self.below_version

    def as_notice(self) -> dict[str, Any]:
        return {"user": self.user_id, "below": self.below_version, "token": self.token_id}

    @classmethod
    def from_notice(cls, data: dict[str, Any]) -> Revocation:
        below, token = data.get("below"), data.get("token")
        return cls(str(data["user"]), None if below is None else int(below),
                   None if token is None else str(token))


class Revoker:
    """Knows which token each open connection here was opened with, and closes the revoked ones."""

    log = Logger()

    def __init__(self, presence: Presence, cluster: Cluster, clock: Clock) -> None:
        self._presence = presence
        self._cluster = cluster
        self._clock = clock
        # Forgotten with the connection: nothing to undo when it closes.
        self._claims: WeakKeyDictionary[Connection, Claims] = WeakKeyDictionary()
        self._recent: list[tuple[float, Revocation]] = []
        cluster.on_broadcast(NOTICE, self._noticed)

    def opened(self, connection: Connection, claims: Claims | None) -> None:
        """A connection is open (and in Presence) with the token ``claims`` came from (``None``:
        a guest). Closed at once if that token was revoked while the handshake went on."""
        if claims is None:
            return
        self._claims[connection] = claims
        if self.revoked(claims):
            self._close(connection)

    def revoked(self, claims: Claims) -> bool:
        """Whether a revocation heard in the last minute covers a token that was just accepted."""
        return any(revocation.covers(claims) for _, revocation in self._remembered())

    async def revoke(self, revocation: Revocation) -> None:
        """Close the connections ``revocation`` covers here now, and everywhere else soon."""
        self._apply(revocation)
        try:
            await self._cluster.broadcast_message(NOTICE, revocation.as_notice())
        except Exception:
            # The tokens are revoked all the same (no new connection or request accepts them);
            # connections on other instances stay until they close or the notice gets through.
            self.log.failure("telling other instances that {user}'s tokens were revoked failed",
                             user=revocation.user_id)

    def _noticed(self, data: dict[str, Any]) -> None:
        try:
            revocation = Revocation.from_notice(data)
        except (KeyError, TypeError, ValueError):
            self.log.warn("ignoring a malformed revocation notice {data!r}", data=data)
            return
        self._apply(revocation)

    def _apply(self, revocation: Revocation) -> None:
        self._remembered().append((self._clock.now(), revocation))
        closed = 0
        for connection in self._presence.connections_of(revocation.user_id):
            claims = self._claims.get(connection)
            if claims is not None and revocation.covers(claims):
                self._close(connection)
                closed += 1
        if closed:
            self.log.info("closed {count} connection(s) of {user}: token revoked",
                          count=closed, user=revocation.user_id)

    def _remembered(self) -> list[tuple[float, Revocation]]:
        horizon = self._clock.now() - REMEMBER
        self._recent = [(at, r) for at, r in self._recent if at > horizon]
        return self._recent

    def _close(self, connection: Connection) -> None:
        self._claims.pop(connection, None)
        dismiss(connection, CLOSE_REVOKED, REASON,
                GameError(REASON, "your login was revoked (logged out everywhere, password changed "
                                  "or account deleted): log in again"))
