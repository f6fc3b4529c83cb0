"""The matchmaking policy: widening windows, closest groups, and the neighbourhoods that suffice."""

from __future__ import annotations

from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lingualeap.domain import matchmaking_policy as mm
from lingualeap.domain.matchmaking_policy import MatchmakingConfig, WaitingEntry

CONFIG = MatchmakingConfig(
    initial_window=50, widen_per_second=10, max_window=400, deviation_share=0.25, bot_after=30
)
NO_DEVIATION = MatchmakingConfig(
    initial_window=50, widen_per_second=10, max_window=400, deviation_share=0, bot_after=30
)


def entry(pid: str, rating: float, enqueued_at: float = 0.0, deviation: float = 0.0) -> WaitingEntry:
    return WaitingEntry(pid, rating, deviation, enqueued_at)


def ids(group: tuple[WaitingEntry, ...] | None) -> list[str] | None:
    return None if group is None else [e.player_id for e in group]


# -- the window -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("waited", "expected"), [(0, 50), (-5, 50), (1, 60), (10, 150), (35, 400), (3600, 400)])
def test_the_window_widens_linearly_with_waiting_and_is_capped(waited: float, expected: float) -> None:
    assert mm.window(waited, NO_DEVIATION) == expected


def test_an_uncertain_rating_gets_a_wider_window_but_never_past_the_cap() -> None:
    assert mm.window(0, CONFIG, deviation=350) == 50 + 87.5
    assert mm.window(0, CONFIG, deviation=40) == 60
    assert mm.window(100, CONFIG, deviation=350) == 400


@given(st.floats(0, 1000), st.floats(0, 1000), st.floats(0, 350))
def test_the_window_never_narrows_while_waiting(a: float, b: float, deviation: float) -> None:
    early, late = sorted((a, b))
    assert mm.window(early, CONFIG, deviation) <= mm.window(late, CONFIG, deviation) <= CONFIG.max_window


def test_invalid_configurations_are_refused() -> None:
    with pytest.raises(ValueError):
        MatchmakingConfig(initial_window=500, max_window=400)
    with pytest.raises(ValueError):
        MatchmakingConfig(widen_per_second=-1)
    with pytest.raises(ValueError):
        mm.pick_group([], now=0, size=5)


# -- compatibility and picking --------------------------------------------------------------------
def test_both_players_must_accept_the_gap() -> None:
    old, new = entry("old", 1500, enqueued_at=0), entry("new", 1600, enqueued_at=20)
    # At 20 s the old entry reaches 250 but the newcomer only 50: no match yet...
    assert not mm.compatible(old, new, 20, NO_DEVIATION)
    assert mm.pick_group([old, new], 20, 2, NO_DEVIATION) is None
    # ...until the newcomer's window reaches 100 (5 s later).
    assert mm.compatible(old, new, 25, NO_DEVIATION)
    assert ids(mm.pick_group([old, new], 25, 2, NO_DEVIATION)) == ["old", "new"]


def test_the_closest_pair_is_preferred() -> None:
    queue = [entry("a", 1500), entry("b", 1540), entry("c", 1700), entry("d", 1720)]
    assert ids(mm.pick_group(queue, 10, 2, NO_DEVIATION)) == ["c", "d"]
    assert [ids(g) for g in mm.pick_groups(queue, 10, 2, NO_DEVIATION)] == [["c", "d"], ["a", "b"]]


def test_equal_gaps_go_to_the_players_waiting_longest() -> None:
    queue = [entry("late", 1500, enqueued_at=9), entry("early", 1500, enqueued_at=1), entry("mid", 1500, enqueued_at=5)]
    assert ids(mm.pick_group(queue, 10, 2, NO_DEVIATION)) == ["early", "mid"]
    twins = [entry("b", 1500, 1), entry("a", 1500, 1), entry("c", 1500, 1)]
    assert ids(mm.pick_group(twins, 10, 2, NO_DEVIATION)) == ["a", "b"]


def test_a_group_may_skip_a_player_in_between_who_is_not_ready() -> None:
    # b lies between a and c, but has just arrived and its window (50) does not reach a or c;
    # a and c have waited long enough to accept each other.
    queue = [entry("a", 1500, 0), entry("b", 1560, 30), entry("c", 1620, 0)]
    assert ids(mm.pick_group(queue, 30, 2, NO_DEVIATION)) == ["a", "c"]


def test_groups_of_four_need_everyone_within_everyone_elses_window() -> None:
    queue = [entry("a", 1500), entry("b", 1510), entry("c", 1520), entry("d", 1530), entry("e", 1900)]
    assert ids(mm.pick_group(queue, 0, 4, NO_DEVIATION)) == ["a", "b", "c", "d"]
    assert mm.pick_group(queue[1:], 0, 4, NO_DEVIATION) is None  # e is 370 away from b
    assert ids(mm.pick_group(queue[1:], 40, 4, NO_DEVIATION)) == ["b", "c", "d", "e"]


def test_bots_are_offered_after_the_configured_wait() -> None:
    waiting = entry("a", 1500, enqueued_at=100)
    assert not mm.bot_offer_due(waiting, 129.9, CONFIG)
    assert mm.bot_offer_due(waiting, 130, CONFIG)


