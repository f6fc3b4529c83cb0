"""Progression: XP with streak bonuses, the level curve, daily streaks and achievements."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lingualeap.domain import progression as pg
from lingualeap.domain import scoring
from lingualeap.domain.progression import DailyStreak, MatchOutcome, PlayerProgress
from lingualeap.domain.results import MatchResult, PlayerResult
from lingualeap.domain.room import RoundRecord

DAY = 86_400.0
MONDAY = 1_736_121_600.0  # 2025-01-06T00:00:00Z


def outcome(
    at: float = MONDAY + 3600, score: int = 437, won: bool = False, streak: int = 0, players: int = 2,
    rounds: int = 10, solved: int | None = None, match_id: str = "m@1",
) -> MatchOutcome:
    return MatchOutcome(match_id, "french", at, score, won, players, rounds,
                        streak if solved is None else solved, streak)


# -- XP -------------------------------------------------------------------------------------------
def test_a_match_without_streaks_is_worth_what_it_always_was_except_the_daily_bonus() -> None:
    already_played_today = PlayerProgress(daily=DailyStreak(1, 1, dt.date(2025, 1, 6)))
    for won in (False, True):
        award = pg.match_xp(already_played_today, outcome(score=437, won=won, streak=2))
        assert award.total == scoring.match_xp(437, won)
        assert award.daily_streak_bonus == 0 and award.round_streak_bonus == 0


def test_round_streaks_earn_five_per_round_after_the_second() -> None:
    p = PlayerProgress(daily=DailyStreak(1, 1, dt.date(2025, 1, 6)))
    assert [pg.match_xp(p, outcome(streak=s)).round_streak_bonus for s in (0, 2, 3, 5, 10)] == [0, 0, 5, 15, 40]


def test_the_daily_bonus_is_paid_once_a_day_and_grows_for_a_week() -> None:
    p = PlayerProgress()
    bonuses = []
    for day in range(9):
        first = outcome(at=MONDAY + day * DAY + 600, match_id=f"a{day}")
        second = outcome(at=MONDAY + day * DAY + 900, match_id=f"b{day}")
        bonuses.append(pg.match_xp(p, first).daily_streak_bonus)
        p = pg.apply_match(p, first)
        assert pg.match_xp(p, second).daily_streak_bonus == 0
        p = pg.apply_match(p, second)
    assert bonuses == [10, 20, 30, 40, 50, 60, 70, 70, 70]
    assert p.matches == 18 and p.daily.current == 9


def test_levels_keep_the_original_curve() -> None:
    for xp in (0, 99, 100, 299, 300, 600, 1_000_000):
        assert pg.level_for_xp(xp) == scoring.level_for_xp(xp)
    assert pg.level_progress(350) == pg.LevelProgress(level=3, into_level=50, level_size=300)
    assert pg.level_progress(0) == pg.LevelProgress(level=1, into_level=0, level_size=100)


# -- daily streaks ---------------------------------------------------------------------------------
def test_daily_streaks_follow_utc_days() -> None:
    s = DailyStreak()
    s = pg.played_on(s, pg.utc_day(MONDAY - 0.001))  # Sunday 23:59:59.999
    s = pg.played_on(s, pg.utc_day(MONDAY))  # Monday 00:00:00: the next day
    assert (s.current, s.best, s.last_day) == (2, 2, dt.date(2025, 1, 6))
    assert pg.played_on(s, dt.date(2025, 1, 6)) == s  # same day: unchanged
    assert pg.played_on(s, dt.date(2025, 1, 5)) == s  # a late replay of an older day
    broken = pg.played_on(s, dt.date(2025, 1, 8))  # Tuesday skipped
    assert (broken.current, broken.best) == (1, 2)


def test_a_streak_shows_until_a_whole_day_is_missed() -> None:
    s = DailyStreak(4, 6, dt.date(2025, 1, 6))
    assert pg.streak_alive(s, dt.date(2025, 1, 6)) == 4
    assert pg.streak_alive(s, dt.date(2025, 1, 7)) == 4
    assert pg.streak_alive(s, dt.date(2025, 1, 8)) == 0
    assert pg.streak_alive(DailyStreak(), dt.date(2025, 1, 8)) == 0


# -- achievements -----------------------------------------------------------------------------------
def ids(achievements: tuple[pg.Achievement, ...]) -> list[str]:
    return [a.id for a in achievements]


def test_first_match_and_first_win_are_awarded_once() -> None:
    p, new = pg.award(PlayerProgress(), outcome(won=False))
    assert ids(new) == ["first_match"]
    p, new = pg.award(p, outcome(won=True, at=MONDAY + 7200))
    assert ids(new) == ["first_win"]
    p, new = pg.award(p, outcome(won=True, at=MONDAY + 7300))
    assert new == ()
    assert [e.achievement_id for e in p.earned] == ["first_match", "first_win"]
    assert p.earned[1].at == MONDAY + 7200


def test_a_ten_round_streak_earns_both_streak_achievements() -> None:
    p = PlayerProgress(matches=3, earned=(pg.Earned("first_match", 0),))
    _, new = pg.award(p, outcome(streak=10, won=True))
    assert ids(new) == ["first_win", "round_streak_5", "round_streak_10"]


def test_words_mastered_come_from_the_word_records() -> None:
    p = PlayerProgress(matches=1, earned=(pg.Earned("first_match", 0),))
    _, new = pg.award(p, outcome(), words_mastered=99)
    assert "words_100" not in ids(new)
    p2, new = pg.award(p, outcome(), words_mastered=100)
    assert "words_100" in ids(new) and p2.words_mastered == 100


def test_a_week_of_daily_play_and_a_four_player_win() -> None:
    p = PlayerProgress()
    earned: list[str] = []
    for day in range(7):
        p, new = pg.award(p, outcome(at=MONDAY + day * DAY, match_id=str(day)))
        earned += ids(new)
    assert "daily_7" in earned and earned.count("daily_7") == 1
    _, new = pg.award(p, outcome(at=MONDAY + 7 * DAY, won=True, players=4))
    assert {"first_win", "full_house"} <= set(ids(new))


def test_achievements_are_data_with_unique_ids_and_profiles_list_them_all() -> None:
    assert len({a.id for a in pg.ACHIEVEMENTS}) == len(pg.ACHIEVEMENTS)
    assert {"first_win", "round_streak_10", "words_100"} <= set(pg.ACHIEVEMENTS_BY_ID)
    p, _ = pg.award(PlayerProgress(), outcome(won=True))
    listed = pg.profile_achievements(p)
    assert [a["id"] for a in listed] == [a.id for a in pg.ACHIEVEMENTS]
    earned = {a["id"]: a["earnedAt"] for a in listed if a["earnedAt"] is not None}
    assert earned == {"first_match": int((MONDAY + 3600) * 1000), "first_win": int((MONDAY + 3600) * 1000)}


def test_the_achievement_event_goes_to_its_player_only() -> None:
    event = pg.achievement_event("u-ana", pg.ACHIEVEMENTS_BY_ID["first_win"], MONDAY)
    assert event.name == "achievement" and event.to == ("u-ana",)
    assert event.data == {"id": "first_win", "title": "First win", "description": "Win a match.",
                          "earnedAt": int(MONDAY * 1000)}


def test_outcomes_are_read_from_match_results() -> None:
    rounds = tuple(
        RoundRecord(i + 1, f"w{i}", f"m{i}", winner, 100.0 + i, 101.0 + i)
        for i, winner in enumerate(["ana", "ana", None, "ana", "ana", "ana", "ben"])
    )
    result = MatchResult("room", "french", 100.0, 200.0,
                         (PlayerResult("ana", "Ana", False, 900, 110, True),
                          PlayerResult("ben", "Ben", False, 120, 12, False)), rounds)
    ana = pg.outcome_of(result, "ana")
    assert (ana.score, ana.won, ana.rounds, ana.rounds_solved, ana.best_round_streak) == (900, True, 7, 5, 3)
    assert ana.match_id == result.record_id and ana.players == 2
    assert pg.outcome_of(result, "ben").best_round_streak == 1
    with pytest.raises(KeyError):
        pg.outcome_of(result, "cat")


def test_progress_records_round_trip() -> None:
    p, _ = pg.award(PlayerProgress(words_mastered=12), outcome(won=True, streak=4))
    assert pg.from_record(pg.to_record(p)) == p
    assert pg.from_record({}) == PlayerProgress()


outcomes = st.builds(
    outcome,
    at=st.floats(MONDAY, MONDAY + 40 * DAY),
    score=st.integers(0, 4000),
    won=st.booleans(),
    streak=st.integers(0, 10),
    players=st.integers(2, 4),
)


@given(st.lists(outcomes, max_size=30), st.integers(0, 2000))
def test_no_achievement_is_ever_awarded_twice_and_xp_only_grows(matches: list[MatchOutcome], mastered: int) -> None:
    p = PlayerProgress()
    announced: list[str] = []
    for m in sorted(matches, key=lambda m: m.ended_at):
        before = p
        p, new = pg.award(p, m, words_mastered=mastered)
        announced += ids(new)
        assert p.xp >= before.xp and p.matches == before.matches + 1
        assert set(ids(new)) == {e.achievement_id for e in p.earned} - {e.achievement_id for e in before.earned}
    assert len(announced) == len(set(announced)) == len(p.earned)
    assert replace(p, earned=()).level == pg.level_for_xp(p.xp)
