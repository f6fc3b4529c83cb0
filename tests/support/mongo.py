"""A MongoDB for tests: SecantusDB in a child process, a real ``mongod``, or one you point us at.

- By default: SecantusDB (PyPI ``SecantusDB``, a MongoDB wire-protocol server on WiredTiger;
  test-only) on a free loopback port with a data directory of its own. It can be stopped and
  started again on the same port and data, for the restart and outage tests.
- ``LINGUALEAP_TEST_MONGOD=/path/to/mongod``: the same, with a real ``mongod`` binary.
- ``LINGUALEAP_TEST_MONGO_URI=mongodb://HOST:PORT``: an existing server. Each test gets a
  database of its own there (dropped afterwards); tests that stop the server are skipped.

Readiness is polled with ``ping`` under a deadline; nothing sleeps a fixed time.
"""

from __future__ import annotations

import inspect
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pymongo
import pytest
from pymongo.errors import PyMongoError

from support.processes import free_port, wait_until

URI_ENV = "LINGUALEAP_TEST_MONGO_URI"
MONGOD_ENV = "LINGUALEAP_TEST_MONGOD"


def _secantus_command() -> list[str]:
    script = Path(sys.executable).parent / "secantusd-py"
    if script.exists():
        return [str(script)]
    if shutil.which("secantusd-py"):
        return ["secantusd-py"]
    return [sys.executable, "-m", "secantus"]  # the package's own __main__


class MongoServer:
    """One server for tests; ``uri(db)`` names a database on it."""

    def __init__(self) -> None:
        self.external = os.environ.get(URI_ENV) or None
        self.mongod = os.environ.get(MONGOD_ENV) or None
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="ll-mongo-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def kind(self) -> str:
        return "external" if self.external else "mongod" if self.mongod else "secantus"

    @property
    def controllable(self) -> bool:
        """Whether tests may stop and restart it."""
        return self.external is None

    def require_control(self) -> None:
        if not self.controllable:
            pytest.skip(f"stops the MongoDB server, which {URI_ENV} does not let tests do")

    def uri(self, database: str, **options: str) -> str:
        if self.external:
            parts = urlsplit(self.external)
            query = "&".join(filter(None, [parts.query, *(f"{k}={v}" for k, v in options.items())]))
            return urlunsplit((parts.scheme, parts.netloc, "/" + database, query, ""))
        query = "&".join(f"{k}={v}" for k, v in options.items())
        return f"mongodb://127.0.0.1:{self.port}/{database}" + (f"?{query}" if query else "")

    def client(self) -> pymongo.MongoClient:
        """A blocking PyMongo client, for test setup and inspection only (never in the server)."""
        if self.external:
            return pymongo.MongoClient(self.external, serverSelectionTimeoutMS=3000)
        return pymongo.MongoClient(f"mongodb://127.0.0.1:{self.port}/", directConnection=True,
                                   serverSelectionTimeoutMS=3000)

    def _command(self) -> list[str]:
        data = self.directory / "data"
        data.mkdir(exist_ok=True)
        if self.mongod:
            return [self.mongod, "--port", str(self.port), "--bind_ip", "127.0.0.1", "--dbpath", str(data),
                    "--quiet", "--logpath", str(self.directory / "mongod.log")]
        return [*_secantus_command(), "--host", "127.0.0.1", "--port", str(self.port),
                "--storage-path", str(data), "--log-level", "WARNING"]

    def start(self, timeout: float = 30.0) -> MongoServer:
        if self.external:
            wait_until(self.ping, timeout, f"MongoDB at {self.external}")
            return self
        log = open(self.directory / "server.log", "ab")
        try:
            self.process = subprocess.Popen(self._command(), stdout=log, stderr=subprocess.STDOUT,
                                            cwd=self.directory)
        finally:
            log.close()

        def up() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.process.returncode}: {self.log()}")
            return self.ping()

        wait_until(up, timeout, f"{self.kind} on port {self.port}")
        return self

    def ping(self) -> bool:
        try:
            with pymongo.MongoClient(self.uri("admin"), directConnection=not self.external,
                                     serverSelectionTimeoutMS=300, connectTimeoutMS=300) as client:
                client.admin.command("ping")
            return True
        except PyMongoError:
            return False

    def pause(self) -> None:
        """SIGSTOP: the server hangs with its connections open (the case timeouts exist for)."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)

    def stop(self, timeout: float = 15.0) -> None:
        """A clean shutdown (SIGTERM); the data stays for :meth:`start`."""
        if self.process is not None and self.process.poll() is None:
            self.resume()  # a paused process would not act on SIGTERM
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)

    def kill(self) -> None:
        """kill -9: no shutdown at all."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(15)

    def log(self) -> str:
        path = self.directory / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


def new_database() -> str:
    return f"lltest_{secrets.token_hex(4)}"


def drop_database(server: MongoServer, database: str) -> None:
    try:
        with server.client() as client:
            client.drop_database(database)
    except PyMongoError:
        pass  # the server is gone already (a test stopped it); its directory is removed anyway


@pytest.fixture(scope="module")
def mongo_server() -> Iterator[MongoServer]:
    """One MongoDB per test module that asks for it (import this fixture into the module)."""
    server = MongoServer().start()
    yield server
    server.cleanup()


async def eventually(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    """Poll ``predicate`` (a plain or async function) without blocking the reactor, until truthy."""
    from twisted.internet import reactor, task

    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout}s")
        await task.deferLater(reactor, interval, lambda: None)
