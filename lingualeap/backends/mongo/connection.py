"""The MongoDB connection as a twisted Service: connect on start, watch it, close on stop.

txmongo reconnects by itself (its factories retry forever), but it has no timeouts of its own and
says nothing when the server goes away. So every call here passes ``timeout=``, failures that
mean "not reachable now" become one error (:class:`MongoUnavailable`, HTTP 503), and a ping
every few seconds tells ``/health`` how things stand and runs the ``on_ready`` hooks (indexes,
unfinished credits, the leaderboard rebuild, the results outbox) whenever MongoDB comes (back) up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pymongo.errors import OperationFailure
from twisted.application.service import Service
from twisted.internet.defer import Deferred, succeed
from twisted.logger import Logger
from txmongo.connection import ConnectionPool

from lingualeap.backends.mongo import scram
from lingualeap.backends.mongo.calls import MongoUnavailable, call
from lingualeap.backends.mongo.indexes import ensure_indexes
from lingualeap.clock import Cancellable, Clock
from lingualeap.config import Config
from lingualeap.tls import MongoTLS, client_tls

T = TypeVar("T")

#: Connections in the pool: MongoDB runs one connection's operations one after another.
POOL_SIZE = 4
#: Seconds between health pings.
PING_INTERVAL = 2.0
#: Longest wait between reconnection attempts, so a restarted MongoDB is found again quickly.
MAX_RECONNECT_DELAY = 3.0


@dataclass(frozen=True, slots=True)
class MongoSettings:
    uri: str
    write_concern: str = "majority"
    timeout: float = 5.0
    #: Trusted CA(s) for ``tls=true`` (else the URI's ``tlsCAFile``, else the system's roots).
    ca_file: str | None = None

    @classmethod
    def from_config(cls, config: Config) -> MongoSettings:
        assert config.mongo_uri is not None
        return cls(config.mongo_uri, config.mongo_write_concern, config.mongo_timeout, config.mongo_ca)

    @property
    def tls(self) -> MongoTLS:
        return MongoTLS.of_uri(self.uri)

    @property
    def database(self) -> str:
        return urlsplit(self.uri).path.strip("/")

    @property
    def where(self) -> str:
        """The server(s) and database, without credentials, for logs and /health."""
        return f"{urlsplit(self.uri).netloc.rpartition('@')[2]}/{self.database}"

    def pool_options(self) -> dict[str, Any]:
        return {
            "pool_size": POOL_SIZE,
            "w": 1 if self.write_concern == "1" else "majority",
            # The server gives up waiting for replication at our deadline too, instead of never.
            "wtimeout": int(self.timeout * 1000),
            # txmongo uses this as its connect and handshake timeout as well as the first retry delay.
            "retry_delay": min(self.timeout, 2.0),
            "max_delay": MAX_RECONNECT_DELAY,
            **self._tls_options(),
        }

    def _tls_options(self) -> dict[str, Any]:
        """With ``tls=true``, every connection verifies the chain and the (first) host's name."""
        tls = self.tls
        if not tls.enabled:
            return {}
        return {"ssl_context_factory": client_tls(tls.hostname, self.ca_file or tls.ca_file)}


