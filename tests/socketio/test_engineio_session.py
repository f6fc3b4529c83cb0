"""Engine.IO sessions on a fake clock: exact heartbeat timing, closing and upgrade sequences."""

from __future__ import annotations

import json
from typing import cast

import pytest
from socketio_fakes import FakeRequest, FakeWebSocket
from twisted.internet.task import Clock
from twisted.web.server import Request

from lingualeap.transports.socketio.engineio_server import EngineIOServer
from lingualeap.transports.socketio.engineio_session import EngineIOSession, SessionState
from lingualeap.transports.socketio.options import EngineIOOptions
from lingualeap.transports.socketio.request_info import RequestInfo


class Recorder:
    """A session handler that records messages and the close reason."""

    def __init__(self, session: EngineIOSession) -> None:
        self.session = session
        self.messages: list[str | bytes] = []
        self.closed: str | None = None

    def message_received(self, data: str | bytes) -> None:
        self.messages.append(data)

    def session_closed(self, reason: str) -> None:
        self.closed = reason


class Harness:
    def __init__(self, **options: object) -> None:
        self.clock = Clock()
        self.handlers: list[Recorder] = []
        opts = EngineIOOptions(
            ping_interval=0.3, ping_timeout=0.2, **options  # type: ignore[arg-type]
        )
        self.engine = EngineIOServer(self.clock, self._handler, opts)

    def _handler(self, session: EngineIOSession) -> Recorder:
        handler = Recorder(session)
        self.handlers.append(handler)
        return handler

    def render(self, request: FakeRequest) -> FakeRequest:
        result = self.engine.resource.render(cast(Request, request))
        if isinstance(result, bytes):
            request.write(result)
            request.finish()
        return request

    def handshake(self) -> str:
        request = self.render(FakeRequest(EIO="4", transport="polling"))
        assert request.finished and request.text.startswith("0{")
        return str(json.loads(request.text[1:])["sid"])

    def get(self, sid: str) -> FakeRequest:
        return self.render(FakeRequest(EIO="4", transport="polling", sid=sid))

    def post(self, sid: str, body: str) -> FakeRequest:
        return self.render(
            FakeRequest(b"POST", body.encode(), EIO="4", transport="polling", sid=sid)
        )


@pytest.fixture
def h() -> Harness:
    return Harness()


def test_ping_timing_and_timeout(h: Harness) -> None:
    sid = h.handshake()
    get = h.get(sid)
    h.clock.advance(0.299)
    assert not get.finished
    h.clock.advance(0.001)
    assert get.text == "2"
    held = h.get(sid)
    h.clock.advance(0.199)
    assert not held.finished and h.engine.get_session(sid) is not None
    h.clock.advance(0.001)
    assert held.text == "1"
    assert h.engine.get_session(sid) is None
    assert h.handlers[0].closed == "ping timeout"


def test_pong_schedules_the_next_ping(h: Harness) -> None:
    sid = h.handshake()
    h.clock.advance(0.3)
    assert h.get(sid).text == "2"
    h.clock.advance(0.15)
    assert h.post(sid, "3").text == "ok"
    get = h.get(sid)
    h.clock.advance(0.29)  # the next ping is due pingInterval after the pong
    assert not get.finished
    h.clock.advance(0.02)
    assert get.text == "2"
    assert h.handlers[0].closed is None


def test_messages_are_buffered_between_gets(h: Harness) -> None:
    sid = h.handshake()
    session = h.engine.get_session(sid)
    assert session is not None
    session.send("a")
    session.send(b"\x01")
    assert h.get(sid).text == "4a\x1ebAQ=="
    assert h.post(sid, "4up\x1ebAg==").text == "ok"
    assert h.handlers[0].messages == ["up", b"\x02"]


def test_client_close_answers_the_held_get_with_noop(h: Harness) -> None:
    sid = h.handshake()
    held = h.get(sid)
    assert h.post(sid, "1").text == "ok"
    assert held.text == "6"
    assert h.handlers[0].closed == "transport close"
    assert json.loads(h.get(sid).text)["code"] == 1


def test_overlapping_get(h: Harness) -> None:
    sid = h.handshake()
    held = h.get(sid)
    second = h.get(sid)
    assert second.responseCode == 400 and json.loads(second.text)["code"] == 3
    assert held.text == "1"
    assert h.handlers[0].closed == "transport error"


