"""Every shared port of one backend kind, for contract tests."""

from __future__ import annotations

from twisted.internet.task import Clock

from lingualeap.backends.redis.client import RedisClient
from lingualeap.clock import ReactorClock


class Ports:
    """Every shared port of one backend, over one clock."""

    def __init__(self, kind: str, time: Clock, client: RedisClient | None = None) -> None:
        from lingualeap.app.backends import memory_backends
        from support.words import languages

        self.kind = kind
        self.time = time
        self.clock = ReactorClock(time)
        self.client = client
        memory = memory_backends("i1", self.clock, languages())
        if client is None:
            self.players, self.leaderboards, self.queue = memory.players, memory.leaderboards, memory.queue
            self.revocations, self.rooms, self.leases = memory.revocations, memory.rooms, memory.leases
            self.words = memory.words
            self.limiter = memory.limiter
            return
        from lingualeap.backends.redis.leaderboards import RedisLeaderboards
        from lingualeap.backends.redis.players import RedisPlayerStore
        from lingualeap.backends.redis.queue import RedisMatchQueue
        from lingualeap.backends.redis.revocations import RedisTokenRevocations
        from lingualeap.backends.redis.rooms import RedisRoomLeases, RedisRoomStore
        from lingualeap.backends.redis.words import RedisWordSource

        self.players = RedisPlayerStore(client, self.clock)
        self.leaderboards = RedisLeaderboards(client)
        self.queue = RedisMatchQueue(client)
        self.revocations = RedisTokenRevocations(client, self.clock)
        self.rooms = RedisRoomStore(client, client.address.db)
        self.leases = RedisRoomLeases(client)
        self.words = RedisWordSource(client, languages())
        from lingualeap.backends.redis.ratelimit import RedisRateLimiter

        self.limiter = RedisRateLimiter(client, self.clock)

    async def alive(self, *instances: str) -> None:
        """Mark instances as alive (Redis queues skip players of dead instances)."""
        if self.client is not None:
            from lingualeap.backends.redis import keys

            for instance in instances:
                await self.client.execute("SET", keys.instance(instance), "{}", "PX", 60_000)
