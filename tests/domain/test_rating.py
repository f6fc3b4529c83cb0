"""Glicko-2 against the worked example of Glickman's paper, and the properties a rating needs."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lingualeap.domain import rating
from lingualeap.domain.rating import Rating, Result

PAPER_PLAYER = Rating(1500, 200, 0.06)
PAPER_RESULTS = [
    Result(Rating(1400, 30), rating.WIN),
    Result(Rating(1550, 100), rating.LOSS),
    Result(Rating(1700, 300), rating.LOSS),
]


def test_the_papers_worked_example() -> None:
    # "Example of the Glicko-2 system" (Glickman, 2013), tau = 0.5: r' = 1464.06, RD' = 151.52,
    # sigma' = 0.05999. The paper carries four rounded decimals through every step (mu' = -0.2069
    # before converting back), which is where its last digits come from: exact arithmetic gives
    # r' = 1464.0507 and sigma' = 0.0599960.
    updated = rating.update(PAPER_PLAYER, PAPER_RESULTS, rating.RatingConfig(tau=0.5))
    assert updated.rating == pytest.approx(1464.06, abs=0.01)
    assert updated.deviation == pytest.approx(151.52, abs=0.01)
    assert updated.volatility == pytest.approx(0.05999, abs=0.00001)
    assert updated.mu == pytest.approx(-0.2069, abs=0.00005)
    assert updated.phi == pytest.approx(0.8722, abs=0.00005)


def test_a_period_without_games_only_widens_the_deviation() -> None:
    idle = rating.update(PAPER_PLAYER, [])
    assert idle.rating == 1500 and idle.volatility == 0.06
    assert idle.deviation == pytest.approx(math.hypot(200 / rating.GLICKO2_SCALE, 0.06) * rating.GLICKO2_SCALE)
    assert rating.inflate(PAPER_PLAYER, 0) == PAPER_PLAYER


def test_inactivity_never_makes_a_rating_less_certain_than_a_newcomers() -> None:
    assert rating.inflate(Rating(1800, 60), periods=10_000).deviation == rating.DEFAULT_DEVIATION
    ten_periods = rating.inflate(Rating(1800, 60), periods=10)
    assert 60 < ten_periods.deviation < 350 and ten_periods.rating == 1800


def test_pairwise_scores_from_standings_count_ties_as_half() -> None:
    duels = rating.pairwise_scores([("a", 300), ("b", 200), ("c", 200), ("d", 0)])
    assert duels["a"] == (("b", 1.0), ("c", 1.0), ("d", 1.0))
    assert duels["b"] == (("a", 0.0), ("c", 0.5), ("d", 1.0))
    assert duels["d"] == (("a", 0.0), ("b", 0.0), ("c", 0.0))
    with pytest.raises(ValueError):
        rating.pairwise_scores([("a", 1), ("a", 2)])


def test_a_match_rates_everybody_from_the_ratings_before_it() -> None:
    before = {"a": Rating(1600, 80), "b": Rating(1500, 80)}
    after = rating.rate_match(before, [("a", 100), ("b", 300), ("new", 200)])
    # b beat both; a lost to both; the newcomer (missing from ratings) started at 1500/350.
    assert after["b"].rating > 1500 and after["a"].rating < 1600
    assert after["new"].deviation < 350
    expected_b = rating.update(before["b"], [Result(before["a"], 1.0), Result(Rating(), 1.0)])
    assert after["b"] == expected_b


def test_an_upset_moves_ratings_more_than_an_expected_result() -> None:
    strong, weak = Rating(1800, 80), Rating(1400, 80)
    expected = rating.update(strong, [Result(weak, rating.WIN)])
    upset = rating.update(strong, [Result(weak, rating.LOSS)])
    assert 1800 - upset.rating > expected.rating - 1800 > 0


def test_display_rating_is_conservative() -> None:
    assert rating.display_rating(Rating()) == 800
    assert rating.display_rating(Rating(1500, 50)) == 1400
    assert rating.display_rating(Rating(300, 300)) == 0


def test_records_round_trip_and_strings_from_redis_are_accepted() -> None:
    r = Rating(1612.5, 71.25, 0.0601)
    assert rating.from_record(rating.to_record(r)) == r
    assert rating.from_record({"rating": "1612.5", "deviation": "71.25", "volatility": "0.0601"}) == r
    assert rating.from_record({}) == Rating()
    with pytest.raises(ValueError):
        rating.from_record({"rating": None})


def test_invalid_ratings_are_refused() -> None:
    with pytest.raises(ValueError):
        Rating(1500, 0)
    with pytest.raises(ValueError):
        Result(Rating(), 1.5)


ratings = st.builds(
    Rating,
    st.floats(500, 2500),
    st.floats(30, 350),
    st.floats(0.03, 0.1),
)


@given(ratings, st.lists(st.tuples(ratings, st.sampled_from([0.0, 0.5, 1.0])), min_size=1, max_size=6))
def test_games_make_a_rating_more_certain_and_wins_never_lower_it(
    me: Rating, games: list[tuple[Rating, float]]
) -> None:
    results = [Result(opponent, score) for opponent, score in games]
    updated = rating.update(me, results)
    assert math.isfinite(updated.rating) and updated.volatility > 0
    assert updated.deviation <= math.hypot(me.deviation, updated.volatility * rating.GLICKO2_SCALE) + 1e-9
    wins = rating.update(me, [Result(r.opponent, 1.0) for r in results])
    assert wins.rating >= me.rating


@given(ratings, ratings)
def test_expected_scores_of_two_players_add_up_to_one(a: Rating, b: Rating) -> None:
    assert rating.expected_score(a, b) + rating.expected_score(b, a) == pytest.approx(1.0)