def test_dropped_get_closes_the_session(h: Harness) -> None:
    sid = h.handshake()
    h.get(sid).drop()
    assert h.handlers[0].closed == "transport error"
    assert h.engine.get_session(sid) is None


def test_graceful_close_waits_for_the_next_get(h: Harness) -> None:
    sid = h.handshake()
    session = h.engine.get_session(sid)
    assert session is not None
    session.send("bye")
    session.close("forced close")
    assert session.state is SessionState.CLOSING
    assert h.get(sid).text == "4bye\x1e1"
    assert h.engine.get_session(sid) is None
    assert h.handlers[0].closed == "forced close"


def test_graceful_close_gives_up_after_close_timeout() -> None:
    h = Harness(close_timeout=5.0)
    sid = h.handshake()
    session = h.engine.get_session(sid)
    assert session is not None
    session.close()
    h.clock.advance(4.9)
    assert session.state is SessionState.CLOSING
    h.clock.advance(0.1)
    assert h.engine.get_session(sid) is None
    assert h.handlers[0].closed == "forced close"


def test_upgrade(h: Harness) -> None:
    sid = h.handshake()
    session = h.engine.get_session(sid)
    assert session is not None
    held = h.get(sid)
    ws = FakeWebSocket()
    assert session.attach_probe(ws)
    ws.session = session
    ws.receive("2probe")
    assert ws.take() == ["3probe"]
    assert held.text == "6"
    session.send("held back")  # goes to the WebSocket once the upgrade completes
    assert h.get(sid).text == "6"
    ws.receive("5")
    assert ws.take() == ["4held back"]
    assert session.transport_name == "websocket"
    assert json.loads(h.get(sid).text)["code"] == 3
    assert not session.attach_probe(FakeWebSocket())  # a second WebSocket is refused
    h.clock.advance(0.3)
    assert ws.take() == ["2"]
    ws.receive("3")
    ws.receive("4over ws")
    assert h.handlers[0].messages == ["over ws"]


def test_upgrade_timeout_closes_the_probe() -> None:
    h = Harness(upgrade_timeout=0.25)
    sid = h.handshake()
    session = h.engine.get_session(sid)
    assert session is not None
    ws = FakeWebSocket()
    assert session.attach_probe(ws)
    ws.session = session
    ws.receive("2probe")
    session.send("waiting")
    assert h.get(sid).text == "6"  # held back for the WebSocket...
    h.clock.advance(0.25)
    assert ws.closed  # ... which never sent "5"
    assert session.transport_name == "polling"
    assert h.get(sid).text == "4waiting"


def test_bad_probe_packet_closes_the_probe(h: Harness) -> None:
    sid = h.handshake()
    session = h.engine.get_session(sid)
    assert session is not None
    ws = FakeWebSocket()
    assert session.attach_probe(ws)
    ws.session = session
    ws.receive("4hello")
    assert ws.closed and session.transport_name == "polling"
    assert session.state is SessionState.OPEN


def test_websocket_session_and_stop(h: Harness) -> None:
    ws = FakeWebSocket()
    session = h.engine.open_session("fixed-sid", ws, RequestInfo(transport="websocket"))
    [opened] = ws.take()
    assert isinstance(opened, str)
    assert json.loads(opened[1:])["upgrades"] == []
    h.engine.stop()
    assert ws.closed and session.state is SessionState.CLOSED
    assert h.handlers[0].closed == "server shutting down"
    assert len(h.engine) == 0


def test_request_info_from_the_handshake(h: Harness) -> None:
    request = FakeRequest(EIO="4", transport="polling", room="r1")
    request.requestHeaders.setRawHeaders(b"cookie", [b"jwt=abc.def; other=1"])
    request.requestHeaders.setRawHeaders(b"X-Forwarded-For", [b"10.0.0.1"])
    h.render(request)
    info = h.handlers[0].session.request_info
    assert info.query["room"] == "r1"
    assert info.cookies == {"jwt": "abc.def", "other": "1"}
    assert info.headers["x-forwarded-for"] == "10.0.0.1"
    assert info.transport == "polling"


def test_ping_interval_milliseconds_round() -> None:
    assert EngineIOOptions(ping_interval=0.3, ping_timeout=0.2).ping_interval_ms == 300
    with pytest.raises(ValueError, match="ping_timeout"):
        EngineIOOptions(ping_timeout=0)
    with pytest.raises(ValueError, match="allowed_origins"):
        EngineIOOptions(allowed_origins=("*", "http://x"))
