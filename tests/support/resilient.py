"""A player that survives outages like a good client: reconnect, resume, check nothing was lost.

Like a browser, it reads all the time (a reader thread), so a dropped connection is noticed at
once; it then reconnects through the URL it was given (e.g. HAProxy, which sends it to a live
instance) and resumes its room with the last sequence number it saw.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from typing import Any

import websocket

RECONNECT_DEADLINE = 40.0


class ResilientPlayer:
    def __init__(self, url: str, token: str, name: str) -> None:
        self.url = url
        self.token = token
        self.name = name
        self.events: list[dict[str, Any]] = []
        self.room: str | None = None
        self.last_seq = 0
        self.instances: list[str] = []
        self.interruptions: list[float] = []
        self._inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self._lock = threading.Lock()
        self._dropped_at: float | None = None
        self._closing = False
        self.ws = self._connect()
        self._reader = threading.Thread(target=self._read_forever, name=f"reader-{name}", daemon=True)
        self._reader.start()

    # -- connection ---------------------------------------------------------------------------
    def _connect(self) -> websocket.WebSocket:
        return websocket.create_connection(f"{self.url}?token={self.token}", timeout=5)

    def _reconnect(self) -> None:
        deadline = time.monotonic() + RECONNECT_DEADLINE
        while not self._closing:
            try:
                ws = self._connect()
                break
            except (OSError, websocket.WebSocketException):
                if time.monotonic() > deadline:
                    raise AssertionError(f"{self.name} could not reconnect in {RECONNECT_DEADLINE}s") from None
                time.sleep(0.2)  # a client's reconnect backoff, not a wait for a condition
        else:
            return
        with self._lock:
            self.ws = ws
            if self.room is not None:
                ws.send(json.dumps({"event": "resume", "data": {"roomId": self.room, "lastSeq": self.last_seq}}))

    def _read_forever(self) -> None:
        while not self._closing:
            try:
                self.ws.settimeout(None)
                raw = self.ws.recv()
            except (OSError, websocket.WebSocketException):
                raw = ""
            if self._closing:
                return
            if not raw:  # closed: by the server, the network, or a dying instance
                if self._dropped_at is None:
                    self._dropped_at = time.monotonic()
                try:
                    self._reconnect()
                except AssertionError as e:
                    self._inbox.put({"event": "_gave_up", "data": {"reason": str(e)}})
                    return
                continue
            message: dict[str, Any] = json.loads(raw)
            self._observe(message)
            self._inbox.put(message)

    def send(self, event: str, data: Any = None) -> None:
        payload = json.dumps({"event": event, "data": data or {}})
        deadline = time.monotonic() + RECONNECT_DEADLINE
        while True:
            try:
                with self._lock:
                    self.ws.send(payload)
                return
            except (OSError, websocket.WebSocketException):
                if time.monotonic() > deadline:
                    raise AssertionError(f"{self.name} could not send {event}") from None
                time.sleep(0.1)  # the reader is reconnecting

    # -- reading ------------------------------------------------------------------------------
    def _observe(self, message: dict[str, Any]) -> None:
        self.events.append(message)
        data = message.get("data") or {}
        if message["event"] == "welcome":
            self.instances.append(str(data.get("instance")))
        if isinstance(data, dict) and data.get("roomId") and "seq" in data:
            self.room = str(data["roomId"])
            self.last_seq = max(self.last_seq, int(data["seq"]))
            if self._dropped_at is not None:
                self.interruptions.append(time.monotonic() - self._dropped_at)
                self._dropped_at = None
        if message["event"] in ("matchEnded", "roomDeleted"):
            self.room = None

    def next(self, name: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                message = self._inbox.get(timeout=remaining)
            except queue.Empty:
                break
            if message["event"] == "_gave_up":
                raise AssertionError(message["data"]["reason"])
            if message["event"] == name:
                return dict(message["data"])
        errors = [e["data"] for e in self.events if e["event"] == "error"]
        raise AssertionError(
            f"{self.name}: no {name} within {timeout}s; got {[e['event'] for e in self.events][-30:]}; errors {errors}"
        )

    def assert_nothing_lost(self) -> None:
        """Every room event arrived once, in order; a gap must have been covered by a roomState."""
        expected = None
        for event in self.events:
            data = event.get("data") or {}
            if not isinstance(data, dict) or "seq" not in data or not data.get("roomId"):
                continue
            seq = int(data["seq"])
            if event["event"] == "roomState" or expected is None:
                expected = seq + 1
                continue
            assert seq == expected, (
                f"{self.name}: got seq {seq} ({event['event']}) after {expected - 1}; "
                f"instances {self.instances}; events {self._trace()}"
            )
            expected = seq + 1

    def _trace(self) -> list[str]:
        """What arrived, compactly: event names with their sequence numbers."""
        trace = []
        for event in self.events:
            data = event.get("data") or {}
            seq = data.get("seq") if isinstance(data, dict) else None
            trace.append(event["event"] if seq is None else f"{event['event']}#{seq}")
        return trace

    def drop(self) -> None:
        """Cut the TCP connection without a WebSocket goodbye, as a network failure would."""
        import socket

        with self._lock:
            self.ws.sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._closing = True
        try:
            with self._lock:
                self.ws.close()
        except (OSError, websocket.WebSocketException):
            pass
