"""A real WebSocket JSON client for tests, on Autobahn, that waits for events with deadlines."""

from __future__ import annotations

import json
from typing import Any

from autobahn.twisted.websocket import WebSocketClientFactory, WebSocketClientProtocol, connectWS
from twisted.internet import defer, reactor
from twisted.internet.defer import Deferred


class ClientProtocol(WebSocketClientProtocol):
    factory: ClientFactory

    def onOpen(self) -> None:
        self.factory.client._opened(self)

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        self.factory.client._received(json.loads(payload))

    def onClose(self, wasClean: bool, code: int | None, reason: str | None) -> None:
        self.factory.client._closed(code, reason)


class ClientFactory(WebSocketClientFactory):
    protocol = ClientProtocol

    def __init__(self, url: str, client: WsClient, headers: dict[str, str] | None) -> None:
        super().__init__(url, headers=headers or {})
        self.client = client
        self.setProtocolOptions(autoPingInterval=0, maxMessagePayloadSize=0, maxFramePayloadSize=0)


class WsClient:
    """Events are kept in arrival order; ``next(name)`` consumes the next one of that name."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self._cursor: dict[str, int] = {}
        self._waiters: list[tuple[str | None, Deferred[None]]] = []
        self.protocol: ClientProtocol | None = None
        self.opened: Deferred[None] = Deferred()
        self.closed: Deferred[tuple[int | None, str | None]] = Deferred()

    # -- protocol callbacks -----------------------------------------------------------------
    def _opened(self, protocol: ClientProtocol) -> None:
        self.protocol = protocol
        self.opened.callback(None)

    def _received(self, message: dict[str, Any]) -> None:
        self.events.append(message)
        self._wake()

    def _closed(self, code: int | None, reason: str | None) -> None:
        if not self.opened.called:
            self.opened.errback(ConnectionError(f"handshake failed: {code} {reason}"))
        if not self.closed.called:
            self.closed.callback((code, reason))
        self._wake()

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for _, d in waiters:
            d.callback(None)

    # -- test API ---------------------------------------------------------------------------
    def send(self, event: str, data: Any = None) -> None:
        self.send_raw(json.dumps({"event": event, "data": data if data is not None else {}}))

    def send_raw(self, text: str | bytes, binary: bool = False) -> None:
        assert self.protocol is not None
        payload = text.encode() if isinstance(text, str) else text
        self.protocol.sendMessage(payload, isBinary=binary)

    def names(self) -> list[str]:
        return [e["event"] for e in self.events]

    def _find(self, name: str) -> dict[str, Any] | None:
        start = self._cursor.get(name, 0)
        for index in range(start, len(self.events)):
            if self.events[index]["event"] == name:
                self._cursor[name] = index + 1
                return dict(self.events[index]["data"] or {})
        return None

    async def next(self, name: str, timeout: float = 10.0) -> dict[str, Any]:
        """The next not yet consumed event called ``name``, waiting up to ``timeout`` seconds."""
        deadline = reactor.seconds() + timeout  # type: ignore[attr-defined]
        while True:
            found = self._find(name)
            if found is not None:
                return found
            if self.closed.called:
                raise AssertionError(f"connection closed while waiting for {name}; got {self.names()}")
            remaining = deadline - reactor.seconds()  # type: ignore[attr-defined]
            if remaining <= 0:
                raise AssertionError(f"no {name} within {timeout}s; got {self.names()}")
            d: Deferred[None] = Deferred()
            self._waiters.append((name, d))
            timer = reactor.callLater(remaining, lambda: d.called or d.callback(None))  # type: ignore[attr-defined]
            await d
            if timer.active():
                timer.cancel()

    async def wait_closed(self, timeout: float = 10.0) -> tuple[int | None, str | None]:
        return await self.closed.addTimeout(timeout, reactor)  # type: ignore[arg-type]

    def close(self) -> None:
        if self.protocol is not None and not self.closed.called:
            self.protocol.sendClose(1000)


async def connect(url: str, headers: dict[str, str] | None = None, timeout: float = 10.0) -> WsClient:
    client = WsClient()
    factory = ClientFactory(url, client, headers)
    connectWS(factory)
    await client.opened.addTimeout(timeout, reactor)  # type: ignore[arg-type]
    return client


async def gather(*ds: Any) -> list[Any]:
    return await defer.gatherResults([defer.ensureDeferred(d) for d in ds], consumeErrors=True)
