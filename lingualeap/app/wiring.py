"""The composition root: everything a server process needs, built once from Config and a reactor."""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from typing import Any

from twisted.internet.interfaces import IReactorThreads, IReactorTime
from twisted.internet.threads import deferToThreadPool

from lingualeap import __version__
from lingualeap.app.backends import Backends, build_backends
from lingualeap.backends.memory.period_boards import MemoryPeriodLeaderboards
from lingualeap.clock import Clock, ReactorClock
from lingualeap.config import Config
from lingualeap.domain.model import Language
from lingualeap.domain.matchmaking_policy import MatchmakingConfig
from lingualeap.domain.room import Rules
from lingualeap.ports import PlayerStore
from lingualeap.services.accounts import AccountService
from lingualeap.services.bots import PracticeBots
from lingualeap.services.cluster import Cluster
from lingualeap.services.fanout import Fanout
from lingualeap.services.game import GameService
from lingualeap.services.matchmaking import MatchmakingService
from lingualeap.services.metrics import Metrics
from lingualeap.services.passwords import PasswordHasher
from lingualeap.services.play import PlayService
from lingualeap.services.leaderboards import LeaderboardService
from lingualeap.services.presence import Presence
from lingualeap.services.progression import ProgressionService
from lingualeap.services.ratings import Ratings
from lingualeap.services.outbox import OutboxService
from lingualeap.services.overload import LagMonitor
from lingualeap.services.results import ResultsService
from lingualeap.services.revocation import Revoker
from lingualeap.services.room_host import RoomHost
from lingualeap.services.word_choice import WordChooser
from lingualeap.services.throttle import Throttle
from lingualeap.services.tokens import TokenService
from lingualeap.words.loader import load_languages


@dataclass
class Server:
    config: Config
    clock: Clock
    metrics: Metrics
    languages: dict[str, Language]
    presence: Presence
    backends: Backends
    players: PlayerStore
    host: RoomHost
    game: GameService
    matchmaking: MatchmakingService
    accounts: AccountService
    results: ResultsService
    play: PlayService
    tokens: TokenService
    #: Shared rate limits (per user, per address, logins): for every transport to use.
    throttle: Throttle
    started_at: float

    draining: bool = False
    #: Per-language leaderboards by period (issue 8).
    boards: LeaderboardService | None = None
    #: Closes open connections whose token was revoked, here and (over the backplane) elsewhere.
    revoker: Revoker | None = None
    #: Refuses guesses while the reactor runs behind (started with the service).
    lag: LagMonitor | None = None

    def health(self) -> dict[str, Any]:
        dependencies = [check() for check in self.backends.health]
        degraded = any(d.get("status") != "ok" for d in dependencies)
        return {
            # "draining" answers 503, so load balancers stop sending players here.
            "status": "draining" if self.draining else "degraded" if degraded else "ok",
            "dependencies": dependencies,
            "instance": self.config.instance_id,
            "version": __version__,
            "uptime": round(time.monotonic() - self.started_at, 3),
            "connections": self.presence.connection_count,
            "rooms": self.host.count(),
        }

    def welcome(self) -> dict[str, Any]:
        return {
            "languages": [{"id": lang.id, "name": lang.name} for lang in self.languages.values()],
            "rounds": self.config.rounds,
            "roundSeconds": self.config.round_seconds,
            "instance": self.config.instance_id,
        }


