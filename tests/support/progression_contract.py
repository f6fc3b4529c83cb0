"""The progression part of the PlayerStore contract, shared by the Redis and MongoDB suites."""

from __future__ import annotations

from typing import Any

from lingualeap.domain.progression import DailyStreak, Earned, PlayerProgress
from lingualeap.ports import ProgressionRecord, UserRecord
import datetime as dt


async def check_progression_compare_and_set(store: Any, user: UserRecord) -> None:
    await store.create_user(user)
    assert await store.progression("u-nobody") is None
    fresh = await store.progression(user.id)
    assert fresh == ProgressionRecord()
    progress = PlayerProgress(xp=70, matches=1, wins=1, best_round_streak=3,
                              daily=DailyStreak(1, 1, dt.date(2025, 1, 31)), words_mastered=2,
                              earned=(Earned("first_win", 1_700_000_000.5),))
    first = ProgressionRecord(progress, ("m-1@1",), 1)
    assert await store.save_progression(user.id, first, 15)
    assert await store.progression(user.id) == first
    assert (await store.user_by_id(user.id)).total_xp == user.total_xp + 15
    # A save computed from the old version (a racing instance) is refused and changes nothing.
    assert not await store.save_progression(user.id, ProgressionRecord(progress, ("m-2@1",), 1), 99)
    assert await store.progression(user.id) == first
    assert (await store.user_by_id(user.id)).total_xp == user.total_xp + 15
    second = ProgressionRecord(progress, ("m-1@1", "m-2@1"), 2)
    assert await store.save_progression(user.id, second, 0)
    assert await store.progression(user.id) == second
    assert not await store.save_progression("u-nobody", ProgressionRecord(version=1), 5)
    assert await store.delete_user(user.id)
    assert await store.progression(user.id) is None
