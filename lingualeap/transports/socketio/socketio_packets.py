"""Socket.IO v5 packets (pure; no I/O).

Wire form of one packet, carried in an Engine.IO MESSAGE::

    <type>[<#attachments>-][<namespace>,][<ack id>][<JSON>]

Binary values are taken out of the JSON and replaced by ``{"_placeholder":true,"num":N}``
(depth-first order); each one then travels as its own binary Engine.IO message right after the
text. :func:`encode_packet` does that split, :class:`PacketDecoder` puts packets back together.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

__all__ = [
    "SocketIOPacketType",
    "SocketIOPacket",
    "SocketIODecodeError",
    "RESERVED_EVENTS",
    "MAX_ATTACHMENTS",
    "encode_json",
    "encode_packet",
    "decode_text",
    "has_binary",
    "deconstruct",
    "reconstruct",
    "PacketDecoder",
]

#: Event names a peer may not send (the clients use them for their own lifecycle).
RESERVED_EVENTS = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)
#: Most binary attachments one packet may announce (socket.io-parser's default).
MAX_ATTACHMENTS = 10
#: Ack ids are JavaScript numbers: stay where they are exact.
_MAX_ACK_ID = 2**53 - 1
_DIGITS = frozenset("0123456789")


class SocketIOPacketType(IntEnum):
    CONNECT = 0
    DISCONNECT = 1
    EVENT = 2
    ACK = 3
    CONNECT_ERROR = 4
    BINARY_EVENT = 5
    BINARY_ACK = 6


class SocketIODecodeError(ValueError):
    """Text or binary data that is not a valid Socket.IO packet (or arrives out of order)."""


@dataclass(frozen=True)
class SocketIOPacket:
    """A decoded (or to-be-encoded) packet; ``data`` is ``None`` when the packet has none.

    Encoding an EVENT or ACK whose data holds ``bytes`` produces a BINARY_EVENT/BINARY_ACK.
    """

    type: SocketIOPacketType
    namespace: str = "/"
    data: Any = None
    ack_id: int | None = None


def encode_json(value: object) -> str:
    """JSON as JavaScript's ``JSON.stringify`` writes it (compact; lone surrogates escaped)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate cannot go out as UTF-8; JSON.stringify escapes it, so do we.
            text = json.dumps(value, separators=(",", ":"), allow_nan=False)
    return text


def has_binary(value: object) -> bool:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return True
    if isinstance(value, (list, tuple)):
        return any(has_binary(item) for item in value)
    if isinstance(value, Mapping):
        return any(has_binary(item) for item in value.values())
    return False


def deconstruct(value: object) -> tuple[object, list[bytes]]:
    """Replace binary values by placeholders, depth first; return the new value and the buffers."""
    buffers: list[bytes] = []

    def walk(item: object) -> object:
        if isinstance(item, (bytes, bytearray, memoryview)):
            buffers.append(bytes(item))
            return {"_placeholder": True, "num": len(buffers) - 1}
        if isinstance(item, (list, tuple)):
            return [walk(element) for element in item]
        if isinstance(item, Mapping):
            return {key: walk(element) for key, element in item.items()}
        return item

    return walk(value), buffers


def reconstruct(value: object, buffers: Sequence[bytes]) -> object:
    """Put ``buffers`` back where ``value`` holds placeholders."""

    def walk(item: object) -> object:
        if isinstance(item, list):
            return [walk(element) for element in item]
        if isinstance(item, dict):
            if item.get("_placeholder") is True:
                num = item.get("num")
                if type(num) is not int or not 0 <= num < len(buffers):
                    raise SocketIODecodeError(f"placeholder refers to no attachment: {num!r}")
                return buffers[num]
            return {key: walk(element) for key, element in item.items()}
        return item

    try:
        return walk(value)
    except RecursionError:
        raise SocketIODecodeError("data nested too deeply") from None


def encode_packet(packet: SocketIOPacket) -> list[str | bytes]:
    """The Engine.IO messages for ``packet``: its text, then one ``bytes`` per attachment."""
    kind = packet.type
    data = packet.data
    buffers: list[bytes] = []
    if kind in (SocketIOPacketType.EVENT, SocketIOPacketType.ACK) and has_binary(data):
        kind = (
            SocketIOPacketType.BINARY_EVENT
            if kind is SocketIOPacketType.EVENT
            else SocketIOPacketType.BINARY_ACK
        )
        data, buffers = deconstruct(data)
    elif kind in (SocketIOPacketType.BINARY_EVENT, SocketIOPacketType.BINARY_ACK):
        data, buffers = deconstruct(data)
    parts = [str(kind.value)]
    if kind in (SocketIOPacketType.BINARY_EVENT, SocketIOPacketType.BINARY_ACK):
        parts.append(f"{len(buffers)}-")
    if packet.namespace != "/":
        parts.append(packet.namespace + ",")
    if packet.ack_id is not None:
        parts.append(str(packet.ack_id))
    if data is not None:
        parts.append(encode_json(data))
    messages: list[str | bytes] = ["".join(parts)]
    messages.extend(buffers)
    return messages


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _parse_json(text: str) -> object:
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise SocketIODecodeError("payload is not valid JSON") from None


