"""No player is stranded in the queue when forming a match fails (issue 9: in the 10,000-player
burst, groups whose room creation timed out were put back and never taken again)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
import pytest_twisted
from support.harness import Harness

from lingualeap.domain.commands import FindMatch
from lingualeap.domain.errors import GameError
from lingualeap.domain.model import Player

PLAYERS = [Player(f"u-{n}", f"P{n}") for n in range(8)]


def failing_once(h: Harness, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Make the next ``create_match`` fail (as a Redis timeout does); record every attempt."""
    attempts: list[list[str]] = []
    original = h.server.game.create_match

    async def create_match(queued: Sequence[Any], language_id: str) -> str:
        attempts.append([q.player.id for q in queued])
        if len(attempts) == 1:
            raise GameError("unavailable", "the shared store did not answer in time")
        return await original(queued, language_id)

    monkeypatch.setattr(h.server.game, "create_match", create_match)
    return attempts


@pytest_twisted.ensureDeferred
async def test_after_a_failed_match_every_other_waiting_group_is_still_formed(monkeypatch: pytest.MonkeyPatch) -> None:
    h = Harness(bot_after=0)
    connections = [h.connect(p) for p in PLAYERS]
    # Seven players queued by other instances' calls whose own matching did not get to them.
    for player in PLAYERS[:7]:
        await h.server.backends.queue.enqueue("french", player, h.server.game.instance_id)
    attempts = failing_once(h, monkeypatch)
    await h.server.play.handle(PLAYERS[7], FindMatch("french"))
    failed = set(attempts[0])
    matched = [p for p, c in zip(PLAYERS, connections) if "matchFound" in c.names()]
    assert {p.id for p in matched} == {p.id for p in PLAYERS} - failed
    # The group that failed waits again and is matched on the next look, with nobody new arriving.
    h.server.matchmaking.start()
    try:
        h.advance(h.config.queue_status_interval)
        await h.settle()
    finally:
        h.server.matchmaking.stop()
    assert all("matchFound" in c.names() for c in connections)
    rooms = [c.last("matchFound")["roomId"] for c in connections]
    assert len(set(rooms)) == 4 and all(rooms.count(r) == 2 for r in rooms)
    assert await h.server.backends.queue.sizes() in ({}, {"french": 0})
