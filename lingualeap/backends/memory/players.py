"""Accounts and match history in process memory (the embedded default)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from lingualeap.clock import Clock
from lingualeap.domain.errors import GameError
from lingualeap.domain.results import MatchResult
from lingualeap.ports import UserRecord

_UPDATABLE = frozenset(
    {"name", "email", "password_hash", "total_xp", "games_played", "wins", "token_version"}
)


class MemoryPlayerStore:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._users: dict[str, UserRecord] = {}
        self._by_email: dict[str, str] = {}
        self._by_name: dict[str, str] = {}
        self.matches: dict[str, MatchResult] = {}

    async def create_user(self, user: UserRecord) -> None:
        self._check_free(user.id, user.name, user.email)
        self._users[user.id] = user
        self._by_email[user.email.lower()] = user.id
        self._by_name[user.name.casefold()] = user.id

    def _check_free(self, user_id: str, name: str, email: str) -> None:
        for index, key in ((self._by_name, name.casefold()), (self._by_email, email.lower())):
            owner = index.get(key)
            if owner is not None and owner != user_id:
                raise GameError("user_exists", "User already exists")

    async def user_by_id(self, user_id: str) -> UserRecord | None:
        return self._users.get(user_id)

    async def user_by_email(self, email: str) -> UserRecord | None:
        user_id = self._by_email.get(email.lower())
        return self._users.get(user_id) if user_id else None

    async def user_by_name(self, name: str) -> UserRecord | None:
        user_id = self._by_name.get(name.casefold())
        return self._users.get(user_id) if user_id else None

    async def update_user(self, user_id: str, changes: Mapping[str, Any]) -> UserRecord:
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        user = self._users.get(user_id)
        if user is None:
            raise GameError("unknown_user", "no such user")
        updated = replace(user, **changes, updated_at=self._clock.now())
        self._check_free(user_id, updated.name, updated.email)
        self._reindex(user, updated)
        return updated

    def _reindex(self, old: UserRecord, new: UserRecord) -> None:
        self._by_name.pop(old.name.casefold(), None)
        self._by_email.pop(old.email.lower(), None)
        self._users[new.id] = new
        self._by_name[new.name.casefold()] = new.id
        self._by_email[new.email.lower()] = new.id

    async def delete_user(self, user_id: str) -> bool:
        user = self._users.pop(user_id, None)
        if user is None:
            return False
        self._by_name.pop(user.name.casefold(), None)
        self._by_email.pop(user.email.lower(), None)
        return True

    async def record_match(self, result: MatchResult) -> bool:
        if result.match_id in self.matches:
            return False
        self.matches[result.match_id] = result
        for player in result.players:
            user = self._users.get(player.id)
            if player.guest or user is None:
                continue
            self._users[user.id] = replace(
                user,
                total_xp=user.total_xp + player.xp,
                games_played=user.games_played + 1,
                wins=user.wins + (1 if player.won else 0),
                updated_at=self._clock.now(),
            )
        return True

    async def grant_xp(self, user_id: str, amount: int, grant_id: str) -> UserRecord | None:
        user = self._users.get(user_id)
        if user is None:
            raise GameError("unknown_user", "no such user")
        if grant_id in user.grants:
            return None
        updated = replace(
            user,
            total_xp=user.total_xp + amount,
            grants=user.grants + (grant_id,),
            updated_at=self._clock.now(),
        )
        self._users[user_id] = updated
        return updated
