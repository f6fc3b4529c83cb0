"""Socket.IO v5 conformance of ``/socket.io/`` (raw WebSocket and polling frames).

Mirrors shared/docs/SOCKETIO.md §3-4 and the official socket.io-protocol test suite: the main
namespace emits ``auth`` on connect, echoes ``message`` as ``message-back`` and acknowledges
``message-with-ack``; ``/custom`` emits ``auth``; connectTimeout is 1 s.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import websocket
from socketio_testlib import ConformanceServer, Polling, recv, wait_closed, wait_until, ws_session

P0 = '{"_placeholder":true,"num":0}'
P1 = '{"_placeholder":true,"num":1}'


@pytest.fixture
def ws(server: ConformanceServer) -> Iterator[websocket.WebSocket]:
    """An Engine.IO WebSocket session on /socket.io/, no namespace joined yet."""
    with ws_session(server, "/socket.io/") as (socket, _):
        yield socket


def connect(ws: websocket.WebSocket, namespace: str = "", auth: str = "") -> str:
    """Join a namespace; return the Socket.IO sid from the CONNECT acknowledgement."""
    prefix = f"{namespace}," if namespace else ""
    ws.send(f"40{prefix}{auth}")
    ack = recv(ws)
    assert isinstance(ack, str) and ack.startswith(f"40{prefix}{{"), ack
    body = json.loads(ack[len(f"40{prefix}"):])
    assert list(body) == ["sid"]
    return str(body["sid"])


class TestConnect:
    def test_main_namespace(self, ws: websocket.WebSocket) -> None:
        ws.send("40")
        ack = recv(ws)
        assert isinstance(ack, str) and ack.startswith('40{"sid":"')
        # the CONNECT ack comes first, then what the connect handler emitted
        assert recv(ws) == '42["auth",{}]'

    def test_main_namespace_with_auth(self, ws: websocket.WebSocket) -> None:
        connect(ws, auth='{"token":"123"}')
        assert recv(ws) == '42["auth",{"token":"123"}]'

    def test_socket_sid_is_not_the_engine_sid(self, server: ConformanceServer) -> None:
        with ws_session(server, "/socket.io/") as (ws, handshake):
            assert connect(ws) != handshake["sid"]

    def test_custom_namespace(self, ws: websocket.WebSocket) -> None:
        connect(ws, "/custom")
        assert recv(ws) == '42/custom,["auth",{}]'

    def test_custom_namespace_with_auth(self, ws: websocket.WebSocket) -> None:
        connect(ws, "/custom", '{"token":"abc"}')
        assert recv(ws) == '42/custom,["auth",{"token":"abc"}]'

    def test_two_namespaces_on_one_connection(self, ws: websocket.WebSocket) -> None:
        main = connect(ws)
        assert recv(ws) == '42["auth",{}]'
        custom = connect(ws, "/custom")
        assert recv(ws) == '42/custom,["auth",{}]'
        assert main != custom

    @pytest.mark.parametrize("packet", ["40/random", "40/random,", '40/random,{"token":"1"}'])
    def test_unknown_namespace(self, ws: websocket.WebSocket, packet: str) -> None:
        ws.send(packet)
        assert recv(ws) == '44/random,{"message":"Invalid namespace"}'
        # the connection stays usable
        connect(ws)

    def test_invalid_handshake_closes(self, ws: websocket.WebSocket) -> None:
        ws.send("4abc")
        wait_closed(ws)

    def test_connect_timeout(self, server: ConformanceServer) -> None:
        with ws_session(server, "/socket.io/") as (ws, _):
            started = time.monotonic()
            ws.settimeout(3)
            with pytest.raises(websocket.WebSocketConnectionClosedException):
                while True:
                    recv(ws)  # answers pings until the server gives up on us
            assert 0.8 <= time.monotonic() - started < 2.5

    def test_second_connect_to_a_joined_namespace_closes(self, ws: websocket.WebSocket) -> None:
        connect(ws)
        assert recv(ws) == '42["auth",{}]'
        ws.send("40")
        wait_closed(ws)


class TestDisconnect:
    def test_disconnect_main_then_event_closes(self, ws: websocket.WebSocket) -> None:
        connect(ws)
        assert recv(ws) == '42["auth",{}]'
        ws.send("41")
        ws.send('42["message","to the main namespace"]')
        wait_closed(ws)

    def test_disconnect_custom_keeps_main(self, ws: websocket.WebSocket) -> None:
        connect(ws)
        assert recv(ws) == '42["auth",{}]'
        connect(ws, "/custom")
        assert recv(ws) == '42/custom,["auth",{}]'
        ws.send("41/custom,")
        ws.send('42["message","message to main namespace"]')
        assert recv(ws) == '42["message-back","message to main namespace"]'

    def test_disconnect_without_comma(self, ws: websocket.WebSocket) -> None:
        connect(ws, "/custom")
        assert recv(ws) == '42/custom,["auth",{}]'
        ws.send("41/custom")
        ws.send('42/custom,["message"]')
        wait_closed(ws)


class TestEvents:
    @pytest.fixture
    def joined(self, ws: websocket.WebSocket) -> websocket.WebSocket:
        connect(ws)
        assert recv(ws) == '42["auth",{}]'
        return ws

    def test_plain_event(self, joined: websocket.WebSocket) -> None:
        joined.send('42["message",1,"2",{"3":[true]}]')
        assert recv(joined) == '42["message-back",1,"2",{"3":[true]}]'

    def test_compact_utf8_json(self, joined: websocket.WebSocket) -> None:
        joined.send('42["message", "héllo ✓", {"a": [1, 2]}, null]')
        assert recv(joined) == '42["message-back","héllo ✓",{"a":[1,2]},null]'

    def test_binary_event(self, joined: websocket.WebSocket) -> None:
        joined.send(f'452-["message",{P0},{P1}]')
        joined.send_binary(b"\x01\x02\x03")
        joined.send_binary(b"\x04\x05\x06")
        assert recv(joined) == f'452-["message-back",{P0},{P1}]'
        assert recv(joined) == b"\x01\x02\x03"
        assert recv(joined) == b"\x04\x05\x06"

    def test_nested_binary_keeps_depth_first_order(self, joined: websocket.WebSocket) -> None:
        joined.send(f'452-["message",{{"a":[{P1}],"b":{P0}}}]')
        joined.send_binary(b"zero")
        joined.send_binary(b"one")
        assert recv(joined) == f'452-["message-back",{{"a":[{P0}],"b":{P1}}}]'
        assert recv(joined) == b"one"
        assert recv(joined) == b"zero"

    def test_event_with_ack(self, joined: websocket.WebSocket) -> None:
        joined.send('42456["message-with-ack",1,"2",{"3":[false]}]')
        assert recv(joined) == '43456[1,"2",{"3":[false]}]'

    def test_ack_with_no_arguments(self, joined: websocket.WebSocket) -> None:
        joined.send('427["message-with-ack"]')
        assert recv(joined) == "437[]"

    def test_binary_event_with_ack(self, joined: websocket.WebSocket) -> None:
        joined.send(f'452-789["message-with-ack",{P0},{P1}]')
        joined.send_binary(b"\x01\x02\x03")
        joined.send_binary(b"\x04\x05\x06")
        assert recv(joined) == f"462-789[{P0},{P1}]"
        assert recv(joined) == b"\x01\x02\x03"
        assert recv(joined) == b"\x04\x05\x06"

    def test_custom_namespace_event_with_ack_is_silent(self, ws: websocket.WebSocket) -> None:
        connect(ws, "/custom")
        assert recv(ws) == '42/custom,["auth",{}]'
        ws.send('42/custom,["message","x"]')
        ws.send('42/custom,5["message-with-ack"]')
        connect(ws)  # the next frame is the main CONNECT ack: /custom answered nothing
        assert recv(ws) == '42["auth",{}]'

    @pytest.mark.parametrize(
        "frames",
        [
            ["4abc"],  # unknown packet type
            ["42{}"],  # payload is not an array
            ['42abc["message-with-ack",1]'],  # invalid ack id
            ["42"],  # event without payload
            ["42[]"],  # event without a name
            ['42["connect"]'],  # reserved event name
            ['42[true]'],  # event name neither string nor number
            ["47[]"],  # type 7 does not exist
            ['41{"x":1}'],  # disconnect carries no payload
            ["43["],  # not JSON
            ['42["a",NaN]'],  # not JSON either
            ['42/unjoined,["message"]'],  # namespace not joined
            ['44{"message":"x"}'],  # CONNECT_ERROR from a client
            [b"\x01\x02"],  # binary data outside a binary packet
            [f'451-["message",{P0}]', '42["message"]'],  # text while attachments are due
            [f'451-["message",{P1}]', b"\x00"],  # placeholder out of range
            ['4511-["message"]'],  # too many attachments
            ['45x-["message"]'],  # bad attachment count
        ],
    )
    def test_malformed_packets_close_the_connection(
        self, joined: websocket.WebSocket, frames: list[str | bytes]
    ) -> None:
        for frame in frames:
            if isinstance(frame, bytes):
                joined.send_binary(frame)
            else:
                joined.send(frame)
        wait_closed(joined)


class TestOverPolling:
    """The same protocol over long-polling, in the socket.io-client default order."""

    def test_connect_event_ack_and_binary(self, server: ConformanceServer) -> None:
        polling = Polling(server.http, "/socket.io/")
        sid, _ = polling.handshake()
        assert polling.post(sid, '40{"token":"p"}').text == "ok"
        records = _collect(polling, sid, 2)
        assert records[0].startswith('40{"sid":"') and records[1] == '42["auth",{"token":"p"}]'

        body = f'42["message","a"]\x1e421["message-with-ack",2]\x1e451-["message",{P0}]\x1ebAQID'
        assert polling.post(sid, body).text == "ok"
        assert _collect(polling, sid, 4) == [
            '42["message-back","a"]',
            "431[2]",
            f'451-["message-back",{P0}]',
            "bAQID",
        ]

    def test_malformed_packet_over_polling_closes(self, server: ConformanceServer) -> None:
        polling = Polling(server.http, "/socket.io/")
        sid, _ = polling.handshake()
        assert polling.post(sid, "40").text == "ok"
        _collect(polling, sid, 2)
        assert polling.post(sid, "42{}").text == "ok"
        # the server closes gracefully: the close packet reaches the next GET
        wait_until(lambda: "1" in _records(polling, sid), 3, "the close packet")


def _records(polling: Polling, sid: str) -> list[str]:
    response = polling.get(sid)
    if response.status_code != 200:
        return ["1"]  # already gone
    records = response.text.split("\x1e")
    if "2" in records:
        polling.post(sid, "3")
    return records


def _collect(polling: Polling, sid: str, count: int) -> list[str]:
    """GET until ``count`` non-ping records arrived."""
    collected: list[str] = []

    def enough() -> bool:
        collected.extend(r for r in _records(polling, sid) if r not in ("2", "6"))
        return len(collected) >= count

    wait_until(enough, 5, f"{count} records", step=0)
    return collected
