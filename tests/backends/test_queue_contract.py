from __future__ import annotations

import pytest
import pytest_twisted
from support.ports import Ports
from twisted.internet.defer import DeferredList, ensureDeferred

from lingualeap.domain.errors import GameError
from lingualeap.domain.model import Player
from lingualeap.ports import QueueTicket

A, B, C = Player("u-a", "Ana"), Player("g-b", "Ben", guest=True), Player("u-c", "007")


def ids(queued: list) -> list[str]:  # type: ignore[type-arg]
    return [q.player.id for q in queued]


@pytest_twisted.ensureDeferred
async def test_queues_per_language_and_size_in_order_of_arrival(ports: Ports) -> None:
    await ports.alive("i1", "i2")
    assert await ports.queue.enqueue("french", A, "i1", QueueTicket(2, 1700.0, 80.0, 5.0)) == 1
    assert await ports.queue.enqueue("spanish", B, "i2") == 1
    assert await ports.queue.enqueue("french", C, "i2", QueueTicket(2, 1200.0, 300.0, 6.0)) == 2
    assert await ports.queue.enqueue("french", Player("u-d", "Dee"), "i1", QueueTicket(3)) == 1
    assert await ports.queue.sizes() == {"french": 3, "spanish": 1}
    waiting = await ports.queue.waiting("french", 2)
    assert ids(waiting) == [A.id, C.id]
    assert (waiting[1].instance, waiting[1].ticket) == ("i2", QueueTicket(2, 1200.0, 300.0, 6.0))
    assert waiting[1].player.username == "007"  # no number conversion on the way
    assert ids(await ports.queue.waiting("french", 3)) == ["u-d"]
    assert await ports.queue.waiting("german", 2) == []


@pytest_twisted.ensureDeferred
async def test_claim_takes_the_whole_group_or_nobody(ports: Ports) -> None:
    await ports.alive("i1")
    for player in (A, B, C):
        await ports.queue.enqueue("french", player, "i1")
    assert await ports.queue.claim("french", 2, [A.id, "u-nobody"]) == []
    assert await ports.queue.claim("french", 3, [A.id, C.id]) == []  # another queue
    assert ids(await ports.queue.claim("french", 2, [C.id, A.id])) == [C.id, A.id]
    assert await ports.queue.queued_language(A.id) is None
    assert await ports.queue.queued_language(B.id) == "french"
    assert await ports.queue.claim("french", 2, [A.id, B.id]) == []
    assert ids(await ports.queue.waiting("french", 2)) == [B.id]


@pytest_twisted.ensureDeferred
async def test_racing_claims_match_a_player_once(ports: Ports) -> None:
    await ports.alive("i1")
    for player in (A, B, C):
        await ports.queue.enqueue("french", player, "i1")
    results = await DeferredList([
        ensureDeferred(ports.queue.claim("french", 2, [A.id, B.id])),
        ensureDeferred(ports.queue.claim("french", 2, [B.id, C.id])),
    ])
    taken = [ids(value) for ok, value in results if ok]
    assert sorted(len(t) for t in taken) == [0, 2]


@pytest_twisted.ensureDeferred
async def test_a_player_is_queued_once(ports: Ports) -> None:
    await ports.alive("i1")
    await ports.queue.enqueue("french", A, "i1")
    with pytest.raises(GameError) as e:
        await ports.queue.enqueue("spanish", A, "i1", QueueTicket(4))
    assert e.value.code == "already_queued"


@pytest_twisted.ensureDeferred
async def test_remove(ports: Ports) -> None:
    await ports.alive("i1")
    await ports.queue.enqueue("french", A, "i1")
    await ports.queue.enqueue("french", B, "i1", QueueTicket(4))
    assert await ports.queue.remove(A.id) == "french"
    assert await ports.queue.remove(A.id) is None
    assert await ports.queue.remove(B.id) == "french"
    assert await ports.queue.waiting("french", 2) == await ports.queue.waiting("french", 4) == []
    await ports.queue.enqueue("french", A, "i1", QueueTicket(3))
    assert ids(await ports.queue.waiting("french", 3)) == [A.id]


@pytest_twisted.ensureDeferred
async def test_players_of_dead_instances_are_dropped_not_matched(redis_ports: Ports) -> None:
    # Only shared queues outlive an instance; a memory queue dies with its process.
    ports = redis_ports
    await ports.alive("alive")
    await ports.queue.enqueue("french", A, "dead")
    assert ports.client is not None
    await ports.client.execute("DEL", "ll:instance:dead")  # its heartbeat expires
    await ports.queue.enqueue("french", B, "alive")
    assert ids(await ports.queue.waiting("french", 2)) == [B.id]
    assert await ports.queue.queued_language(A.id) is None
    assert await ports.queue.claim("french", 2, [A.id, B.id]) == []
    await ports.queue.enqueue("french", A, "alive")
    assert ids(await ports.queue.claim("french", 2, [B.id, A.id])) == [B.id, A.id]
