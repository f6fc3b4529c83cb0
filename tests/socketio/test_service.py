"""In-process, on the real reactor (pytest-twisted): mount, serve, and stop with a service."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Generator
from io import BytesIO
from typing import Any

import pytest_twisted
from twisted.application.service import MultiService
from twisted.internet import reactor
from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.internet.endpoints import TCP4ServerEndpoint
from twisted.internet.task import deferLater
import pytest
from twisted.web.client import Agent, FileBodyProducer, readBody
from twisted.web.iweb import IResponse
from twisted.web.resource import Resource
from twisted.web.server import Site

from lingualeap.transports.socketio import (
    Ack,
    EngineIOOptions,
    SocketIOService,
    RequestInfo,
    Socket,
    SocketIOServer,
)
from lingualeap.transports.socketio.engineio_packets import RECORD_SEPARATOR


class SlowWelcome:
    """A handler whose ``on_connect`` is a coroutine that waits on the reactor."""

    def __init__(self) -> None:
        self.disconnects: list[str] = []

    async def on_connect(self, socket: Socket, auth: object, request_info: RequestInfo) -> None:
        await deferLater(reactor, 0.05, lambda: None)
        socket.data["player"] = request_info.cookies.get("jwt", "guest")
        socket.emit("welcome", socket.data["player"])

    def on_event(self, socket: Socket, event: str, args: list[object], ack: Ack | None) -> None:
        pass

    def on_disconnect(self, socket: Socket, reason: str) -> None:
        self.disconnects.append(reason)


def request(agent: Agent, method: bytes, url: str, body: bytes | None = None) -> Deferred[Any]:
    producer = FileBodyProducer(BytesIO(body)) if body is not None else None
    return agent.request(method, url.encode(), None, producer)


@inlineCallbacks
def wait_for(
    condition: Callable[[], bool], timeout: float = 3
) -> Generator[Deferred[Any], Any, None]:
    """Let the reactor run until ``condition()`` holds (polling, with a deadline)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        yield deferLater(reactor, 0.01, lambda: None)


# Twisted's Agent response transport lacks abortConnection; readBody warns about it.
@pytest.mark.filterwarnings("ignore:Using readBody with a transport:DeprecationWarning")
@pytest_twisted.inlineCallbacks
def test_mount_serve_and_stop() -> Generator[Deferred[Any], Any, None]:
    handler = SlowWelcome()
    server = SocketIOServer(reactor, EngineIOOptions(ping_interval=5, ping_timeout=5))
    server.add_namespace("/", handler)
    root = Resource()
    root.putChild(b"socket.io", server.resource)
    services = MultiService()
    SocketIOService(server).setServiceParent(services)
    services.startService()
    port = yield TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(Site(root))
    base = f"http://127.0.0.1:{port.getHost().port}/socket.io/?EIO=4&transport=polling"
    agent = Agent(reactor)
    try:
        response: IResponse = yield request(agent, b"GET", base)
        opened = (yield readBody(response)).decode()
        sid = json.loads(opened[1:])["sid"]
        url = f"{base}&sid={sid}"

        response = yield request(agent, b"POST", url, b"40")
        assert (yield readBody(response)) == b"ok"
        response = yield request(agent, b"GET", url)
        records = (yield readBody(response)).decode().split(RECORD_SEPARATOR)
        assert records[0].startswith('40{"sid":"')
        if len(records) == 1:  # the welcome may come in the next long-poll
            response = yield request(agent, b"GET", url)
            records += (yield readBody(response)).decode().split(RECORD_SEPARATOR)
        assert records[1] == '42["welcome","guest"]'
        assert [s.data["player"] for s in server.sockets()] == ["guest"]

        held = request(agent, b"GET", url)  # the server holds it: nothing to send
        session = server.engine.get_session(sid)
        assert session is not None
        yield wait_for(lambda: session.transport.writable)
        yield services.stopService()
        response = yield held
        assert (yield readBody(response)) == b"1"
        assert handler.disconnects == ["server shutting down"]
        assert len(server.engine) == 0
    finally:
        yield port.stopListening()
