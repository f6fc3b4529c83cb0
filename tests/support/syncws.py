"""A blocking WebSocket JSON client (websocket-client) for tests against server processes."""

from __future__ import annotations

import json
import time
from typing import Any

import websocket


class SyncClient:
    def __init__(self, url: str, **kwargs: Any) -> None:
        self.ws = websocket.create_connection(url, timeout=10, **kwargs)
        self.events: list[dict[str, Any]] = []

    def send(self, event: str, data: Any = None) -> None:
        self.ws.send(json.dumps({"event": event, "data": data or {}}))

    def next(self, name: str, timeout: float = 15.0) -> dict[str, Any]:
        """Read frames until one called ``name`` arrives (earlier ones are kept in ``events``)."""
        return self.next_any((name,), timeout)

    def next_any(self, names: tuple[str, ...], timeout: float = 15.0) -> dict[str, Any]:
        """The next frame whose event is one of ``names``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.ws.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                message = json.loads(self.ws.recv())
            except websocket.WebSocketTimeoutException:
                break
            self.events.append(message)
            if message["event"] in names:
                return dict(message["data"])
        raise AssertionError(f"none of {names} within {timeout}s; got {[e['event'] for e in self.events]}")

    def wait_closed(self, timeout: float = 10.0) -> tuple[int, str]:
        """The server's close frame (code, reason), skipping whatever comes before it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.ws.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                opcode, frame = self.ws.recv_data_frame(True)
            except websocket.WebSocketTimeoutException:
                break
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return int.from_bytes(frame.data[:2], "big"), frame.data[2:].decode("utf-8", "replace")
            if opcode == websocket.ABNF.OPCODE_TEXT:
                self.events.append(json.loads(frame.data))
        raise AssertionError(f"not closed within {timeout}s; got {[e['event'] for e in self.events]}")

    def close(self) -> None:
        self.ws.close()
