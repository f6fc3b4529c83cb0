"""Stock Socket.IO clients play LinguaLeap against a real ``twistd lingualeap`` process.

socket.io-client v4 under Node (default transports: polling, then the upgrade; and
WebSocket only) and python-socketio, speaking the original clients' events and payloads.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

import pytest
import socketio
from support.processes import ServerProcess, http_json, register
from support.socketio_match import OK, play_match

from lingualeap.domain.progression import DAILY_STREAK_XP

INSTANCE = "compat1"


def test_two_socket_io_clients_upgrade_and_play_a_match(server: ServerProcess, clients: Any) -> None:
    """Default transports (polling, then WebSocket); identity from auth.token and the jwt cookie."""
    node_client, _ = clients
    ana_token, ben_token = register(server.base, "ana"), register(server.base, "ben")
    ana = node_client(server.base, auth={"token": ana_token})
    ben = node_client(server.base, extraHeaders={"Cookie": f"jwt={ben_token}"})
    for client, name in ((ana, "ana"), (ben, "ben")):
        connected = client.next("@connect")
        assert connected["engine"].startswith(f"{INSTANCE}.")  # the sid names its instance
        assert client.next("@upgrade") == {"engine": connected["engine"], "transport": "websocket"}
        welcome = client.next("welcome")
        assert welcome["player"]["username"] == name and welcome["player"]["guest"] is False
        assert welcome["instance"] == INSTANCE

    result = play_match(ana, "ana", ben, "ben")

    # Ana's total adds the daily-streak bonus of her first match today (one round solved: no run).
    xp = next(s["xp"] for s in result["standings"] if s["username"] == "ana") + DAILY_STREAK_XP
    board = ben.next("globalLeaderboardUpdate")
    assert isinstance(board, list)  # the original's bare array of {name, totalXP}
    assert {"name": board[0]["name"], "totalXP": board[0]["totalXP"]} == {"name": "ana", "totalXP": xp}
    assert http_json(server.base + "/api/users/ana/totalXP")[1]["totalXP"] == xp


def test_websocket_only_node_client_and_python_client_play_a_match(
    server: ServerProcess, clients: Any
) -> None:
    """Guests: the Node one named only in findMatch (as the original did), the Python one by ?username=."""
    node_client, py_client = clients
    zoe = node_client(server.base, transports=["websocket"])
    leo = py_client(f"{server.base}?username=leo").connect()
    assert zoe.next("@connect")["transport"] == "websocket"
    assert zoe.next("welcome")["player"]["username"].startswith("Guest-")
    assert leo.next("@connect")["transport"] == "websocket"
    assert leo.next("welcome")["player"] == {**leo.inbox.all("welcome")[0]["player"], "username": "leo"}

    play_match(zoe, "zoe", leo, "leo")  # zoe's findMatch {username: "zoe"} names her

    assert "@upgrade" not in zoe.inbox.names()
    assert zoe.inbox.names().count("@connect") == 1 and "@disconnect" not in zoe.inbox.names()


def test_clients_reconnect_by_themselves_after_a_server_restart_and_play_again(
    own_server: ServerProcess, clients: Any
) -> None:
    node_client, py_client = clients
    rita = py_client(own_server.base, auth={"username": "rita"}, reconnection=True).connect()
    sam = node_client(own_server.base, auth={"username": "sam"})
    for client in (rita, sam):
        client.next("@connect")
        client.next("welcome")
    assert rita.call("findMatch", {"language": "french"}) == OK
    rita.next("queued")

    # The server goes away (SIGTERM: it drops every connection) and comes back on the same port.
    own_server.stop()
    # Not "io server disconnect", after which socket.io-client would give up.
    assert sam.next("@disconnect")["reason"] in ("transport close", "transport error")
    rita.next("@disconnect")
    own_server.start()

    for client in (rita, sam):
        client.next("@connect", timeout=20)  # the second one: reconnected on its own
        client.next("welcome")
    assert rita.inbox.all("welcome")[1]["player"]["username"] == "rita"  # auth sent again
    play_match(sam, "sam", rita, "rita")


def test_bad_input_is_answered_and_the_connection_stays_up(server: ServerProcess, clients: Any) -> None:
    node_client, py_client = clients
    eve = py_client(server.base, auth={"username": "eve"}).connect()
    eve.next("welcome")

    assert eve.call("dance", {"with": "me"}) == {
        "error": {"code": "unknown_event", "message": "unknown event 'dance'"}}
    eve.emit("dance")
    assert eve.next("error") == {
        "code": "unknown_event", "message": "unknown event 'dance'", "event": "dance"}
    assert eve.call("makeGuess", "maison")["error"]["code"] == "invalid_field"  # not an object
    eve.emit("findMatch", {"language": 42})
    assert eve.next("error")["code"] == "invalid_field"
    eve.emit("joinRoom", {"roomId": "no spaces allowed"})
    assert eve.next("error")["event"] == "joinRoom"
    assert eve.call("leaveRoom", {"roomId": "nowhere"})["error"]["code"]

    assert eve.call("findMatch", {"language": "spanish"}) == OK  # still connected, still playing
    assert eve.next("queued")["language"] == "spanish"
    assert eve.call("cancelMatch") == OK
    assert eve.next("matchCancelled") == {"language": "spanish"}
    assert "@disconnect" not in eve.inbox.names()

    # The Node client: an event without its payload.
    max_ = node_client(server.base, transports=["websocket"], auth={"username": "max"})
    max_.next("welcome")
    max_.emit("makeGuess")
    assert max_.next("error")["code"] == "invalid_field"
    assert max_.call("cancelMatch")["error"]["code"] == "not_queued"  # answered: still up


def test_bad_tokens_and_foreign_origins_are_refused(server: ServerProcess, clients: Any) -> None:
    node_client, _ = clients
    forged = node_client(server.base, auth={"token": "not.a.jwt"}, reconnection=False)
    refused = forged.next("@connect_error")
    assert refused["data"] == {"code": "unauthorized"} and refused["message"]

    python = socketio.Client(reconnection=False)
    errors: list[Any] = []
    python.on("connect_error", lambda data=None: errors.append(data))
    with pytest.raises(socketio.exceptions.ConnectionError):
        python.connect(server.base, headers={"Cookie": "jwt=forged"}, wait_timeout=5)
    python.disconnect()
    assert errors and errors[0]["data"] == {"code": "unauthorized"}

    handshake = server.base + "/socket.io/?EIO=4&transport=polling"
    foreign = urllib.request.Request(handshake, headers={"Origin": "https://evil.example"})
    with pytest.raises(urllib.error.HTTPError) as denied:
        urllib.request.urlopen(foreign, timeout=5)
    assert denied.value.code == 403
    same = urllib.request.Request(handshake, headers={"Origin": server.base})
    with urllib.request.urlopen(same, timeout=5) as response:
        assert response.status == 200 and response.read().startswith(b'0{"sid":"compat1.')


def test_a_socket_io_guest_reconnects_with_its_guest_token_and_resumes_its_seat(
    server: ServerProcess, clients: Any
) -> None:
    node_client, py_client = clients
    ana = node_client(server.base, auth={"username": "ana"})
    leo = py_client(server.base, auth={"username": "leo"}).connect()
    ana.next("welcome")
    first = leo.next("welcome")
    assert ana.call("findMatch", {"language": "french"}) == OK
    assert leo.call("findMatch", {"language": "french"}) == OK
    started = leo.next("newRound")
    room, seen = started["roomId"], started["seq"]
    leo.close()
    assert ana.next("playerDisconnected")["player"] == {"id": first["player"]["id"], "username": "leo"}

    again = py_client(server.base, auth={"guestToken": first["guestToken"]}).connect()
    assert again.next("welcome")["player"] == first["player"]
    assert again.call("resume", {"roomId": room, "lastSeq": seen}) == OK
    # What was missed comes first, in order; the others see the seat taken back.
    assert again.next("playerDisconnected")["seq"] == seen + 1
    assert ana.next("playerReconnected")["player"]["id"] == first["player"]["id"]
    ana.close(), again.close()
