"""What a recorded match does to one player's per-language stats, for the stores that keep
them as whole records (memory, and the Redis hash of a Redis-only cluster).

MongoDB applies the same numbers field by field (``$inc``/``$max``/guarded ``$set``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from lingualeap.domain import progression
from lingualeap.domain import stats as match_stats
from lingualeap.domain.rating import Rating
from lingualeap.domain.results import MatchResult, PlayerResult
from lingualeap.ports import LanguageStats, ProgressionRecord


def stats_in(stats: tuple[LanguageStats, ...], language: str) -> LanguageStats:
    return next((s for s in stats if s.language == language), LanguageStats(language))


def registered_ratings(
    result: MatchResult, stats: Mapping[str, tuple[LanguageStats, ...]]
) -> dict[str, Rating]:
    """Current ratings in the match's language of its registered players with accounts
    (``stats``: the per-language stats of each player that has an account)."""
    return {
        p.id: stats_in(stats[p.id], result.language).rating
        for p in result.players if not p.guest and p.id in stats
    }


def credited_stats(
    stats: tuple[LanguageStats, ...], result: MatchResult, player: PlayerResult, rated: Mapping[str, Rating]
) -> tuple[LanguageStats, ...]:
    """A player's ``stats`` after the match: games, wins, XP, rating and best streak of its language."""
    before = stats_in(stats, result.language)
    language = replace(
        before,
        games=before.games + 1,
        wins=before.wins + (1 if player.won else 0),
        xp=before.xp + player.xp,
        rating=rated.get(player.id, before.rating),
        best_streak=max(before.best_streak, match_stats.best_streak(result, player.id)),
    )
    others = [s for s in stats if s.language != language.language]
    return tuple(sorted([*others, language], key=lambda s: s.language))


def progression_document(record: ProgressionRecord) -> dict[str, Any]:
    """A stored progression as plain JSON/BSON values (its version is kept beside it)."""
    return {"progress": progression.to_record(record.progress), "applied": list(record.applied)}


def progression_record(document: Mapping[str, Any] | None, version: object) -> ProgressionRecord:
    """The inverse of :func:`progression_document`; nothing stored: a new player's."""
    if not document:
        return ProgressionRecord(version=int(str(version or 0)))
    return ProgressionRecord(
        progress=progression.from_record(dict(document.get("progress") or {})),
        applied=tuple(str(a) for a in document.get("applied") or ()),
        version=int(str(version or 0)),
    )