def build_server(config: Config, reactor: Any, clock: Clock | None = None,
                 languages: dict[str, Language] | None = None, backends: Backends | None = None) -> Server:
    """Wire a server; backends come from the configuration unless given.

    ``reactor`` provides threads (for bcrypt); ``clock`` defaults to one over the same reactor.
    """
    assert IReactorTime.providedBy(reactor) and IReactorThreads.providedBy(reactor)
    clock = clock or ReactorClock(reactor)
    metrics = Metrics()
    languages = languages if languages is not None else load_languages()
    backends = backends or build_backends(config, clock, reactor, languages)
    presence = Presence(on_change=metrics.observe_presence)
    cluster = Cluster(backends.backplane, presence, clock)
    boards = LeaderboardService(
        backends.period_boards or MemoryPeriodLeaderboards(clock), clock, languages, backends.board_archive
    )
    ratings = Ratings(backends.players, backends.rating_cache)
    results = ResultsService(backends.players, backends.leaderboards, cluster, clock=clock, metrics=metrics,
                             spool=backends.result_spool,
                             progression=ProgressionService(backends.players, cluster), period_boards=boards,
                             ratings=ratings, rooms=backends.rooms)
    if results.outbox is not None:
        # Stopped with the process (one last attempt, then a log of anything still waiting).
        backends.services.append(OutboxService(results.outbox))
        if config.mongo_uri:
            backends.health.append(results.outbox.health)
    backends.on_players_ready.append(results.store_ready)
    fanout = Fanout(backends.backplane, presence, backends.rooms)
    host = RoomHost(
        instance_id=backends.backplane.instance_id,
        clock=clock,
        room_rules=Rules(
            rounds=config.rounds,
            round_seconds=config.round_seconds,
            start_delay=config.start_delay,
            intermission=config.intermission,
            max_players=config.max_players,
        ),
        words=backends.words,
        rooms=backends.rooms,
        leases=backends.leases,
        results=results,
        metrics=metrics,
        local=fanout.hosted_batch,
        released=fanout.released,
        reconnect_grace=config.reconnect_grace,
        guess_rate=config.limits.guesses,
    )
    fanout.hosted_here(host.owns)
    game = GameService(host=host, cluster=cluster, fanout=fanout, leases=backends.leases,
                       rooms=backends.rooms, languages=languages, clock=clock)
    rng = random.Random(config.word_seed) if config.word_seed is not None else None
    bots = (
        PracticeBots(game, presence, clock, config.round_seconds,
                     random.Random(config.word_seed) if config.word_seed is not None else None)
        if config.bot_after > 0 else None
    )
    matchmaking = MatchmakingService(
        backends.queue, game, presence, metrics, clock=clock, ratings=ratings, bots=bots,
        config=MatchmakingConfig(
            initial_window=config.match_window, widen_per_second=config.match_window_widen,
            max_window=config.match_window_max, bot_after=config.bot_after if bots is not None else math.inf,
        ),
        status_interval=config.queue_status_interval,
    )
    game.words = WordChooser(backends.players, languages, clock, rng)
    tokens = TokenService(config.jwt_keys or config.jwt_secret, clock)
    throttle = _throttle(config, backends, clock)
    revoker = Revoker(presence, cluster, clock)
    pool = reactor.getThreadPool()
    hasher = PasswordHasher(lambda fn: deferToThreadPool(reactor, pool, fn), rounds=config.bcrypt_rounds)
    accounts = AccountService(
        store=backends.players,
        revocations=backends.revocations,
        tokens=tokens,
        hasher=hasher,
        leaderboards=backends.leaderboards,
        results=results,
        clock=clock,
        throttle=throttle,
        revoker=revoker,
    )
    lag = LagMonitor(clock, metrics, shed_after=config.shed_guesses_after)
    play = PlayService(game, matchmaking, metrics, throttle=throttle, lag=lag)
    return Server(
        config=config, clock=clock, metrics=metrics, languages=languages, presence=presence,
        backends=backends, players=backends.players, host=host, game=game, matchmaking=matchmaking,
        accounts=accounts, results=results, play=play, tokens=tokens, throttle=throttle,
        started_at=time.monotonic(), boards=boards, revoker=revoker, lag=lag,
    )


def _throttle(config: Config, backends: Backends, clock: Clock) -> Throttle:
    from lingualeap.backends.memory.ratelimit import MemoryRateLimiter

    # This instance's memory stands in whenever the shared limiter cannot answer.
    local = backends.limiter if isinstance(backends.limiter, MemoryRateLimiter) else MemoryRateLimiter(clock)
    return Throttle(backends.limiter, config.limits, clock, fallback=local)
