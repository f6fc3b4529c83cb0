"""Progress that outlives a match: XP, levels, daily streaks and achievements.

XP per match (:func:`match_xp`) keeps the original formula and adds two streak bonuses:

- ``score // 10``, plus 20 for the winner: unchanged from :func:`scoring.match_xp`, so a
  match without streaks is worth exactly what it was before;
- a *round streak* bonus: 5 XP for every round beyond the second in the player's best run of
  consecutive solved rounds (a run of 3 earns 5, a perfect 10-round match 40);
- a *daily streak* bonus on the first match of each UTC day: 10 XP per day of the streak,
  at most 70 (a week). Later matches that day earn none, so it cannot be farmed.

Levels keep the curve of :func:`scoring.level_for_xp` (level n needs 50·n·(n−1) XP): the
numbers players already have stay valid.

Achievements are data (:data:`ACHIEVEMENTS`): an id, words for people, and a rule, a small pure
predicate over the player's progress *after* the match and the match itself. :func:`award`
applies a match and returns the achievements it newly earned, each at most once per player.
Crediting a match twice is the store's concern (it records each match once).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lingualeap.domain import scoring
from lingualeap.domain.events import Event, to_millis
from lingualeap.domain.records import replace
from lingualeap.domain.results import MatchResult

ROUND_STREAK_FREE = 2
ROUND_STREAK_XP = 5
DAILY_STREAK_XP = 10
DAILY_STREAK_CAP_DAYS = 7


@dataclass(frozen=True, slots=True)
class MatchOutcome:
    """A finished match as one player lived it: what XP and achievement rules look at."""

    match_id: str
    language: str
    ended_at: float
    score: int
    won: bool
    players: int
    rounds: int
    rounds_solved: int
    best_round_streak: int


def outcome_of(result: MatchResult, player_id: str) -> MatchOutcome:
    """The outcome of ``result`` for one of its players (``KeyError`` for anyone else)."""
    me = next((p for p in result.players if p.id == player_id), None)
    if me is None:
        raise KeyError(player_id)
    best = run = solved = 0
    for record in sorted(result.rounds, key=lambda r: r.number):
        mine = record.winner == player_id
        solved += mine
        run = run + 1 if mine else 0
        best = max(best, run)
    return MatchOutcome(
        match_id=result.record_id,
        language=result.language,
        ended_at=result.ended_at,
        score=me.score,
        won=me.won,
        players=len(result.players),
        rounds=len(result.rounds),
        rounds_solved=solved,
        best_round_streak=best,
    )


@dataclass(frozen=True, slots=True)
class DailyStreak:
    """Consecutive UTC days with at least one match: the current run, the best, the last day."""

    current: int = 0
    best: int = 0
    last_day: dt.date | None = None


def utc_day(at: float) -> dt.date:
    """The UTC calendar day of an epoch time (floor division: no rounding across midnight)."""
    return dt.date(1970, 1, 1) + dt.timedelta(days=int(at // 86_400))


def played_on(streak: DailyStreak, day: dt.date) -> DailyStreak:
    """The streak after a match on ``day``: unchanged the same day, one longer the next day,
    back to 1 after a missed day. A day before the last one (a late, replayed result) changes
    nothing."""
    if streak.last_day is not None and day <= streak.last_day:
        return streak
    if streak.last_day is not None and day == streak.last_day + dt.timedelta(days=1):
        current = streak.current + 1
    else:
        current = 1
    return DailyStreak(current=current, best=max(streak.best, current), last_day=day)


def streak_alive(streak: DailyStreak, today: dt.date) -> int:
    """The streak to show on ``today``: it survives until a whole day passes without a match."""
    if streak.last_day is None or (today - streak.last_day).days > 1:
        return 0
    return streak.current


@dataclass(frozen=True, slots=True)
class Earned:
    achievement_id: str
    at: float


@dataclass(frozen=True, slots=True)
class PlayerProgress:
    """A player's progress snapshot, as stored and as achievement rules see it.

    ``words_mastered`` comes from the adaptive-word records (:mod:`adaptive_words`); the caller
    refreshes it before :func:`award` (or passes it in).
    """

    xp: int = 0
    matches: int = 0
    wins: int = 0
    best_round_streak: int = 0
    daily: DailyStreak = DailyStreak()
    words_mastered: int = 0
    earned: tuple[Earned, ...] = ()

    @property
    def level(self) -> int:
        return level_for_xp(self.xp)

    def has(self, achievement_id: str) -> bool:
        return any(e.achievement_id == achievement_id for e in self.earned)


@dataclass(frozen=True, slots=True)
class XpAward:
    """The XP one match earns, itemised (clients show the breakdown)."""

    base: int
    win_bonus: int
    round_streak_bonus: int
    daily_streak_bonus: int

    @property
    def total(self) -> int:
        return self.base + self.win_bonus + self.round_streak_bonus + self.daily_streak_bonus


def level_for_xp(xp: int) -> int:
    """Unchanged curve: level n from 50·n·(n−1) XP (see :mod:`scoring`)."""
    return scoring.level_for_xp(xp)


@dataclass(frozen=True, slots=True)
class LevelProgress:
    level: int
    into_level: int
    level_size: int


def level_progress(xp: int) -> LevelProgress:
    """Where ``xp`` sits in its level: XP past the level's start, and the level's width."""
    level = level_for_xp(xp)
    start = scoring.xp_for_level(level)
    return LevelProgress(level, max(0, xp) - start, scoring.xp_for_level(level + 1) - start)


def match_xp(progress: PlayerProgress, outcome: MatchOutcome) -> XpAward:
    """The XP ``outcome`` earns a player whose progress before it was ``progress``."""
    first_today = progress.daily.last_day is None or utc_day(outcome.ended_at) > progress.daily.last_day
    streak_days = played_on(progress.daily, utc_day(outcome.ended_at)).current if first_today else 0
    return XpAward(
        base=max(0, outcome.score) // 10,
        win_bonus=scoring.WINNER_XP_BONUS if outcome.won else 0,
        round_streak_bonus=ROUND_STREAK_XP * max(0, outcome.best_round_streak - ROUND_STREAK_FREE),
        daily_streak_bonus=DAILY_STREAK_XP * min(streak_days, DAILY_STREAK_CAP_DAYS),
    )


Rule = Callable[[PlayerProgress, MatchOutcome], bool]


@dataclass(frozen=True, slots=True)
class Achievement:
    """An achievement: stable ``id`` (stored, sent), words for people, and its rule."""

    id: str
    title: str
    description: str
    rule: Rule


#: Every achievement there is. Append freely; never reuse or rename an id.
ACHIEVEMENTS: tuple[Achievement, ...] = (
    Achievement("first_match", "First steps", "Finish your first match.", lambda p, m: p.matches >= 1),
    Achievement("first_win", "First win", "Win a match.", lambda p, m: m.won),
    Achievement("wins_10", "Contender", "Win 10 matches.", lambda p, m: p.wins >= 10),
    Achievement("wins_100", "Champion", "Win 100 matches.", lambda p, m: p.wins >= 100),
    Achievement(
        "round_streak_5", "On a roll", "Solve 5 rounds in a row in one match.",
        lambda p, m: m.best_round_streak >= 5,
    ),
    Achievement(
        "round_streak_10", "Unstoppable", "Solve 10 rounds in a row in one match.",
        lambda p, m: m.best_round_streak >= 10,
    ),
    Achievement(
        "full_house", "Top of the table", "Win a match against three opponents.",
        lambda p, m: m.won and m.players >= 4,
    ),
    Achievement("daily_7", "Week of words", "Play on 7 days in a row.", lambda p, m: p.daily.current >= 7),
    Achievement("daily_30", "Habit formed", "Play on 30 days in a row.", lambda p, m: p.daily.current >= 30),
    Achievement("words_100", "Vocabulary", "Master 100 words.", lambda p, m: p.words_mastered >= 100),
    Achievement("words_1000", "Lexicon", "Master 1000 words.", lambda p, m: p.words_mastered >= 1000),
    Achievement("level_10", "Level 10", "Reach level 10.", lambda p, m: p.level >= 10),
)

ACHIEVEMENTS_BY_ID: dict[str, Achievement] = {a.id: a for a in ACHIEVEMENTS}


def apply_match(progress: PlayerProgress, outcome: MatchOutcome) -> PlayerProgress:
    """Progress after a match: XP, counters, streaks (no achievements)."""
    return replace(
        progress,
        xp=progress.xp + match_xp(progress, outcome).total,
        matches=progress.matches + 1,
        wins=progress.wins + (1 if outcome.won else 0),
        best_round_streak=max(progress.best_round_streak, outcome.best_round_streak),
        daily=played_on(progress.daily, utc_day(outcome.ended_at)),
    )


def award(
    progress: PlayerProgress,
    outcome: MatchOutcome,
    achievements: tuple[Achievement, ...] = ACHIEVEMENTS,
    *,
    words_mastered: int | None = None,
) -> tuple[PlayerProgress, tuple[Achievement, ...]]:
    """Apply a match; return the new progress and the achievements it earned for the first time
    (in declaration order). ``words_mastered``, if given, replaces the stored count first."""
    if words_mastered is not None:
        progress = replace(progress, words_mastered=words_mastered)
    after = apply_match(progress, outcome)
    new = tuple(a for a in achievements if not after.has(a.id) and a.rule(after, outcome))
    earned = after.earned + tuple(Earned(a.id, outcome.ended_at) for a in new)
    return replace(after, earned=earned), new


def achievement_event(player_id: str, achievement: Achievement, at: float) -> Event:
    """The ``achievement`` event announcing an achievement to the player who earned it."""
    return Event(
        "achievement",
        {"id": achievement.id, "title": achievement.title, "description": achievement.description,
         "earnedAt": to_millis(at)},
        to=(player_id,),
    )


def profile_achievements(progress: PlayerProgress) -> list[dict[str, Any]]:
    """Every declared achievement for the profile: earned ones with their time, others locked.
    Earned ids no longer declared are left out."""
    when = {e.achievement_id: e.at for e in progress.earned}
    return [
        {"id": a.id, "title": a.title, "description": a.description,
         "earnedAt": to_millis(when[a.id]) if a.id in when else None}
        for a in ACHIEVEMENTS
    ]


def to_record(progress: PlayerProgress) -> dict[str, Any]:
    """A JSON/BSON-friendly mapping of the snapshot for stores (the day as ``YYYY-MM-DD``)."""
    daily = progress.daily
    return {
        "xp": progress.xp,
        "matches": progress.matches,
        "wins": progress.wins,
        "bestRoundStreak": progress.best_round_streak,
        "daily": {
            "current": daily.current,
            "best": daily.best,
            "lastDay": daily.last_day.isoformat() if daily.last_day else None,
        },
        "wordsMastered": progress.words_mastered,
        "earned": [{"id": e.achievement_id, "at": e.at} for e in progress.earned],
    }


def from_record(record: dict[str, Any]) -> PlayerProgress:
    """The inverse of :func:`to_record`; missing fields take a new player's values."""
    daily = record.get("daily") or {}
    last_day = daily.get("lastDay")
    return PlayerProgress(
        xp=int(record.get("xp", 0)),
        matches=int(record.get("matches", 0)),
        wins=int(record.get("wins", 0)),
        best_round_streak=int(record.get("bestRoundStreak", 0)),
        daily=DailyStreak(
            current=int(daily.get("current", 0)),
            best=int(daily.get("best", 0)),
            last_day=dt.date.fromisoformat(last_day) if last_day else None,
        ),
        words_mastered=int(record.get("wordsMastered", 0)),
        earned=tuple(Earned(str(e["id"]), float(e["at"])) for e in record.get("earned", ())),
    )
