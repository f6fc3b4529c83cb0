"""What a finished match adds to each registered player's record (pure: no I/O, no clock).

Every player store credits a match with these functions, so memory and MongoDB agree on the
numbers: a rating per language, the best run of solved rounds, per-word practice counts, and
what is left of a deleted player in the matches they played.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lingualeap.domain.model import BOT_ID_PREFIX
from lingualeap.domain.rating import Rating, rate_match
from lingualeap.domain.records import replace
from lingualeap.domain.results import MatchResult


@dataclass(frozen=True, slots=True)
class WordOutcome:
    """One round as a player lived it: the word shown, and whether they solved it."""

    word: str
    english: str
    solved: bool


def new_ratings(result: MatchResult, ratings: Mapping[str, Rating]) -> dict[str, Rating]:
    """Ratings of the match's registered players after it (Glicko-2, see ``domain/rating.py``).

    Guests take part as newcomers, so beating one counts, but their ratings are not kept.
    A practice match against a server bot is not rated at all.
    ``ratings`` holds the registered players' current ratings (missing: newcomer).
    """
    if len(result.players) < 2 or any(is_bot(p.id) for p in result.players):
        return {}
    rated = rate_match(
        {p.id: ratings[p.id] for p in result.players if not p.guest and p.id in ratings},
        [(p.id, float(p.score)) for p in result.players],
    )
    return {p.id: rated[p.id] for p in result.players if not p.guest}


def is_bot(player_id: str) -> bool:
    return player_id.startswith(BOT_ID_PREFIX)


def best_streak(result: MatchResult, player_id: str) -> int:
    """The longest run of consecutive rounds this player solved in the match."""
    best = run = 0
    for record in sorted(result.rounds, key=lambda r: r.number):
        run = run + 1 if record.winner == player_id else 0
        best = max(best, run)
    return best


def word_outcomes(result: MatchResult, player_id: str) -> list[WordOutcome]:
    """Every word of the match, as seen by a player who took part, and whether they solved it.

    A word drawn twice in one match (word banks draw distinct pairs, so only in theory) counts
    once, solved if any of its rounds was.
    """
    outcomes: dict[str, WordOutcome] = {}
    for record in result.rounds:
        solved = record.winner == player_id
        previous = outcomes.get(record.answer)
        outcomes[record.answer] = WordOutcome(
            record.answer, record.english, solved or (previous is not None and previous.solved)
        )
    return list(outcomes.values())


#: What a deleted account's entry in a stored match becomes.
ANONYMOUS_ID = "deleted"
ANONYMOUS_NAME = "Deleted player"


def anonymised(result: MatchResult, user_id: str) -> MatchResult:
    """The match with one player's identity removed; scores and rounds stay (the others' history)."""
    if all(p.id != user_id for p in result.players):
        return result
    return replace(
        result,
        players=tuple(
            replace(p, id=ANONYMOUS_ID, username=ANONYMOUS_NAME) if p.id == user_id else p
            for p in result.players
        ),
        rounds=tuple(replace(r, winner=ANONYMOUS_ID) if r.winner == user_id else r for r in result.rounds),
    )
