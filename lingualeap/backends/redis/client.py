"""The command connection to Redis: one pipelined connection per instance, with deadlines.

txredisapi retries connecting by itself; while Redis is away its commands would wait forever,
so every call here has a deadline. Lua scripts run by SHA. Every script is loaded on each new
connection before the connection takes commands, so a script never has to be loaded in the
middle of a sequence of commands (which would reorder them); a restarted Redis, which forgot
the scripts, gets them again on reconnect.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import txredisapi
from twisted.internet.defer import Deferred, succeed
from twisted.internet.endpoints import TCP4ClientEndpoint
from twisted.internet.task import deferLater
from twisted.logger import Logger

from lingualeap.domain.errors import GameError

DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True)
class RedisAddress:
    """Where Redis is: one server, or the master of a Sentinel-monitored group."""

    host: str
    port: int
    db: int
    password: str | None
    tls: bool
    sentinels: tuple[tuple[str, int], ...] = ()
    master: str | None = None
    #: For ``rediss://``: PEM file of the CA(s) to trust (default: the system's roots).
    ca_file: str | None = None

    @classmethod
    def parse(cls, url: str, password: str | None = None, ca_file: str | None = None) -> RedisAddress:
        parts = urlsplit(url)
        db = parts.path.strip("/")
        return cls(
            host=parts.hostname or "localhost",
            port=parts.port or 6379,
            db=int(db) if db else 0,
            password=password or (unquote(parts.password) if parts.password else None),
            tls=parts.scheme == "rediss",
            ca_file=ca_file,
        )

    @classmethod
    def sentinel(
        cls, sentinels: tuple[tuple[str, int], ...], master: str, db: int = 0, password: str | None = None
    ) -> RedisAddress:
        return cls(host="", port=0, db=db, password=password, tls=False, sentinels=sentinels, master=master)

    def __str__(self) -> str:
        if self.sentinels:
            hosts = ",".join(f"{h}:{p}" for h, p in self.sentinels)
            return f"sentinel://{hosts}/{self.master}/{self.db}"
        return f"{'rediss' if self.tls else 'redis'}://{self.host}:{self.port}/{self.db}"


class Script:
    """A Lua script; every instance is registered, so connections can load them all up front."""

    registry: list[Script] = []

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()
        Script.registry.append(self)


class PersistentRedisFactory(txredisapi.RedisFactory):  # type: ignore[misc]
    """A factory that keeps retrying even after AUTH or SELECT failed.

    txredisapi gives up for good on a failed AUTH; a password rotated on the server would then
    need a restart of every instance. We log loudly and keep trying with backoff instead.
    """

    log = Logger()
    closing = False
    #: Reconnect attempts back off up to this many seconds (txredisapi's default is 10).
    maxDelay = 3

    def stopTrying(self) -> Deferred[None]:
        if self.closing:
            return super().stopTrying()  # type: ignore[no-any-return]
        self.log.error("Redis refused AUTH/SELECT; retrying with backoff (check the password and DB)")
        return succeed(None)

    def disconnect(self) -> Deferred[None]:
        self.closing = True
        return super().disconnect()  # type: ignore[no-any-return]


class ScriptLoadingFactory(PersistentRedisFactory):
    """Loads every registered script on each new connection before it joins the pool.

    txredisapi adds a ready connection to the pool one reactor turn later, so commands written
    here go out before any pooled command.
    """

    def buildProtocol(self, addr: Any) -> Any:
        protocol = super().buildProtocol(addr)
        protocol.whenConnected().addCallback(self._load_scripts)
        return protocol

    #: Under Sentinel: drop connections that reach a replica (stale discovery, demoted master).
    require_master = False

    def _load_scripts(self, protocol: Any) -> Any:
        _send_whole_backlog(protocol.transport)
        if self.require_master:
            protocol.execute_command("ROLE").addCallback(self._check_role, protocol)
        for script in Script.registry:
            d = protocol.execute_command("SCRIPT", "LOAD", script.source)
            d.addErrback(lambda f: self.log.warn("loading a Lua script failed: {e}", e=f.getErrorMessage()))
        return protocol

    def _check_role(self, role: Any, protocol: Any) -> None:
        if not role or str(role[0]) != "master":
            self.log.warn("connected to a Redis {role}, not the master; reconnecting", role=role and role[0])
            protocol.transport.loseConnection()


#: Bytes the command connection may hand the kernel in one write (Twisted's default: 128 KiB).
COMMAND_SEND_LIMIT = 64 * 1024 * 1024


def _send_whole_backlog(transport: Any) -> None:
    """Let the command connection send everything it has on each turn of the reactor.

    Twisted's TCP transport sends at most 128 KiB per turn. A busy instance's turns take tens of
    milliseconds, and it makes a commit per guess: past some load, commands were made faster than
    128 KiB per turn took them out, so the backlog, and the wait for every reply behind it, grew
    without end until commands missed their deadline and the connection was dropped (and with it
    the leases of every room here). Redis takes megabytes in a moment; the players' frames, held
    back by TCP, are what should wait.
    """
    while transport is not None:
        if hasattr(transport, "SEND_LIMIT"):
            transport.SEND_LIMIT = COMMAND_SEND_LIMIT
        transport = getattr(transport, "transport", None)  # beneath TLS: the TCP connection


def make_factory(address: RedisAddress, *, reply_timeout: float | None, protocol: Any = None) -> PersistentRedisFactory:
    factory_class = PersistentRedisFactory if protocol is not None else ScriptLoadingFactory
    factory = factory_class(
        f"{address.host}:{address.port}",
        address.db if protocol is None else None,
        1,
        isLazy=True,
        password=address.password,
        replyTimeout=reply_timeout,
        # "007" must stay "007": we convert what we read ourselves.
        convertNumbers=False,
    )
    if protocol is not None:
        factory.protocol = protocol
    else:
        factory.require_master = bool(address.sentinels)
    return factory


def endpoint(reactor: Any, address: RedisAddress) -> Any:
    if address.sentinels:
        from lingualeap.backends.redis.sentinel import master_endpoint

        return master_endpoint(reactor, address)
    if address.tls:
        from twisted.internet.endpoints import wrapClientTLS

        from lingualeap.tls import client_tls

        # The certificate must chain to the CA and name the host we dialled (or its IP).
        return wrapClientTLS(client_tls(address.host, address.ca_file),
                             TCP4ClientEndpoint(reactor, address.host, address.port, timeout=5))
    return TCP4ClientEndpoint(reactor, address.host, address.port, timeout=5)


class RedisClient:
    """Commands and scripts over the command connection, each with a deadline."""

    log = Logger()

    def __init__(self, reactor: Any, address: RedisAddress, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.address = address
        self._reactor = reactor
        self._timeout = timeout
        self.factory = make_factory(address, reply_timeout=timeout)
        self._handler: Any = self.factory.handler
        self._loaded: set[str] = set()

    def start(self) -> None:
        self.factory.startConnecting(endpoint(self._reactor, self.address))

    async def stop(self) -> None:
        await self.factory.disconnect()

    @property
    def connected(self) -> bool:
        return bool(self.factory.size)

    async def wait_connected(self, timeout: float = 10.0) -> None:
        """Until the connection is up (start-up, tests), or ``unavailable`` after ``timeout``."""
        waited = 0.0
        while not self.connected:
            if waited >= timeout:
                raise GameError("unavailable", f"could not connect to {self.address} in {timeout:g}s")
            await deferLater(self._reactor, 0.05, lambda: None)
            waited += 0.05

    async def execute(self, *args: Any, timeout: float | None = None) -> Any:
        if not self.connected:
            # Fail at once rather than queue behind a connection that may be long in coming.
            raise GameError("unavailable", f"the shared store ({self.address}) is unreachable; try again shortly")
        d: Deferred[Any] = self._handler.execute_command(*args)
        try:
            return await d.addTimeout(timeout or self._timeout, self._reactor)
        except txredisapi.ResponseError:
            raise
        except Exception as e:  # timeouts and lost connections look alike to callers
            raise GameError("unavailable", f"the shared store did not answer in time ({args[0]}); try again shortly") from e

    async def script(self, script: Script, keys: list[str], args: list[Any]) -> Any:
        try:
            return await self.execute("EVALSHA", script.sha, len(keys), *keys, *args)
        except txredisapi.ResponseError as e:
            if "NOSCRIPT" not in str(e):
                raise
        # Only if SCRIPT FLUSH ran behind our back: EVAL carries the source itself.
        return await self.execute("EVAL", script.source, len(keys), *keys, *args)
