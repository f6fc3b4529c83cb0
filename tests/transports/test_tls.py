"""--listen ssl:...: HTTPS and WSS with a throwaway CA, against clients that verify it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from autobahn.twisted.websocket import connectWS
from support.processes import free_port
from support.tls import ThrowawayCA
from support.words import languages
from support.wsclient import ClientFactory, WsClient
from twisted.internet import reactor
from twisted.internet.ssl import Certificate, optionsForClientTLS
from twisted.web.client import Agent, BrowserLikePolicyForHTTPS, readBody
from twisted.web.http_headers import Headers

from lingualeap.app.service import LinguaLeapService
from lingualeap.config import Config


class Served:
    def __init__(self, service: LinguaLeapService, port: int, ca: ThrowawayCA) -> None:
        self.service, self.port, self.ca = service, port, ca

    def trust(self, ca: ThrowawayCA | None = None) -> Any:
        return Certificate.loadPEM((ca or self.ca).cert_path.read_bytes())


@pytest_twisted.async_yield_fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    ca = ThrowawayCA(tmp_path)
    issued = ca.issue("server", dns=("localhost",), ips=("127.0.0.1",))
    port = free_port()
    listen = f"ssl:{port}:interface=127.0.0.1:privateKey={issued.key}:certKey={issued.cert}"
    config = Config(listen=(listen,), bcrypt_rounds=4, drain_seconds=0,
                    jwt_secret="tls-test-secret-that-is-long-enough-0123456789")
    service = LinguaLeapService(config, reactor, languages=languages())
    service.startService()
    yield Served(service, port, ca)
    await service.stopService()


async def https(served: Served, method: str, path: str, body: Any = None, host: str = "localhost",
                trust: Any = None) -> tuple[int, Any, Headers]:
    from io import BytesIO

    from twisted.web.client import FileBodyProducer

    agent = Agent(reactor, contextFactory=BrowserLikePolicyForHTTPS(trustRoot=trust or served.trust()))
    producer = FileBodyProducer(BytesIO(json.dumps(body).encode())) if body is not None else None
    response = await agent.request(method.encode(), f"https://{host}:{served.port}{path}".encode(),
                                   Headers({"content-type": ["application/json"]}), producer)
    content = await readBody(response)
    return response.code, json.loads(content) if content else None, response.headers


async def wss(served: Served, query: str, trust: Any = None, host: str = "localhost") -> WsClient:
    client = WsClient()
    factory = ClientFactory(f"wss://{host}:{served.port}/ws?{query}", client, None)
    connectWS(factory, contextFactory=optionsForClientTLS(host, trustRoot=trust or served.trust()))
    await client.opened.addTimeout(10, reactor)  # type: ignore[arg-type]
    return client


@pytest_twisted.ensureDeferred
async def test_https_and_wss_are_served_with_the_configured_certificate(served: Served) -> None:
    status, health, _ = await https(served, "GET", "/health")
    assert status == 200 and health["status"] == "ok"
    status, user, headers = await https(served, "POST", "/api/users",
                                        {"name": "Ana", "email": "ana@example.com", "password": "password123"})
    assert status == 201
    cookie = headers.getRawHeaders(b"set-cookie")[0]
    assert b"; Secure" in cookie and b"HttpOnly" in cookie and b"SameSite=Lax" in cookie
    for host in ("localhost", "127.0.0.1"):
        client = await wss(served, f"token={user['token']}", host=host)
        assert (await client.next("welcome"))["player"]["username"] == "Ana"
        client.close()
        await client.wait_closed()


@pytest_twisted.ensureDeferred
async def test_clients_that_do_not_trust_the_ca_are_refused(served: Served, tmp_path: Path) -> None:
    stranger = ThrowawayCA(tmp_path / "..", "Stranger CA")
    with pytest.raises(Exception) as e:
        await https(served, "GET", "/health", trust=served.trust(stranger))
    assert "certificate verify failed" in repr(e.value), repr(e.value)
    with pytest.raises(ConnectionError):
        await wss(served, "username=x", trust=served.trust(stranger))
