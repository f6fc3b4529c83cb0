"""Signed identity tokens (JWT, HS256): issuing and verifying against the Clock.

Keys have ids (``kid`` in the token header): the first key signs, every listed key verifies, so
a secret can be rotated by listing the new key first and dropping the old one once its tokens
have expired, without logging everybody out at once. The algorithm is fixed: a token naming
any other (``none``, RS256, HS512...) is refused before any key is looked at.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

import jwt

from lingualeap.clock import Clock
from lingualeap.domain.errors import GameError

ALGORITHM = "HS256"
ISSUER = "lingualeap"
AUDIENCE = "lingualeap"
#: Guest tokens are for another audience, so one can never pass for an account's token.
GUEST_AUDIENCE = "lingualeap:guest"
GUEST_PREFIX = "g-"
TOKEN_TTL = 30 * 24 * 3600.0  # the original's 30-day cookie
#: HS256 keys shorter than the hash output weaken it (RFC 7518, section 3.2).
MIN_SECRET_BYTES = 32
KID_RE = re.compile(r"^[A-Za-z0-9._-]{1,32}$")


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    secret: str = field(repr=False)


def derived_kid(secret: str) -> str:
    """A stable id for a secret given without one: instances sharing the secret agree on it.

    It is a short hash of a long random secret, so it tells nothing a token's own signature
    does not already let an attacker test offline.
    """
    return "k" + hashlib.sha256(secret.encode()).hexdigest()[:8]


def parse_key(text: str) -> SigningKey:
    """``KID:SECRET``, or a bare secret (its id derived from it)."""
    kid, sep, secret = text.partition(":")
    if sep and KID_RE.match(kid) and len(secret.encode()) >= MIN_SECRET_BYTES:
        return SigningKey(kid, secret)
    return SigningKey(derived_kid(text), text)


def key_ring(keys: str | Sequence[SigningKey | tuple[str, str]]) -> tuple[SigningKey, ...]:
    if isinstance(keys, str):
        return (SigningKey(derived_kid(keys), keys),)
    ring = tuple(k if isinstance(k, SigningKey) else SigningKey(k[0], k[1]) for k in keys)
    if not ring:
        raise ValueError("at least one JWT key is needed")
    return ring


@dataclass(frozen=True, slots=True)
class Claims:
    user_id: str
    name: str
    token_id: str
    version: int
    issued_at: float
    expires_at: float


class TokenService:
    def __init__(self, keys: str | Sequence[SigningKey | tuple[str, str]], clock: Clock,
                 ttl: float = TOKEN_TTL) -> None:
        """``keys``: one secret, or ``(kid, secret)`` pairs; the first signs, all verify."""
        ring = key_ring(keys)
        for key in ring:
            if len(key.secret.encode()) < MIN_SECRET_BYTES:
                raise ValueError(f"JWT secret {key.kid!r} must be at least {MIN_SECRET_BYTES} bytes")
            if not KID_RE.match(key.kid):
                raise ValueError(f"JWT key id {key.kid!r} must be 1-32 of A-Z a-z 0-9 . _ -")
        if len({k.kid for k in ring}) != len(ring):
            raise ValueError("JWT key ids must be unique")
        self._signing = ring[0]
        self._keys = {k.kid: k.secret for k in ring}
        self._clock = clock
        self.ttl = ttl

    @property
    def signing_kid(self) -> str:
        return self._signing.kid

    def issue(self, user_id: str, name: str, version: int) -> tuple[str, Claims]:
        return self._issue(user_id, name, version, AUDIENCE)

    def issue_guest(self, guest_id: str, name: str) -> str:
        """A token that lets a guest connect again as the same guest (and keep a seat)."""
        return self._issue(guest_id, name, 0, GUEST_AUDIENCE)[0]

    def _issue(self, subject: str, name: str, version: int, audience: str) -> tuple[str, Claims]:
        now = self._clock.now()
        claims = Claims(subject, name, secrets.token_urlsafe(16), version, now, now + self.ttl)
        payload = {
            "sub": subject,
            "name": name,
            "jti": claims.token_id,
            "ver": version,
            "iat": int(now),
            "exp": int(claims.expires_at),
            "iss": ISSUER,
            "aud": audience,
        }
        token = jwt.encode(payload, self._signing.secret, algorithm=ALGORITHM, headers={"kid": self._signing.kid})
        return token, claims

    def verify(self, token: str) -> Claims:
        """The token's claims, or ``GameError('unauthorized')`` if it is not one of ours or expired."""
        return self._verify(token, AUDIENCE)

    def verify_guest(self, token: str) -> Claims:
        """The claims of a guest token (never an account's): ``unauthorized`` if it is not one."""
        claims = self._verify(token, GUEST_AUDIENCE)
        if not claims.user_id.startswith(GUEST_PREFIX):
            raise GameError("unauthorized", "invalid guest token")
        return claims

    def _verify(self, token: str, audience: str) -> Claims:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as e:
            raise GameError("unauthorized", f"invalid token: {e}") from e
        # PyJWT would refuse other algorithms too; saying so first keeps confusion attacks
        # (alg "none", an RSA public key used as an HMAC secret) away from key selection.
        if header.get("alg") != ALGORITHM:
            raise GameError("unauthorized", "invalid token: unsupported algorithm")
        kid = header.get("kid")
        secret = self._keys.get(kid) if isinstance(kid, str) else None
        if secret is None:
            raise GameError("unauthorized", "invalid token: unknown key id (signed with a retired key?)")
        try:
            # Expiry is checked against our Clock below, not PyJWT's system clock.
            payload = jwt.decode(
                token,
                secret,
                algorithms=[ALGORITHM],
                audience=audience,
                issuer=ISSUER,
                options={"verify_exp": False, "verify_iat": False,
                         "require": ["sub", "jti", "exp", "iat", "iss", "aud"]},
            )
        except jwt.PyJWTError as e:
            raise GameError("unauthorized", f"invalid token: {e}") from e
        try:
            claims = Claims(
                user_id=str(payload["sub"]),
                name=str(payload.get("name", "")),
                token_id=str(payload["jti"]),
                version=int(payload.get("ver", 0)),
                issued_at=float(payload["iat"]),
                expires_at=float(payload["exp"]),
            )
        except (TypeError, ValueError) as e:
            raise GameError("unauthorized", "invalid token claims") from e
        if claims.expires_at <= self._clock.now():
            raise GameError("unauthorized", "token expired")
        return claims
