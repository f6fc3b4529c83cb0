"""Accounts, finished matches and word progress in MongoDB (the PlayerStore port).

Recording a match is idempotent and survives being cut off half-way:

1. insert the match document, ``_id`` = the match's record id, listing the registered players
   still to credit in ``pending``. A duplicate key means it was recorded before: the call
   returns ``False`` but still finishes whatever ``pending`` says was left undone;
2. for each pending player: ``$inc`` their XP and stats with the filter
   ``credited: {$ne: record id}`` while ``$push``-ing the id (so a second credit matches
   nothing), then their word progress with the same guard on the progress document, then
   ``$pull`` them from ``pending``.

Every number credited comes from the stored match document (the new ratings included), so a
replay on another instance applies exactly what the first attempt would have. Matches whose
crediting was interrupted and never replayed are finished by :meth:`finish_interrupted`, which
runs whenever MongoDB becomes reachable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import OperationFailure
from twisted.logger import Logger
from txmongo import filter as qf

from lingualeap.backends.credit import progression_document, progression_record
from lingualeap.backends.mongo import documents as docs
from lingualeap.backends.mongo.calls import is_duplicate_key
from lingualeap.backends.mongo.connection import MongoService
from lingualeap.backends.mongo.indexes import MATCHES, PROGRESS, USERS
from lingualeap.clock import Clock
from lingualeap.domain import stats as match_stats
from lingualeap.domain.errors import GameError
from lingualeap.domain.rating import Rating, from_record
from lingualeap.domain.results import MatchResult
from lingualeap.domain.scoring import level_for_xp
from lingualeap.ports import ProgressionRecord, UserRecord, WordProgress

_UPDATABLE = frozenset(
    {"name", "email", "password_hash", "total_xp", "games_played", "wins", "token_version"}
)
#: Interrupted matches finished per pass of :meth:`MongoPlayerStore.finish_interrupted`.
INTERRUPTED_BATCH = 100


def _user_exists() -> GameError:
    return GameError("user_exists", "User already exists")


class MongoPlayerStore:
    log = Logger()

    def __init__(self, mongo: MongoService, clock: Clock, instance_id: str) -> None:
        self._mongo = mongo
        self._clock = clock
        self._instance = instance_id

    # txmongo collections are cheap views over the pool; take them fresh so a restarted
    # service (a new pool) is always the one used.
    def _collection(self, name: str) -> Any:
        return self._mongo.db[name]

    @property
    def _t(self) -> float:
        return self._mongo.timeout

    # -- accounts --------------------------------------------------------------------------
    async def create_user(self, user: UserRecord) -> None:
        try:
            await self._mongo.call(self._collection(USERS).insert_one(docs.user_document(user), timeout=self._t))
        except OperationFailure as e:
            if is_duplicate_key(e):
                raise _user_exists() from None
            raise

    async def _find_user(self, query: Mapping[str, Any]) -> UserRecord | None:
        doc = await self._mongo.call(self._collection(USERS).find_one(dict(query), projection=docs.USER_PROJECTION,
                                                          timeout=self._t))
        return docs.user_record(doc) if doc else None

    async def user_by_id(self, user_id: str) -> UserRecord | None:
        return await self._find_user({"_id": user_id})

    async def user_by_email(self, email: str) -> UserRecord | None:
        return await self._find_user({"email_key": docs.email_key(email)})

    async def user_by_name(self, name: str) -> UserRecord | None:
        return await self._find_user({"name_key": docs.name_key(name)})

    async def _exists(self, user_id: str) -> bool:
        found = await self._mongo.call(self._collection(USERS).find_one({"_id": user_id}, projection={"_id": 1},
                                                            timeout=self._t))
        return found is not None

    async def update_user(self, user_id: str, changes: Mapping[str, Any]) -> UserRecord:
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        update = {**docs.user_changes(changes), "updated_at": docs.to_date(self._clock.now())}
        try:
            doc = await self._mongo.call(self._collection(USERS).find_one_and_update(
                {"_id": user_id}, {"$set": update}, projection=docs.USER_PROJECTION,
                return_document=ReturnDocument.AFTER, timeout=self._t,
            ))
        except OperationFailure as e:
            if is_duplicate_key(e):
                raise _user_exists() from None
            raise
        if doc is None:
            raise GameError("unknown_user", "no such user")
        return docs.user_record(doc)

    async def delete_user(self, user_id: str) -> bool:
        if not await self._exists(user_id):
            return False
        # Personal data first and the account last, so a call cut short can simply be repeated.
        await self._anonymise(user_id)
        await self._mongo.call(self._collection(PROGRESS).delete_many({"user": user_id}, timeout=self._t))
        deleted = await self._mongo.call(self._collection(USERS).delete_one({"_id": user_id}, timeout=self._t))
        # A match that finished while we were at it still names the player: once more.
        await self._anonymise(user_id)
        return bool(deleted.deleted_count)

    async def _anonymise(self, user_id: str) -> None:
        await self._mongo.call(self._collection(MATCHES).update_many(
            {"players.id": user_id},
            {"$set": {"players.$.id": match_stats.ANONYMOUS_ID, "players.$.username": match_stats.ANONYMOUS_NAME},
             "$pull": {"pending": user_id}},
            timeout=self._t,
        ))

    async def grant_xp(self, user_id: str, amount: int, grant_id: str) -> UserRecord | None:
        doc = await self._mongo.call(self._collection(USERS).find_one_and_update(
            {"_id": user_id, "grants": {"$ne": grant_id}},
            {"$inc": {"total_xp": amount}, "$push": {"grants": grant_id},
             "$set": {"updated_at": docs.to_date(self._clock.now())}},
            projection=docs.USER_PROJECTION, return_document=ReturnDocument.AFTER, timeout=self._t,
        ))
        if doc is None:
            if not await self._exists(user_id):
                raise GameError("unknown_user", "no such user")
            return None
        await self._level_up(user_id, int(doc.get("total_xp", 0)))
        return docs.user_record(doc)

    async def _level_up(self, user_id: str, total_xp: int) -> None:
        # XP only grows, so ``$max`` keeps the stored level right under concurrent credits.
        await self._mongo.call(self._collection(USERS).update_one(
            {"_id": user_id}, {"$max": {"level": level_for_xp(total_xp)}}, timeout=self._t
        ))

    # -- matches ---------------------------------------------------------------------------
    async def record_match(self, result: MatchResult) -> bool:
        registered = [p.id for p in result.players if not p.guest]
        ratings = await self._ratings(result.language, registered)
        rated = match_stats.new_ratings(result, ratings)
        streaks = {p: match_stats.best_streak(result, p) for p in registered}
        document = docs.match_document(result, self._instance, ratings, rated, streaks)
        matches = self._collection(MATCHES)
        try:
            await self._mongo.call(matches.insert_one(document, timeout=self._t))
            fresh = True
        except OperationFailure as e:
            if not is_duplicate_key(e):
                raise
            fresh = False
            stored = await self._mongo.call(matches.find_one({"_id": result.record_id}, timeout=self._t))
            if stored is None:
                return False  # recorded and then removed: nothing to finish
            document = stored
        await self._credit_pending(document)
        return fresh

    async def _ratings(self, language: str, user_ids: list[str]) -> dict[str, Rating]:
        if not user_ids:
            return {}
        found = await self._mongo.call(self._collection(USERS).find(
            {"_id": {"$in": user_ids}}, projection={f"stats.{language}.rating": 1}, timeout=self._t
        ))
        return {
            doc["_id"]: from_record(((doc.get("stats") or {}).get(language) or {}).get("rating") or {})
            for doc in found
        }

    async def _credit_pending(self, document: Mapping[str, Any]) -> None:
        if "pending" not in document:
            return  # every player was credited (the list is removed once done)
        record_id = document["_id"]
        result = docs.match_result(document)
        entries = {p["id"]: p for p in document.get("players") or ()}
        matches = self._collection(MATCHES)
        for user_id in list(document.get("pending") or ()):
            entry = entries.get(user_id)
            if entry is not None:
                await self._credit(user_id, record_id, result, entry)
            await self._mongo.call(matches.update_one({"_id": record_id}, {"$pull": {"pending": user_id}}, timeout=self._t))
        # Done: drop the (sparse-indexed) list, so only interrupted matches are found by it.
        await self._mongo.call(matches.update_one({"_id": record_id, "pending": {"$size": 0}},
                                      {"$unset": {"pending": ""}}, timeout=self._t))

    async def _credit(self, user_id: str, record_id: str, result: MatchResult, entry: Mapping[str, Any]) -> None:
        language = result.language
        xp, won = int(entry.get("xp", 0)), 1 if entry.get("won") else 0
        stats = f"stats.{language}"
        credited = await self._mongo.call(self._collection(USERS).find_one_and_update(
            {"_id": user_id, "credited": {"$ne": record_id}},
            {
                "$inc": {"total_xp": xp, "games_played": 1, "wins": won, f"{stats}.games": 1,
                         f"{stats}.wins": won, f"{stats}.xp": xp},
                "$max": {f"{stats}.best_streak": int(entry.get("best_streak", 0))},
                "$push": {"credited": {"$each": [record_id], "$slice": -docs.APPLIED_KEPT}},
                "$set": {"updated_at": docs.to_date(self._clock.now())},
            },
            projection={"total_xp": 1}, return_document=ReturnDocument.AFTER, timeout=self._t,
        ))
        if credited is not None:
            await self._level_up(user_id, int(credited.get("total_xp", 0)))
        elif not await self._exists(user_id):
            return  # an unknown or deleted account: nothing to credit, no progress to keep
        # Credited now or by an attempt that was cut off before the rest: the rating and the
        # progress have guards of their own, so this is safe either way.
        if "rating_after" in entry:
            ended = docs.to_date(result.ended_at)
            await self._mongo.call(self._collection(USERS).update_one(
                {"_id": user_id, f"{stats}.rated_until": {"$not": {"$gte": ended}}},
                {"$set": {f"{stats}.rating": entry["rating_after"], f"{stats}.rated_until": ended}},
                timeout=self._t,
            ))
        await self._practised(user_id, record_id, result)

    async def _practised(self, user_id: str, record_id: str, result: MatchResult) -> None:
        outcomes = match_stats.word_outcomes(result, user_id)
        if not outcomes:
            return
        increments: dict[str, int] = {}
        labels: dict[str, Any] = {"updated_at": docs.to_date(self._clock.now())}
        latest: dict[str, Any] = {}
        for outcome in outcomes:
            path = f"words.{docs.word_key(outcome.word)}"
            increments[f"{path}.seen"] = 1
            increments[f"{path}.solved"] = 1 if outcome.solved else 0
            labels[f"{path}.word"] = outcome.word
            labels[f"{path}.english"] = outcome.english
            latest[f"{path}.last_seen"] = docs.to_date(result.ended_at)
        try:
            await self._mongo.call(self._collection(PROGRESS).update_one(
                {"_id": docs.progress_id(user_id, result.language), "matches": {"$ne": record_id}},
                {"$inc": increments, "$set": labels, "$max": latest,
                 "$setOnInsert": {"user": user_id, "language": result.language},
                 "$push": {"matches": {"$each": [record_id], "$slice": -docs.APPLIED_KEPT}}},
                upsert=True, timeout=self._t,
            ))
        except OperationFailure as e:
            # The guard did not match because the document exists and already has this match;
            # the upsert then tried to insert a second document with the same _id.
            if not is_duplicate_key(e):
                raise

    async def finish_interrupted(self) -> None:
        """Credit the players of matches whose recording was cut off (a crash, an outage)."""
        found = await self._mongo.call(self._collection(MATCHES).find(
            {"pending": {"$exists": True}}, limit=INTERRUPTED_BATCH, timeout=self._t
        ))
        for document in found:
            if document.get("pending"):
                # Cut off by a crash or an outage, or being credited right now by another call:
                # the guards make finishing it here safe in every case.
                self.log.info("crediting the players still pending for match {match}", match=document["_id"])
            await self._credit_pending(document)

    # -- queries ---------------------------------------------------------------------------
    async def history(self, user_id: str, limit: int) -> list[MatchResult]:
        if limit <= 0:
            return []
        found = await self._mongo.call(self._collection(MATCHES).find(
            {"players.id": user_id}, projection={"pending": 0},
            sort=qf.sort(qf.DESCENDING("ended_at") + qf.DESCENDING("_id")), limit=limit, timeout=self._t,
        ))
        return [docs.match_result(doc) for doc in found]

    async def top_by_xp(self, limit: int) -> list[UserRecord]:
        if limit <= 0:
            return []
        found = await self._mongo.call(self._collection(USERS).find(
            {"total_xp": {"$gt": 0}}, projection=docs.USER_PROJECTION,
            sort=qf.sort(qf.DESCENDING("total_xp") + qf.ASCENDING("_id")), limit=limit, timeout=self._t,
        ))
        return [docs.user_record(doc) for doc in found]

    async def progress(self, user_id: str, language: str) -> list[WordProgress]:
        doc = await self._mongo.call(self._collection(PROGRESS).find_one(
            {"_id": docs.progress_id(user_id, language)}, projection={"matches": 0}, timeout=self._t
        ))
        return docs.word_progress(doc)

    # -- progression -----------------------------------------------------------------------
    async def progression(self, user_id: str) -> ProgressionRecord | None:
        doc = await self._mongo.call(self._collection(USERS).find_one(
            {"_id": user_id}, projection={"progression": 1, "progression_version": 1}, timeout=self._t
        ))
        if doc is None:
            return None
        return progression_record(doc.get("progression"), doc.get("progression_version"))

    async def save_progression(self, user_id: str, record: ProgressionRecord, bonus_xp: int) -> bool:
        expected = record.version - 1
        # A never-saved progression has no version field: "not above 0" matches it.
        version: Any = expected if expected > 0 else {"$not": {"$gt": 0}}
        saved = await self._mongo.call(self._collection(USERS).find_one_and_update(
            {"_id": user_id, "progression_version": version},
            {"$set": {"progression": progression_document(record), "progression_version": record.version,
                      "updated_at": docs.to_date(self._clock.now())},
             "$inc": {"total_xp": bonus_xp}},
            projection={"total_xp": 1}, return_document=ReturnDocument.AFTER, timeout=self._t,
        ))
        if saved is None:
            return False
        await self._level_up(user_id, int(saved.get("total_xp", 0)))
        return True
