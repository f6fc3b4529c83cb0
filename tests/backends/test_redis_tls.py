"""rediss://: a real redis-server on TLS with a throwaway CA; the chain and the host name are checked."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_twisted
from support.live import LiveServer
from support.tls import ThrowawayCA, TlsRedisServer
from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.protocol import Protocol

from lingualeap.backends.redis.client import RedisAddress, RedisClient
from lingualeap.domain.errors import GameError
from lingualeap.domain.ratelimit import Rate
from lingualeap.services.throttle import Limits


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> ThrowawayCA:
    return ThrowawayCA(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def tls_redis(ca: ThrowawayCA) -> Iterator[TlsRedisServer]:
    # The certificate names "localhost" only: dialling 127.0.0.1 must fail the name check.
    server = TlsRedisServer(ca, dns=("localhost",), ips=()).start()
    yield server
    server.cleanup()


async def client_for(url: str, ca_file: Path | None) -> RedisClient:
    client = RedisClient(reactor, RedisAddress.parse(url, ca_file=str(ca_file) if ca_file else None))
    client.start()
    return client


@pytest_twisted.ensureDeferred
async def test_a_server_with_a_certificate_from_our_ca_is_reached(tls_redis: TlsRedisServer, ca: ThrowawayCA) -> None:
    client = await client_for(f"rediss://localhost:{tls_redis.port}/0", ca.cert_path)
    try:
        await client.wait_connected(timeout=10)
        assert await client.execute("SET", "tls", "yes") in ("OK", b"OK")
        assert await client.execute("GET", "tls") in ("yes", b"yes")
        assert str(client.address).startswith("rediss://")
    finally:
        await client.stop()


@pytest.mark.parametrize("case", ["unknown CA", "wrong host name"])
@pytest_twisted.ensureDeferred
async def test_unverifiable_servers_are_never_talked_to(
    tls_redis: TlsRedisServer, ca: ThrowawayCA, tmp_path: Path, case: str
) -> None:
    if case == "unknown CA":
        other = ThrowawayCA(tmp_path, "Some Other CA")
        url, trust = f"rediss://localhost:{tls_redis.port}/0", other.cert_path
    else:
        url, trust = f"rediss://127.0.0.1:{tls_redis.port}/0", ca.cert_path  # not in the certificate
    client = await client_for(url, trust)
    try:
        with pytest.raises(GameError) as e:
            await client.wait_connected(timeout=1.5)
        assert e.value.code == "unavailable"
    finally:
        await client.stop()


@pytest_twisted.async_yield_fixture
async def server_on_tls_redis(tls_redis: TlsRedisServer, ca: ThrowawayCA) -> AsyncIterator[LiveServer]:
    live = await LiveServer(redis_url=f"rediss://localhost:{tls_redis.port}/0", redis_ca=str(ca.cert_path),
                            drain_seconds=0, limits=Limits(http=Rate(0.001, 3))).start()
    client = live.service.server.backends.services[0].client  # type: ignore[attr-defined]
    await client.wait_connected(timeout=10)
    await client.execute("FLUSHALL")
    yield live
    await live.stop()


@pytest_twisted.ensureDeferred
async def test_a_whole_server_keeps_its_shared_state_and_limits_in_redis_over_tls(
    server_on_tls_redis: LiveServer,
) -> None:
    server = server_on_tls_redis
    status, health, _ = await server.request("GET", "/health")
    assert status == 200 and health["dependencies"][0]["status"] == "ok", health
    statuses = [(await server.request("GET", "/api/languages"))[0] for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    client = server.service.server.backends.services[0].client  # type: ignore[attr-defined]
    assert await client.execute("EXISTS", "ll:rl:http:127.0.0.1") == 1  # the bucket lives in Redis


class _Ping(Protocol):
    def __init__(self) -> None:
        self.answer: Deferred[bytes] = Deferred()

    def connectionMade(self) -> None:
        assert self.transport is not None
        self.transport.write(b"PING\r\n")

    def dataReceived(self, data: bytes) -> None:
        if not self.answer.called:
            self.answer.callback(data)

    def connectionLost(self, reason: object = None) -> None:
        if not self.answer.called:
            self.answer.errback(ConnectionError(str(reason)))


@pytest.mark.parametrize("host, ok", [("localhost", True), ("127.0.0.1", False)])
@pytest_twisted.ensureDeferred
async def test_the_tls_hook_verifies_through_connect_ssl_as_txmongo_uses_it(
    tls_redis: TlsRedisServer, ca: ThrowawayCA, host: str, ok: bool
) -> None:
    # txmongo's ConnectionPool(ssl_context_factory=...) calls reactor.connectSSL(host, port, f, it):
    # lingualeap.tls.client_tls works there too, host name check included (for MongoDB tls=true).
    from twisted.internet.protocol import ClientFactory

    from lingualeap.tls import client_tls

    ping = _Ping()
    factory = ClientFactory.forProtocol(lambda: ping)
    reactor.connectSSL("127.0.0.1", tls_redis.port, factory, client_tls(host, ca.cert_path))  # type: ignore[attr-defined]
    if ok:
        assert (await ping.answer.addTimeout(5, reactor)).startswith(b"+PONG")  # type: ignore[arg-type]
    else:
        with pytest.raises(ConnectionError):
            await ping.answer.addTimeout(5, reactor)  # type: ignore[arg-type]
