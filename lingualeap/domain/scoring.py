"""Points and XP: the original game's scoring, plus the match-end XP it never had."""

from __future__ import annotations

import math

#: Seconds over which the exact-guess speed bonus shrinks to nothing (from the original rules).
SPEED_BONUS_WINDOW = 30.0
EXACT_BASE_POINTS = 100
SPEED_BONUS_PER_SECOND = 10
POINTS_PER_REVEALED_LETTER = 10
WRONG_GUESS_PENALTY = 20
WINNER_XP_BONUS = 20


def exact_points(seconds_into_round: float) -> int:
    bonus = math.floor((SPEED_BONUS_WINDOW - max(0.0, seconds_into_round)) * SPEED_BONUS_PER_SECOND)
    return EXACT_BASE_POINTS + max(0, bonus)


def partial_points(newly_revealed: int) -> int:
    return POINTS_PER_REVEALED_LETTER * newly_revealed


def apply_penalty(score: int) -> tuple[int, int]:
    """The score after a wrong guess and the change actually applied (scores never go below 0)."""
    new_score = max(0, score - WRONG_GUESS_PENALTY)
    return new_score, new_score - score


def match_xp(score: int, won: bool) -> int:
    """XP a player earns from a finished match: a tenth of the score, plus a bonus for the winner."""
    return max(0, score) // 10 + (WINNER_XP_BONUS if won else 0)


def level_for_xp(total_xp: int) -> int:
    """Levels on a square-root curve: level n needs 50·n·(n−1) XP (0, 100, 300, 600, ...)."""
    if total_xp <= 0:
        return 1
    # Solve 50·n·(n−1) <= xp for the largest integer n.
    n = int((1 + math.sqrt(1 + total_xp / 12.5)) / 2)
    while 50 * (n + 1) * n <= total_xp:
        n += 1
    while n > 1 and 50 * n * (n - 1) > total_xp:
        n -= 1
    return n


def xp_for_level(level: int) -> int:
    return 50 * level * (level - 1)
