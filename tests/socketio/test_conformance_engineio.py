"""Engine.IO v4 conformance of the echo endpoint ``/engine.io/`` (raw HTTP and WebSocket).

Mirrors the rules in shared/docs/SOCKETIO.md §1-2 and the official engine.io-protocol test
suite. The app runs with pingInterval 300 ms and pingTimeout 200 ms.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
import requests
import websocket
from socketio_testlib import (
    ConformanceServer,
    Polling,
    error_of,
    ipv6_loopback_available,
    recv,
    wait_closed,
    wait_until,
    ws_connect,
    ws_session,
    ws_url,
)

HANDSHAKE_KEYS = {"sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"}


@pytest.fixture
def polling(server: ConformanceServer) -> Polling:
    return Polling(server.http)


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    """Runs requests that the server holds (long-poll GETs) while the test goes on."""
    with ThreadPoolExecutor(max_workers=4) as executor:
        yield executor


def held_get(pool: ThreadPoolExecutor, polling: Polling, sid: str) -> Future[requests.Response]:
    return pool.submit(polling.get, sid)


def is_gone(polling: Polling, sid: str) -> bool:
    """Whether the session is closed (a request with its sid gets 400 code 1)."""
    response = polling.post(sid, "6")
    return response.status_code == 400 and json.loads(response.text)["code"] == 1


# -- handshake -----------------------------------------------------------------------------


class TestHandshake:
    def test_polling_open_packet(self, polling: Polling) -> None:
        response = requests.get(polling.url, params=polling.params(), timeout=5)
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/plain; charset=UTF-8"
        assert response.headers["cache-control"] == "no-store"
        assert response.text.startswith("0{")
        assert "\x1e" not in response.text  # the handshake answer holds only the open packet
        handshake = json.loads(response.text[1:])
        assert set(handshake) == HANDSHAKE_KEYS
        assert isinstance(handshake["sid"], str) and handshake["sid"]
        assert handshake["upgrades"] == ["websocket"]
        assert handshake["pingInterval"] == 300
        assert handshake["pingTimeout"] == 200
        assert handshake["maxPayload"] == 1_000_000
        assert "set-cookie" not in response.headers  # the cookie is off by default

    def test_websocket_open_packet(self, server: ConformanceServer) -> None:
        with ws_session(server) as (_, handshake):
            assert set(handshake) == HANDSHAKE_KEYS
            assert handshake["upgrades"] == []
            assert (handshake["pingInterval"], handshake["pingTimeout"]) == (300, 200)

    def test_sids_are_unique(self, polling: Polling) -> None:
        sids = {polling.handshake()[0] for _ in range(5)}
        assert len(sids) == 5

    @pytest.mark.parametrize("eio", [None, "3", "abc", "5"])
    def test_bad_protocol_version(self, polling: Polling, eio: str | None) -> None:
        params = {"transport": "polling"} if eio is None else {"EIO": eio, "transport": "polling"}
        assert error_of(requests.get(polling.url, params=params, timeout=5)) == (400, 5)

    @pytest.mark.parametrize("transport", [None, "abc", "webtransport"])
    def test_bad_transport(self, polling: Polling, transport: str | None) -> None:
        params = {"EIO": "4"} if transport is None else {"EIO": "4", "transport": transport}
        response = requests.get(polling.url, params=params, timeout=5)
        assert error_of(response) == (400, 0)
        assert json.loads(response.text)["message"] == "Transport unknown"

    @pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
    def test_handshake_must_be_get(self, polling: Polling, method: str) -> None:
        response = requests.request(method, polling.url, params=polling.params(), timeout=5)
        assert error_of(response) == (400, 2)

    def test_unknown_method_with_sid(self, polling: Polling) -> None:
        sid, _ = polling.handshake()
        response = requests.put(polling.url, params=polling.params(sid), timeout=5)
        assert error_of(response) == (400, 3)

    def test_unknown_sid(self, polling: Polling) -> None:
        assert error_of(polling.get("nope")) == (400, 1)
        response = polling.post("nope", "4hello")
        assert error_of(response) == (400, 1)
        assert json.loads(response.text)["message"] == "Session ID unknown"

    def test_websocket_transport_without_upgrade(self, polling: Polling) -> None:
        params = {"EIO": "4", "transport": "websocket"}
        assert error_of(requests.get(polling.url, params=params, timeout=5)) == (400, 3)

    def test_websocket_bad_version_is_refused(self, server: ConformanceServer) -> None:
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            ws_connect(ws_url(server, EIO="3"))
        assert refused.value.status_code == 400

    def test_websocket_unknown_sid_is_refused(self, server: ConformanceServer) -> None:
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            ws_connect(ws_url(server, sid="nope"))
        assert refused.value.status_code == 400

    @pytest.mark.skipif(not ipv6_loopback_available(), reason="no IPv6 loopback")
    def test_ipv6_loopback(self, server: ConformanceServer) -> None:
        polling = Polling(f"http://[::1]:{server.port}")
        sid, handshake = polling.handshake()
        assert handshake["sid"] == sid
        assert polling.post(sid, "4over six").text == "ok"
        assert polling.get(sid).text == "4over six"
        ws = ws_connect(f"ws://[::1]:{server.port}/engine.io/?EIO=4&transport=websocket")
        try:
            assert str(recv(ws)).startswith("0{")
        finally:
            ws.close()


# -- messages ------------------------------------------------------------------------------


class TestMessages:
    def test_polling_text_and_binary_framing(self, polling: Polling) -> None:
        sid, _ = polling.handshake()
        payload = "4hello\x1ebAQIDBA==\x1e4world\x1ebAQIDBA=="
        response = polling.post(sid, payload)
        assert (response.status_code, response.text) == (200, "ok")
        assert response.headers["content-type"].startswith("text/html")
        reply = polling.get(sid)
        assert reply.status_code == 200
        assert reply.text == payload

    def test_polling_binary_with_record_separator(self, polling: Polling) -> None:
        sid, _ = polling.handshake()
        data = bytes([0x1E, 0, 0xFF, 0x1E])
        record = "b" + base64.b64encode(data).decode()
        assert polling.post(sid, record).text == "ok"
        assert polling.get(sid).text == record

    def test_polling_utf8_text(self, polling: Polling) -> None:
        sid, _ = polling.handshake()
        assert polling.post(sid, "4héllo ✓ 😀").text == "ok"
        reply = polling.get(sid)
        assert reply.content.decode("utf-8") == "4héllo ✓ 😀"

    def test_websocket_text_and_binary(self, server: ConformanceServer) -> None:
        with ws_session(server) as (ws, _):
            ws.send("4hello")
            assert recv(ws) == "4hello"
            ws.send_binary(b"\x01\x02\x03\x04")
            assert recv(ws) == b"\x01\x02\x03\x04"
            ws.send("4😀")
            assert recv(ws) == "4😀"

    def test_form_encoded_post_is_still_a_payload(self, polling: Polling) -> None:
        """twisted.web parses such bodies into ``args``; they must not shadow the query."""
        sid, _ = polling.handshake()
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        assert polling.post(sid, "4sid=other&EIO=3", **form).text == "ok"
        assert polling.get(sid).text == "4sid=other&EIO=3"

    def test_binary_post_is_rejected(self, polling: Polling) -> None:
        sid, _ = polling.handshake()
        response = polling.post(sid, b"\x04abc", **{"Content-Type": "application/octet-stream"})
        assert error_of(response) == (400, 3)
        assert is_gone(polling, sid)

    @pytest.mark.parametrize(
        "payload", ["abc", "9abc", "", "4ok\x1e", "b!!notbase64", b"4\xff\xfe"]
    )
    def test_undecodable_post_closes_the_session(
        self, polling: Polling, payload: str | bytes
    ) -> None:
        sid, _ = polling.handshake()
        assert error_of(polling.post(sid, payload)) == (400, 3)
        assert is_gone(polling, sid)

    def test_websocket_undecodable_frame_closes(self, server: ConformanceServer) -> None:
        with ws_session(server) as (ws, _):
            ws.send("9nonsense")
            wait_closed(ws)


# -- long-polling rules --------------------------------------------------------------------


class TestPolling:
    def test_concurrent_get_closes_the_session(
        self, polling: Polling, pool: ThreadPoolExecutor
    ) -> None:
        sid, _ = polling.handshake()
        assert polling.get(sid).text == "2"  # consume the first ping: the next GETs are held
        assert polling.post(sid, "3").text == "ok"
        gets = [held_get(pool, polling, sid) for _ in range(2)]
        answers = sorted((r.status_code, r.text) for r in (g.result(5) for g in gets))
        # whichever arrived second is refused; the held one is released with a close packet
        assert answers[0] == (200, "1")
        assert error_of(gets[0].result() if gets[0].result().status_code == 400
                        else gets[1].result()) == (400, 3)
        assert error_of(polling.get(sid)) == (400, 1)

    def test_client_close_releases_the_pending_get(
        self, polling: Polling, pool: ThreadPoolExecutor
    ) -> None:
        sid, _ = polling.handshake()
        assert polling.get(sid).text == "2"
        assert polling.post(sid, "3").text == "ok"
        pending = held_get(pool, polling, sid)
        assert polling.post(sid, "1").text == "ok"
        answer = pending.result(5)
        # Held GET: released with a noop. (A GET that lost the race to the POST finds the
        # session gone; the exact sequence is covered with a fake clock in test_engineio_session.)
        assert (answer.status_code, answer.text) == (200, "6") or error_of(answer) == (400, 1)
        assert error_of(polling.get(sid)) == (400, 1)
        assert error_of(polling.post(sid, "4late")) == (400, 1)

    def test_post_after_close(self, polling: Polling) -> None:
        sid, _ = polling.handshake()
        assert polling.post(sid, "1").text == "ok"
        assert error_of(polling.post(sid, "4hello")) == (400, 1)

    def test_dropped_get_closes_the_session(self, polling: Polling) -> None:
        sid, _ = polling.handshake()
        assert polling.get(sid).text == "2"  # first ping consumed; the next GET is held
        assert polling.post(sid, "3").text == "ok"
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.get(polling.url, params=polling.params(sid), timeout=0.1)
        wait_until(lambda: is_gone(polling, sid), 2, "the session to close")

    def test_held_get_is_answered_by_a_later_message(
        self, polling: Polling, pool: ThreadPoolExecutor
    ) -> None:
        sid, _ = polling.handshake()
        assert polling.get(sid).text == "2"
        assert polling.post(sid, "3").text == "ok"
        pending = held_get(pool, polling, sid)
        assert polling.post(sid, "4wake up").text == "ok"
        records = pending.result(5).text.split("\x1e")
        assert "4wake up" in records or records == ["2"]


# -- heartbeat -----------------------------------------------------------------------------


class TestHeartbeat:
    def test_polling_ping_pong(self, polling: Polling) -> None:
        sid, _ = polling.handshake()
        for _ in range(3):
            started = time.monotonic()
            assert polling.get(sid).text == "2"
            assert time.monotonic() - started < 1.0
            assert polling.post(sid, "3").text == "ok"
        assert not is_gone(polling, sid)

    def test_polling_ping_timeout(self, polling: Polling) -> None:
        sid, _ = polling.handshake()
        opened = time.monotonic()
        assert polling.get(sid).text == "2"
        closed = polling.get(sid)  # held until the server gives up waiting for the pong
        elapsed = time.monotonic() - opened
        assert closed.text == "1"
        assert 0.4 <= elapsed < 1.5
        assert error_of(polling.get(sid)) == (400, 1)

    def test_websocket_ping_pong(self, server: ConformanceServer) -> None:
        with ws_session(server) as (ws, _):
            for _ in range(3):
                assert ws.recv() == "2"
                ws.send("3")
            ws.send("4still here")
            assert recv(ws) == "4still here"

    def test_websocket_ping_timeout(self, server: ConformanceServer) -> None:
        with ws_session(server) as (ws, _):
            started = time.monotonic()
            assert ws.recv() == "2"
            wait_closed(ws, timeout=2)
            assert time.monotonic() - started < 1.5

    def test_client_ping_is_the_wrong_direction(self, server: ConformanceServer) -> None:
        with ws_session(server) as (ws, _):
            ws.send("2")
            wait_closed(ws)


# -- upgrade -------------------------------------------------------------------------------


class TestUpgrade:
    def test_upgrade_answers_the_pending_get_with_noop(
        self, server: ConformanceServer, polling: Polling, pool: ThreadPoolExecutor
    ) -> None:
        sid, _ = polling.handshake()
        assert polling.get(sid).text == "2"
        assert polling.post(sid, "3").text == "ok"
        pending = held_get(pool, polling, sid)
        ws = ws_connect(ws_url(server, sid=sid))
        try:
            ws.send("2probe")
            assert ws.recv() == "3probe"
            assert pending.result(5).text == "6"
            ws.send("5")
            ws.send("4hello")
            assert recv(ws) == "4hello"
            ws.send_binary(b"\x00\x1e")
            assert recv(ws) == b"\x00\x1e"
            # the polling transport is gone for this session
            assert error_of(polling.get(sid)) == (400, 3)
            assert error_of(polling.post(sid, "4x")) == (400, 3)
            # ... and so is a second WebSocket
            extra = ws_connect(ws_url(server, sid=sid))
            wait_closed(extra)
            ws.send("4alive")
            assert recv(ws) == "4alive"
        finally:
            ws.close()

    def test_get_during_upgrade_gets_noop_and_buffer_moves_to_websocket(
        self, server: ConformanceServer, polling: Polling
    ) -> None:
        sid, _ = polling.handshake()
        ws = ws_connect(ws_url(server, sid=sid))
        try:
            ws.send("2probe")
            assert ws.recv() == "3probe"
            assert polling.post(sid, "4queued").text == "ok"  # echoed while upgrading
            assert polling.get(sid).text == "6"
            ws.send("5")
            assert recv(ws) == "4queued"
        finally:
            ws.close()

    def test_bad_probe_packet_keeps_polling(
        self, server: ConformanceServer, polling: Polling
    ) -> None:
        sid, _ = polling.handshake()
        ws = ws_connect(ws_url(server, sid=sid))
        ws.send("4not a probe")
        wait_closed(ws)
        assert polling.post(sid, "4still polling").text == "ok"
        reply = wait_until(lambda: _drain_until(polling, sid, "4still polling"), 3, "the echo")
        assert reply

    def test_second_probe_is_closed(self, server: ConformanceServer, polling: Polling) -> None:
        sid, _ = polling.handshake()
        probe = ws_connect(ws_url(server, sid=sid))
        try:
            probe.send("2probe")
            assert probe.recv() == "3probe"
            extra = ws_connect(ws_url(server, sid=sid))
            wait_closed(extra)
        finally:
            probe.close()

    def test_upgrade_with_the_python_engineio_order(self, server: ConformanceServer,
                                                    polling: Polling) -> None:
        """python-engineio's client: handshake GET, then the probe with no GET in flight."""
        sid, _ = polling.handshake()
        ws = ws_connect(ws_url(server, sid=sid))
        try:
            ws.send("2probe")
            assert ws.recv() == "3probe"
            ws.send("5")
            ws.send("4x")
            assert recv(ws) == "4x"
        finally:
            ws.close()


