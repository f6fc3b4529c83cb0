"""Flood protection on by default: which limits apply to what, over a shared RateLimiter.

Per user (every command, and guesses on their own; a guess in the player's own room is limited
by the instance hosting that room instead, see ``RoomHost.guess``), per client address (new WebSocket
connections, HTTP requests, login attempts) and per account (failed logins, with growing
delays). With Redis the buckets are shared, so spreading requests over instances does not
multiply an allowance. If the shared store cannot answer, limits fall back to this instance's
memory rather than failing open or refusing everyone.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass, field

from twisted.logger import Logger

from lingualeap.clock import Clock
from lingualeap.domain.errors import GameError, RateLimited
from lingualeap.domain.ratelimit import Backoff, Decision, Rate
from lingualeap.ports import RateLimiter

#: Seconds between two warnings that the shared limiter is unreachable.
WARN_EVERY = 30.0
#: IPv6 clients get a /64 each, so they are limited by /64 rather than by address.
IPV6_LIMIT_PREFIX = 64


@dataclass(frozen=True, slots=True)
class Limits:
    """Every limit a server enforces; ``None`` switches a rate limit off. See SECURITY.md."""

    #: Commands of one user, over all their connections and instances.
    user_events: Rate | None = Rate(30, 60)
    #: ``makeGuess`` of one user (a person types a few guesses a second at most).
    guesses: Rate | None = Rate(5, 10)
    #: New WebSocket connections from one client address.
    connections: Rate | None = Rate(5, 60)
    #: HTTP requests (API, web client) from one client address.
    http: Rate | None = Rate(50, 500)
    #: Login and registration attempts from one client address (each costs a bcrypt hash).
    logins: Rate | None = Rate(1, 30)
    #: Failed logins of one account, then of one client address: growing lock-outs.
    login_account: Backoff = field(default_factory=lambda: Backoff(free=5, base=1, maximum=300, window=900))
    login_ip: Backoff = field(default_factory=lambda: Backoff(free=20, base=1, maximum=900, window=900))
    #: Open connections of one user on one instance; the oldest go when a new one opens.
    connections_per_user: int = 5
    #: Seconds without a frame from the client before a connection is closed (0: never).
    idle_timeout: float = 900.0


def account_key(email: object) -> str:
    """A login key for an e-mail address, hashed so addresses never appear in key names."""
    text = email.strip().lower() if isinstance(email, str) else ""
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:32]


def address_key(address: str) -> str:
    """The key a client address is limited under: itself, or its /64 for IPv6."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_LIMIT_PREFIX}", strict=False))
    return str(parsed)


class Throttle:
    log = Logger()

    def __init__(self, limiter: RateLimiter, limits: Limits, clock: Clock,
                 fallback: RateLimiter | None = None) -> None:
        """``fallback`` (this instance's memory) stands in while ``limiter`` cannot answer."""
        self._shared = limiter
        self._local = fallback if fallback is not None else limiter
        self._clock = clock
        self.limits = limits
        self._warned_at: float | None = None

    # -- what the transports and services ask ----------------------------------------------
    async def command(self, player_id: str, event: str) -> None:
        """Before a player's command runs; ``RateLimited`` if they send too many."""
        checks = [(f"user:{player_id}", self.limits.user_events, "too many messages; slow down")]
        if event == "makeGuess":
            checks.append((f"guess:{player_id}", self.limits.guesses, "too many guesses; slow down"))
        await self._take_each(checks)

    async def connection(self, address: str) -> None:
        """Before a new real-time connection from ``address`` is accepted."""
        await self._take(f"conn:{address_key(address)}", self.limits.connections, "too many new connections")

    async def http_request(self, address: str) -> None:
        await self._take(f"http:{address_key(address)}", self.limits.http, "too many requests")

    async def login_attempt(self, address: str, email: object | None = None) -> None:
        """Before a password is checked (or hashed, for a registration)."""
        waits = [await self._penalty(f"login-ip:{address_key(address)}")]
        if email is not None:
            waits.append(await self._penalty(f"login-account:{account_key(email)}"))
        wait = max(waits)
        if wait > 0:
            raise RateLimited(wait, "too many failed logins; wait before trying again")
        await self._take(f"login:{address_key(address)}", self.limits.logins, "too many login attempts")

    async def login_failed(self, address: str, email: object) -> float:
        """A wrong password: the wait it imposes on the next attempt (0 while still free)."""
        account = await self._fail(f"login-account:{account_key(email)}", self.limits.login_account)
        ip = await self._fail(f"login-ip:{address_key(address)}", self.limits.login_ip)
        return max(account, ip)

    async def login_succeeded(self, email: object) -> None:
        # Only the account's record: one good login must not wash an address's failures away.
        await self._call_forgive(f"login-account:{account_key(email)}")

    # -- the shared store, or this instance's memory when the store is away -------------------
    async def _take(self, key: str, rate: Rate | None, message: str) -> None:
        await self._take_each([(key, rate, message)])

    async def _take_each(self, checks: list[tuple[str, Rate | None, str]]) -> None:
        """Several buckets in one round trip (a guess is checked twice), in order: the first
        that refuses says why."""
        buckets: list[tuple[str, Rate]] = []
        messages: list[str] = []
        for key, rate, message in checks:
            if rate is not None:
                buckets.append((key, rate))
                messages.append(message)
        if not buckets:
            return
        try:
            decisions = await self._shared.take_each(buckets)
        except Exception as e:  # unreachable store: keep limiting, locally
            self._unavailable(e)
            decisions = await self._local.take_each(buckets)
        for decision, message in zip(decisions, messages):
            self._check(decision, message)

    async def _penalty(self, key: str) -> float:
        try:
            return await self._shared.penalty(key)
        except Exception as e:
            self._unavailable(e)
            return await self._local.penalty(key)

    async def _fail(self, key: str, backoff: Backoff) -> float:
        try:
            return await self._shared.fail(key, backoff)
        except Exception as e:
            self._unavailable(e)
            return await self._local.fail(key, backoff)

    async def _call_forgive(self, key: str) -> None:
        try:
            await self._shared.forgive(key)
        except Exception as e:
            self._unavailable(e)
        await self._local.forgive(key)

    @staticmethod
    def _check(decision: Decision, message: str) -> None:
        if not decision.allowed:
            raise RateLimited(decision.retry_after, message)

    def _unavailable(self, error: Exception) -> None:
        now = self._clock.now()
        if self._warned_at is None or now - self._warned_at >= WARN_EVERY:
            self._warned_at = now
            detail = error.message if isinstance(error, GameError) else repr(error)
            self.log.warn("shared rate limits unavailable, limiting per instance: {detail}", detail=detail)
