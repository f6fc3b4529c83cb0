"""Choosing the implementation of every port, once, from the configuration."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from twisted.application.service import IService

from lingualeap.backends.memory.leaderboards import MemoryLeaderboards
from lingualeap.backends.memory.period_boards import MemoryPeriodLeaderboards
from lingualeap.backends.memory.players import MemoryPlayerStore
from lingualeap.backends.memory.queue import MemoryMatchQueue
from lingualeap.backends.memory.ratelimit import MemoryRateLimiter
from lingualeap.backends.memory.revocations import MemoryTokenRevocations
from lingualeap.backends.memory.backplane import MemoryBackplane, MemoryHub, MemoryInstanceRegistry
from lingualeap.backends.memory.rooms import MemoryRoomLeases, MemoryRoomStore
from lingualeap.backends.memory.words import MemoryWordSource
from lingualeap.clock import Clock
from lingualeap.config import Config
from lingualeap.domain.model import Language
from lingualeap.ports import (
    Backplane,
    BoardArchive,
    InstanceRegistry,
    Leaderboards,
    MatchQueue,
    PeriodLeaderboards,
    PlayerStore,
    RateLimiter,
    RatingCache,
    ResultSpool,
    RoomLeases,
    RoomStore,
    TokenRevocations,
    WordSource,
)

#: A dependency's health: ``{"name": ..., "status": "ok" | "degraded" | "down", ...}``.
HealthCheck = Callable[[], dict[str, Any]]


@dataclass
class Backends:
    players: PlayerStore
    leaderboards: Leaderboards
    queue: MatchQueue
    revocations: TokenRevocations
    rooms: RoomStore
    leases: RoomLeases
    words: WordSource
    backplane: Backplane
    instances: InstanceRegistry
    limiter: RateLimiter
    #: Connection lifecycles (created in startService, closed in stopService).
    services: list[IService] = field(default_factory=list)
    health: list[HealthCheck] = field(default_factory=list)
    #: Run whenever a remote player store becomes reachable (at start and after an outage).
    on_players_ready: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    #: Where match results waiting for the player store are also kept (Redis, when configured).
    result_spool: ResultSpool | None = None
    #: Leaderboards per language and period, and where finished periods are archived (MongoDB).
    period_boards: PeriodLeaderboards | None = None
    #: Ratings per language in front of the player store (Redis, when configured).
    rating_cache: RatingCache | None = None
    board_archive: BoardArchive | None = None


def memory_backends(
    instance_id: str,
    clock: Clock,
    languages: Mapping[str, Language],
    rng: random.Random | None = None,
    hub: MemoryHub | None = None,
) -> Backends:
    """Everything in this process; instances sharing a ``hub`` can talk to each other (tests)."""
    backplane = MemoryBackplane(instance_id, hub)
    leases = MemoryRoomLeases()
    return Backends(
        players=MemoryPlayerStore(clock),
        leaderboards=MemoryLeaderboards(clock),
        queue=MemoryMatchQueue(),
        revocations=MemoryTokenRevocations(clock),
        rooms=MemoryRoomStore(backplane, leases),
        leases=leases,
        words=MemoryWordSource(languages, rng),
        backplane=backplane,
        instances=MemoryInstanceRegistry({"id": instance_id}),
        limiter=MemoryRateLimiter(clock),
        period_boards=MemoryPeriodLeaderboards(clock),
    )


def build_backends(
    config: Config, clock: Clock, reactor: Any, languages: Mapping[str, Language]
) -> Backends:
    """Memory for everything, then MongoDB and Redis where they are configured."""
    rng = random.Random(config.word_seed) if config.word_seed is not None else None
    backends = memory_backends(config.instance_id, clock, languages, rng)
    if config.redis_url or config.redis_sentinels:
        _use_redis(backends, config, clock, reactor, languages)
    if config.mongo_uri:
        _use_mongo(backends, config, clock)
    return backends


def _use_redis(
    backends: Backends, config: Config, clock: Clock, reactor: Any, languages: Mapping[str, Language]
) -> None:
    """Every port that must be shared between instances moves to Redis."""
    from lingualeap.backends.redis.backplane import RedisBackplane
    from lingualeap.backends.redis.client import RedisAddress, RedisClient
    from lingualeap.backends.redis.instances import RedisInstanceRegistry
    from lingualeap.backends.redis.leaderboards import RedisLeaderboards
    from lingualeap.backends.redis.period_boards import RedisPeriodLeaderboards
    from lingualeap.backends.redis.ratings import RedisRatingCache
    from lingualeap.backends.redis.players import RedisPlayerStore
    from lingualeap.backends.redis.queue import RedisMatchQueue
    from lingualeap.backends.redis.ratelimit import RedisRateLimiter
    from lingualeap.backends.redis.result_spool import RedisResultSpool
    from lingualeap.backends.redis.revocations import RedisTokenRevocations
    from lingualeap.backends.redis.rooms import RedisRoomLeases, RedisRoomStore
    from lingualeap.backends.redis.service import RedisService
    from lingualeap.backends.redis.words import RedisWordSource

    if config.redis_sentinels:
        assert config.redis_master is not None
        address = RedisAddress.sentinel(config.redis_sentinels, config.redis_master, config.redis_db,
                                        config.redis_password)
    else:
        assert config.redis_url is not None
        address = RedisAddress.parse(config.redis_url, config.redis_password, ca_file=config.redis_ca)
    client = RedisClient(reactor, address)
    backplane = RedisBackplane(reactor, address, client, config.instance_id)
    registry = RedisInstanceRegistry(client, clock, config.instance_id, {"listen": list(config.listen)})
    words = RedisWordSource(client, languages)
    if not config.mongo_uri:
        backends.players = RedisPlayerStore(client, clock)
    backends.leaderboards = RedisLeaderboards(client)
    backends.period_boards = RedisPeriodLeaderboards(client)
    backends.rating_cache = RedisRatingCache(client)
    backends.queue = RedisMatchQueue(client)
    backends.revocations = RedisTokenRevocations(client, clock)
    backends.result_spool = RedisResultSpool(client)
    backends.limiter = RedisRateLimiter(client, clock)
    backends.rooms = RedisRoomStore(client, address.db)
    backends.leases = RedisRoomLeases(client)
    backends.words = words
    backends.backplane = backplane
    backends.instances = registry
    service = RedisService(client, backplane, registry, words, clock)
    backends.services.append(service)
    backends.health.append(service.health)


def _use_mongo(backends: Backends, config: Config, clock: Clock) -> None:
    """Users, finished matches and word progress move to MongoDB (whether or not Redis is used)."""
    from lingualeap.backends.mongo.archive import MongoBoardArchive
    from lingualeap.backends.mongo.connection import MongoService, MongoSettings
    from lingualeap.backends.mongo.players import MongoPlayerStore

    service = MongoService(MongoSettings.from_config(config), clock)
    store = MongoPlayerStore(service, clock, config.instance_id)
    backends.players = store
    backends.board_archive = MongoBoardArchive(service)
    # Interrupted credits are finished first, so what is rebuilt from the store includes them.
    backends.on_players_ready.insert(0, store.finish_interrupted)
    service.on_ready = backends.on_players_ready
    backends.services.append(service)
    backends.health.append(service.health)
