"""The command connection sends its whole backlog on each turn of the reactor.

Twisted's TCP transport hands the kernel at most 128 KiB per turn. An instance under load takes
tens of milliseconds per turn and makes a commit per guess, so past some rate commands piled up
faster than they left, every reply fell further behind, and the connection was dropped after
its 5 s deadline, taking the leases of every room on the instance with it
(benchmarks/RESULTS.md, single-redis at 3,000 guesses/s).
"""

from __future__ import annotations

import time

import pytest_twisted
from twisted.internet import reactor
from twisted.internet.defer import Deferred, gatherResults

from lingualeap.backends.redis.client import RedisClient

TWISTED_SEND_LIMIT = 128 * 1024


@pytest_twisted.ensureDeferred
async def test_a_burst_of_commands_does_not_leave_128_kib_per_turn(redis_client: RedisClient) -> None:
    turns = 0

    def count() -> None:
        # Every turn is a busy one (5 ms of work), as on a loaded instance; the replies must
        # not need a turn per 128 KiB of commands.
        nonlocal turns
        turns += 1
        time.sleep(0.005)
        pending.append(reactor.callLater(0, count))  # type: ignore[attr-defined]

    pending = [reactor.callLater(0, count)]  # type: ignore[attr-defined]
    value = "x" * 10_000
    burst = 400  # 4 MB of commands written in one turn
    try:
        replies = await gatherResults([
            Deferred.fromCoroutine(redis_client.execute("SET", f"backlog:{i}", value)) for i in range(burst)
        ])
    finally:
        pending[-1].cancel()
    assert len(replies) == burst
    at_twisted_pace = burst * len(value) // TWISTED_SEND_LIMIT  # turns just to send them: 30
    assert turns < at_twisted_pace // 2, f"{turns} turns to get {burst} replies"
