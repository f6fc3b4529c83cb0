"""A small, fast WebSocket client on asyncio (RFC 6455, client side, text frames).

Written for load generation: one ``data_received`` call parses every complete frame in the
buffer and hands each payload (``bytes``) to the connection's handler; sending masks with a
fresh random key per frame using one big-integer XOR. No extensions, no compression (the
LinguaLeap server negotiates none), fragmented messages are reassembled, pings answered.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import random
import time
from collections.abc import Callable
from typing import Protocol

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_HANDSHAKE = 16384


class Handler(Protocol):
    def on_open(self, ws: WsClient) -> None: ...

    def on_message(self, payload: bytes, received_at: float) -> None: ...

    def on_close(self, reason: str) -> None: ...


def mask_payload(payload: bytes, key: bytes) -> bytes:
    n = len(payload)
    if not n:
        return b""
    stream = (key * ((n >> 2) + 1))[:n]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(stream, "little")).to_bytes(n, "little")


def frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """One masked client frame (FIN set)."""
    n = len(payload)
    key = random.getrandbits(32).to_bytes(4, "little")
    if n < 126:
        header = bytes((0x80 | opcode, 0x80 | n))
    elif n < 65536:
        header = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    return header + key + mask_payload(payload, key)


class WsClient(asyncio.Protocol):
    """One client connection. ``opened`` resolves on the 101 response (or fails)."""

    def __init__(self, host: str, port: int, path: str, handler: Handler,
                 headers: dict[str, str] | None = None) -> None:
        self.host = host
        self.port = port
        self.path = path
        self.handler = handler
        self.headers = headers or {}
        self.transport: asyncio.Transport | None = None
        self.open = False
        self.closed = False
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.opened.add_done_callback(_retrieve)
        self.response_headers: dict[str, str] = {}
        self._buf = b""
        self._fragments: list[bytes] = []
        self._key = base64.b64encode(os.urandom(16))
        self.bytes_in = 0
        self.frames_in = 0

    # -- asyncio.Protocol ------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's are not asyncio.Transport
        lines = [f"GET {self.path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {self._key.decode()}", "Sec-WebSocket-Version: 13"]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        self.transport.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))  # type: ignore[union-attr]

    def data_received(self, data: bytes) -> None:
        self.bytes_in += len(data)
        if self._buf:
            data = self._buf + data
            self._buf = b""
        if not self.open:
            end = data.find(b"\r\n\r\n")
            if end < 0:
                if len(data) > MAX_HANDSHAKE:
                    self._fail("handshake response too large")
                else:
                    self._buf = data
                return
            if not self._handshake(data[:end]):
                return
            data = data[end + 4:]
            if not data:
                return
        self._frames(data, time.monotonic())

    def connection_lost(self, exc: Exception | None) -> None:
        was_open = self.open
        self.open = False
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"connection lost before the handshake: {exc}"))
        if not self.closed:
            self.closed = True
            if was_open:
                self.handler.on_close(f"connection lost: {exc}" if exc else "connection closed")

    # -- handshake -------------------------------------------------------------------------
    def _handshake(self, head: bytes) -> bool:
        status, _, rest = head.partition(b"\r\n")
        parts = status.split(b" ", 2)
        headers: dict[str, str] = {}
        for line in rest.split(b"\r\n"):
            name, _, value = line.partition(b":")
            headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
        self.response_headers = headers
        if len(parts) < 2 or parts[1] != b"101":
            self._fail(f"handshake refused: {status.decode('latin-1', 'replace')}")
            return False
        expected = base64.b64encode(hashlib.sha1(self._key + GUID).digest()).decode()
        if headers.get("sec-websocket-accept") != expected:
            self._fail("bad Sec-WebSocket-Accept")
            return False
        self.open = True
        self.opened.set_result(None)
        self.handler.on_open(self)
        return True

    def _fail(self, why: str) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(why))
        if self.transport is not None:
            self.transport.abort()

    # -- frames in -------------------------------------------------------------------------
    def _frames(self, buf: bytes, now: float) -> None:
        pos = 0
        n = len(buf)
        on_message = self.handler.on_message
        while n - pos >= 2:
            b0 = buf[pos]
            b1 = buf[pos + 1]
            length = b1 & 0x7F
            head = 2
            if length == 126:
                if n - pos < 4:
                    break
                length = int.from_bytes(buf[pos + 2:pos + 4], "big")
                head = 4
            elif length == 127:
                if n - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2:pos + 10], "big")
                head = 10
            if b1 & 0x80:
                head += 4
            end = pos + head + length
            if end > n:
                break
            payload = buf[pos + head:end]
            if b1 & 0x80:  # servers must not mask, but be lenient
                payload = mask_payload(payload, buf[pos + head - 4:pos + head])
            pos = end
            self.frames_in += 1
            opcode = b0 & 0x0F
            if opcode == 0x1 or opcode == 0x2:
                if b0 & 0x80:
                    on_message(payload, now)
                else:
                    self._fragments = [payload]
            elif opcode == 0x0:
                self._fragments.append(payload)
                if b0 & 0x80:
                    whole = b"".join(self._fragments)
                    self._fragments = []
                    on_message(whole, now)
            elif opcode == 0x9:
                self._write(frame(payload, 0xA))
            elif opcode == 0x8:
                if not self.closed:
                    self._write(frame(payload[:2], 0x8))
                    self.closed = True
                    self.open = False
                    code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                    self.handler.on_close(f"closed by server: {code} {payload[2:].decode('utf-8', 'replace')}")
                if self.transport is not None:
                    self.transport.close()
                return
        if pos < n:
            self._buf = buf[pos:]

    # -- frames out ------------------------------------------------------------------------
    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def send(self, payload: bytes) -> None:
        """Send one text frame (``payload`` is UTF-8)."""
        if self.open:
            self.transport.write(frame(payload))  # type: ignore[union-attr]

    def close(self, code: int = 1000) -> None:
        if self.open:
            self._write(frame(code.to_bytes(2, "big"), 0x8))
            self.open = False
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()


def _retrieve(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()  # the caller saw it already, or nobody waits any more


def source_address(index: int) -> str:
    """A distinct loopback address per client (127.1.0.1, 127.1.0.2, …, all in 127.0.0.0/8).

    Every address of 127.0.0.0/8 is on the loopback interface, so a client can bind to any of
    them: the server then sees each simulated player come from its own address, as real players
    do, and per-address limits (new connections per address) apply per player, not to the whole
    generator. It also multiplies the usable (source address, port) pairs for 10,000+ sockets.
    """
    block, last = divmod(index, 250)
    return f"127.{1 + (block >> 8) % 254}.{block & 255}.{last + 1}"


async def connect(host: str, port: int, path: str, handler: Handler,
                  headers: dict[str, str] | None = None, timeout: float = 10.0,
                  source: str | None = None) -> WsClient:
    loop = asyncio.get_running_loop()
    factory: Callable[[], WsClient] = lambda: WsClient(host, port, path, handler, headers)  # noqa: E731
    local = (source, 0) if source else None
    transport, protocol = await asyncio.wait_for(
        loop.create_connection(factory, host, port, local_addr=local), timeout)
    try:
        await asyncio.wait_for(asyncio.shield(protocol.opened), timeout)
    except BaseException:
        transport.abort()
        raise
    return protocol


async def http_json(host: str, port: int, method: str, path: str, body: bytes | None,
                    headers: dict[str, str] | None = None, timeout: float = 10.0) -> tuple[int, bytes]:
    """A one-shot HTTP/1.1 request (Connection: close) returning (status, body)."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close",
                 "Content-Type: application/json", f"Content-Length: {len(body or b'')}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))
        raw = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    head, _, rest = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in head.lower():
        rest = _dechunk(rest)
    return status, rest


def _dechunk(data: bytes) -> bytes:
    out = []
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out.append(data[:size])
        data = data[size + 2:]
    return b"".join(out)
