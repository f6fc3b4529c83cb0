"""One Engine.IO session: its buffer, heartbeat, transport switch (upgrade) and closing.

The session does not know HTTP or WebSocket; it talks to a :class:`Transport` (polling or
WebSocket) and to a :class:`SessionHandler` (the layer above, e.g. Socket.IO). All timers run
on the injected ``IReactorTime``.

Closing paths:

- :meth:`EngineIOSession.close` (server, graceful): queue a ``1`` after what is buffered and end
  the session once it went out (or after ``close_timeout`` if no long-poll GET comes by).
- :meth:`EngineIOSession.abort` and every failure (ping timeout, parse error, lost transport,
  the client's ``1``): end now; a pending long-poll GET gets ``1``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from enum import Enum
from typing import Protocol

from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger

from .engineio_packets import Packet, PacketType, open_packet
from .options import EngineIOOptions
from .request_info import RequestInfo

__all__ = ["Transport", "SessionHandler", "EngineIOSession", "SessionState"]

_PING = Packet(PacketType.PING)
_NOOP = Packet(PacketType.NOOP)
_CLOSE = Packet(PacketType.CLOSE)
_PROBE_PONG = Packet(PacketType.PONG, "probe")


class Transport(Protocol):
    """What a session needs from a transport."""

    @property
    def name(self) -> str:
        """``"polling"`` or ``"websocket"``."""

    @property
    def writable(self) -> bool:
        """Whether :meth:`send` can deliver now (polling: a GET is waiting)."""

    def send(self, packets: Sequence[Packet]) -> None: ...

    def close(self) -> None:
        """Stop the transport (polling: a waiting GET gets ``1``; WebSocket: close frame)."""

    def discard(self) -> None:
        """The session moved to another transport: stop carrying data (no close packet)."""

    def bind(self, session: EngineIOSession) -> None:
        """Route this transport's packets and failures to ``session``."""


class SessionHandler(Protocol):
    """The layer above Engine.IO, one instance per session."""

    def message_received(self, data: str | bytes) -> None: ...

    def session_closed(self, reason: str) -> None: ...


class SessionState(Enum):
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


def _cancel(call: IDelayedCall | None) -> None:
    if call is not None and call.active():
        call.cancel()


