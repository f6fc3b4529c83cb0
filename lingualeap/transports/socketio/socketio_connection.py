"""One client's Socket.IO connection: the namespaces it joined over one Engine.IO session.

Protocol errors (an undecodable packet, a CONNECT for a namespace already joined, any other
packet for a namespace not joined) close the whole Engine.IO session, as the reference does.
A client that joins no namespace within ``connect_timeout`` is closed too.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from typing import Any

from twisted.internet.defer import maybeDeferred
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure

from .engineio_packets import Packet
from .engineio_session import EngineIOSession, SessionState
from .namespace import ConnectRefused, Namespace
from .socketio_packets import (
    PacketDecoder,
    SocketIODecodeError,
    SocketIOPacket,
    SocketIOPacketType,
)
from .sockets import Socket, SocketState, to_engine_packets

__all__ = ["SocketIOConnection"]

_EVENTS = (SocketIOPacketType.EVENT, SocketIOPacketType.BINARY_EVENT)
_ACKS = (SocketIOPacketType.ACK, SocketIOPacketType.BINARY_ACK)


class SocketIOConnection:
    """The Engine.IO ``SessionHandler`` of the Socket.IO layer."""

    log = Logger()

    def __init__(
        self,
        session: EngineIOSession,
        namespaces: Callable[[str], Namespace | None],
        clock: IReactorTime,
        connect_timeout: float,
        on_closed: Callable[[SocketIOConnection], None],
    ) -> None:
        self._session = session
        self._namespaces = namespaces
        self._on_closed = on_closed
        self._decoder = PacketDecoder()
        self._sockets: dict[str, Socket] = {}
        self._connect_timer: IDelayedCall | None = clock.callLater(
            connect_timeout, self._connect_timed_out
        )

    @property
    def engine_id(self) -> str:
        return self._session.sid

    def sockets(self) -> Iterable[Socket]:
        return [s for s in self._sockets.values() if s.state is SocketState.CONNECTED]

    def socket(self, namespace: str) -> Socket | None:
        socket = self._sockets.get(namespace)
        return socket if socket is not None and socket.connected else None

    # -- SocketOwner -----------------------------------------------------------------------

    def send_packets(self, packets: Iterable[Packet]) -> None:
        self._session.send_packets(packets)

    def close(self, reason: str) -> None:
        self._session.close(reason)

    def socket_left(self, socket: Socket, reason: str, was_connected: bool) -> None:
        if self._sockets.get(socket.namespace) is socket:
            del self._sockets[socket.namespace]
        if was_connected:
            self._notify_disconnect(socket, reason)

    # -- SessionHandler --------------------------------------------------------------------

    def message_received(self, data: str | bytes) -> None:
        try:
            packet = self._decoder.feed(data)
        except SocketIODecodeError as e:
            self._protocol_error(f"undecodable packet: {e}")
            return
        if packet is not None:
            self._dispatch(packet)

    def session_closed(self, reason: str) -> None:
        self._cancel_connect_timer()
        for socket in list(self._sockets.values()):
            socket.connection_lost(reason)
        self._on_closed(self)

    # -- dispatch --------------------------------------------------------------------------

    def _dispatch(self, packet: SocketIOPacket) -> None:
        kind = packet.type
        socket = self._sockets.get(packet.namespace)
        if kind is SocketIOPacketType.CONNECT:
            if socket is not None:
                self._protocol_error(f"second CONNECT for {packet.namespace}")
            else:
                self._connect(packet.namespace, packet.data)
        elif socket is None or not socket.connected or kind is SocketIOPacketType.CONNECT_ERROR:
            self._protocol_error(f"{kind.name} for {packet.namespace}, which is not joined")
        elif kind is SocketIOPacketType.DISCONNECT:
            socket.connection_lost("client namespace disconnect")
        elif kind in _EVENTS:
            self._event(socket, packet)
        elif kind in _ACKS:
            socket.ack_received(packet.ack_id, packet.data)

    def _protocol_error(self, problem: str) -> None:
        self.log.info("session {sid}: {problem}; closing", sid=self.engine_id, problem=problem)
        self._session.close("parse error")

    def _event(self, socket: Socket, packet: SocketIOPacket) -> None:
        name, *args = packet.data
        event = name if isinstance(name, str) else str(name)
        ack = socket.make_ack(packet.ack_id) if packet.ack_id is not None else None
        handler = self._namespaces(socket.namespace)
        if handler is None:
            return
        try:
            handler.on_event(socket, event, args, ack)
        except Exception:
            self.log.failure(
                "{namespace}: handler for {event!r} failed", namespace=socket.namespace, event=event
            )

    # -- joining a namespace ---------------------------------------------------------------

    def _connect(self, namespace: str, auth: object) -> None:
        handler = self._namespaces(namespace)
        if handler is None:
            self._refuse(namespace, {"message": "Invalid namespace"})
            return
        socket = Socket(secrets.token_urlsafe(15), namespace, self, self._session.request_info)
        self._sockets[namespace] = socket
        auth = auth if auth is not None else {}
        d = maybeDeferred(handler.on_connect, socket, auth, self._session.request_info)
        d.addCallbacks(self._accepted, self._refused, callbackArgs=(socket,), errbackArgs=(socket,))
        d.addErrback(self._connect_failed, namespace)

    def _connect_failed(self, failure: Failure, namespace: str) -> None:
        self.log.failure("{namespace}: connect handling failed", failure, namespace=namespace)

    def _accepted(self, _: Any, socket: Socket) -> None:
        if socket.state is SocketState.DISCONNECTED:  # the client left while on_connect ran
            self._notify_disconnect(socket, socket.disconnect_reason)
            return
        self._cancel_connect_timer()
        socket.accepted()

    def _refused(self, failure: Failure, socket: Socket) -> None:
        if failure.check(ConnectRefused):
            error: ConnectRefused = failure.value  # type: ignore[assignment]
            self.log.debug(
                "{namespace}: refused {sid}: {message}",
                namespace=socket.namespace,
                sid=self.engine_id,
                message=error.message,
            )
            payload: dict[str, object] = {"message": error.message}
            if error.data is not None:
                payload["data"] = error.data
        else:
            self.log.failure("{namespace}: on_connect failed", failure, namespace=socket.namespace)
            payload = {"message": "Internal server error"}
        if socket.state is SocketState.DISCONNECTED:
            return
        socket.connection_lost("connect refused")
        self._refuse(socket.namespace, payload)

    def _refuse(self, namespace: str, payload: dict[str, object]) -> None:
        if self._session.state is SessionState.OPEN:
            refusal = SocketIOPacket(SocketIOPacketType.CONNECT_ERROR, namespace, payload)
            self._session.send_packets(to_engine_packets(refusal))

    def _notify_disconnect(self, socket: Socket, reason: str) -> None:
        handler = self._namespaces(socket.namespace)
        if handler is None:
            return
        try:
            handler.on_disconnect(socket, reason)
        except Exception:
            self.log.failure("{namespace}: on_disconnect failed", namespace=socket.namespace)

    def _connect_timed_out(self) -> None:
        self._connect_timer = None
        if not self.sockets():
            self.log.info("session {sid}: no namespace joined in time", sid=self.engine_id)
            self._session.close("connect timeout")

    def _cancel_connect_timer(self) -> None:
        timer, self._connect_timer = self._connect_timer, None
        if timer is not None and timer.active():
            timer.cancel()
