"""A room store that fails says so, but not once per change of every room (fake clock)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import pytest_twisted
from support.harness import Harness
from twisted.logger import LogLevel, formatEvent, globalLogPublisher

from lingualeap.domain.commands import FindMatch, MakeGuess
from lingualeap.domain.errors import GameError
from lingualeap.domain.model import Player
from lingualeap.services.room_host import STORE_WARN_EVERY

ANA, BEN = Player("u-ana", "Ana"), Player("u-ben", "Ben")


@pytest.fixture
def warnings() -> Iterator[list[str]]:
    said: list[str] = []

    def observe(event: dict[str, Any]) -> None:
        if event.get("log_level") == LogLevel.warn and "failed" in (event.get("log_format") or ""):
            said.append(formatEvent(event))

    globalLogPublisher.addObserver(observe)
    yield said
    globalLogPublisher.removeObserver(observe)


@pytest_twisted.ensureDeferred
async def test_store_failures_are_warned_about_every_ten_seconds_with_a_count(
    warnings: list[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    h = Harness(round_seconds=60)
    ca, _ = h.connect(ANA), h.connect(BEN)
    await h.server.play.handle(ANA, FindMatch("french"))
    await h.server.play.handle(BEN, FindMatch("french"))
    h.advance(2)
    room_id = ca.last("matchFound")["roomId"]

    async def away(*args: Any) -> bool:
        raise GameError("unavailable", "the shared store is unreachable")

    monkeypatch.setattr(h.server.backends.rooms, "commit", away)
    for _ in range(6):
        await h.server.play.handle(ANA, MakeGuess(room_id, "zzzz"))
    await h.settle()
    assert len(ca.named("wrongGuess")) == 6  # the room carries on from memory
    assert len(warnings) == 1 and "committing room" in warnings[0] and "(0 more" in warnings[0]
    h.advance(STORE_WARN_EVERY)
    await h.server.play.handle(BEN, MakeGuess(room_id, "zzzz"))
    await h.settle()
    assert len(warnings) == 2 and "(5 more store failures" in warnings[1]
