"""The Socket.IO layer and its handler API, on a fake clock and an in-memory WebSocket."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from socketio_fakes import FakeWebSocket
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.logger import ILogObserver, LogEvent, globalLogPublisher
from zope.interface import provider

from lingualeap.transports.socketio import (
    Ack,
    ConnectRefused,
    EngineIOOptions,
    RequestInfo,
    Socket,
    SocketIOServer,
    encode_event,
)


class Handler:
    """A scriptable namespace handler that records what happens."""

    def __init__(self) -> None:
        self.connect_result: Any = None
        self.on_connect_emits: list[tuple[Any, ...]] = []
        self.events: list[tuple[str, list[object]]] = []
        self.disconnects: list[tuple[str, str]] = []
        self.sockets: list[Socket] = []
        self.infos: list[RequestInfo] = []
        self.auths: list[object] = []
        self.fail_events = False

    def on_connect(self, socket: Socket, auth: object, request_info: RequestInfo) -> Any:
        self.sockets.append(socket)
        self.auths.append(auth)
        self.infos.append(request_info)
        for args in self.on_connect_emits:
            socket.emit(*args)
        if isinstance(self.connect_result, Exception):
            raise self.connect_result
        return self.connect_result

    def on_event(self, socket: Socket, event: str, args: list[object], ack: Ack | None) -> None:
        if self.fail_events:
            raise RuntimeError("handler bug")
        self.events.append((event, args))
        if ack is not None:
            ack("got", event)

    def on_disconnect(self, socket: Socket, reason: str) -> None:
        self.disconnects.append((socket.id, reason))


class Harness:
    def __init__(self) -> None:
        self.clock = Clock()
        self.server = SocketIOServer(
            self.clock, EngineIOOptions(ping_interval=10, ping_timeout=5), connect_timeout=1.0
        )
        self.main = Handler()
        self.admin = Handler()
        self.server.add_namespace("/", self.main)
        self.server.add_namespace("/admin", self.admin)

    def client(self) -> FakeWebSocket:
        ws = FakeWebSocket()
        sid = self.server.engine.new_sid()
        self.server.engine.open_session(sid, ws, RequestInfo(transport="websocket"))
        [opened] = ws.take()
        assert isinstance(opened, str) and opened.startswith("0{")
        return ws


@pytest.fixture
def h() -> Harness:
    return Harness()


@pytest.fixture
def errors() -> Iterator[list[LogEvent]]:
    """Logged failures, for tests that provoke handler bugs."""
    seen: list[LogEvent] = []

    @provider(ILogObserver)
    def observer(event: LogEvent) -> None:
        if event.get("log_failure") is not None:
            seen.append(event)

    globalLogPublisher.addObserver(observer)
    yield seen
    globalLogPublisher.removeObserver(observer)


def test_emits_from_on_connect_follow_the_connect_ack(h: Harness) -> None:
    h.main.on_connect_emits = [("welcome", {"rounds": 3})]
    ws = h.client()
    ws.receive('40{"token":"t"}')
    ack, welcome = ws.take()
    assert json.loads(str(ack)[2:]) == {"sid": h.main.sockets[0].id}
    assert welcome == '42["welcome",{"rounds":3}]'
    assert h.main.auths == [{"token": "t"}]


def test_missing_auth_is_an_empty_object(h: Harness) -> None:
    ws = h.client()
    ws.receive("40/admin,")
    assert h.admin.auths == [{}]
    assert str(ws.take()[0]).startswith('40/admin,{"sid":"')


def test_refusal_with_data(h: Harness) -> None:
    h.main.connect_result = ConnectRefused("Not authorized", {"code": "unauthorized"})
    h.main.on_connect_emits = [("never", 1)]
    ws = h.client()
    ws.receive("40")
    assert ws.take() == ['44{"message":"Not authorized","data":{"code":"unauthorized"}}']
    assert h.main.disconnects == []
    ws.receive("40")  # may try again
    assert ws.take() == ['44{"message":"Not authorized","data":{"code":"unauthorized"}}']


def test_async_accept(h: Harness) -> None:
    pending: Deferred[None] = Deferred()
    h.main.connect_result = pending
    h.main.on_connect_emits = [("hello",)]
    ws = h.client()
    ws.receive("40")
    assert ws.take() == []
    pending.callback(None)
    ack, hello = ws.take()
    assert str(ack).startswith('40{"sid":') and hello == '42["hello"]'


def test_async_refusal(h: Harness) -> None:
    pending: Deferred[None] = Deferred()
    h.main.connect_result = pending
    ws = h.client()
    ws.receive("40")
    pending.errback(ConnectRefused("later"))
    assert ws.take() == ['44{"message":"later"}']


def test_client_leaving_during_on_connect_still_gets_on_disconnect(h: Harness) -> None:
    pending: Deferred[None] = Deferred()
    h.main.connect_result = pending
    ws = h.client()
    ws.receive("40")
    ws.receive("1")  # the Engine.IO connection closes
    assert h.main.disconnects == []
    pending.callback(None)
    assert h.main.disconnects == [(h.main.sockets[0].id, "transport close")]
    assert not h.main.sockets[0].connected


def test_handler_crash_refuses_and_is_logged(h: Harness, errors: list[LogEvent]) -> None:
    h.main.connect_result = RuntimeError("bug")
    ws = h.client()
    ws.receive("40")
    assert ws.take() == ['44{"message":"Internal server error"}']
    assert len(errors) == 1


def test_event_handler_crash_is_logged_not_fatal(h: Harness, errors: list[LogEvent]) -> None:
    ws = h.client()
    ws.receive("40")
    h.main.fail_events = True
    ws.receive('42["boom"]')
    assert len(errors) == 1
    h.main.fail_events = False
    ws.receive('42["fine",1]')
    assert h.main.events == [("fine", [1])]


def test_ack_for_an_incoming_event(h: Harness) -> None:
    ws = h.client()
    ws.receive("40/admin,")
    ws.take()
    ws.receive('42/admin,9["ping",{"a":1}]')
    assert h.admin.events == [("ping", [{"a": 1}])]
    assert ws.take() == ['43/admin,9["got","ping"]']


def test_emit_with_callback_and_binary(h: Harness) -> None:
    ws = h.client()
    ws.receive("40")
    ws.take()
    socket = h.main.sockets[0]
    replies: list[tuple[object, ...]] = []
    socket.emit("question", b"\x01", callback=lambda *a: replies.append(a))
    socket.emit("another", callback=lambda *a: replies.append(("second", *a)))
    assert ws.take() == [
        '451-0["question",{"_placeholder":true,"num":0}]',
        b"\x01",
        '421["another"]',
    ]
    ws.receive('461-0["answer",{"_placeholder":true,"num":0}]')
    ws.receive(b"\x02")
    ws.receive("431[]")
    ws.receive("437[]")  # unknown ack ids are ignored
    assert replies == [("answer", b"\x02"), ("second",)]


def test_server_disconnect(h: Harness) -> None:
    ws = h.client()
    ws.receive("40")
    ws.receive("40/admin,")
    ws.take()
    main = h.main.sockets[0]
    main.disconnect()
    assert ws.take() == ["41"]
    assert h.main.disconnects == [(main.id, "server namespace disconnect")]
    main.emit("ignored")
    assert ws.take() == []
    h.admin.sockets[0].disconnect(close=True)
    assert ws.take() == ["41/admin,", "1"]
    assert ws.closed


def test_client_disconnect_and_transport_close(h: Harness) -> None:
    ws = h.client()
    ws.receive("40")
    ws.receive("40/admin,")
    ws.receive("41/admin,")
    assert h.admin.disconnects == [(h.admin.sockets[0].id, "client namespace disconnect")]
    ws.receive("1")
    assert h.main.disconnects == [(h.main.sockets[0].id, "transport close")]


def test_connect_timeout(h: Harness) -> None:
    ws = h.client()
    h.clock.advance(0.99)
    assert not ws.closed
    h.clock.advance(0.02)
    assert ws.take() == ["1"] and ws.closed


def test_connect_in_time_cancels_the_timeout(h: Harness) -> None:
    ws = h.client()
    ws.receive("40")
    h.clock.advance(2)
    assert not ws.closed


def test_broadcast_is_encoded_once(h: Harness) -> None:
    clients = [h.client() for _ in range(3)]
    for ws in clients:
        ws.receive("40")
        ws.take()
    h.server.emit("round", {"n": 1}, b"\xff")
    sent = [ws.sent for ws in clients]
    assert all(len(packets) == 2 for packets in sent)
    # the very same packet objects (and their cached frames) go to every client
    assert all(packets[0] is sent[0][0] and packets[1] is sent[0][1] for packets in sent)
    assert clients[0].take() == ['451-["round",{"n":1},{"_placeholder":true,"num":0}]', b"\xff"]


def test_encoded_event_checks_namespace(h: Harness) -> None:
    ws = h.client()
    ws.receive("40")
    with pytest.raises(ValueError):
        h.main.sockets[0].send(encode_event("x", namespace="/admin"))
    with pytest.raises(ValueError):
        encode_event("disconnect")


def test_sockets_lists_connected_sockets(h: Harness) -> None:
    a, b = h.client(), h.client()
    a.receive("40")
    b.receive("40/admin,")
    assert [s.id for s in h.server.sockets("/")] == [h.main.sockets[0].id]
    assert [s.id for s in h.server.sockets("/admin")] == [h.admin.sockets[0].id]
    a.receive("1")
    assert h.server.sockets("/") == []


def test_namespace_names_are_checked(h: Harness) -> None:
    with pytest.raises(ValueError):
        h.server.add_namespace("admin", Handler())
    with pytest.raises(ValueError):
        h.server.add_namespace("/admin", Handler())
