"""Start and stop an Engine.IO/Socket.IO server with its owning service."""

from __future__ import annotations

from typing import Protocol

from twisted.application.service import Service
from twisted.internet.defer import Deferred

__all__ = ["SocketIOService"]


class _StartStop(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


class SocketIOService(Service):
    """Ties a :class:`SocketIOServer` (or :class:`EngineIOServer`) to a service's lifecycle.

    Add it to the same ``MultiService`` as the HTTP listener: on stop it disconnects every
    client (waiting long-polls get a close packet, WebSockets a close frame).
    """

    def __init__(self, server: _StartStop) -> None:
        self._server = server

    def startService(self) -> None:
        super().startService()
        self._server.start()

    def stopService(self) -> Deferred[None] | None:
        self._server.stop()
        return super().stopService()  # type: ignore[no-any-return]
