from __future__ import annotations

import pytest
import pytest_twisted
from support.ports import Ports

from lingualeap.domain.errors import GameError
from lingualeap.domain.model import Player

A, B, C = Player("u-a", "Ana"), Player("g-b", "Ben", guest=True), Player("u-c", "007")


@pytest_twisted.ensureDeferred
async def test_first_come_first_served_per_language(ports: Ports) -> None:
    await ports.alive("i1", "i2")
    assert await ports.queue.enqueue("french", A, "i1") == 1
    assert await ports.queue.enqueue("spanish", B, "i2") == 1
    assert await ports.queue.enqueue("french", C, "i2") == 2
    assert await ports.queue.sizes() == {"french": 2, "spanish": 1}
    assert await ports.queue.take("spanish", 2) == []
    taken = await ports.queue.take("french", 2)
    assert [(q.player, q.instance) for q in taken] == [(A, "i1"), (C, "i2")]
    assert taken[1].player.username == "007"  # no number conversion on the way
    assert await ports.queue.queued_language(A.id) is None
    assert await ports.queue.queued_language(B.id) == "spanish"


@pytest_twisted.ensureDeferred
async def test_a_player_is_queued_once(ports: Ports) -> None:
    await ports.alive("i1")
    await ports.queue.enqueue("french", A, "i1")
    with pytest.raises(GameError) as e:
        await ports.queue.enqueue("spanish", A, "i1")
    assert e.value.code == "already_queued"


@pytest_twisted.ensureDeferred
async def test_remove(ports: Ports) -> None:
    await ports.alive("i1")
    await ports.queue.enqueue("french", A, "i1")
    await ports.queue.enqueue("french", B, "i1")
    assert await ports.queue.remove(A.id) == "french"
    assert await ports.queue.remove(A.id) is None
    await ports.queue.enqueue("french", C, "i1")
    assert [q.player.id for q in await ports.queue.take("french", 2)] == [B.id, C.id]


@pytest_twisted.ensureDeferred
async def test_players_of_dead_instances_are_dropped_not_matched(redis_ports: Ports) -> None:
    # Only shared queues outlive an instance; a memory queue dies with its process.
    ports = redis_ports
    await ports.alive("alive")
    await ports.queue.enqueue("french", A, "dead")
    assert ports.client is not None
    await ports.client.execute("DEL", "ll:instance:dead")  # its heartbeat expires
    await ports.queue.enqueue("french", B, "alive")
    assert await ports.queue.take("french", 2) == []
    assert await ports.queue.queued_language(A.id) is None
    await ports.queue.enqueue("french", C, "alive")
    assert [q.player.id for q in await ports.queue.take("french", 2)] == [B.id, C.id]
