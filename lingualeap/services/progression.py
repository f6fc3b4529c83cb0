"""Progress that outlives a match: bonus XP, daily streaks and achievements, after each result.

The player store credits a match's base XP (score and win) when it records it; this service then
applies ``domain/progression.py`` for each registered player: round-streak and daily-streak bonus
XP, the daily streak itself, and achievements, each awarded once and announced to the player
with an ``achievement`` event. Every save is a compare-and-set on the player's progression, and
the match's record id is remembered with it, so a replayed result (outbox, failover) and two
matches of one player finishing at once on different instances both come out right.
"""

from __future__ import annotations

from dataclasses import dataclass

from twisted.logger import Logger

from lingualeap.domain import progression as rules
from lingualeap.domain.events import Event
from lingualeap.domain.results import MatchResult
from lingualeap.domain.stats import is_bot
from lingualeap.ports import EventSink, PlayerStore, ProgressionRecord, WordProgress
from lingualeap.services.word_choice import learned

#: Record ids of recent matches kept with a player's progression (replays come soon after).
APPLIED_KEPT = 50
#: Saves tried when other matches of the same player keep changing the progression meanwhile.
SAVE_ATTEMPTS = 8


@dataclass(frozen=True, slots=True)
class Applied:
    """What one match added to one player's progression."""

    xp: rules.XpAward
    achievements: tuple[rules.Achievement, ...]

    @property
    def bonus_xp(self) -> int:
        """What the store had not credited with the match: the streak bonuses."""
        return self.xp.round_streak_bonus + self.xp.daily_streak_bonus


def mastered_words(words: list[WordProgress]) -> int:
    """Words a player has mastered, judged as word choice judges them (``services/word_choice.py``)."""
    return sum(1 for w in words if learned(w).mastered)


class ProgressionService:
    log = Logger()

    def __init__(self, players: PlayerStore, sink: EventSink) -> None:
        self._players = players
        self._sink = sink

    async def match_recorded(self, result: MatchResult) -> dict[str, int]:
        """Apply a stored match to its registered players; the bonus XP each got now (a replay
        gets nothing)."""
        bonuses: dict[str, int] = {}
        if any(is_bot(p.id) for p in result.players):
            return bonuses  # practice: base XP only, no streaks or achievements
        for player in result.players:
            if player.guest:
                continue
            applied = await self._apply(player.id, result)
            if applied is None:
                continue
            bonuses[player.id] = applied.bonus_xp
            self._sink.deliver([player.id], Event("xpAwarded", {
                "matchId": result.record_id, "roomId": result.match_id, "xp": player.xp,
                "roundStreakBonus": applied.xp.round_streak_bonus, "dailyStreakBonus": applied.xp.daily_streak_bonus,
                "bonus": applied.bonus_xp,
            }))
            for achievement in applied.achievements:
                self._sink.deliver([player.id], rules.achievement_event(player.id, achievement, result.ended_at))
        return bonuses

    async def _apply(self, user_id: str, result: MatchResult) -> Applied | None:
        outcome = rules.outcome_of(result, user_id)
        mastered = mastered_words(await self._players.progress(user_id, result.language))
        for _ in range(SAVE_ATTEMPTS):
            before = await self._players.progression(user_id)
            if before is None or result.record_id in before.applied:
                return None  # a deleted account, or a replay
            xp = rules.match_xp(before.progress, outcome)
            after, new = rules.award(
                before.progress, outcome, words_mastered=max(mastered, before.progress.words_mastered)
            )
            applied = Applied(xp, new)
            record = ProgressionRecord(after, (*before.applied, result.record_id)[-APPLIED_KEPT:], before.version + 1)
            if await self._players.save_progression(user_id, record, applied.bonus_xp):
                return applied
        self.log.warn("the progression of {user} kept changing; match {match} not applied",
                      user=user_id, match=result.record_id)
        return None
