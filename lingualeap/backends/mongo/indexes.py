"""The indexes LinguaLeap's queries need, created (if missing) when MongoDB is first reached.

``createIndexes`` does nothing for an index that already exists with the same options, so every
instance can run this at every start.
"""

from __future__ import annotations

from typing import Any

from twisted.logger import Logger

from lingualeap.backends.mongo.calls import call

USERS = "users"
MATCHES = "matches"
PROGRESS = "progress"

INDEXES: dict[str, list[dict[str, Any]]] = {
    USERS: [
        # Names are unique case-insensitively: ``name_key`` is the casefolded name.
        {"name": "name_key_unique", "key": {"name_key": 1}, "unique": True},
        # E-mail addresses are unique case-insensitively: ``email_key`` is the lowercased address.
        {"name": "email_key_unique", "key": {"email_key": 1}, "unique": True},
        # The global leaderboard (and its rebuild): most XP first, ties by id.
        {"name": "total_xp_desc", "key": {"total_xp": -1, "_id": 1}},
    ],
    MATCHES: [
        # A player's history, newest first.
        {"name": "player_history", "key": {"players.id": 1, "ended_at": -1}},
        # Matches whose crediting was interrupted (finished when MongoDB is reached again).
        {"name": "pending_credits", "key": {"pending": 1}, "sparse": True},
    ],
    PROGRESS: [
        # Looking up (and deleting) a user's progress, one document per language.
        {"name": "user_language", "key": {"user": 1, "language": 1}, "unique": True},
    ],
}

log = Logger()


async def ensure_indexes(db: Any, timeout: float) -> None:
    for collection, indexes in INDEXES.items():
        await call(db.command("createIndexes", collection, indexes=indexes, timeout=timeout))
    log.info("MongoDB indexes are in place ({collections})", collections=", ".join(INDEXES))
