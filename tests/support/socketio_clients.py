"""Stock Socket.IO clients for tests against server processes, behind one blocking interface.

* :class:`NodeClient`: socket.io-client v4 under Node (``tests/compat/node/driver.mjs``).
* :class:`PyClient`: python-socketio's ``Client``.

Both record everything they see in an :class:`Inbox`: server events by name, and their own
lifecycle as ``@connect``, ``@upgrade`` (Node only), ``@disconnect`` and ``@connect_error``.
``next(name)`` waits (with a deadline) for the next not yet consumed item of that name.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import threading
import time
from typing import Any

import socketio

from support.processes import ROOT

DRIVER = ROOT / "tests" / "compat" / "node" / "driver.mjs"


class Inbox:
    def __init__(self) -> None:
        self._items: list[tuple[str, Any]] = []
        self._cursor: dict[str, int] = {}
        self._changed = threading.Condition()

    def put(self, name: str, data: Any) -> None:
        with self._changed:
            self._items.append((name, data))
            self._changed.notify_all()

    def next(self, name: str, timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                start = self._cursor.get(name, 0)
                for index in range(start, len(self._items)):
                    if self._items[index][0] == name:
                        self._cursor[name] = index + 1
                        return self._items[index][1]
                self._cursor[name] = len(self._items)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no {name} within {timeout}s; saw {self.names()}")
                self._changed.wait(remaining)

    def names(self) -> list[str]:
        return [name for name, _ in self._items]

    def all(self, name: str) -> list[Any]:
        return [data for item, data in self._items if item == name]


def _one(args: list[Any]) -> Any:
    """An event's payload: its only argument (our server always sends exactly one)."""
    return args[0] if len(args) == 1 else args


def node_with_socket_io_client() -> str:
    """The node binary, after ``npm ci`` at the repository root if socket.io-client is missing."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise RuntimeError("Node.js and npm are needed for the socket.io-client tests (Node 20+)")
    if not (ROOT / "node_modules" / "socket.io-client").is_dir():
        result = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=ROOT,
                                capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise RuntimeError("`npm ci` failed:\n" + result.stdout + result.stderr)
    return node


class NodeClient:
    """socket.io-client v4 in a Node process; ``options`` are ``io()``'s (``transports``, ``auth``...)."""

    def __init__(self, url: str, **options: Any) -> None:
        node = node_with_socket_io_client()
        self.inbox = Inbox()
        self._acks = itertools.count()
        self._stderr: list[str] = []
        self.process = subprocess.Popen(
            [node, str(DRIVER), url, json.dumps(options)], cwd=ROOT, text=True, bufsize=1,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            message = json.loads(line)
            kind = message.pop("kind")
            if kind == "event":
                self.inbox.put(message["name"], _one(message["args"]))
            elif kind == "ack":
                self.inbox.put(f"@ack:{message['ack']}", _one(message["args"]))
            else:
                self.inbox.put(f"@{kind}", message)
        self.inbox.put("@exit", self.process.wait())

    def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._stderr.append(line)

    def _command(self, **command: Any) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()

    def emit(self, event: str, data: Any = None) -> None:
        self._command(op="emit", event=event, data=data)

    def call(self, event: str, data: Any = None, timeout: float = 5.0) -> Any:
        ack = next(self._acks)
        self._command(op="emit", event=event, data=data, ack=ack)
        return self.inbox.next(f"@ack:{ack}", timeout)

    def next(self, name: str, timeout: float = 10.0) -> Any:
        try:
            return self.inbox.next(name, timeout)
        except AssertionError as e:
            raise AssertionError(f"{e}\nNode stderr:\n{''.join(self._stderr)[-2000:]}") from None

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self._command(op="close")
            except (BrokenPipeError, ValueError):
                pass
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


class PyClient:
    """python-socketio's Client; ``connect()`` takes ``auth``, ``transports`` and ``headers``."""

    def __init__(self, url: str, **connect: Any) -> None:
        self.url = url
        self._connect = {"wait_timeout": 5, **connect}
        self.inbox = Inbox()
        reconnection = self._connect.pop("reconnection", False)
        self.client = socketio.Client(reconnection=reconnection)
        self.client.on("*", self._event)
        self.client.on("connect", self._connected)
        self.client.on("disconnect", self._disconnected)
        self.client.on("connect_error", self._connect_error)

    def _event(self, name: str, *args: Any) -> None:
        self.inbox.put(name, _one(list(args)))

    def _connected(self) -> None:
        self.inbox.put("@connect", {"id": self.client.get_sid(), "engine": self.client.eio.sid,
                                    "transport": self.client.transport()})

    def _disconnected(self, reason: Any = None) -> None:
        self.inbox.put("@disconnect", {"reason": reason})

    def _connect_error(self, data: Any = None) -> None:
        self.inbox.put("@connect_error", data)

    def connect(self) -> PyClient:
        self.client.connect(self.url, **self._connect)
        return self

    def emit(self, event: str, data: Any = None) -> None:
        self.client.emit(event, data) if data is not None else self.client.emit(event)

    def call(self, event: str, data: Any = None, timeout: float = 5.0) -> Any:
        if data is None:
            return self.client.call(event, timeout=timeout)
        return self.client.call(event, data, timeout=timeout)

    def next(self, name: str, timeout: float = 10.0) -> Any:
        return self.inbox.next(name, timeout)

    def close(self) -> None:
        self.client.shutdown()


def dismissed(client: NodeClient | PyClient, code: str) -> None:
    """Told why by an ``error`` event, then disconnected by the server for good (no reconnecting)."""
    assert client.next("error")["code"] == code
    # socket.io-client says "io server disconnect", python-socketio "server disconnect".
    assert client.next("@disconnect")["reason"] in ("io server disconnect", "server disconnect")


def still_up(client: NodeClient | PyClient) -> None:
    """Answered (``cancelMatch`` while not queued) and never disconnected."""
    assert client.call("cancelMatch")["error"]["code"] == "not_queued"
    assert "@disconnect" not in client.inbox.names()
