"""A real LinguaLeap service listening on a free loopback port inside the test's reactor."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from twisted.internet import reactor
from twisted.web.client import Agent, readBody
from twisted.web.http_headers import Headers

from lingualeap.app.service import LinguaLeapService
from lingualeap.config import Config
from support.words import languages


class LiveServer:
    def __init__(self, **config: Any) -> None:
        base = Config(listen=(), bcrypt_rounds=4, jwt_secret="live-test-secret-that-is-long-enough-32", **config)
        self.service = LinguaLeapService(replace(base), reactor, languages=languages())
        self.port: Any = None

    async def start(self) -> LiveServer:
        self.service.startService()
        self.port = reactor.listenTCP(0, self.service.site, interface="127.0.0.1")  # type: ignore[attr-defined]
        return self

    async def stop(self) -> None:
        if self.port is not None:
            await self.port.stopListening()
        await self.service.stopService()

    @property
    def base(self) -> str:
        return f"127.0.0.1:{self.port.getHost().port}"

    def ws_url(self, query: str = "") -> str:
        return f"ws://{self.base}/ws" + (f"?{query}" if query else "")

    async def request(
        self, method: str, path: str, body: Any = None, token: str | None = None,
        headers: dict[str, str] | None = None, raw: bytes | None = None,
    ) -> tuple[int, Any, Headers]:
        from twisted.web.client import FileBodyProducer
        from io import BytesIO

        h = {"content-type": ["application/json"]}
        if token:
            h["authorization"] = [f"Bearer {token}"]
        for k, v in (headers or {}).items():
            h[k.lower()] = [v]
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        producer = FileBodyProducer(BytesIO(data)) if data is not None else None
        response = await Agent(reactor).request(
            method.encode(), f"http://{self.base}{path}".encode(), Headers(h), producer
        )
        content = await readBody(response)
        ctype = response.headers.getRawHeaders(b"content-type", [b""])[0]
        parsed: Any = json.loads(content) if b"json" in ctype and content else content
        return response.code, parsed, response.headers

    async def register(self, name: str) -> dict[str, Any]:
        """A new account named ``name`` (e-mail ``name@example.com``): the API's answer, with its token."""
        status, body, _ = await self.request(
            "POST", "/api/users", {"name": name, "email": f"{name.lower()}@example.com", "password": "password123"}
        )
        assert status == 201, body
        return dict(body)