def test_queue_status_tells_position_by_arrival_wait_and_window() -> None:
    queue = [entry("a", 1900, 5), entry("b", 1200, 3), entry("c", 1500, 8, deviation=100)]
    status = mm.queue_status(queue[2], queue, 18.5, CONFIG)
    assert status == mm.QueueStatus(position=3, waited=10.5, window=50 + 105 + 25, bot_offer=False)
    assert status.as_data() == {"position": 3, "waited": 10, "window": 180, "botOffer": False}
    assert mm.queue_status(queue[1], queue, 40, CONFIG).position == 1
    assert mm.queue_status(queue[1], queue, 40, CONFIG).bot_offer


# -- properties: the search is exact and its neighbourhoods suffice ------------------------------
NOW = 60.0
entries = st.lists(
    st.builds(
        WaitingEntry,
        st.uuids().map(lambda u: u.hex[:6]),
        st.one_of(st.sampled_from([1400.0, 1500.0, 1550.0]), st.floats(1000, 2000)),
        st.sampled_from([0.0, 50.0, 350.0]),
        st.floats(0, NOW),
    ),
    max_size=9,
    unique_by=lambda e: e.player_id,
)
configs = st.builds(
    MatchmakingConfig,
    initial_window=st.floats(0, 100),
    widen_per_second=st.floats(0, 20),
    max_window=st.just(400.0),
    deviation_share=st.sampled_from([0.0, 0.25]),
)
sizes = st.integers(mm.MIN_GROUP, mm.MAX_GROUP)


def brute_force(
    queue: list[WaitingEntry], size: int, config: MatchmakingConfig, must: WaitingEntry | None = None
) -> tuple[WaitingEntry, ...] | None:
    """The minimum of :func:`group_key` over every compatible group, by enumeration."""
    groups = [
        tuple(sorted(g, key=lambda e: e.order))
        for g in combinations(queue, size)
        if mm.group_compatible(g, NOW, config) and (must is None or must in g)
    ]
    return min(groups, key=mm.group_key, default=None)


@settings(max_examples=300)
@given(entries, sizes, configs)
def test_pick_group_is_the_best_group_by_its_documented_order(
    queue: list[WaitingEntry], size: int, config: MatchmakingConfig
) -> None:
    assert mm.pick_group(queue, NOW, size, config) == brute_force(queue, size, config)


@settings(max_examples=300)
@given(entries, sizes, configs)
def test_partners_within_the_partner_range_suffice(
    queue: list[WaitingEntry], size: int, config: MatchmakingConfig
) -> None:
    for me in queue:
        low, high = mm.partner_range(me, NOW, config)
        neighbourhood = [e for e in queue if low <= e.rating <= high]  # ZRANGEBYSCORE low high
        best = mm.pick_group_with(me, neighbourhood, NOW, size, config)
        assert best == mm.pick_group_with(me, queue, NOW, size, config)
        assert best == brute_force(queue, size, config, must=me)


@settings(max_examples=300)
@given(entries, sizes, configs)
def test_a_sweep_of_max_window_slices_finds_the_best_group(
    queue: list[WaitingEntry], size: int, config: MatchmakingConfig
) -> None:
    per_slice = [
        mm.pick_group([e for e in queue if low.rating <= e.rating <= low.rating + config.max_window], NOW, size, config)
        for low in queue
    ]
    found = [g for g in per_slice if g is not None]
    assert min(found, key=mm.group_key, default=None) == mm.pick_group(queue, NOW, size, config)


@given(entries, sizes, configs)
def test_one_pass_forms_disjoint_compatible_groups_until_none_is_left(
    queue: list[WaitingEntry], size: int, config: MatchmakingConfig
) -> None:
    groups = mm.pick_groups(queue, NOW, size, config)
    members = [e.player_id for g in groups for e in g]
    assert len(members) == len(set(members))
    assert all(len(g) == size and mm.group_compatible(g, NOW, config) for g in groups)
    left = [e for e in queue if e.player_id not in members]
    assert mm.pick_group(left, NOW, size, config) is None


@given(entries)
def test_the_statuses_of_a_whole_queue_are_each_entrys_status(queue: list[WaitingEntry]) -> None:
    unique = list({e.player_id: e for e in queue}.values())
    assert mm.queue_statuses(unique, NOW, CONFIG) == {e.player_id: mm.queue_status(e, unique, NOW, CONFIG)
                                                      for e in unique}


@given(entries, configs)
def test_pairs_of_one_pass_are_those_of_closest_pair_after_closest_pair(
    queue: list[WaitingEntry], config: MatchmakingConfig
) -> None:
    # The fast pairing must be exactly the definition: the closest pair, then the closest left.
    one_by_one = []
    left = list(queue)
    while (pair := mm.pick_group(left, NOW, 2, config)) is not None:
        one_by_one.append(pair)
        left = [e for e in left if e not in pair]
    assert mm.pick_groups(queue, NOW, 2, config) == one_by_one


@given(entries, sizes)
def test_the_choice_does_not_depend_on_the_order_entries_arrive_in(queue: list[WaitingEntry], size: int) -> None:
    assert mm.pick_group(queue, NOW, size, CONFIG) == mm.pick_group(list(reversed(queue)), NOW, size, CONFIG)
