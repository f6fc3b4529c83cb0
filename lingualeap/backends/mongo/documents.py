"""How users, matches and progress look in MongoDB, and back (pure: no I/O).

``users``:    ``{_id, name, name_key, email, email_key, password_hash, created_at, updated_at,
              total_xp, level, games_played, wins, token_version, grants: [..],
              stats: {LANG: {games, wins, xp, best_streak, rating: {rating, deviation,
              volatility}, rated_until}}, credited: [..]}``
``matches``:  ``{_id: record id, room, language, instance, started_at, ended_at,
              players: [{id, username, guest, score, xp, won, best_streak, rating_before,
              rating_after}],
              rounds: [{number, english, word, winner: index into players | null, started_at,
              ended_at}], pending: [user ids still to credit] (removed once done)}``
``progress``: ``{_id: "USER/LANG", user, language, updated_at,
              words: {KEY: {word, english, seen, solved, last_seen}}, matches: [..]}``

Times are BSON dates (milliseconds, UTC). ``credited`` (on a user) and ``matches`` (on
progress) hold the last record ids applied to that document: the guards that make crediting
idempotent. A rating is replaced, not added to, so its guard is ``rated_until`` (the end of the
match that set it): a match only rates if it ended later, which also keeps a result delivered
late from the outbox from overwriting a newer rating.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from lingualeap.domain.rating import Rating, from_record, to_record
from lingualeap.domain.results import MatchResult, PlayerResult
from lingualeap.domain.room import RoundRecord
from lingualeap.domain.scoring import level_for_xp
from lingualeap.ports import LanguageStats, UserRecord, WordProgress

Document = dict[str, Any]

#: How many recent record ids a user or progress document remembers as already applied. A
#: replay older than that many newer matches of the same player is not expected (the outbox
#: and failovers replay within minutes); the match's own ``pending`` list guards it anyway.
APPLIED_KEPT = 200


def to_date(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


def from_date(value: Any) -> float:
    if isinstance(value, datetime):
        # txmongo hands dates back naive (in UTC) unless told otherwise.
        aware = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        return aware.timestamp()
    return float(value or 0.0)


def name_key(name: str) -> str:
    return name.casefold()


def email_key(email: str) -> str:
    return email.lower()


def word_key(word: str) -> str:
    """A word as a field name: no '.' (a path separator) and no leading '$' (an operator)."""
    return word.replace("%", "%25").replace(".", "%2E").replace("$", "%24")


# -- users ----------------------------------------------------------------------------------
def user_document(user: UserRecord) -> Document:
    return {
        "_id": user.id,
        "name": user.name,
        "name_key": name_key(user.name),
        "email": user.email,
        "email_key": email_key(user.email),
        "password_hash": user.password_hash,
        "created_at": to_date(user.created_at),
        "updated_at": to_date(user.updated_at),
        "total_xp": user.total_xp,
        "level": level_for_xp(user.total_xp),
        "games_played": user.games_played,
        "wins": user.wins,
        "token_version": user.token_version,
        "grants": list(user.grants),
        "stats": {
            s.language: {"games": s.games, "wins": s.wins, "xp": s.xp, "best_streak": s.best_streak,
                         "rating": to_record(s.rating)}
            for s in user.stats
        },
        "credited": [],
    }


def user_changes(changes: Mapping[str, Any]) -> Document:
    """``$set`` for an update of UserRecord fields (keeping the derived keys in step)."""
    update = dict(changes)
    if "name" in changes:
        update["name_key"] = name_key(changes["name"])
    if "email" in changes:
        update["email_key"] = email_key(changes["email"])
    if "total_xp" in changes:
        update["level"] = level_for_xp(changes["total_xp"])
    return update


def user_record(doc: Mapping[str, Any]) -> UserRecord:
    stats = doc.get("stats") or {}
    return UserRecord(
        id=doc["_id"],
        name=doc["name"],
        email=doc["email"],
        password_hash=doc["password_hash"],
        created_at=from_date(doc.get("created_at")),
        updated_at=from_date(doc.get("updated_at")),
        total_xp=int(doc.get("total_xp", 0)),
        games_played=int(doc.get("games_played", 0)),
        wins=int(doc.get("wins", 0)),
        token_version=int(doc.get("token_version", 0)),
        grants=tuple(doc.get("grants") or ()),
        stats=tuple(
            LanguageStats(
                language=language,
                games=int(s.get("games", 0)),
                wins=int(s.get("wins", 0)),
                xp=int(s.get("xp", 0)),
                rating=from_record(s.get("rating") or {}),
                best_streak=int(s.get("best_streak", 0)),
            )
            for language, s in sorted(stats.items())
        ),
    )


#: Fields a user read never needs (the idempotency guard grows to APPLIED_KEPT ids).
USER_PROJECTION = {"credited": 0}


# -- matches --------------------------------------------------------------------------------
def match_document(
    result: MatchResult,
    instance: str,
    ratings_before: Mapping[str, Rating],
    ratings_after: Mapping[str, Rating],
    streaks: Mapping[str, int],
) -> Document:
    index = {p.id: i for i, p in enumerate(result.players)}
    return {
        "_id": result.record_id,
        "room": result.match_id,
        "language": result.language,
        "instance": instance,
        "started_at": to_date(result.started_at),
        "ended_at": to_date(result.ended_at),
        "players": [_player_entry(p, ratings_before, ratings_after, streaks) for p in result.players],
        # Round winners point into ``players``, so anonymising a player there covers the rounds.
        # A winner who left before the end is not in the standings: kept as null, id dropped.
        "rounds": [
            {"number": r.number, "english": r.english, "word": r.answer,
             "winner": index.get(r.winner) if r.winner is not None else None,
             "started_at": to_date(r.started_at), "ended_at": to_date(r.ended_at)}
            for r in result.rounds
        ],
        "pending": [p.id for p in result.players if not p.guest],
    }


def _player_entry(
    player: PlayerResult,
    before: Mapping[str, Rating],
    after: Mapping[str, Rating],
    streaks: Mapping[str, int],
) -> Document:
    entry: Document = {"id": player.id, "username": player.username, "guest": player.guest,
                       "score": player.score, "xp": player.xp, "won": player.won}
    if not player.guest:
        entry["best_streak"] = streaks.get(player.id, 0)
        if player.id in after:
            entry["rating_before"] = to_record(before.get(player.id, Rating()))
            entry["rating_after"] = to_record(after[player.id])
    return entry


def match_result(doc: Mapping[str, Any]) -> MatchResult:
    players: Sequence[Mapping[str, Any]] = doc.get("players") or ()
    ids = [p["id"] for p in players]

    def winner(slot: Any) -> str | None:
        return ids[slot] if isinstance(slot, int) and 0 <= slot < len(ids) else None

    return MatchResult(
        match_id=doc["room"],
        language=doc["language"],
        started_at=from_date(doc.get("started_at")),
        ended_at=from_date(doc.get("ended_at")),
        players=tuple(
            PlayerResult(id=p["id"], username=p["username"], guest=bool(p.get("guest")),
                         score=int(p.get("score", 0)), xp=int(p.get("xp", 0)), won=bool(p.get("won")))
            for p in players
        ),
        rounds=tuple(
            RoundRecord(number=int(r["number"]), english=r["english"], answer=r["word"],
                        winner=winner(r.get("winner")), started_at=from_date(r.get("started_at")),
                        ended_at=from_date(r.get("ended_at")))
            for r in doc.get("rounds") or ()
        ),
    )


# -- progress -------------------------------------------------------------------------------
def progress_id(user_id: str, language: str) -> str:
    return f"{user_id}/{language}"


def word_progress(doc: Mapping[str, Any] | None) -> list[WordProgress]:
    if not doc:
        return []
    return [
        WordProgress(word=w["word"], english=w.get("english", ""), seen=int(w.get("seen", 0)),
                     solved=int(w.get("solved", 0)), last_seen=from_date(w.get("last_seen")))
        for w in (doc.get("words") or {}).values()
    ]
