"""``/ws``'s connection limits on Socket.IO too, and connections closed when their token is
revoked: a real ``twistd`` (memory backends), stock python-socketio and socket.io-client over
polling and WebSocket, and a plain ``/ws`` client beside them."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import socketio
import websocket
from support.processes import ServerProcess, http_json, login, register
from support.socketio_clients import PyClient, dismissed, still_up
from support.syncws import SyncClient

from compat.conftest import SERVER_ARGS

ME = {"X-Forwarded-For": "198.51.100.7"}


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Any]:
    """Start a server with extra options (stopped after the test)."""
    started: list[ServerProcess] = []

    def run(*args: str) -> ServerProcess:
        server = ServerProcess([*SERVER_ARGS, *args], tmp_path).start()
        started.append(server)
        return server

    yield run
    for server in started:
        server.stop()


def ws_url(server: ServerProcess, query: str = "") -> str:
    return server.base.replace("http://", "ws://") + "/ws" + (f"?{query}" if query else "")


# -- per-address limit on new connections ------------------------------------------------------
def test_socketio_handshakes_spend_the_address_allowance_shared_with_ws(start: Any, clients: Any) -> None:
    node_client, py_client = clients
    server = start("--limit-connections", "0.001:3")
    plain = SyncClient(ws_url(server, "username=plain"), header=ME)
    plain.next("welcome")
    polling = py_client(server.base, transports=["polling"], headers=ME, auth={"username": "poll"}).connect()
    polling.next("welcome")
    upgrading = node_client(server.base, extraHeaders=ME, auth={"username": "node"}, reconnection=False)
    upgrading.next("welcome")
    upgrading.next("@upgrade")  # the upgrade probe belongs to a session: it spends nothing

    # The allowance (3) is spent: a fourth handshake is refused, by polling or by WebSocket.
    handshake = server.base + "/socket.io/?EIO=4&transport=polling"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(handshake, headers=ME), timeout=5)
    assert refused.value.code == 429 and int(refused.value.headers["Retry-After"]) >= 1
    with pytest.raises(websocket.WebSocketBadStatusException) as denied:
        websocket.create_connection(ws_url(server).replace("/ws", "/socket.io/?EIO=4&transport=websocket"),
                                    header=ME, timeout=5)
    assert denied.value.status_code == 429
    with pytest.raises(socketio.exceptions.ConnectionError):
        PyClient(server.base, transports=["websocket"], headers=ME, auth={"username": "late"}).connect()
    with pytest.raises(websocket.WebSocketBadStatusException):
        SyncClient(ws_url(server, "username=late"), header=ME)

    # Open sessions go on (a long-poll is many requests), and another address has its own allowance.
    for _ in range(5):
        still_up(polling)
    still_up(upgrading)
    other = py_client(server.base, transports=["polling"], headers={"X-Forwarded-For": "198.51.100.8"}).connect()
    other.next("welcome")
    plain.close()


# -- open connections per user -----------------------------------------------------------------
def test_the_per_user_cap_counts_ws_and_socketio_together_and_closes_the_oldest(start: Any, clients: Any) -> None:
    node_client, py_client = clients
    server = start("--max-connections-per-user", "2")
    token = register(server.base, "ana")
    plain = SyncClient(ws_url(server, f"token={token}"))
    plain.next("welcome")
    polling = py_client(server.base, transports=["polling"], auth={"token": token}).connect()
    polling.next("welcome")
    guests = [py_client(server.base, auth={"username": f"guest{i}"}).connect() for i in range(3)]  # other people

    node = node_client(server.base, transports=["websocket"], auth={"token": token}, reconnection=False)
    node.next("welcome")
    assert plain.next("error")["code"] == "too_many_connections"  # the oldest of three: /ws
    assert plain.wait_closed() == (1008, "too many connections for this user")
    still_up(polling)

    newest = py_client(server.base, transports=["websocket"], auth={"token": token}).connect()
    newest.next("welcome")
    dismissed(polling, "too_many_connections")  # now the polling socket was the oldest
    for client in (node, newest, *guests):
        still_up(client)


# -- idle connections --------------------------------------------------------------------------
def test_idle_socketio_connections_are_closed_and_busy_ones_are_not(start: Any, clients: Any) -> None:
    node_client, py_client = clients
    server = start("--idle-timeout", "1")
    started = time.monotonic()
    idle_polling = py_client(server.base, transports=["polling"], auth={"username": "idlepoll"}).connect()
    idle_ws = node_client(server.base, transports=["websocket"], auth={"username": "idlews"}, reconnection=False)
    busy = py_client(server.base, transports=["websocket"], auth={"username": "busy"}).connect()
    for client in (idle_polling, idle_ws, busy):
        client.next("welcome")
    deadline = time.monotonic() + 10
    while not all("@disconnect" in c.inbox.names() for c in (idle_polling, idle_ws)):
        assert time.monotonic() < deadline, "the idle sockets were never closed"
        still_up(busy)  # an event every 0.3 s keeps this one open
        try:
            idle_polling.inbox.next("@never", timeout=0.3)
        except AssertionError:
            pass
    assert time.monotonic() - started >= 0.95
    for client in (idle_polling, idle_ws):
        dismissed(client, "idle")
    still_up(busy)


# -- revoked tokens ----------------------------------------------------------------------------
def test_logging_out_everywhere_closes_ws_and_socketio_connections_at_once(start: Any, clients: Any) -> None:
    node_client, py_client = clients
    server = start()
    token = register(server.base, "rita")
    second = login(server.base, "rita")
    plain = SyncClient(ws_url(server, f"token={token}"))
    plain.next("welcome")
    polling = py_client(server.base, transports=["polling"], auth={"token": second}).connect()
    node = node_client(server.base, transports=["websocket"], auth={"token": token}, reconnection=False)
    bystander = py_client(server.base, auth={"token": register(server.base, "bob")}).connect()
    for client in (polling, node, bystander):
        client.next("welcome")

    status, _ = http_json(server.base + "/api/users/logout?all=true", "POST", token=second)
    assert status == 200
    assert plain.next("error")["code"] == "token_revoked"
    assert plain.wait_closed() == (4001, "token_revoked")
    dismissed(polling, "token_revoked")
    dismissed(node, "token_revoked")
    still_up(bystander)

    # The old tokens cannot come back; a new login can, and a new password ends only older tokens.
    again = node_client(server.base, transports=["websocket"], auth={"token": token}, reconnection=False)
    assert again.next("@connect_error")["data"] == {"code": "unauthorized"}
    fresh = login(server.base, "rita")
    kept = py_client(server.base, transports=["polling"], auth={"token": fresh}).connect()
    kept.next("welcome")
    status, body = http_json(server.base + "/api/users/profile", "PUT", {"password": "a-new-password"}, token=fresh)
    assert status == 200
    dismissed(kept, "token_revoked")
    renewed = py_client(server.base, transports=["websocket"], auth={"token": body["token"]}).connect()
    renewed.next("welcome")
    still_up(renewed)
