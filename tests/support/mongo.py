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
from urllib.parse import quote, urlsplit, urlunsplit

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
    """One server for tests; ``uri(db)`` names a database on it.

    ``tls=(cert, key, ca)`` makes it speak only TLS with that certificate (SecantusDB's
    ``--tls-cert-file``/``--tls-key-file``; ``ca`` is what the test's own pings trust).
    """

    def __init__(self, tls: tuple[Path, Path, Path] | None = None, login: tuple[str, str] | None = None) -> None:
        self.tls = tls
        #: ``(user, password)``: a root user is made, then the server requires logins (SCRAM-SHA-256).
        self.login = login
        own = tls is not None or login is not None
        self.external = None if own else os.environ.get(URI_ENV) or None
        self.mongod = None if own else os.environ.get(MONGOD_ENV) or None
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="ll-mongo-"))
        self.process: subprocess.Popen[bytes] | None = None
        self._users_made = False

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
        if self.login is not None:
            options = {"authSource": "admin", **options}
        query = "&".join(f"{k}={v}" for k, v in options.items())
        credentials = f"{quote(self.login[0], safe='')}:{quote(self.login[1], safe='')}@" if self.login else ""
        return f"mongodb://{credentials}127.0.0.1:{self.port}/{database}" + (f"?{query}" if query else "")

    def client(self) -> pymongo.MongoClient:
        """A blocking PyMongo client, for test setup and inspection only (never in the server)."""
        if self.external:
            return pymongo.MongoClient(self.external, serverSelectionTimeoutMS=3000)
        return pymongo.MongoClient(self.uri("admin"), directConnection=True, serverSelectionTimeoutMS=3000)

    def _command(self) -> list[str]:
        data = self.directory / "data"
        data.mkdir(exist_ok=True)
        if self.mongod:
            return [self.mongod, "--port", str(self.port), "--bind_ip", "127.0.0.1", "--dbpath", str(data),
                    "--quiet", "--logpath", str(self.directory / "mongod.log")]
        tls = ["--tls-cert-file", str(self.tls[0]), "--tls-key-file", str(self.tls[1])] if self.tls else []
        auth = ["--auth"] if self.login and self._users_made else []
        return [*_secantus_command(), "--host", "127.0.0.1", "--port", str(self.port),
                "--storage-path", str(data), "--log-level", "WARNING", *tls, *auth]

    def start(self, timeout: float = 30.0) -> MongoServer:
        if self.login is not None and not self._users_made:
            # As with mongod: users are made on an open server, which then restarts with --auth.
            self._start(timeout, lambda: self.ping(open_server=True))
            with pymongo.MongoClient(f"mongodb://127.0.0.1:{self.port}/", directConnection=True,
                                     serverSelectionTimeoutMS=3000) as client:
                client.admin.command("createUser", self.login[0], pwd=self.login[1], roles=["root"],
                                     mechanisms=["SCRAM-SHA-256"])
            self.stop()
            self._users_made = True
        return self._start(timeout, self.ping)

    def _start(self, timeout: float, ping: Callable[[], bool]) -> MongoServer:
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
            return ping()

        wait_until(up, timeout, f"{self.kind} on port {self.port}")
        self._check_it_is_ours()
        return self

    def _check_it_is_ours(self) -> None:
        """The server answering on our port is the process we started, not a stranger that got
        there first (tests that stop or freeze "their" server would otherwise act on nothing)."""
        if self.login is not None or self.tls is not None:
            return  # their pings prove it already: only our server knows the user or the certificate
        assert self.process is not None
        with pymongo.MongoClient(self.uri("admin"), directConnection=True, serverSelectionTimeoutMS=3000) as client:
            pid = client.admin.command("serverStatus").get("pid")
        if pid is not None and pid != self.process.pid:
            raise RuntimeError(f"port {self.port} is answered by process {pid}, not ours ({self.process.pid})")

    def ping(self, open_server: bool = False) -> bool:
        # The test's own check trusts the CA but not the name: only the server under test is picky.
        tls: dict[str, Any] = ({"tls": True, "tlsCAFile": str(self.tls[2]), "tlsAllowInvalidHostnames": True}
                               if self.tls else {})
        uri = f"mongodb://127.0.0.1:{self.port}/admin" if open_server else self.uri("admin")
        try:
            with pymongo.MongoClient(uri, directConnection=not self.external,
                                     serverSelectionTimeoutMS=300, connectTimeoutMS=300, **tls) as client:
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