class EngineIOSession:
    log = Logger()

    def __init__(
        self,
        sid: str,
        transport: Transport,
        request_info: RequestInfo,
        options: EngineIOOptions,
        clock: IReactorTime,
        on_closed: Callable[[EngineIOSession], None],
    ) -> None:
        self.sid = sid
        self.request_info = request_info
        self._transport = transport
        self._options = options
        self._clock = clock
        self._on_closed = on_closed
        self._handler: SessionHandler | None = None
        self._state = SessionState.OPEN
        self._close_reason = ""
        self._buffer: list[Packet] = []
        self._probe: Transport | None = None
        self._upgrading = False
        self._ping_call: IDelayedCall | None = None
        self._pong_deadline: IDelayedCall | None = None
        self._close_call: IDelayedCall | None = None
        self._upgrade_call: IDelayedCall | None = None

    def __repr__(self) -> str:
        return f"<EngineIOSession {self.sid} {self._state.value} via {self._transport.name}>"

    @property
    def state(self) -> SessionState:
        return self._state

    @property
    def transport(self) -> Transport:
        return self._transport

    @property
    def transport_name(self) -> str:
        return self._transport.name

    def start(self, handler_factory: Callable[[EngineIOSession], SessionHandler]) -> None:
        """Send the open packet, start the heartbeat, then attach the upper layer."""
        upgrades = ["websocket"] if self._options.allow_upgrades else []
        if self._transport.name == "websocket":
            upgrades = []
        self._enqueue(
            [
                open_packet(
                    self.sid,
                    upgrades,
                    self._options.ping_interval_ms,
                    self._options.ping_timeout_ms,
                    self._options.max_payload,
                )
            ]
        )
        self._ping_call = self._clock.callLater(self._options.ping_interval, self._ping)
        try:
            self._handler = handler_factory(self)
        except Exception:
            self.log.failure("session {sid}: connection handler failed to start", sid=self.sid)
            self.abort("server error")

    # -- sending ---------------------------------------------------------------------------

    def send(self, data: str | bytes) -> None:
        """Send one message (text or binary) to the client."""
        if isinstance(data, str) and "\x1e" in data:
            raise ValueError("text messages cannot contain the record separator \\x1e")
        self.send_packets([Packet(PacketType.MESSAGE, data)])

    def send_packets(self, packets: Iterable[Packet]) -> None:
        """Queue already-built packets (e.g. one encoded broadcast shared by many sessions)."""
        if self._state is not SessionState.OPEN:
            self.log.debug("session {sid}: dropping packets sent after close", sid=self.sid)
            return
        self._enqueue(packets)

    def _enqueue(self, packets: Iterable[Packet]) -> None:
        self._buffer.extend(packets)
        self._flush()

    def _writable(self) -> bool:
        if self._upgrading and self._transport.name == "polling":
            return False  # held back for the new transport; a waiting GET got a noop
        return self._transport.writable

    def _flush(self) -> None:
        if not self._buffer or not self._writable():
            return
        packets, self._buffer = self._buffer, []
        self._transport.send(packets)
        if self._state is SessionState.CLOSING:
            self._finish(self._close_reason)

    # -- closing ---------------------------------------------------------------------------

    def close(self, reason: str = "forced close") -> None:
        """Close gracefully: deliver what is buffered, then ``1``."""
        if self._state is not SessionState.OPEN:
            return
        self._state = SessionState.CLOSING
        self._close_reason = reason
        _cancel(self._ping_call)
        _cancel(self._pong_deadline)
        self._abort_probe()
        self._buffer.append(_CLOSE)
        self._flush()
        if self._state is SessionState.CLOSING:
            self._close_call = self._clock.callLater(
                self._options.close_timeout, self._finish, reason
            )

    def abort(self, reason: str) -> None:
        """End the session now."""
        self._finish(reason)

    def _finish(self, reason: str) -> None:
        if self._state is SessionState.CLOSED:
            return
        self._state = SessionState.CLOSED
        for call in (self._ping_call, self._pong_deadline, self._close_call, self._upgrade_call):
            _cancel(call)
        self._buffer = []
        self._abort_probe()
        self._transport.close()
        self.log.debug("session {sid} closed: {reason}", sid=self.sid, reason=reason)
        self._on_closed(self)
        handler, self._handler = self._handler, None
        if handler is not None:
            try:
                handler.session_closed(reason)
            except Exception:
                self.log.failure("session {sid}: close handler failed", sid=self.sid)

    # -- heartbeat -------------------------------------------------------------------------

    def _ping(self) -> None:
        self._ping_call = None
        self._pong_deadline = self._clock.callLater(
            self._options.ping_timeout, self._finish, "ping timeout"
        )
        self._enqueue([_PING])

    def _pong(self) -> None:
        if self._pong_deadline is None or not self._pong_deadline.active():
            return  # unsolicited pong: ignore
        self._pong_deadline.cancel()
        self._pong_deadline = None
        self._ping_call = self._clock.callLater(self._options.ping_interval, self._ping)

    # -- events from transports ------------------------------------------------------------

    def transport_ready(self, transport: Transport) -> None:
        """A transport can take packets now (polling: a GET arrived)."""
        if transport is not self._transport:
            return
        if self._upgrading and transport.name == "polling":
            transport.send([_NOOP])
            return
        self._flush()

    def transport_lost(self, transport: Transport, reason: str) -> None:
        """A transport failed or went away (``reason``: transport close/error, parse error)."""
        if transport is self._probe:
            self._abort_probe()
        elif transport is self._transport:
            self._finish(reason)

    def packet_received(self, transport: Transport, packet: Packet) -> None:
        if transport is self._probe:
            self._probe_packet(transport, packet)
        elif transport is not self._transport or self._state is SessionState.CLOSED:
            return
        elif packet.type is PacketType.MESSAGE:
            if self._state is SessionState.OPEN and self._handler is not None:
                try:
                    self._handler.message_received(packet.data)
                except Exception:
                    self.log.failure("session {sid}: message handler failed", sid=self.sid)
        elif packet.type is PacketType.PONG:
            self._pong()
        elif packet.type is PacketType.CLOSE:
            self._finish("transport close")
        elif packet.type is PacketType.PING:
            self.log.info("session {sid}: client ping (wrong heartbeat direction)", sid=self.sid)
            self._finish("transport error")
        else:
            self.log.debug("session {sid}: ignoring {type}", sid=self.sid, type=packet.type.name)

    # -- upgrade ---------------------------------------------------------------------------

    def attach_probe(self, probe: Transport) -> bool:
        """Offer a new WebSocket for this session. ``False``: refused, the caller closes it."""
        if (
            self._state is not SessionState.OPEN
            or not self._options.allow_upgrades
            or self._transport.name != "polling"
            or self._probe is not None
        ):
            return False
        self._probe = probe
        self._upgrade_call = self._clock.callLater(
            self._options.upgrade_timeout, self._abort_probe
        )
        return True

    def _probe_packet(self, probe: Transport, packet: Packet) -> None:
        if packet.type is PacketType.PING and packet.data == "probe":
            probe.send([_PROBE_PONG])
            self._upgrading = True
            if self._transport.writable:
                self._transport.send([_NOOP])
        elif packet.type is PacketType.UPGRADE:
            _cancel(self._upgrade_call)
            previous, self._transport = self._transport, probe
            self._probe, self._upgrading = None, False
            previous.discard()
            self.log.debug("session {sid} upgraded to {name}", sid=self.sid, name=probe.name)
            self._flush()
        else:
            self.log.info(
                "session {sid}: unexpected {type} packet on upgrade probe",
                sid=self.sid,
                type=packet.type.name,
            )
            self._abort_probe()

    def _abort_probe(self) -> None:
        probe, self._probe = self._probe, None
        if probe is None:
            return
        _cancel(self._upgrade_call)
        self._upgrading = False
        probe.close()
        if self._state is SessionState.OPEN:
            self._flush()  # a GET may be waiting for what the upgrade held back
