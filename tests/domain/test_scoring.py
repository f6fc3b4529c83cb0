import pytest

from lingualeap.domain import scoring


@pytest.mark.parametrize(
    ("seconds", "points"),
    [(0, 400), (0.05, 399), (10, 300), (29.95, 100), (30, 100), (45, 100)],
)
def test_exact_points_follow_the_original_formula(seconds: float, points: int) -> None:
    assert scoring.exact_points(seconds) == points


def test_partial_points_are_ten_per_letter() -> None:
    assert scoring.partial_points(3) == 30


def test_penalty_never_goes_below_zero() -> None:
    assert scoring.apply_penalty(50) == (30, -20)
    assert scoring.apply_penalty(5) == (0, -5)
    assert scoring.apply_penalty(0) == (0, 0)


def test_match_xp_is_a_tenth_of_score_plus_winner_bonus() -> None:
    assert scoring.match_xp(437, won=False) == 43
    assert scoring.match_xp(437, won=True) == 63
    assert scoring.match_xp(0, won=False) == 0


@pytest.mark.parametrize(
    ("xp", "level"), [(0, 1), (99, 1), (100, 2), (299, 2), (300, 3), (600, 4), (1_000_000, 141)]
)
def test_levels_follow_the_curve(xp: int, level: int) -> None:
    assert scoring.level_for_xp(xp) == level
    assert scoring.xp_for_level(level) <= max(xp, 0) < scoring.xp_for_level(level + 1)
