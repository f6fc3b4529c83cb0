"""Match results waiting for MongoDB, kept in a real Redis."""

from __future__ import annotations

import pytest_twisted

from lingualeap.backends.redis.client import RedisClient
from lingualeap.backends.redis.result_spool import WAITING, RedisResultSpool


@pytest_twisted.ensureDeferred
async def test_results_are_kept_bounded_found_and_removed(redis_client: RedisClient) -> None:
    spool = RedisResultSpool(redis_client, bound=3)
    for i in range(3):
        assert await spool.save(f"m-{i}@1", f'{{"n": {i}}}')
    assert not await spool.save("m-9@1", "{}")  # full
    assert await spool.save("m-0@1", '{"n": 0, "again": true}')  # a result already there is kept
    assert await spool.load(10) == {"m-0@1": '{"n": 0, "again": true}', "m-1@1": '{"n": 1}', "m-2@1": '{"n": 2}'}
    assert len(await spool.load(2)) == 2
    await spool.remove("m-1@1")
    assert set(await spool.load(10)) == {"m-0@1", "m-2@1"}
    assert int(await redis_client.execute("HLEN", WAITING)) == 2
