"""The Redis connections of one instance, as a Twisted service: connect, ping, heartbeat, close."""

from __future__ import annotations

from typing import Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.logger import Logger

from lingualeap.backends.redis.backplane import RedisBackplane
from lingualeap.backends.redis.client import RedisClient
from lingualeap.backends.redis.instances import HEARTBEAT_INTERVAL, RedisInstanceRegistry
from lingualeap.backends.redis.words import RedisWordSource
from lingualeap.clock import Cancellable, Clock

PING_INTERVAL = 5.0


class RedisService(Service):
    log = Logger()

    def __init__(
        self,
        client: RedisClient,
        backplane: RedisBackplane,
        registry: RedisInstanceRegistry,
        words: RedisWordSource,
        clock: Clock,
    ) -> None:
        self.client = client
        self.backplane = backplane
        self.registry = registry
        self.words = words
        self._clock = clock
        self._loops: list[Cancellable] = []
        self._seeded = False
        self.last_ping_ok: float | None = None

    def startService(self) -> None:
        super().startService()
        self.log.info("connecting to {redis}", redis=str(self.client.address))
        self.client.start()
        self.backplane.start()
        self._loops = [
            self._clock.looping_call(HEARTBEAT_INTERVAL, lambda: self._spawn(self._beat(), "heartbeat")),
            self._clock.looping_call(PING_INTERVAL, lambda: self._spawn(self._ping(), "ping")),
        ]
        self._spawn(self._beat(), "first heartbeat")

    def stopService(self) -> Deferred[None]:
        super().stopService()
        for loop in self._loops:
            loop.cancel()

        async def stop() -> None:
            try:
                await self.registry.leave()
            except Exception:
                self.log.warn("could not deregister from Redis on the way out")
            await self.backplane.stop()
            await self.client.stop()

        return Deferred.fromCoroutine(stop())

    async def _beat(self) -> None:
        await self.registry.beat()
        if not self._seeded:
            await self.words.seed()
            self._seeded = True

    async def _ping(self) -> None:
        await self.client.execute("PING")
        self.last_ping_ok = self._clock.now()

    def _spawn(self, work: Any, what: str) -> None:
        d = Deferred.fromCoroutine(work)

        def failed(failure: Any) -> None:
            self.log.warn("Redis {what} failed: {error}", what=what, error=failure.getErrorMessage())

        d.addErrback(failed)

    def health(self) -> dict[str, Any]:
        up = self.client.connected and self.backplane.connected
        return {
            "name": "redis",
            "status": "ok" if up else "down",
            "address": str(self.client.address),
            "lastHeartbeat": self.registry.last_beat,
        }
