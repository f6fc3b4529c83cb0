"""Accounts: registration, login, logout, profiles, and turning a token into an identity."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from twisted.logger import Logger

from lingualeap.clock import Clock
from lingualeap.domain import validation
from lingualeap.domain.errors import GameError
from lingualeap.domain.model import Player
from lingualeap.domain.scoring import level_for_xp
from lingualeap.ports import Leaderboards, PlayerStore, TokenRevocations, UserRecord
from lingualeap.services.passwords import PasswordHasher
from lingualeap.services.results import GLOBAL_BOARD, ResultsService
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


def profile(user: UserRecord) -> dict[str, Any]:
    return {
        **public_user(user),
        "gamesPlayed": user.games_played,
        "wins": user.wins,
        "createdAt": int(user.created_at * 1000),
    }


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
    ) -> None:
        self._store = store
        self._revocations = revocations
        self._tokens = tokens
        self._hasher = hasher
        self._boards = leaderboards
        self._results = results
        self._clock = clock

    def _issue(self, user: UserRecord) -> Session:
        token, claims = self._tokens.issue(user.id, user.name, user.token_version)
        return Session(user, token, claims)

    async def register(self, name: object, email: object, password: object) -> Session:
        clean_name = validation.validate_name(name)
        clean_email = validation.validate_email(email)
        clean_password = validation.validate_password(password)
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

    async def login(self, email: object, password: object) -> Session:
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

    async def authenticate(self, token: str) -> tuple[UserRecord, Claims]:
        """The user a token speaks for; ``unauthorized`` if it is bad, expired, revoked or stale."""
        claims = self._tokens.verify(token)
        if await self._revocations.is_revoked(claims.token_id):
            raise GameError("unauthorized", "this token was revoked (logged out)")
        user = await self._store.user_by_id(claims.user_id)
        if user is None:
            raise GameError("unauthorized", "the account of this token no longer exists")
        if user.token_version != claims.version:
            raise GameError("unauthorized", "this token was revoked")
        return user, claims

    async def player_for(self, token: str) -> Player:
        user, _ = await self.authenticate(token)
        return Player(id=user.id, username=user.name, guest=False)

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
        updated = await self._store.update_user(user.id, changes) if changes else user
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
        await self._boards.remove(GLOBAL_BOARD, user.id)
        await self._results.announce_if_changed(before)
        self.log.info("deleted user {user_id}", user_id=user.id)

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
