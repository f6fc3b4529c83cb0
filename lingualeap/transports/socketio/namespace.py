"""The handler API: what an application implements to serve one Socket.IO namespace."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

from twisted.internet.defer import Deferred

from .request_info import RequestInfo

if TYPE_CHECKING:
    from .sockets import Socket

__all__ = ["Namespace", "ConnectRefused", "Ack"]

#: Acknowledges an incoming event; call it once with the reply arguments.
Ack = Callable[..., None]


class ConnectRefused(Exception):
    """Raise (or fail with) this from :meth:`Namespace.on_connect` to refuse a connection.

    The client receives ``CONNECT_ERROR {"message": message, "data": data}`` (``data`` only if
    given), which socket.io-client surfaces as a ``connect_error`` with ``err.data``.
    """

    def __init__(self, message: str, data: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.data = data


class Namespace(Protocol):
    """Serves one namespace (``"/"``, ``"/admin"``, ...) for every client.

    All methods run in the reactor thread and must not block. Exceptions they raise are logged
    and do not end the connection (except from ``on_connect``, which then refuses it).
    """

    def on_connect(
        self, socket: Socket, auth: object, request_info: RequestInfo
    ) -> Deferred[None] | Awaitable[None] | None:
        """A client asks to join. ``auth`` is its CONNECT payload (``{}`` when it sent none).

        Return normally (or a Deferred/coroutine that succeeds) to accept; raise or fail with
        :class:`ConnectRefused` to refuse. Events emitted on ``socket`` in here are sent right
        after the CONNECT acknowledgement. Every accepted socket later gets exactly one
        :meth:`on_disconnect`, even if the client left while this was still running.
        """

    def on_event(self, socket: Socket, event: str, args: list[object], ack: Ack | None) -> None:
        """An event arrived. ``ack`` is set when the client asked for an acknowledgement."""

    def on_disconnect(self, socket: Socket, reason: str) -> None:
        """The socket left: ``"client namespace disconnect"``, ``"server namespace disconnect"``,
        ``"transport close"``, ``"transport error"``, ``"ping timeout"``, ``"parse error"``,
        ``"forced close"``, ``"forced server close"`` or ``"server shutting down"``."""