def _check_payload(kind: SocketIOPacketType, data: object, present: bool) -> None:
    if kind is SocketIOPacketType.CONNECT:
        valid = not present or isinstance(data, dict)
    elif kind is SocketIOPacketType.DISCONNECT:
        valid = not present
    elif kind is SocketIOPacketType.CONNECT_ERROR:
        valid = isinstance(data, (str, dict))
    elif kind in (SocketIOPacketType.EVENT, SocketIOPacketType.BINARY_EVENT):
        valid = (
            isinstance(data, list)
            and len(data) > 0
            and (
                (isinstance(data[0], (int, float)) and not isinstance(data[0], bool))
                or (isinstance(data[0], str) and data[0] not in RESERVED_EVENTS)
            )
        )
    else:
        valid = isinstance(data, list)
    if not valid:
        raise SocketIODecodeError(f"invalid payload for {kind.name}")


def decode_text(text: str) -> tuple[SocketIOPacket, int]:
    """Decode the text part of a packet; returns it with its announced attachment count.

    Placeholders in a BINARY_EVENT/BINARY_ACK are left as they are (see :func:`reconstruct`).
    """
    if not text or text[0] not in "0123456":
        raise SocketIODecodeError(f"unknown packet type {text[:1]!r}")
    kind = SocketIOPacketType(int(text[0]))
    i = 1
    attachments = 0
    if kind in (SocketIOPacketType.BINARY_EVENT, SocketIOPacketType.BINARY_ACK):
        dash = text.find("-", i)
        count = text[i:dash]
        if dash < 0 or not count or not set(count) <= _DIGITS or len(count) > 3:
            raise SocketIODecodeError("invalid attachment count")
        attachments = int(count)
        if attachments > MAX_ATTACHMENTS:
            raise SocketIODecodeError(f"too many attachments ({attachments})")
        i = dash + 1
    namespace = "/"
    if text.startswith("/", i):
        comma = text.find(",", i)
        end = len(text) if comma < 0 else comma
        namespace = text[i:end]
        i = end + 1
    start = i
    while i < len(text) and text[i] in _DIGITS:
        i += 1
    ack_id = None
    if i > start:
        if i - start > 16 or int(text[start:i]) > _MAX_ACK_ID:
            raise SocketIODecodeError("ack id out of range")
        ack_id = int(text[start:i])
    present = i < len(text)
    data = _parse_json(text[i:]) if present else None
    _check_payload(kind, data, present)
    return SocketIOPacket(kind, namespace, data, ack_id), attachments


class PacketDecoder:
    """Reassembles packets from a connection's Engine.IO messages, one message at a time."""

    def __init__(self) -> None:
        self._pending: SocketIOPacket | None = None
        self._expected = 0
        self._buffers: list[bytes] = []

    @property
    def reconstructing(self) -> bool:
        return self._pending is not None

    def feed(self, message: str | bytes) -> SocketIOPacket | None:
        """Take one message; return a complete packet, or ``None`` while attachments are due.

        :raises SocketIODecodeError: for invalid text, or text/binary arriving out of turn.
        """
        if isinstance(message, bytes):
            if self._pending is None:
                raise SocketIODecodeError("binary data outside a binary packet")
            self._buffers.append(message)
            if len(self._buffers) < self._expected:
                return None
            return self._complete()
        if self._pending is not None:
            raise SocketIODecodeError("text data while a binary packet awaits attachments")
        packet, attachments = decode_text(message)
        if packet.type not in (SocketIOPacketType.BINARY_EVENT, SocketIOPacketType.BINARY_ACK):
            return packet
        self._pending, self._expected, self._buffers = packet, attachments, []
        if attachments == 0:
            return self._complete()
        return None

    def _complete(self) -> SocketIOPacket:
        packet, buffers = self._pending, self._buffers
        assert packet is not None
        self._pending, self._expected, self._buffers = None, 0, []
        return SocketIOPacket(
            packet.type, packet.namespace, reconstruct(packet.data, buffers), packet.ack_id
        )
