"""Streak bonuses, daily streaks and achievements after real matches (memory, fake clock)."""

from __future__ import annotations

import pytest_twisted
from support.harness import FakeConnection, Harness

from lingualeap.domain.commands import FindMatch, MakeGuess
from lingualeap.domain.model import Player
from lingualeap.domain.progression import DAILY_STREAK_XP, ROUND_STREAK_XP
from lingualeap.services.progression import mastered_words
from lingualeap.ports import WordProgress


async def register(h: Harness, name: str) -> Player:
    session = await h.server.accounts.register(name, f"{name.lower()}@example.com", "password123")
    return Player(session.user.id, session.user.name)


async def play(h: Harness, winner: Player, loser: Player, rounds: int) -> tuple[str, FakeConnection, FakeConnection]:
    """A match in which ``winner`` solves every round at once."""
    cw, cl = h.connect(winner), h.connect(loser)
    await h.server.play.handle(winner, FindMatch("french"))
    await h.server.play.handle(loser, FindMatch("french"))
    room_id = cw.last("matchFound")["roomId"]
    h.advance(2)
    for number in range(rounds):
        state = h.server.game.room(room_id)
        assert state is not None and state.current_word is not None
        await h.server.play.handle(winner, MakeGuess(room_id, state.current_word.answer))
        if number < rounds - 1:
            h.advance(2)
    await h.settle()
    return room_id, cw, cl


@pytest_twisted.ensureDeferred
async def test_bonuses_achievements_once_and_the_profile() -> None:
    h = Harness(rounds=3, bot_after=0)
    ana, ben = await register(h, "Ana"), await register(h, "Ben")
    room_id, ca, cb = await play(h, ana, ben, rounds=3)
    base = ca.last("matchEnded")["standings"][0]["xp"]
    user = await h.server.players.user_by_id(ana.id)
    assert user is not None
    # A run of three solved rounds earns 5; the first match of the day earns the daily bonus.
    assert user.total_xp == base + ROUND_STREAK_XP + DAILY_STREAK_XP
    assert ca.last("xpAwarded") == {"matchId": h.server.players.matches[room_id].record_id, "roomId": room_id,
                                    "xp": base, "roundStreakBonus": ROUND_STREAK_XP,
                                    "dailyStreakBonus": DAILY_STREAK_XP, "bonus": ROUND_STREAK_XP + DAILY_STREAK_XP}
    assert [e["id"] for e in ca.named("achievement")] == ["first_match", "first_win"]
    assert [e["id"] for e in cb.named("achievement")] == ["first_match"]
    assert ca.last("achievement")["title"] == "First win"
    # A replayed result changes nothing and announces nothing again.
    await h.server.results.match_finished(h.server.players.matches[room_id])
    assert (await h.server.players.user_by_id(ana.id)).total_xp == user.total_xp  # type: ignore[union-attr]
    assert len(ca.named("achievement")) == 2 and len(ca.named("xpAwarded")) == 1
    shown = await h.server.accounts.profile(user)
    assert shown["dailyStreak"] == {"current": 1, "best": 1}
    earned = {a["id"]: a["earnedAt"] for a in shown["achievements"]}
    assert earned["first_win"] is not None and earned["wins_10"] is None
    assert shown["levelProgress"]["level"] == shown["level"] and shown["levelProgress"]["size"] > 0
    french = shown["languages"]["french"]
    assert french["ratingEstimate"] > 1500 and french["ratingDeviation"] < 350


@pytest_twisted.ensureDeferred
async def test_the_daily_bonus_comes_once_a_day_and_grows_with_the_streak() -> None:
    # After one match their ratings are far apart: a wide window lets them meet again at once.
    h = Harness(rounds=1, bot_after=0, match_window=1000, match_window_max=1000)
    ana, ben = await register(h, "Ana"), await register(h, "Ben")
    totals = []
    for _ in range(2):  # two matches on the first day
        await play(h, ana, ben, rounds=1)
        totals.append((await h.server.players.user_by_id(ben.id)).total_xp)  # type: ignore[union-attr]
    assert totals == [DAILY_STREAK_XP, DAILY_STREAK_XP]  # Ben scores nothing: only the bonus
    h.time.advance(86_400)
    await play(h, ana, ben, rounds=1)
    assert (await h.server.players.user_by_id(ben.id)).total_xp == 3 * DAILY_STREAK_XP  # type: ignore[union-attr]
    progression = await h.server.players.progression(ben.id)
    assert progression is not None and progression.progress.daily.current == 2


def test_mastered_words_need_a_net_run_of_three_solves() -> None:
    words = [WordProgress("a", "a", 3, 3, 0.0), WordProgress("b", "b", 5, 3, 0.0), WordProgress("c", "c", 2, 2, 0.0),
             WordProgress("d", "d", 5, 4, 0.0)]
    assert mastered_words(words) == 2  # a (3 - 0) and d (4 - 1)