def _drain_until(polling: Polling, sid: str, wanted: str) -> bool:
    text = polling.get(sid).text
    records = text.split("\x1e")
    if "2" in records:
        polling.post(sid, "3")
    return wanted in records


# -- limits, closing -----------------------------------------------------------------------


class TestLimitsAndClose:
    def test_post_over_max_payload(self, polling: Polling) -> None:
        sid, _ = polling.handshake()
        response = polling.post(sid, "4" + "x" * 1_000_000)
        assert response.status_code == 413
        assert is_gone(polling, sid)

    def test_post_at_max_payload(self, polling: Polling) -> None:
        sid, _ = polling.handshake()
        assert polling.post(sid, "4" + "x" * 999_999).text == "ok"

    def test_websocket_message_over_max_payload(self, server: ConformanceServer) -> None:
        with ws_session(server) as (ws, _):
            ws.send("4" + "x" * 1_000_000)
            assert wait_closed(ws) == 1009

    def test_websocket_client_close_packet(self, server: ConformanceServer) -> None:
        with ws_session(server) as (ws, _):
            ws.send("1")
            wait_closed(ws)


# -- CORS, origins, cookie -----------------------------------------------------------------


class TestCors:
    def test_origin_is_reflected_with_credentials(self, polling: Polling) -> None:
        response = requests.get(
            polling.url, params=polling.params(), headers={"Origin": "http://x.test"}, timeout=5
        )
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "http://x.test"
        assert response.headers["access-control-allow-credentials"] == "true"
        assert "Origin" in response.headers["vary"]

    def test_cors_headers_on_errors_and_posts(self, polling: Polling) -> None:
        sid, _ = polling.handshake()
        origin = {"Origin": "http://x.test"}
        posted = polling.post(sid, "4hi", **origin)
        assert posted.headers["access-control-allow-origin"] == "http://x.test"
        failed = requests.get(polling.url, params={"EIO": "4"}, headers=origin, timeout=5)
        assert failed.status_code == 400
        assert failed.headers["access-control-allow-origin"] == "http://x.test"

    def test_preflight(self, polling: Polling) -> None:
        response = requests.options(
            polling.url,
            params=polling.params(),
            headers={
                "Origin": "http://x.test",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-token, content-type",
            },
            timeout=5,
        )
        assert response.status_code == 204
        assert response.headers["access-control-allow-origin"] == "http://x.test"
        assert response.headers["access-control-allow-credentials"] == "true"
        assert set(response.headers["access-control-allow-methods"].split(",")) >= {"GET", "POST"}
        assert response.headers["access-control-allow-headers"] == "x-token, content-type"
        assert response.content == b""

    def test_allowed_origin_list(self, strict_server: ConformanceServer) -> None:
        polling = Polling(strict_server.http)
        good = requests.get(polling.url, params=polling.params(),
                            headers={"Origin": "http://good.example"}, timeout=5)
        assert good.status_code == 200
        assert good.headers["access-control-allow-origin"] == "http://good.example"
        bad = requests.get(polling.url, params=polling.params(),
                           headers={"Origin": "http://evil.example"}, timeout=5)
        assert error_of(bad) == (403, 4)
        assert "access-control-allow-origin" not in bad.headers
        preflight = requests.options(polling.url, params=polling.params(),
                                     headers={"Origin": "http://evil.example"}, timeout=5)
        assert preflight.status_code == 403
        no_origin = requests.get(polling.url, params=polling.params(), timeout=5)
        assert no_origin.status_code == 200  # non-browser clients send no Origin

    def test_websocket_origin_check(self, strict_server: ConformanceServer) -> None:
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            ws_connect(ws_url(strict_server), origin="http://evil.example")
        assert refused.value.status_code == 403
        ws = ws_connect(ws_url(strict_server), origin="https://also-good.example")
        try:
            assert str(recv(ws)).startswith("0{")
        finally:
            ws.close()

    def test_sticky_session_cookie(self, strict_server: ConformanceServer) -> None:
        polling = Polling(strict_server.http)
        response = requests.get(polling.url, params=polling.params(), timeout=5)
        sid = json.loads(response.text[1:])["sid"]
        cookie = response.headers["set-cookie"]
        assert cookie == f"io={sid}; Path=/; HttpOnly; SameSite=Lax"
        ws = ws_connect(ws_url(strict_server), suppress_origin=True)
        try:
            opened = json.loads(str(recv(ws))[1:])
            assert (ws.getheaders() or {})["set-cookie"] == (
                f"io={opened['sid']}; Path=/; HttpOnly; SameSite=Lax"
            )
        finally:
            ws.close()


def test_many_sessions_in_parallel(server: ConformanceServer) -> None:
    """Sessions are independent: a burst of concurrent echo round-trips all succeed."""
    polling = Polling(server.http)
    errors: list[BaseException] = []

    def round_trip(n: int) -> None:
        try:
            sid, _ = polling.handshake()
            assert polling.post(sid, f"4n{n}").text == "ok"
            assert wait_until(lambda: _drain_until(polling, sid, f"4n{n}"), 3, f"echo {n}")
            polling.post(sid, "1")
        except BaseException as e:  # collected and re-raised in the test thread
            errors.append(e)

    threads = [threading.Thread(target=round_trip, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not errors, errors
