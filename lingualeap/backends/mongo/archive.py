"""Snapshots of finished leaderboard periods in MongoDB: one document per board, its id as ``_id``."""

from __future__ import annotations

from collections.abc import Sequence

from lingualeap.backends.mongo import documents as docs
from lingualeap.backends.mongo.connection import MongoService
from lingualeap.ports import RankedRow

ARCHIVE = "leaderboard_archive"


class MongoBoardArchive:
    def __init__(self, mongo: MongoService) -> None:
        self._mongo = mongo

    async def archived(self, board: str) -> bool:
        found = await self._mongo.call(self._mongo.db[ARCHIVE].find_one(
            {"_id": board}, projection={"_id": 1}, timeout=self._mongo.timeout
        ))
        return found is not None

    async def archive(self, board: str, rows: Sequence[RankedRow], at: float) -> None:
        language, period, key = (board.split(":", 2) + ["", ""])[:3]
        await self._mongo.call(self._mongo.db[ARCHIVE].replace_one(
            {"_id": board},
            {"_id": board, "language": language, "period": period, "key": key,
             "archived_at": docs.to_date(at),
             "rows": [{"rank": r.rank, "member": r.member, "name": r.label, "score": r.score} for r in rows]},
            upsert=True, timeout=self._mongo.timeout,
        ))
