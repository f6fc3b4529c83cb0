"""Helpers for the conformance tests: run the app as a subprocess, talk raw HTTP and WebSocket.

Nothing here sleeps on luck: waits poll a condition until a deadline, and socket reads carry
timeouts so a missing packet fails the test instead of hanging it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import websocket

REPO_ROOT = Path(__file__).resolve().parents[2]
OPCODE_TEXT = websocket.ABNF.OPCODE_TEXT
OPCODE_BINARY = websocket.ABNF.OPCODE_BINARY
OPCODE_CLOSE = websocket.ABNF.OPCODE_CLOSE


def free_port() -> int:
    """A port free on both 127.0.0.1 and ::1 (the app listens on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s4:
            s4.bind(("127.0.0.1", 0))
            port = s4.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s6:
                    s6.bind(("::1", port))
            except OSError:
                continue
            return int(port)
    raise RuntimeError("no port free on both loopbacks")


def ipv6_loopback_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s6:
            s6.bind(("::1", 0))
        return True
    except OSError:
        return False


def wait_until(condition: Callable[[], Any], timeout: float, what: str, step: float = 0.02) -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(step)


@dataclass
class ConformanceServer:
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    extra_args: tuple[str, ...] = ()

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def start_server(log_dir: Path, *args: str) -> ConformanceServer:
    port = free_port()
    log_path = log_dir / f"conformance-{port}.log"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "lingualeap.transports.socketio.conformance",
             "--port", str(port), *args],
            cwd=REPO_ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    server = ConformanceServer(port, process, log_path, args)

    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"conformance app exited early:\n{server.log_text()}")
        return _accepts(port) and "conformance server on port" in server.log_text()

    wait_until(ready, 15, "the conformance app to listen")
    return server


def stop_server(server: ConformanceServer) -> str:
    """Stop the app and return its log, failing on tracebacks or unhandled errors."""
    server.process.terminate()
    try:
        server.process.wait(10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(5)
    text = server.log_text()
    for marker in ("Traceback", "Unhandled", "CRITICAL", "[critical]"):
        assert marker not in text, f"the conformance app logged {marker!r}:\n{text}"
    return text


# -- Engine.IO over raw HTTP ---------------------------------------------------------------


@dataclass
class Polling:
    """Raw long-polling requests against one endpoint (``/engine.io/`` or ``/socket.io/``)."""

    base: str
    path: str = "/engine.io/"
    http: requests.Session = field(default_factory=requests.Session)

    @property
    def url(self) -> str:
        return self.base + self.path

    def params(self, sid: str | None = None, **extra: str) -> dict[str, str]:
        params = {"EIO": "4", "transport": "polling"}
        if sid is not None:
            params["sid"] = sid
        params.update(extra)
        return params

    def handshake(self, **headers: str) -> tuple[str, dict[str, Any]]:
        response = self.http.get(self.url, params=self.params(), headers=headers, timeout=5)
        assert response.status_code == 200, response.text
        assert response.text.startswith("0"), response.text
        body = json.loads(response.text[1:])
        return body["sid"], body

    def get(self, sid: str, timeout: float = 5) -> requests.Response:
        # A fresh connection per GET, as browsers' XHRs may use: nothing depends on keep-alive.
        return requests.get(self.url, params=self.params(sid), timeout=timeout)

    def post(self, sid: str, body: str | bytes, **headers: str) -> requests.Response:
        data = body.encode("utf-8") if isinstance(body, str) else body
        return requests.post(
            self.url, params=self.params(sid), data=data, headers=headers, timeout=5
        )


def error_of(response: requests.Response) -> tuple[int, int]:
    """``(HTTP status, Engine.IO error code)`` of an error response."""
    return response.status_code, json.loads(response.text)["code"]


# -- WebSocket -----------------------------------------------------------------------------


def ws_url(server: ConformanceServer, path: str = "/engine.io/", sid: str | None = None,
           **params: str) -> str:
    query = {"EIO": "4", "transport": "websocket", **params}
    if sid is not None:
        query["sid"] = sid
    return f"{server.ws}{path}?" + "&".join(f"{k}={v}" for k, v in query.items())


def ws_connect(url: str, timeout: float = 3, **kwargs: Any) -> websocket.WebSocket:
    return websocket.create_connection(url, timeout=timeout, **kwargs)


def recv(ws: websocket.WebSocket, answer_pings: bool = True) -> str | bytes:
    """The next data message, answering (or, with ``answer_pings=False``, skipping) pings."""
    while True:
        opcode, data = ws.recv_data(control_frame=True)
        if opcode == OPCODE_CLOSE:
            raise websocket.WebSocketConnectionClosedException("closed by the server")
        if opcode == OPCODE_TEXT:
            text = bytes(data).decode("utf-8")
            if text == "2":
                if answer_pings:
                    ws.send("3")
                continue
            return text
        if opcode == OPCODE_BINARY:
            return bytes(data)


def wait_closed(ws: websocket.WebSocket, timeout: float = 3) -> int | None:
    """Read until the server closes; return its close code (``None`` if the TCP just ended)."""
    ws.settimeout(timeout)
    try:
        while True:
            opcode, data = ws.recv_data(control_frame=True)
            if opcode == OPCODE_CLOSE:
                return int.from_bytes(data[:2], "big") if len(data) >= 2 else None
    except (websocket.WebSocketConnectionClosedException, ConnectionError):
        return None
    except websocket.WebSocketTimeoutException:
        raise AssertionError(f"the server did not close the WebSocket within {timeout}s")


@contextmanager
def ws_session(server: ConformanceServer, path: str = "/engine.io/",
               **kwargs: Any) -> Iterator[tuple[websocket.WebSocket, dict[str, Any]]]:
    """A WebSocket-only Engine.IO session, with its open packet already read."""
    ws = ws_connect(ws_url(server, path), **kwargs)
    try:
        opened = recv(ws)
        assert isinstance(opened, str) and opened.startswith("0"), opened
        yield ws, json.loads(opened[1:])
    finally:
        ws.close()
