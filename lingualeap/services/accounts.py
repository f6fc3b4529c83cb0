"""Accounts: registration, login, logout, profiles, and turning a token into an identity."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from twisted.logger import Logger

from lingualeap.clock import Clock
from lingualeap.domain import progression as progression_rules
from lingualeap.domain import validation
from lingualeap.domain.errors import GameError
from lingualeap.domain.model import Player
from lingualeap.domain.rating import display_rating
from lingualeap.domain.results import MatchResult
from lingualeap.domain.scoring import level_for_xp
from lingualeap.ports import LanguageStats, Leaderboards, PlayerStore, ProgressionRecord, TokenRevocations, UserRecord
from lingualeap.services.passwords import PasswordHasher
from lingualeap.services.results import GLOBAL_BOARD, ResultsService
from lingualeap.services.revocation import Revocation, Revoker
from lingualeap.services.throttle import Throttle
from lingualeap.services.tokens import Claims, TokenService

#: XP grants a player may claim through ``addXP``; the amount is the server's, never the client's.
DAILY_GRANT_XP = 10


@dataclass(frozen=True, slots=True)
class Session:
    """A logged-in user with the token that proves it."""

    user: UserRecord
    token: str
    claims: Claims


def public_user(user: UserRecord) -> dict[str, Any]:
    return {
        "_id": user.id,
        "name": user.name,
        "email": user.email,
        "totalXP": user.total_xp,
        "level": level_for_xp(user.total_xp),
    }


def profile(user: UserRecord, progression: ProgressionRecord | None = None, now: float = 0.0) -> dict[str, Any]:
    """The profile; with the user's progression, also their level progress, daily streak (as it
    stands at ``now``) and achievements."""
    shown = {
        **public_user(user),
        "gamesPlayed": user.games_played,
        "wins": user.wins,
        "createdAt": int(user.created_at * 1000),
        "languages": {s.language: language_stats(s) for s in user.stats},
    }
    if progression is None:
        return shown
    level = progression_rules.level_progress(user.total_xp)
    daily = progression.progress.daily
    today = progression_rules.utc_day(now)
    return {
        **shown,
        "levelProgress": {"level": level.level, "xp": level.into_level, "size": level.level_size},
        "dailyStreak": {"current": progression_rules.streak_alive(daily, today), "best": daily.best},
        "achievements": progression_rules.profile_achievements(progression.progress),
    }


def language_stats(stats: LanguageStats) -> dict[str, Any]:
    return {
        "games": stats.games,
        "wins": stats.wins,
        "xp": stats.xp,
        # Conservative (r - 2 RD): what ranks and shows; the estimate and its deviation beside it.
        "rating": display_rating(stats.rating),
        "ratingEstimate": round(stats.rating.rating),
        "ratingDeviation": round(stats.rating.deviation),
        "bestStreak": stats.best_streak,
    }


def match_summary(result: MatchResult, player_id: str) -> dict[str, Any]:
    """One match of a player's history: the standings, the words, and how that player did."""
    names = {p.id: p.username for p in result.players}
    me = next((p for p in result.players if p.id == player_id), None)
    return {
        "matchId": result.record_id,
        "roomId": result.match_id,
        "language": result.language,
        "startedAt": int(result.started_at * 1000),
        "endedAt": int(result.ended_at * 1000),
        "score": me.score if me else 0,
        "xp": me.xp if me else 0,
        "won": bool(me and me.won),
        "standings": [
            {"name": p.username, "score": p.score, "xp": p.xp, "won": p.won, "guest": p.guest}
            for p in result.players
        ],
        "rounds": [
            {"round": r.number, "english": r.english, "word": r.answer,
             "winner": names.get(r.winner) if r.winner is not None else None}
            for r in result.rounds
        ],
    }


def retired_version(user_id: str, version: int) -> str:
    """The revocation key that voids every token of ``user_id`` issued at ``version``."""
    return f"version:{user_id}:{version}"


