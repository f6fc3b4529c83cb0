"""Engine.IO v4 packets and HTTP long-polling payloads (pure; no I/O).

A packet is a type digit followed by optional data. Over WebSocket each packet is one frame:
a text frame ``4hello``, or a binary frame holding a binary message as is. Over long-polling
packets are joined with the record separator ``\\x1e`` and a binary message is written as
``b`` + base64 (no type digit)::

    4hello\\x1e2\\x1ebAQIDBA==
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property

__all__ = [
    "PacketType",
    "Packet",
    "DecodeError",
    "RECORD_SEPARATOR",
    "encode_packet",
    "decode_packet",
    "encode_payload",
    "decode_payload",
    "open_packet",
]

RECORD_SEPARATOR = "\x1e"


class PacketType(IntEnum):
    OPEN = 0
    CLOSE = 1
    PING = 2
    PONG = 3
    MESSAGE = 4
    UPGRADE = 5
    NOOP = 6


class DecodeError(ValueError):
    """Bytes or text that are not a valid Engine.IO packet or payload."""


@dataclass(frozen=True)
class Packet:
    """One Engine.IO packet. ``data`` is ``bytes`` only for a binary MESSAGE.

    Packets are immutable, so one encoded packet can be queued on many sessions; the wire forms
    are computed once and cached.
    """

    type: PacketType
    data: str | bytes = ""

    def __post_init__(self) -> None:
        if isinstance(self.data, bytes) and self.type is not PacketType.MESSAGE:
            raise ValueError(f"only MESSAGE packets carry binary data, not {self.type.name}")

    @property
    def is_binary(self) -> bool:
        return isinstance(self.data, bytes)

    @cached_property
    def frame(self) -> tuple[bytes, bool]:
        """The WebSocket form: ``(payload, is_binary)``."""
        encoded = encode_packet(self)
        if isinstance(encoded, bytes):
            return encoded, True
        return encoded.encode("utf-8"), False

    @cached_property
    def record(self) -> str:
        """The long-polling form of this packet (one record of a payload)."""
        if isinstance(self.data, bytes):
            return "b" + base64.b64encode(self.data).decode("ascii")
        return f"{self.type.value}{self.data}"


def encode_packet(packet: Packet) -> str | bytes:
    """The WebSocket frame for ``packet``: text for text packets, raw bytes for binary ones."""
    if isinstance(packet.data, bytes):
        return packet.data
    return f"{packet.type.value}{packet.data}"


def decode_packet(frame: str | bytes) -> Packet:
    """Decode one WebSocket frame (``bytes`` = a binary frame) into a packet."""
    if isinstance(frame, bytes):
        return Packet(PacketType.MESSAGE, frame)
    if not frame:
        raise DecodeError("empty packet")
    head = frame[0]
    if head not in "0123456":
        raise DecodeError(f"unknown packet type {head!r}")
    return Packet(PacketType(int(head)), frame[1:])


def encode_payload(packets: Iterable[Packet]) -> bytes:
    """Join packets into one long-polling response body (UTF-8)."""
    return RECORD_SEPARATOR.join(packet.record for packet in packets).encode("utf-8")


def decode_payload(body: bytes) -> list[Packet]:
    """Split a long-polling request body into packets. The body is all-or-nothing."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DecodeError(f"payload is not UTF-8: {e.reason}") from None
    packets = []
    for record in text.split(RECORD_SEPARATOR):
        if record.startswith("b"):
            try:
                data = base64.b64decode(record[1:], validate=True)
            except (binascii.Error, ValueError):
                raise DecodeError("invalid base64 in a binary record") from None
            packets.append(Packet(PacketType.MESSAGE, data))
        else:
            packets.append(decode_packet(record))
    return packets


def open_packet(
    sid: str, upgrades: list[str], ping_interval_ms: int, ping_timeout_ms: int, max_payload: int
) -> Packet:
    """The handshake packet. Strict clients expect exactly these five keys."""
    handshake = {
        "sid": sid,
        "upgrades": upgrades,
        "pingInterval": ping_interval_ms,
        "pingTimeout": ping_timeout_ms,
        "maxPayload": max_payload,
    }
    return Packet(PacketType.OPEN, json.dumps(handshake, separators=(",", ":")))
