"""Accounts and match history in process memory (the embedded default)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from lingualeap.backends.credit import credited_stats, registered_ratings
from lingualeap.clock import Clock
from lingualeap.domain import stats as match_stats
from lingualeap.domain.errors import GameError
from lingualeap.domain.results import MatchResult
from lingualeap.ports import ProgressionRecord, UserRecord, WordProgress

_UPDATABLE = frozenset(
    {"name", "email", "password_hash", "total_xp", "games_played", "wins", "token_version"}
)


class MemoryPlayerStore:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._users: dict[str, UserRecord] = {}
        self._by_email: dict[str, str] = {}
        self._by_name: dict[str, str] = {}
        #: The last match played in each room, by room id (what tests look at).
        self.matches: dict[str, MatchResult] = {}
        #: Every recorded match, by its record id, oldest first.
        self._records: dict[str, MatchResult] = {}
        self._progress: dict[tuple[str, str], dict[str, WordProgress]] = {}
        self._progression: dict[str, ProgressionRecord] = {}

    async def create_user(self, user: UserRecord) -> None:
        if user.id in self._users:
            raise GameError("user_exists", "User already exists")
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
        self._progression.pop(user_id, None)
        for key in [k for k in self._progress if k[0] == user_id]:
            del self._progress[key]
        self._records = {k: match_stats.anonymised(r, user_id) for k, r in self._records.items()}
        self.matches = {k: match_stats.anonymised(r, user_id) for k, r in self.matches.items()}
        return True

    async def record_match(self, result: MatchResult) -> bool:
        if result.record_id in self._records:
            return False
        self._records[result.record_id] = result
        self.matches[result.match_id] = result
        rated = match_stats.new_ratings(result, registered_ratings(result, {i: u.stats for i, u in self._users.items()}))
        for player in result.players:
            user = self._users.get(player.id)
            if player.guest or user is None:
                continue
            won = 1 if player.won else 0
            self._users[user.id] = replace(
                user,
                total_xp=user.total_xp + player.xp,
                games_played=user.games_played + 1,
                wins=user.wins + won,
                stats=credited_stats(user.stats, result, player, rated),
                updated_at=self._clock.now(),
            )
            self._practised(user.id, result)
        return True

    def _practised(self, user_id: str, result: MatchResult) -> None:
        words = self._progress.setdefault((user_id, result.language), {})
        for outcome in match_stats.word_outcomes(result, user_id):
            old = words.get(outcome.word)
            words[outcome.word] = WordProgress(
                word=outcome.word,
                english=outcome.english,
                seen=(old.seen if old else 0) + 1,
                solved=(old.solved if old else 0) + (1 if outcome.solved else 0),
                last_seen=max(result.ended_at, old.last_seen if old else 0.0),
            )

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

    async def history(self, user_id: str, limit: int) -> list[MatchResult]:
        mine = [r for r in self._records.values() if any(p.id == user_id for p in r.players)]
        mine.sort(key=lambda r: (r.ended_at, r.record_id), reverse=True)
        return mine[: max(0, limit)]

    async def top_by_xp(self, limit: int) -> list[UserRecord]:
        ranked = sorted((u for u in self._users.values() if u.total_xp > 0), key=lambda u: (-u.total_xp, u.id))
        return ranked[: max(0, limit)]

    async def progress(self, user_id: str, language: str) -> list[WordProgress]:
        return list(self._progress.get((user_id, language), {}).values())

    async def progression(self, user_id: str) -> ProgressionRecord | None:
        if user_id not in self._users:
            return None
        return self._progression.get(user_id, ProgressionRecord())

    async def save_progression(self, user_id: str, record: ProgressionRecord, bonus_xp: int) -> bool:
        user = self._users.get(user_id)
        if user is None or self._progression.get(user_id, ProgressionRecord()).version != record.version - 1:
            return False
        self._progression[user_id] = record
        self._users[user_id] = replace(user, total_xp=user.total_xp + bonus_xp, updated_at=self._clock.now())
        return True
