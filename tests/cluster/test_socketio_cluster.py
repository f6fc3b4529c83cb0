"""Socket.IO clients through the repository's haproxy.cfg, on different instances, play one match.

Engine.IO sessions live in one process. Node's socket.io-client keeps no cookies by default, so
its polling requests and its upgrade reach the right instance only through the sid-based
``use-server`` rules (sids start with the instance id).
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from support.cluster import LocalCluster
from support.socketio_clients import NodeClient, PyClient, node_with_socket_io_client
from support.socketio_match import play_match

pytestmark = pytest.mark.slow

ROUND_SECONDS = 3.0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    try:
        node_with_socket_io_client()
    except RuntimeError as e:
        pytest.fail(str(e))
    c = LocalCluster(tmp_path_factory.mktemp("socketio-haproxy"), 3,
                     ["--rounds", "2", "--round-seconds", str(ROUND_SECONDS), "--start-delay", "0.5",
                      "--intermission", "0.5"], haproxy=True)
    c.start()
    yield c
    c.stop()


def _request(front: str, method: str, path: str, body: str | None = None) -> tuple[int, str, str]:
    """One request on a fresh connection (no cookies): (status, instance header, body)."""
    parts = urlsplit(front)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers={"content-type": "text/plain;charset=UTF-8"})
        response = connection.getresponse()
        return response.status, response.getheader("X-LinguaLeap-Instance", ""), response.read().decode()
    finally:
        connection.close()


def test_polling_requests_follow_the_instance_named_by_the_sid(cluster: LocalCluster) -> None:
    base = "/socket.io/?EIO=4&transport=polling"
    sessions: dict[str, str] = {}
    for _ in range(30):  # handshakes are balanced: collect one session on every instance
        status, instance, body = _request(cluster.front, "GET", base)
        assert status == 200 and body.startswith('0{"sid":"')
        sid = body.split('"')[3]
        assert sid.startswith(f"{instance}.")
        sessions.setdefault(instance, sid)
        if len(sessions) == 3:
            break
    assert set(sessions) == {"app1", "app2", "app3"}
    for instance, sid in sessions.items():
        for _ in range(3):  # fresh connections, no cookie: only ?sid= says where to go
            status, served_by, body = _request(cluster.front, "POST", f"{base}&sid={sid}", "40")
            assert (status, served_by, body) == (200, instance, "ok")
        status, served_by, body = _request(cluster.front, "GET", f"{base}&sid={sid}")
        assert (status, served_by) == (200, instance) and body.startswith("40{")


def test_socket_io_clients_on_different_instances_play_one_match(cluster: LocalCluster) -> None:
    node = NodeClient(cluster.front, auth={"username": "nina"})  # polling, then the upgrade
    extras: list[PyClient] = []
    python: PyClient | None = None
    try:
        connected = node.next("@connect", timeout=15)
        node_instance = node.next("welcome")["instance"]
        assert connected["engine"].startswith(f"{node_instance}.")
        assert node.next("@upgrade")["transport"] == "websocket"  # the upgrade found its session too
        while python is None:  # leastconn spreads handshakes; take the first on another instance
            assert len(extras) < 10, "HAProxy never sent a Python client to another instance"
            candidate = PyClient(cluster.front, auth={"username": "omar"}).connect()
            extras.append(candidate)
            if candidate.next("welcome")["instance"] != node_instance:
                python = candidate
        for extra in extras:
            if extra is not python:
                extra.close()
        python_instance = python.inbox.all("welcome")[0]["instance"]
        assert python.next("@connect")["engine"].startswith(f"{python_instance}.")
        assert python_instance != node_instance

        result = play_match(node, "nina", python, "omar", round_seconds=ROUND_SECONDS)
        assert {s["username"] for s in result["standings"]} == {"nina", "omar"}
    finally:
        node.close()
        for extra in extras:
            extra.close()
