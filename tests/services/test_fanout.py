"""Delivery to this instance's players: a room's log is read only once its channel is heard."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred

from lingualeap.backends.memory.backplane import MemoryBackplane
from lingualeap.backends.memory.rooms import MemoryRoomStore
from lingualeap.domain.errors import GameError
from lingualeap.services.fanout import Fanout
from lingualeap.services.presence import Presence


class SlowSubscriptions(MemoryBackplane):
    """A backplane whose subscriptions are confirmed when the test says so, as Redis's are."""

    def __init__(self) -> None:
        super().__init__("i0")
        self.confirm: Deferred[None] = Deferred()
        self.subscriptions = 0

    async def watch(self, room_id: str) -> None:
        self.subscriptions += 1
        await self.confirm
        await super().watch(room_id)


def fanout(backplane: Any) -> Fanout:
    return Fanout(backplane, Presence(), MemoryRoomStore(backplane))


@pytest_twisted.ensureDeferred
async def test_a_player_expected_while_the_room_is_being_subscribed_waits_for_the_subscription() -> None:
    backplane = SlowSubscriptions()
    f = fanout(backplane)
    first = Deferred.fromCoroutine(f.expect("r1", ["ana"]))
    second = Deferred.fromCoroutine(f.expect("r1", ["ben"]))
    assert not first.called and not second.called
    backplane.confirm.callback(None)
    await first
    await second
    assert backplane.subscriptions == 1
    assert f.members("r1") == ["ana", "ben"]


@pytest_twisted.ensureDeferred
async def test_a_failed_subscription_fails_every_player_waiting_for_it() -> None:
    backplane = SlowSubscriptions()
    f = fanout(backplane)
    first = Deferred.fromCoroutine(f.expect("r1", ["ana"]))
    second = Deferred.fromCoroutine(f.expect("r1", ["ben"]))
    backplane.confirm.errback(GameError("unavailable", "redis is away"))
    for waiting in (first, second):
        with pytest.raises(GameError):
            await waiting