class MongoService(Service):
    """Owns the txmongo pool; ``db`` is only usable between startService and stopService."""

    log = Logger()
    name = "mongo"

    def __init__(self, settings: MongoSettings, clock: Clock, ping_interval: float = PING_INTERVAL) -> None:
        self.settings = settings
        self._clock = clock
        self._ping_interval = ping_interval
        self._pool: Any = None
        self._loop: Cancellable | None = None
        self._checking = False
        self._indexed = False
        self._state = "starting"  # then "up" or "down"
        self._error: str | None = "not connected yet"
        self._last_ok: float | None = None
        #: Coroutines run each time MongoDB becomes reachable: at start and after an outage.
        self.on_ready: list[Callable[[], Awaitable[None]]] = []

    # -- lifecycle -------------------------------------------------------------------------
    def startService(self) -> None:
        super().startService()
        # Connecting starts here, never at import or construction (txmongo dials at once).
        self._pool = ConnectionPool(self.settings.uri, **self.settings.pool_options())
        scram.install(self._pool)
        self.log.info("connecting to MongoDB at {where}{tls} (write concern {w}, {timeout}s timeout)",
                      where=self.settings.where, tls=" over TLS" if self.settings.tls.enabled else "",
                      w=self.settings.write_concern, timeout=self.settings.timeout)
        self._loop = self._clock.looping_call(self._ping_interval, self._tick)
        self._tick()

    def stopService(self) -> Deferred[None]:
        super().stopService()
        if self._loop is not None:
            self._loop.cancel()
            self._loop = None
        pool, self._pool = self._pool, None
        self._state = "down"
        self._error = "stopped"
        if pool is None:
            return succeed(None)
        disconnected: Deferred[None] = pool.disconnect()
        return disconnected

    # -- use -------------------------------------------------------------------------------
    @property
    def db(self) -> Any:
        """The txmongo Database named in the URI."""
        if self._pool is None:
            raise MongoUnavailable("the MongoDB service is not running")
        return self._pool[self.settings.database]

    @property
    def timeout(self) -> float:
        return self.settings.timeout

    async def call(self, pending: Deferred[T]) -> T:
        """:func:`calls.call`, and a failure marks MongoDB unreachable at once (not at the next
        ping), so /health says so and the recovery hooks run as soon as a ping succeeds again."""
        try:
            return await call(pending)
        except MongoUnavailable as e:
            self._went_down(e.detail)
            raise

    @property
    def reachable(self) -> bool:
        return self._state == "up"

    def health(self) -> dict[str, Any]:
        report: dict[str, Any] = {
            "name": "mongo",
            # Games go on without MongoDB (results wait in the outbox), so this is never "down".
            "status": "ok" if self._state == "up" else "degraded",
            "address": self.settings.where,
            "writeConcern": self.settings.write_concern,
            "lastOk": self._last_ok,
        }
        if self._error is not None:
            report["error"] = self._error
        return report

    async def check(self) -> bool:
        """Ping now (and prepare the database the first time); whether MongoDB answered."""
        try:
            await call(self.db.command("ping", timeout=self.settings.timeout))
            if not self._indexed:
                await ensure_indexes(self.db, self.settings.timeout)
                self._indexed = True
        except MongoUnavailable as e:
            self._went_down(e.detail)
            return False
        except OperationFailure as e:
            # Not an outage but a refusal (an index of ours exists with other options, no right
            # to create indexes): nothing works until someone fixes it; /health shows why.
            self._went_down(f"{type(e).__name__}: {e}")
            return False
        self._error = None
        self._last_ok = self._clock.now()
        if self._state != "up":
            self.log.info("MongoDB at {where} is reachable", where=self.settings.where)
            self._state = "up"
            await self._run_ready_hooks()
        return True

    # -- internals -------------------------------------------------------------------------
    def _tick(self) -> None:
        if self._checking or self._pool is None:
            return  # the previous ping is still waiting for its timeout
        self._checking = True

        def done(_: object) -> None:
            self._checking = False

        d = Deferred.fromCoroutine(self.check())
        d.addErrback(lambda f: self.log.failure("checking MongoDB failed", f))
        d.addBoth(done)

    def _went_down(self, detail: str) -> None:
        self._error = detail
        if self._state != "down":
            self.log.warn(
                "MongoDB at {where} is unreachable ({error}): games go on, finished results wait "
                "in the outbox, logins and registrations fail until it is back",
                where=self.settings.where, error=detail,
            )
        self._state = "down"

    async def _run_ready_hooks(self) -> None:
        for hook in list(self.on_ready):
            try:
                await hook()
            except MongoUnavailable as e:
                # Gone again: the hooks run once more when it is back.
                self._went_down(e.detail)
                return
            except Exception:
                self.log.failure("after MongoDB became reachable, {hook!r} failed", hook=hook)
