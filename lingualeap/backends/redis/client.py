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
from twisted.logger import Logger

from lingualeap.domain.errors import GameError

DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True)
class RedisAddress:
    host: str
    port: int
    db: int
    password: str | None
    tls: bool

    @classmethod
    def parse(cls, url: str, password: str | None = None) -> RedisAddress:
        parts = urlsplit(url)
        db = parts.path.strip("/")
        return cls(
            host=parts.hostname or "localhost",
            port=parts.port or 6379,
            db=int(db) if db else 0,
            password=password or (unquote(parts.password) if parts.password else None),
            tls=parts.scheme == "rediss",
        )

    def __str__(self) -> str:
        return f"redis://{self.host}:{self.port}/{self.db}"


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

    def _load_scripts(self, protocol: Any) -> Any:
        for script in Script.registry:
            d = protocol.execute_command("SCRIPT", "LOAD", script.source)
            d.addErrback(lambda f: self.log.warn("loading a Lua script failed: {e}", e=f.getErrorMessage()))
        return protocol


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
    return factory


def endpoint(reactor: Any, address: RedisAddress) -> Any:
    if address.tls:
        from twisted.internet.endpoints import wrapClientTLS
        from twisted.internet.ssl import optionsForClientTLS

        return wrapClientTLS(optionsForClientTLS(address.host), TCP4ClientEndpoint(reactor, address.host, address.port, timeout=5))
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

    async def execute(self, *args: Any, timeout: float | None = None) -> Any:
        d: Deferred[Any] = self._handler.execute_command(*args)
        try:
            return await d.addTimeout(timeout or self._timeout, self._reactor)
        except txredisapi.ResponseError:
            raise
        except Exception as e:  # timeouts and lost connections look alike to callers
            raise GameError("unavailable", f"Redis did not answer {args[0]}: {e.__class__.__name__}") from e

    async def script(self, script: Script, keys: list[str], args: list[Any]) -> Any:
        try:
            return await self.execute("EVALSHA", script.sha, len(keys), *keys, *args)
        except txredisapi.ResponseError as e:
            if "NOSCRIPT" not in str(e):
                raise
        # Only if SCRIPT FLUSH ran behind our back: EVAL carries the source itself.
        return await self.execute("EVAL", script.source, len(keys), *keys, *args)