class AccountService:
    log = Logger()

    def __init__(
        self,
        *,
        store: PlayerStore,
        revocations: TokenRevocations,
        tokens: TokenService,
        hasher: PasswordHasher,
        leaderboards: Leaderboards,
        results: ResultsService,
        clock: Clock,
        throttle: Throttle | None = None,
        revoker: Revoker | None = None,
    ) -> None:
        """``revoker`` closes open connections whose token stops working (on every instance)."""
        self._store = store
        self._revocations = revocations
        self._tokens = tokens
        self._hasher = hasher
        self._boards = leaderboards
        self._results = results
        self._clock = clock
        self._throttle = throttle
        self._revoker = revoker

    @property
    def tokens(self) -> TokenService:
        return self._tokens

    async def _revoked(self, revocation: Revocation) -> None:
        if revocation.below_version is not None:
            # The versions below are void; the last one is remembered where handshakes can see
            # it without the user store (versions move on one at a time).
            now = self._clock.now()
            await self._revocations.revoke(
                retired_version(revocation.user_id, revocation.below_version - 1), now + self._tokens.ttl
            )
        if self._revoker is not None:
            await self._revoker.revoke(revocation)

    def _issue(self, user: UserRecord) -> Session:
        token, claims = self._tokens.issue(user.id, user.name, user.token_version)
        return Session(user, token, claims)

    async def register(self, name: object, email: object, password: object, address: str | None = None) -> Session:
        """A new account. ``address`` (the client's) is limited like a login: hashing is costly."""
        clean_name = validation.validate_name(name)
        clean_email = validation.validate_email(email)
        clean_password = validation.validate_password(password)
        if self._throttle is not None and address is not None:
            await self._throttle.login_attempt(address)
        if await self._store.user_by_email(clean_email) or await self._store.user_by_name(clean_name):
            raise GameError("user_exists", "User already exists")
        now = self._clock.now()
        user = UserRecord(
            id=f"u-{secrets.token_hex(8)}",
            name=clean_name,
            email=clean_email,
            password_hash=await self._hasher.hash(clean_password),
            created_at=now,
            updated_at=now,
        )
        await self._store.create_user(user)
        self.log.info("registered user {user_id} ({name})", user_id=user.id, name=user.name)
        return self._issue(user)

    async def login(self, email: object, password: object, address: str | None = None) -> Session:
        """A session for the right password. With ``address`` (the client's), failures lock the
        account and the address out for growing delays (``rate_limited`` with ``retry_after``)."""
        throttle = self._throttle if address is not None else None
        if throttle is not None:
            assert address is not None
            await throttle.login_attempt(address, email)
        try:
            session = await self._check_password(email, password)
        except GameError as e:
            if throttle is not None and address is not None and e.code == "bad_credentials":
                await throttle.login_failed(address, email)
            raise
        if throttle is not None:
            await throttle.login_succeeded(email)
        return session

    async def _check_password(self, email: object, password: object) -> Session:
        if not isinstance(email, str) or not isinstance(password, str) or len(password) > 1024:
            raise GameError("bad_credentials", "Invalid email or password")
        user = await self._store.user_by_email(email.strip().lower())
        if user is None:
            await self._hasher.burn(password)
            raise GameError("bad_credentials", "Invalid email or password")
        if not await self._hasher.verify(password, user.password_hash):
            raise GameError("bad_credentials", "Invalid email or password")
        return self._issue(user)

    async def logout(self, claims: Claims) -> None:
        await self._revocations.revoke(claims.token_id, claims.expires_at)
        await self._revoked(Revocation(claims.user_id, token_id=claims.token_id))

    async def logout_everywhere(self, user: UserRecord, claims: Claims) -> None:
        """Every token of the user stops working, on every instance: its version moves on."""
        await self._store.update_user(user.id, {"token_version": user.token_version + 1})
        await self._revocations.revoke(claims.token_id, claims.expires_at)
        await self._revoked(Revocation(user.id, below_version=user.token_version + 1))
        self.log.info("user {user_id} logged out everywhere", user_id=user.id)

    async def authenticate(self, token: str) -> tuple[UserRecord, Claims]:
        """The user a token speaks for; ``unauthorized`` if it is bad, expired, revoked or stale."""
        claims = await self._unrevoked_claims(token)
        return await self._user_of(claims), claims

    async def _unrevoked_claims(self, token: str) -> Claims:
        claims = self._tokens.verify(token)
        if await self._revocations.is_revoked(claims.token_id):
            raise GameError("unauthorized", "this token was revoked (logged out)")
        return claims

    async def _user_of(self, claims: Claims) -> UserRecord:
        user = await self._store.user_by_id(claims.user_id)
        if user is None:
            raise GameError("unauthorized", "the account of this token no longer exists")
        if user.token_version != claims.version:
            raise GameError("unauthorized", "this token was revoked")
        return user

    async def player_for(self, token: str) -> Player:
        return (await self.identify(token))[0]

    async def identify(self, token: str) -> tuple[Player, Claims]:
        """The player a connection's token speaks for, and the claims to revoke it by.

        While the user store is unreachable, a signed, unexpired token that was not revoked is
        taken at its word, so registered players can still connect and play; their results
        wait in the outbox like everyone's.
        """
        claims = await self._unrevoked_claims(token)
        try:
            user = await self._user_of(claims)
        except GameError as e:
            if e.code != "unavailable":
                raise
            if await self._revocations.is_revoked(retired_version(claims.user_id, claims.version)):
                raise GameError("unauthorized", "this token was revoked") from None
            self.log.warn("user store unreachable: {user_id} connects on the strength of a token",
                          user_id=claims.user_id)
            return Player(id=claims.user_id, username=claims.name, guest=False), claims
        return Player(id=user.id, username=user.name, guest=False), claims

    async def profile(self, user: UserRecord) -> dict[str, Any]:
        """What ``GET /api/users/profile`` shows: stats, ratings, level, streak, achievements."""
        try:
            progression = await self._store.progression(user.id)
        except Exception:
            self.log.failure("no progression for the profile of {user}", user=user.id)
            progression = None
        return profile(user, progression, self._clock.now())

    async def update_profile(self, user: UserRecord, body: Mapping[str, Any]) -> Session:
        changes: dict[str, Any] = {}
        if "name" in body:
            changes["name"] = validation.validate_name(body["name"])
        if "email" in body:
            changes["email"] = validation.validate_email(body["email"])
        if "password" in body:
            changes["password_hash"] = await self._hasher.hash(
                validation.validate_password(body["password"])
            )
            # A new password ends every session that knew the old one (the caller gets a new token).
            changes["token_version"] = user.token_version + 1
        updated = await self._store.update_user(user.id, changes) if changes else user
        if "token_version" in changes:
            await self._revoked(Revocation(user.id, below_version=changes["token_version"]))
        if "name" in changes:
            await self._rename_on_boards(updated)
        return self._issue(updated)

    async def _rename_on_boards(self, user: UserRecord) -> None:
        before = await self._boards.top(GLOBAL_BOARD, 10)
        if user.total_xp > 0:
            await self._boards.increment(GLOBAL_BOARD, user.id, 0, user.name)
        await self._results.announce_if_changed(before)

    async def delete(self, user: UserRecord, target_id: str) -> None:
        if user.id != target_id:
            raise GameError("forbidden", "you can only delete your own account")
        before = await self._boards.top(GLOBAL_BOARD, 10)
        await self._store.delete_user(user.id)
        await self._revoked(Revocation(user.id))
        await self._boards.remove(GLOBAL_BOARD, user.id)
        await self._results.announce_if_changed(before)
        self.log.info("deleted user {user_id}", user_id=user.id)

    async def history(self, name: str, limit: int) -> dict[str, Any]:
        """A player's most recent matches, newest first (public, like their XP)."""
        user = await self._store.user_by_name(name)
        if user is None:
            raise GameError("unknown_user", f"no user named {name!r}")
        matches = await self._store.history(user.id, limit)
        return {"name": user.name, "matches": [match_summary(m, user.id) for m in matches]}

    async def total_xp(self, name: str) -> dict[str, Any]:
        user = await self._store.user_by_name(name)
        if user is None:
            raise GameError("unknown_user", f"no user named {name!r}")
        return {"name": user.name, "totalXP": user.total_xp, "level": level_for_xp(user.total_xp)}

    async def grant(self, user: UserRecord, target_name: str, reason: object) -> dict[str, Any]:
        """``addXP``: only for your own account and only for a grant the server defines."""
        if user.name.casefold() != target_name.casefold():
            raise GameError("forbidden", "XP can only be granted to your own account")
        if reason != "daily":
            raise GameError(
                "forbidden", "XP is earned in games; the only grant you can claim is reason 'daily'"
            )
        day = time.strftime("%Y-%m-%d", time.gmtime(self._clock.now()))
        before = await self._boards.top(GLOBAL_BOARD, 10)
        updated = await self._store.grant_xp(user.id, DAILY_GRANT_XP, f"daily:{day}")
        if updated is None:
            raise GameError("forbidden", "today's daily XP was already granted")
        await self._boards.increment(GLOBAL_BOARD, user.id, DAILY_GRANT_XP, updated.name)
        await self._results.announce_if_changed(before)
        return {"name": updated.name, "totalXP": updated.total_xp, "level": level_for_xp(updated.total_xp)}
