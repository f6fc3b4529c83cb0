"""The RateLimiter port: token buckets and failure back-off, in memory and in Redis alike."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_twisted
from support.ports import Ports
from support.redis import RedisServer
from twisted.internet import defer, reactor

from lingualeap.backends.redis.client import RedisAddress, RedisClient
from lingualeap.backends.redis.ratelimit import RedisRateLimiter
from lingualeap.domain.ratelimit import Backoff, Rate

TWO_PER_SECOND = Rate(2, 4)
BACKOFF = Backoff(free=2, base=1, maximum=5, window=60)


@pytest_twisted.ensureDeferred
async def test_a_bucket_allows_its_burst_then_refills_at_its_rate(ports: Ports) -> None:
    limiter = ports.limiter
    for _ in range(4):
        assert (await limiter.take("a", TWO_PER_SECOND)).allowed
    refused = await limiter.take("a", TWO_PER_SECOND)
    assert not refused.allowed and refused.retry_after == pytest.approx(0.5, abs=0.01)
    assert (await limiter.take("b", TWO_PER_SECOND)).allowed  # keys are independent
    ports.time.advance(0.5)
    assert (await limiter.take("a", TWO_PER_SECOND)).allowed
    assert not (await limiter.take("a", TWO_PER_SECOND)).allowed
    ports.time.advance(3600)  # refills up to the burst, never beyond
    assert [(await limiter.take("a", TWO_PER_SECOND)).allowed for _ in range(5)] == [True] * 4 + [False]


@pytest_twisted.ensureDeferred
async def test_several_buckets_in_one_step_stop_at_the_first_refusal(ports: Ports) -> None:
    limiter = ports.limiter
    one = Rate(1, 1)
    both = [("outer", TWO_PER_SECOND), ("inner", one)]
    assert [d.allowed for d in await limiter.take_each(both)] == [True, True]
    for _ in range(3):
        await limiter.take("outer", TWO_PER_SECOND)
    refused = await limiter.take_each(both)
    assert [d.allowed for d in refused] == [False] and refused[0].retry_after == pytest.approx(0.5, abs=0.01)
    ports.time.advance(1)
    for _ in range(2):
        await limiter.take("outer", TWO_PER_SECOND)
    # "outer" refuses, so "inner" is not asked: the token it refilled meanwhile is still there.
    assert [d.allowed for d in await limiter.take_each(both)] == [False]
    assert [d.allowed for d in await limiter.take_each([("inner", one)])] == [True]
    assert [d.allowed for d in await limiter.take_each([("fresh", one), ("inner", one)])] == [True, False]
    assert await limiter.take_each([]) == []


@pytest_twisted.ensureDeferred
async def test_time_going_backwards_does_not_mint_tokens(ports: Ports) -> None:
    # Another instance's clock may lag a little: the bucket must not refill from that.
    limiter = ports.limiter
    for _ in range(4):
        await limiter.take("skew", TWO_PER_SECOND)
    ports.time.advance(-5)
    assert not (await limiter.take("skew", TWO_PER_SECOND)).allowed


@pytest_twisted.ensureDeferred
async def test_failures_lock_for_growing_delays_up_to_the_maximum(ports: Ports) -> None:
    limiter = ports.limiter
    assert await limiter.penalty("acct") == 0
    delays = [await limiter.fail("acct", BACKOFF) for _ in range(6)]
    assert delays == [0, 0, 1, 2, 4, 5]
    assert await limiter.penalty("acct") == pytest.approx(5)
    ports.time.advance(2)
    assert await limiter.penalty("acct") == pytest.approx(3)
    assert await limiter.penalty("other") == 0
    await limiter.forgive("acct")
    assert await limiter.penalty("acct") == 0
    assert await limiter.fail("acct", BACKOFF) == 0  # counting starts again


@pytest_twisted.ensureDeferred
async def test_failures_are_forgotten_a_window_after_the_last_one(ports: Ports) -> None:
    limiter = ports.limiter
    for _ in range(3):
        await limiter.fail("slow", BACKOFF)
    ports.time.advance(59)
    assert await limiter.fail("slow", BACKOFF) == 2  # still counting: the 4th failure
    ports.time.advance(61)
    assert await limiter.fail("slow", BACKOFF) == 0  # a quiet window: a fresh start


@pytest_twisted.async_yield_fixture
async def second_client(redis_server: RedisServer) -> AsyncIterator[RedisClient]:
    client = RedisClient(reactor, RedisAddress.parse(redis_server.url))
    client.start()
    await client.wait_connected()
    yield client
    await client.stop()


@pytest_twisted.ensureDeferred
async def test_instances_share_buckets_and_never_both_spend_the_last_token(
    redis_ports: Ports, second_client: RedisClient
) -> None:
    # Two instances (two connections), many concurrent requests: exactly the burst gets through.
    one = redis_ports.limiter
    two = RedisRateLimiter(second_client, redis_ports.clock)
    rate = Rate(0.001, 10)
    attempts = [(one if i % 2 else two).take("shared", rate) for i in range(60)]
    results = await defer.gatherResults([defer.ensureDeferred(a) for a in attempts])
    assert sum(r.allowed for r in results) == 10
    assert await two.fail("login", BACKOFF) == 0
    assert await one.fail("login", BACKOFF) == 0
    assert await two.fail("login", BACKOFF) == 1
    assert await one.penalty("login") == pytest.approx(1)


@pytest_twisted.ensureDeferred
async def test_redis_keys_expire_once_they_would_be_full_anyway(redis_ports: Ports) -> None:
    assert redis_ports.client is not None
    await redis_ports.limiter.take("ttl", Rate(10, 20))
    ttl = int(await redis_ports.client.execute("PTTL", "ll:rl:ttl"))
    assert 0 < ttl <= 3000  # 2 s to refill + 1 s slack
