"""How a practice bot plays a round (pure): whether it solves the word and when.

A bot plays at the level of the player it practises with: at the player's rating it solves
about as many rounds as an evenly matched opponent would, and answers sooner the stronger the
player is. Randomness comes in as two rolls in [0, 1) so the caller owns the generator (tests
seed it) and this stays a function::

    skill  = clamp((rating - 1000) / 1000, 0.05, 0.95)      # 1500 -> 0.5
    solves = roll_solve < 0.25 + 0.6 · skill                 # 1500 -> 55 % of rounds
    delay  = round_seconds · (0.9 - 0.6 · skill) · (0.5 + roll_delay)   # capped at 95 %
"""

from __future__ import annotations


def skill(rating: float) -> float:
    return min(0.95, max(0.05, (rating - 1000.0) / 1000.0))


def answer_delay(rating: float, round_seconds: float, roll_solve: float, roll_delay: float) -> float | None:
    """Seconds after the round starts at which the bot gives the right answer, or ``None`` if
    it does not solve this round."""
    level = skill(rating)
    if roll_solve >= 0.25 + 0.6 * level:
        return None
    delay = round_seconds * (0.9 - 0.6 * level) * (0.5 + roll_delay)
    return min(delay, 0.95 * round_seconds)
