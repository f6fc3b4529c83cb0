"""Fixtures for the Socket.IO transport tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent
# The package under test and the helper module, whatever directory pytest runs from.
for _path in (str(_HERE.parents[1]), str(_HERE)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from socketio_testlib import ConformanceServer, start_server, stop_server  # noqa: E402


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConformanceServer]:
    """The conformance app with its default settings, shared by the whole session."""
    app = start_server(tmp_path_factory.mktemp("conformance"))
    yield app
    stop_server(app)


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConformanceServer]:
    """The app with an allowed-origins list and the sticky-session cookie on."""
    app = start_server(
        tmp_path_factory.mktemp("strict"),
        "--allowed-origins",
        "http://good.example,https://also-good.example",
        "--cookie",
        "io",
    )
    yield app
    stop_server(app)
