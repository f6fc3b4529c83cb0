"""Signed identity tokens (JWT, HS256): issuing and verifying against the Clock."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import jwt

from lingualeap.clock import Clock
from lingualeap.domain.errors import GameError

ALGORITHM = "HS256"
ISSUER = "lingualeap"
AUDIENCE = "lingualeap"
TOKEN_TTL = 30 * 24 * 3600.0  # the original's 30-day cookie
#: HS256 keys shorter than the hash output weaken it (RFC 7518, section 3.2).
MIN_SECRET_BYTES = 32


@dataclass(frozen=True, slots=True)
class Claims:
    user_id: str
    name: str
    token_id: str
    version: int
    issued_at: float
    expires_at: float


class TokenService:
    def __init__(self, secret: str, clock: Clock, ttl: float = TOKEN_TTL) -> None:
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"the JWT secret must be at least {MIN_SECRET_BYTES} bytes")
        self._secret = secret
        self._clock = clock
        self.ttl = ttl

    def issue(self, user_id: str, name: str, version: int) -> tuple[str, Claims]:
        now = self._clock.now()
        claims = Claims(user_id, name, secrets.token_urlsafe(16), version, now, now + self.ttl)
        payload = {
            "sub": user_id,
            "name": name,
            "jti": claims.token_id,
            "ver": version,
            "iat": int(now),
            "exp": int(claims.expires_at),
            "iss": ISSUER,
            "aud": AUDIENCE,
        }
        return jwt.encode(payload, self._secret, algorithm=ALGORITHM), claims

    def verify(self, token: str) -> Claims:
        """The token's claims, or ``GameError('unauthorized')`` if it is not one of ours or expired."""
        try:
            # Expiry is checked against our Clock below, not PyJWT's system clock.
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
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
