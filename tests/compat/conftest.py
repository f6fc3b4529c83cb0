"""Fixtures for the compatibility tests: a real ``twistd lingualeap`` and stock Socket.IO clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.processes import ServerProcess
from support.socketio_clients import NodeClient, PyClient, node_with_socket_io_client
from support.words import FIXTURE_WORDS

ROUND_SECONDS = 3.0
Factories = tuple[Callable[..., NodeClient], Callable[..., PyClient]]
#: Short rounds and pauses keep a whole match around five seconds.
SERVER_ARGS = ["--words", str(FIXTURE_WORDS), "--rounds", "2", "--round-seconds", str(ROUND_SECONDS),
               "--start-delay", "0.5", "--intermission", "0.5", "--bcrypt-rounds", "4",
               "--drain-seconds", "0", "--instance-id", "compat1"]


@pytest.fixture(scope="session")
def node() -> str:
    """The node binary, with socket.io-client installed from package-lock.json."""
    try:
        return node_with_socket_io_client()
    except RuntimeError as e:
        pytest.fail(str(e))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for the tests that only connect and play (each closes its clients)."""
    process = ServerProcess(SERVER_ARGS, tmp_path_factory.mktemp("compat")).start()
    yield process
    process.stop()


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server of the test's own, which it may stop and start again (same port)."""
    process = ServerProcess(SERVER_ARGS, tmp_path).start()
    yield process
    process.stop()


@pytest.fixture
def clients(node: str) -> Iterator[Factories]:
    """Factories for Node and Python clients; every client made is closed after the test."""
    made: list[NodeClient | PyClient] = []

    def node_client(url: str, **options: Any) -> NodeClient:
        client = NodeClient(url, **options)
        made.append(client)
        return client

    def py_client(url: str, **connect: Any) -> PyClient:
        client = PyClient(url, **connect)
        made.append(client)
        return client

    yield node_client, py_client
    for client in made:
        client.close()
