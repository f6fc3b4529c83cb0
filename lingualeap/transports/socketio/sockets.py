"""A client's membership of one namespace, and pre-encoded events for fan-out."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from twisted.logger import Logger

from .engineio_packets import Packet, PacketType
from .namespace import Ack
from .request_info import RequestInfo
from .socketio_packets import (
    RESERVED_EVENTS,
    SocketIOPacket,
    SocketIOPacketType,
    encode_packet,
)

__all__ = ["Socket", "SocketState", "EncodedPacket", "encode_event", "to_engine_packets"]


def to_engine_packets(packet: SocketIOPacket) -> tuple[Packet, ...]:
    """The Engine.IO MESSAGE packets carrying one Socket.IO packet (text, then attachments)."""
    return tuple(Packet(PacketType.MESSAGE, part) for part in encode_packet(packet))


def _check_event(event: str) -> None:
    if not isinstance(event, str) or event in RESERVED_EVENTS:
        raise ValueError(f"cannot emit {event!r}: event names are strings, not reserved names")


@dataclass(frozen=True)
class EncodedPacket:
    """An event encoded once, to be sent to any number of sockets of ``namespace``."""

    namespace: str
    packets: tuple[Packet, ...]


def encode_event(event: str, *args: object, namespace: str = "/") -> EncodedPacket:
    """Encode ``event`` once (JSON, binary attachments, wire framing) for :meth:`Socket.send`."""
    _check_event(event)
    packet = SocketIOPacket(SocketIOPacketType.EVENT, namespace, [event, *args])
    return EncodedPacket(namespace, to_engine_packets(packet))


class SocketState(Enum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


class SocketOwner(Protocol):
    """What a socket needs from its connection (one Engine.IO session)."""

    @property
    def engine_id(self) -> str: ...

    def send_packets(self, packets: Iterable[Packet]) -> None: ...

    def socket_left(self, socket: Socket, reason: str, was_connected: bool) -> None: ...

    def close(self, reason: str) -> None: ...


class Socket:
    """One client connected to one namespace.

    ``data`` is free for the application (e.g. the authenticated player). Emitting on a socket
    that is not connected (yet or any more) is ignored; emits made while it is connecting are
    sent after the CONNECT acknowledgement.
    """

    log = Logger()

    def __init__(
        self, sid: str, namespace: str, owner: SocketOwner, request_info: RequestInfo
    ) -> None:
        self.id = sid
        self.namespace = namespace
        self.request_info = request_info
        self.data: dict[str, object] = {}
        self._owner = owner
        self._state = SocketState.CONNECTING
        self._held: list[Packet] = []
        self._next_ack_id = 0
        self._acks: dict[int, Callable[..., None]] = {}
        #: Why the socket left (empty while it is connecting or connected).
        self.disconnect_reason = ""

    def __repr__(self) -> str:
        return f"<Socket {self.id} {self.namespace} {self._state.value}>"

    @property
    def state(self) -> SocketState:
        return self._state

    @property
    def connected(self) -> bool:
        return self._state is SocketState.CONNECTED

    @property
    def engine_id(self) -> str:
        """The Engine.IO session id (shared by this client's sockets of all namespaces)."""
        return self._owner.engine_id

    # -- sending ---------------------------------------------------------------------------

    def emit(self, event: str, *args: object, callback: Callable[..., None] | None = None) -> None:
        """Send ``event`` with ``args`` (JSON values and ``bytes``).

        ``callback(*reply)`` runs when the client acknowledges; it is dropped if the socket
        disconnects first.
        """
        _check_event(event)
        ack_id = None
        if callback is not None and self._state is not SocketState.DISCONNECTED:
            ack_id = self._next_ack_id
            self._next_ack_id += 1
            self._acks[ack_id] = callback
        packet = SocketIOPacket(SocketIOPacketType.EVENT, self.namespace, [event, *args], ack_id)
        self._send(to_engine_packets(packet))

    def send(self, encoded: EncodedPacket) -> None:
        """Send an event made by :func:`encode_event` (encode once, send to many)."""
        if encoded.namespace != self.namespace:
            raise ValueError(f"packet for {encoded.namespace!r} sent on {self.namespace!r}")
        self._send(encoded.packets)

    def disconnect(self, close: bool = False) -> None:
        """Leave the namespace (the client gets DISCONNECT); ``close`` also ends the connection."""
        if self._state is SocketState.CONNECTED:
            bye = SocketIOPacket(SocketIOPacketType.DISCONNECT, self.namespace)
            self._send(to_engine_packets(bye))
            self._left("server namespace disconnect")
        if close:
            self._owner.close("forced server close")

    def _send(self, packets: Iterable[Packet]) -> None:
        if self._state is SocketState.CONNECTED:
            self._owner.send_packets(packets)
        elif self._state is SocketState.CONNECTING:
            self._held.extend(packets)
        else:
            self.log.debug("socket {id}: not connected, dropping an emit", id=self.id)

    # -- driven by the connection ----------------------------------------------------------

    def accepted(self) -> None:
        """Send the CONNECT acknowledgement, then whatever was emitted while connecting."""
        ack = SocketIOPacket(SocketIOPacketType.CONNECT, self.namespace, {"sid": self.id})
        held, self._held = self._held, []
        self._state = SocketState.CONNECTED
        self._owner.send_packets([*to_engine_packets(ack), *held])

    def make_ack(self, ack_id: int) -> Ack:
        sent = False

        def ack(*args: object) -> None:
            nonlocal sent
            if sent:
                self.log.warn("socket {id}: ack {ack_id} called twice", id=self.id, ack_id=ack_id)
                return
            sent = True
            reply = SocketIOPacket(SocketIOPacketType.ACK, self.namespace, list(args), ack_id)
            self._send(to_engine_packets(reply))

        return ack

    def ack_received(self, ack_id: int | None, args: list[object]) -> None:
        callback = self._acks.pop(ack_id, None) if ack_id is not None else None
        if callback is None:
            self.log.debug("socket {id}: unexpected ack {ack_id}", id=self.id, ack_id=ack_id)
            return
        try:
            callback(*args)
        except Exception:
            self.log.failure("socket {id}: ack callback failed", id=self.id)

    def _left(self, reason: str) -> None:
        was_connected = self._state is SocketState.CONNECTED
        self._state = SocketState.DISCONNECTED
        self.disconnect_reason = reason
        self._held = []
        self._acks.clear()
        self._owner.socket_left(self, reason, was_connected)

    def connection_lost(self, reason: str) -> None:
        """The Engine.IO session ended (no DISCONNECT packet can be sent any more)."""
        if self._state is not SocketState.DISCONNECTED:
            self._left(reason)
