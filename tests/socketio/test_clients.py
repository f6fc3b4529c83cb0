"""Stock clients against the conformance app: python-socketio and socket.io-client v4 (Node)."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
import socketio
from socketio_testlib import REPO_ROOT, ConformanceServer, ipv6_loopback_available, wait_until

NODE_SCRIPT = Path(__file__).resolve().parent / "node" / "client.mjs"


# -- python-socketio -----------------------------------------------------------------------


@pytest.mark.parametrize("transports", [None, ["polling"], ["websocket"]])
def test_python_socketio_client(server: ConformanceServer, transports: list[str] | None) -> None:
    client = socketio.Client(reconnection=False)
    received: dict[str, list[Any]] = {}
    arrived = threading.Event()

    @client.on("auth")
    def on_auth(auth: Any) -> None:
        received["auth"] = [auth]

    @client.on("message-back")
    def on_back(*args: Any) -> None:
        received["message-back"] = list(args)
        arrived.set()

    client.connect(server.http, auth={"token": "py"}, transports=transports, wait_timeout=3)
    try:
        expected = "polling" if transports == ["polling"] else "websocket"
        assert client.transport() == expected
        assert client.get_sid() and client.get_sid() != client.eio.sid
        assert client.call("message-with-ack", [1, "2", {"3": [True]}], timeout=3) == [
            1, "2", {"3": [True]}
        ]
        assert client.call("message-with-ack", b"\x00\x1e\xff", timeout=3) == b"\x00\x1e\xff"
        client.emit("message", ("héllo", b"\x01\x02", {"deep": [b"\x03"]}))
        assert arrived.wait(3)
        assert received["message-back"] == ["héllo", b"\x01\x02", {"deep": [b"\x03"]}]
        wait_until(lambda: "auth" in received, 3, "the auth event")
        assert received["auth"] == [{"token": "py"}]
    finally:
        client.disconnect()


def test_python_socketio_custom_namespace_and_refusal(server: ConformanceServer) -> None:
    client = socketio.Client(reconnection=False)
    auths: list[Any] = []
    client.on("auth", lambda auth: auths.append(auth), namespace="/custom")
    client.connect(server.http, namespaces=["/custom"], auth={"room": 7}, wait_timeout=3)
    try:
        wait_until(lambda: auths, 3, "the /custom auth event")
        assert auths == [{"room": 7}]
    finally:
        client.disconnect()

    refused = socketio.Client(reconnection=False)
    errors: list[Any] = []
    refused.on("connect_error", lambda *data: errors.append(data), namespace="/random")
    with pytest.raises(socketio.exceptions.ConnectionError, match="/random"):
        refused.connect(server.http, namespaces=["/random"], wait_timeout=3)
    refused.disconnect()
    assert errors == [({"message": "Invalid namespace"},)]


@pytest.mark.skipif(not ipv6_loopback_available(), reason="no IPv6 loopback")
def test_python_socketio_over_ipv6(server: ConformanceServer) -> None:
    client = socketio.Client(reconnection=False)
    client.connect(f"http://[::1]:{server.port}", wait_timeout=3)
    try:
        assert client.call("message-with-ack", "v6", timeout=3) == "v6"
    finally:
        client.disconnect()


# -- socket.io-client (Node) ---------------------------------------------------------------


@pytest.fixture(scope="session")
def node() -> str:
    """The node binary, with socket.io-client installed from package-lock.json."""
    executable = shutil.which("node")
    npm = shutil.which("npm")
    if executable is None or npm is None:
        pytest.fail("Node.js and npm are needed for the socket.io-client tests (Node 20+)")
    if not (REPO_ROOT / "node_modules" / "socket.io-client").is_dir():
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
        )
        if result.returncode != 0:
            pytest.fail(
                "`npm ci` failed; run it at the repository root to install socket.io-client:\n"
                + result.stdout + result.stderr
            )
    return executable


@pytest.mark.parametrize("mode", ["polling-then-websocket", "websocket", "polling"])
def test_socket_io_client(server: ConformanceServer, node: str, mode: str) -> None:
    result = subprocess.run(
        [node, str(NODE_SCRIPT), server.http, mode],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=30,
    )
    assert result.stdout.strip(), f"no report from the Node client:\n{result.stderr}"
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert "error" not in report, report["error"]
    assert result.returncode == 0, result.stderr
    assert report["auth"] == {"token": "node-token"}
    assert report["connected"] and report["socketId"]
    assert report["transport"] == ("polling" if mode == "polling" else "websocket")
    assert report["ack"] == [1, "2", {"3": [True]}]
    assert report["binaryAck"] == [[1, 2, 3], [4]]
    assert report["messageBack"] == ["héllo ✓", [0x1E, 0xFF]]
    assert report["customAuth"] == {"room": "r1"}
    assert report["multiplexed"] is True
    assert report["invalidNamespace"] == "Invalid namespace"
    assert report["stillConnected"] is True
    assert report["disconnectReason"] == "io client disconnect"
