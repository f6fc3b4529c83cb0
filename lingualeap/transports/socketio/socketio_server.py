"""The Socket.IO server: namespaces over an Engine.IO server.

::

    server = SocketIOServer(reactor, EngineIOOptions(allowed_origins=("https://x.example",)))
    server.add_namespace("/", GameNamespace(...))
    root.putChild(b"socket.io", server.resource)
    server.start()          # from the owning service's startService
    ...
    server.stop()           # from stopService
"""

from __future__ import annotations

from collections.abc import Iterable

from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from twisted.web.resource import IResource

from .engineio_server import EngineIOServer
from .engineio_session import EngineIOSession
from .namespace import Namespace
from .options import EngineIOOptions
from .socketio_connection import SocketIOConnection
from .sockets import EncodedPacket, Socket, encode_event

__all__ = ["SocketIOServer"]


class SocketIOServer:
    """Serve Socket.IO v5 (Engine.IO v4, polling and WebSocket) at one twisted.web resource.

    ``connect_timeout`` (seconds) closes clients that join no namespace in time.
    """

    log = Logger()

    def __init__(
        self,
        reactor: IReactorTime,
        options: EngineIOOptions | None = None,
        *,
        connect_timeout: float = 45.0,
    ) -> None:
        if not connect_timeout > 0:
            raise ValueError(f"connect_timeout: must be positive, not {connect_timeout!r}")
        self._clock = reactor
        self._connect_timeout = connect_timeout
        self._namespaces: dict[str, Namespace] = {}
        self._connections: set[SocketIOConnection] = set()
        self.engine = EngineIOServer(reactor, self._new_connection, options)

    @property
    def resource(self) -> IResource:
        """Mount it in a twisted.web tree: ``root.putChild(b"socket.io", server.resource)``."""
        return self.engine.resource

    def start(self) -> None:
        self.engine.start()

    def stop(self) -> None:
        """Disconnect everyone (reason ``"server shutting down"``)."""
        self.engine.stop("server shutting down")

    # -- namespaces ------------------------------------------------------------------------

    def add_namespace(self, name: str, handler: Namespace) -> None:
        if not name.startswith("/") or "," in name:
            raise ValueError(f"namespace names start with '/' and hold no ',': {name!r}")
        if name in self._namespaces:
            raise ValueError(f"namespace {name!r} already has a handler")
        self._namespaces[name] = handler

    def remove_namespace(self, name: str) -> None:
        """Stop accepting ``name`` (already joined sockets stay until they leave)."""
        self._namespaces.pop(name, None)

    def sockets(self, namespace: str = "/") -> list[Socket]:
        """Every connected socket of ``namespace`` in this process."""
        found = []
        for connection in self._connections:
            socket = connection.socket(namespace)
            if socket is not None:
                found.append(socket)
        return found

    def emit(
        self, event: str, *args: object, namespace: str = "/", to: Iterable[Socket] | None = None
    ) -> EncodedPacket:
        """Encode ``event`` once and send it to ``to`` (default: all sockets of ``namespace``)."""
        encoded = encode_event(event, *args, namespace=namespace)
        for socket in self.sockets(namespace) if to is None else to:
            socket.send(encoded)
        return encoded

    # -- Engine.IO sessions ----------------------------------------------------------------

    def _new_connection(self, session: EngineIOSession) -> SocketIOConnection:
        connection = SocketIOConnection(
            session,
            self._namespaces.get,
            self._clock,
            self._connect_timeout,
            self._connections.discard,
        )
        self._connections.add(connection)
        return connection
