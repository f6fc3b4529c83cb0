"""The Engine.IO server: session registry, handshakes, and its twisted.web resource."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

from autobahn.twisted.resource import WebSocketResource
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from .engineio_session import EngineIOSession, SessionHandler, SessionState, Transport
from .options import EngineIOOptions
from .request_info import RequestInfo
from .resource import EngineIOResource
from .websocket import EngineIOWebSocketFactory

__all__ = ["EngineIOServer", "ConnectionHandlerFactory"]

#: Called once per new session; returns the object that receives its messages and close.
ConnectionHandlerFactory = Callable[[EngineIOSession], SessionHandler]


class EngineIOServer:
    """Owns every live session of one endpoint (``/engine.io/``, ``/socket.io/``, ...).

    Mount :attr:`resource` in a twisted.web tree; call :meth:`start` and :meth:`stop` from the
    owning service (a WebSocket factory inside a Site is not started by the Site).
    """

    log = Logger()

    def __init__(
        self,
        reactor: IReactorTime,
        on_connection: ConnectionHandlerFactory,
        options: EngineIOOptions | None = None,
    ) -> None:
        self.options = options if options is not None else EngineIOOptions()
        self._clock = reactor
        self._on_connection = on_connection
        self._sessions: dict[str, EngineIOSession] = {}
        self._ws_factory = EngineIOWebSocketFactory(self, reactor)
        self.resource = EngineIOResource(self, WebSocketResource(self._ws_factory))
        self._running = False

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        if not self._running:
            self._running = True
            self._ws_factory.doStart()

    def stop(self, reason: str = "server shutting down") -> None:
        """End every session now (waiting long-polls get ``1``, WebSockets a close frame)."""
        for session in list(self._sessions.values()):
            session.abort(reason)
        if self._running:
            self._running = False
            self._ws_factory.doStop()

    # -- sessions --------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._sessions)

    def __iter__(self) -> Iterator[EngineIOSession]:
        return iter(list(self._sessions.values()))

    def get_session(self, sid: str) -> EngineIOSession | None:
        session = self._sessions.get(sid)
        if session is None or session.state is SessionState.CLOSED:
            return None
        return session

    def new_sid(self) -> str:
        while True:
            sid = self.options.sid_prefix + secrets.token_urlsafe(15)
            if sid not in self._sessions:
                return sid

    def open_session(
        self, sid: str, transport: Transport, request_info: RequestInfo
    ) -> EngineIOSession:
        """Register a session on its first transport and send the open packet."""
        session = EngineIOSession(
            sid, transport, request_info, self.options, self._clock, self._forget
        )
        transport.bind(session)
        self._sessions[sid] = session
        self.log.debug(
            "session {sid} opened via {transport} from {peer}",
            sid=sid,
            transport=transport.name,
            peer=request_info.remote_address,
        )
        session.start(self._on_connection)
        return session

    def cookie_header(self, sid: str) -> bytes | None:
        """The ``Set-Cookie`` value for a handshake, if sticky-session cookies are on."""
        if self.options.cookie is None:
            return None
        return f"{self.options.cookie}={sid}; Path=/; HttpOnly; SameSite=Lax".encode("ascii")

    def _forget(self, session: EngineIOSession) -> None:
        if self._sessions.get(session.sid) is session:
            del self._sessions[session.sid]
