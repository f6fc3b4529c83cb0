"""A revoked token closes its open connections on every instance: two ``twistd`` processes
sharing a real redis-server, ``/ws`` and Socket.IO clients (polling and WebSocket) on both."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.cluster import LocalCluster
from support.processes import http_json, login, register
from support.socketio_clients import NodeClient, PyClient, dismissed, still_up
from support.syncws import SyncClient

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    c = LocalCluster(tmp_path_factory.mktemp("revocation"), 2)
    c.start()
    yield c
    c.stop()


def test_revoking_on_one_instance_closes_connections_on_the_other(cluster: LocalCluster) -> None:
    app1, app2 = (instance.base for instance in cluster.instances)
    token, bob = register(app1, "rosa"), register(app1, "bob")
    here = SyncClient(f"{cluster.ws(0)}?token={token}")
    there = SyncClient(f"{cluster.ws(1)}?token={token}")
    assert here.next("welcome")["instance"] == "app1" and there.next("welcome")["instance"] == "app2"
    clients: list[NodeClient | PyClient] = []
    try:
        polling = PyClient(app2, transports=["polling"], auth={"token": token}).connect()
        websocket = NodeClient(app2, transports=["websocket"], auth={"token": token}, reconnection=False)
        bystander = PyClient(app2, auth={"token": bob}).connect()
        clients += [polling, websocket, bystander]
        for client in clients:
            assert client.next("welcome")["instance"] == "app2"

        status, _ = http_json(app1 + "/api/users/logout?all=true", "POST", token=token)
        assert status == 200
        for plain in (here, there):
            assert plain.next("error")["code"] == "token_revoked"
            assert plain.wait_closed() == (4001, "token_revoked")
        dismissed(polling, "token_revoked")
        dismissed(websocket, "token_revoked")
        still_up(bystander)

        # A password changed on app2 ends the connections of older tokens on app1.
        fresh = login(app2, "rosa")
        on_app1 = PyClient(app1, transports=["websocket"], auth={"token": fresh}).connect()
        clients.append(on_app1)
        on_app1.next("welcome")
        status, _ = http_json(app2 + "/api/users/profile", "PUT", {"password": "a-new-password"}, token=fresh)
        assert status == 200
        dismissed(on_app1, "token_revoked")
    finally:
        for client in clients:
            client.close()
        here.close()
        there.close()
