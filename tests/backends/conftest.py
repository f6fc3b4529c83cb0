"""Contract tests run each port's implementations through one suite: memory, then real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_twisted
from support.ports import Ports
from support.redis import RedisServer
from twisted.internet import reactor
from twisted.internet.task import Clock

from lingualeap.backends.redis.client import RedisAddress, RedisClient
from lingualeap.clock import ReactorClock


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.cleanup()


@pytest.fixture
def fake_time() -> Clock:
    time = Clock()
    time.advance(1_700_000_000)
    return time


@pytest_twisted.async_yield_fixture
async def redis_client(redis_server: RedisServer) -> AsyncIterator[RedisClient]:
    client = RedisClient(reactor, RedisAddress.parse(redis_server.url))
    client.start()
    await client.wait_connected()
    await client.execute("FLUSHALL")
    yield client
    await client.stop()


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def clock_for(time: Clock) -> Any:
    return ReactorClock(time)


@pytest_twisted.async_yield_fixture
async def ports(backend: str, redis_server: RedisServer, fake_time: Clock) -> AsyncIterator[Ports]:
    if backend == "memory":
        yield Ports("memory", fake_time)
        return
    client = RedisClient(reactor, RedisAddress.parse(redis_server.url))
    client.start()
    await client.wait_connected()
    await client.execute("FLUSHALL")
    yield Ports("redis", fake_time, client)
    await client.stop()


@pytest_twisted.async_yield_fixture
async def redis_ports(redis_server: RedisServer, fake_time: Clock) -> AsyncIterator[Ports]:
    client = RedisClient(reactor, RedisAddress.parse(redis_server.url))
    client.start()
    await client.wait_connected()
    await client.execute("FLUSHALL")
    yield Ports("redis", fake_time, client)
    await client.stop()
