"""Leaderboard periods, tie-breaks, and the single-number encoding Redis sorted sets rank by."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lingualeap.domain import leaderboard_periods as lb
from lingualeap.domain.leaderboard_periods import BoardEntry, Period, RankedEntry

MONDAY = 1_736_121_600.0  # 2025-01-06T00:00:00Z, a Monday (ISO 2025-W02)
DAY = 86_400.0


# -- periods ---------------------------------------------------------------------------------------
def test_period_keys() -> None:
    at = MONDAY + 12 * 3600
    assert lb.period_key(Period.ALL_TIME, at) == "all"
    assert lb.period_key(Period.DAILY, at) == "2025-01-06"
    assert lb.period_key(Period.WEEKLY, at) == "2025-W02"
    assert lb.board_id("french", Period.WEEKLY, at) == "french:weekly:2025-W02"
    assert lb.boards_for("spanish", at) == {
        Period.ALL_TIME: "spanish:alltime:all",
        Period.WEEKLY: "spanish:weekly:2025-W02",
        Period.DAILY: "spanish:daily:2025-01-06",
    }


def test_the_last_millisecond_belongs_to_the_old_day_and_midnight_to_the_new() -> None:
    assert lb.period_key(Period.DAILY, MONDAY - 0.001) == "2025-01-05"
    assert lb.period_key(Period.DAILY, MONDAY) == "2025-01-06"
    assert lb.period_key(Period.WEEKLY, MONDAY - 0.001) == "2025-W01"
    assert lb.period_key(Period.WEEKLY, MONDAY) == "2025-W02"
    assert lb.period_bounds(Period.DAILY, MONDAY - 0.001) == (MONDAY - DAY, MONDAY)
    assert lb.period_bounds(Period.WEEKLY, MONDAY) == (MONDAY, MONDAY + 7 * DAY)


def test_iso_weeks_cross_calendar_years() -> None:
    assert lb.period_key(Period.WEEKLY, 1_735_516_800.0) == "2025-W01"  # Monday 2024-12-30
    assert lb.period_key(Period.WEEKLY, 1_609_632_000.0) == "2020-W53"  # Sunday 2021-01-03
    assert lb.period_key(Period.WEEKLY, 0.0) == "1970-W01"


def test_the_period_to_archive_is_the_one_before() -> None:
    assert lb.previous_key(Period.DAILY, MONDAY + 5) == "2025-01-05"
    assert lb.previous_key(Period.WEEKLY, MONDAY + 5) == "2025-W01"
    assert lb.previous_key(Period.ALL_TIME, MONDAY) is None
    assert lb.expires_at(Period.DAILY, MONDAY + 5, keep=3600) == MONDAY + DAY + 3600
    assert lb.expires_at(Period.ALL_TIME, MONDAY) is None


@given(st.floats(0, 4e9))
def test_periods_tile_time_without_gaps_or_overlaps(at: float) -> None:
    for period in (Period.DAILY, Period.WEEKLY):
        start, end = lb.period_bounds(period, at)
        assert start <= at < end
        assert lb.period_bounds(period, end) == (end, end + (end - start))
        assert lb.period_key(period, start) == lb.period_key(period, at) != lb.period_key(period, end)


# -- order and encoding -----------------------------------------------------------------------------
def test_ties_go_to_who_reached_the_score_first_then_to_the_smaller_id() -> None:
    entries = [
        BoardEntry("zoe", 300, MONDAY + 50),
        BoardEntry("bob", 300, MONDAY + 10),
        BoardEntry("amy", 300, MONDAY + 50),
        BoardEntry("max", 500, MONDAY + 90),
        BoardEntry("kim", 100, MONDAY + 1),
    ]
    enc = lb.encoding_for(Period.DAILY, MONDAY)
    expected = ["max", "bob", "amy", "zoe", "kim"]
    assert [e.member for e in lb.ranked(entries, enc)] == expected
    assert [e.member for e in sorted(entries, key=lambda e: (enc.encode(e.score, e.reached_at), e.member))] == expected


def test_encoded_values_fit_a_double_exactly_and_decode() -> None:
    for period in Period:
        enc = lb.encoding_for(period, MONDAY)
        start, end = lb.period_bounds(period, MONDAY)
        latest = min(end, enc.origin + (2**enc.time_bits) * enc.resolution) - enc.resolution
        for score, at in [(0, enc.origin), (enc.max_score, latest), (1234, MONDAY + 0.5)]:
            value = enc.encode(score, at)
            assert 0 <= value < 2**53 and float(value) == value
            assert enc.decode(float(value)) == (score, enc.tick(at))


def test_scores_and_times_out_of_range_are_refused() -> None:
    enc = lb.encoding_for(Period.DAILY, MONDAY)
    with pytest.raises(ValueError):
        enc.encode(enc.max_score + 1, MONDAY)
    with pytest.raises(ValueError):
        enc.encode(-1, MONDAY)
    with pytest.raises(ValueError):
        enc.encode(10, MONDAY - 1)  # before the day began: another board's result
    assert lb.encoding_for(Period.DAILY, MONDAY).max_score >= 60_000_000
    assert lb.encoding_for(Period.WEEKLY, MONDAY).max_score >= 8_000_000
    assert lb.encoding_for(Period.ALL_TIME, MONDAY).max_score >= 4_000_000


def test_ticks_are_not_moved_by_float_noise() -> None:
    enc = lb.ScoreEncoding(origin=0.0, resolution=0.001, time_bits=27)
    assert enc.tick(0.003) == 3 and enc.tick(0.0029) == 2


def test_earning_nothing_keeps_the_time_a_score_was_reached() -> None:
    first = lb.credit(None, "ana", 100, MONDAY + 1)
    assert lb.credit(first, "ana", 0, MONDAY + 9) == first
    assert lb.credit(first, "ana", 20, MONDAY + 9) == BoardEntry("ana", 120, MONDAY + 9)


def redis_order(entries: list[BoardEntry], enc: lb.ScoreEncoding) -> list[str]:
    """What ZRANGE returns: by score as a double, then by member bytes."""
    ordered = sorted(entries, key=lambda e: (float(enc.encode(e.score, e.reached_at)), e.member.encode()))
    return [e.member for e in ordered]


members = st.text(st.characters(codec="utf-8"), min_size=1, max_size=6)  # no surrogates: utf-8


@st.composite
def boards(draw: st.DrawFn) -> tuple[Period, float, list[BoardEntry]]:
    period = draw(st.sampled_from(list(Period)))
    at = draw(st.floats(lb.ALL_TIME_ORIGIN, lb.ALL_TIME_ORIGIN + 3e9))
    start, end = lb.period_bounds(period, at)
    end = min(end, start + 2e9)
    # Few distinct scores and times, so that ties are common.
    times = draw(st.lists(st.floats(start, end, exclude_max=True), min_size=1, max_size=4))
    scores = st.one_of(st.sampled_from([0, 1, 100]), st.integers(0, lb.encoding_for(period, at).max_score))
    names = draw(st.lists(members, max_size=25, unique=True))
    return period, at, [BoardEntry(m, draw(scores), draw(st.sampled_from(times))) for m in names]


@settings(max_examples=300)
@given(boards())
def test_ranks_from_the_encoding_equal_a_sort_of_the_stored_results(
    board: tuple[Period, float, list[BoardEntry]],
) -> None:
    period, at, entries = board
    enc = lb.encoding_for(period, at)
    reference = [e.member for e in sorted(entries, key=lambda e: (-e.score, enc.tick(e.reached_at), e.member))]
    assert redis_order(entries, enc) == reference
    assert [e.member for e in lb.ranked(entries, enc)] == reference


@given(st.lists(st.tuples(st.sampled_from("abcdef"), st.integers(0, 50), st.floats(0, 3600)), max_size=40))
def test_ranks_after_a_stream_of_credits_equal_a_sort_of_the_stored_results(
    credits: list[tuple[str, int, float]],
) -> None:
    enc = lb.encoding_for(Period.DAILY, MONDAY)
    stored: dict[str, BoardEntry] = {}
    for member, points, offset in sorted(credits, key=lambda c: c[2]):
        stored[member] = lb.credit(stored.get(member), member, points, MONDAY + offset)
    entries = list(stored.values())
    reference = [e.member for e in sorted(entries, key=lambda e: (-e.score, enc.tick(e.reached_at), e.member))]
    assert redis_order(entries, enc) == reference


# -- around me -------------------------------------------------------------------------------------
def board_of(n: int) -> list[RankedEntry]:
    return [RankedEntry(i + 1, f"p{i + 1}", 1000 - i) for i in range(n)]


def test_around_me_shows_n_above_and_below() -> None:
    assert [e.rank for e in lb.around(board_of(20), "p10", 2)] == [8, 9, 10, 11, 12]


def test_around_me_shifts_inwards_at_the_ends() -> None:
    assert [e.rank for e in lb.around(board_of(20), "p1", 2)] == [1, 2, 3, 4, 5]
    assert [e.rank for e in lb.around(board_of(20), "p19", 2)] == [16, 17, 18, 19, 20]
    assert [e.rank for e in lb.around(board_of(3), "p2", 5)] == [1, 2, 3]
    assert lb.around(board_of(3), "nobody", 2) == []


@given(st.integers(1, 60), st.integers(0, 10), st.data())
def test_around_range_is_what_zrange_should_fetch(total: int, n: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, total - 1))
    start, stop = lb.around_range(index, n, total)
    assert 0 <= start <= index <= stop < total
    assert stop - start + 1 == min(total, 2 * n + 1)
    assert lb.around(board_of(total), f"p{index + 1}", n) == board_of(total)[start : stop + 1]
