"""Build the ``/socket.io/`` endpoint of a LinguaLeap process from ``/ws``'s settings."""

from __future__ import annotations

from dataclasses import dataclass

from twisted.web.resource import Resource

from lingualeap.clock import Clock
from lingualeap.config import INSTANCE_ID_RE
from lingualeap.services.accounts import AccountService
from lingualeap.services.metrics import Metrics
from lingualeap.services.play import PlayService
from lingualeap.services.presence import Presence
from lingualeap.services.revocation import Revoker
from lingualeap.services.throttle import Throttle
from lingualeap.transports.client_ip import ClientAddresses
from lingualeap.transports.socketio import EngineIOOptions, SocketIOServer
from lingualeap.transports.socketio.options import ANY_ORIGIN
from lingualeap.transports.socketio_game.limits import HandshakeLimit
from lingualeap.transports.socketio_game.namespace import GameNamespace
from lingualeap.transports.socketio_game.origin import OriginGuard
from lingualeap.transports.websocket import WebSocketSettings

#: The sticky-session cookie (``io=<sid>``) the socket.io docs' HAProxy setup expects.
STICKY_COOKIE = "io"


@dataclass(frozen=True)
class GameSocketIO:
    """The Socket.IO server of the game and the resource to mount at ``/socket.io/``."""

    server: SocketIOServer
    namespace: GameNamespace
    resource: Resource


def sid_prefix(instance_id: str) -> str:
    """``"app1."`` for instance ``app1``: a proxy routes by ``urlp(sid) -m beg app1.``."""
    return f"{instance_id}." if INSTANCE_ID_RE.match(instance_id) else ""


def build_game_socketio(
    *,
    settings: WebSocketSettings,
    instance_id: str,
    accounts: AccountService,
    play: PlayService,
    presence: Presence,
    metrics: Metrics,
    clock: Clock,
    throttle: Throttle | None = None,
    addresses: ClientAddresses | None = None,
    revoker: Revoker | None = None,
) -> GameSocketIO:
    """``throttle`` limits new sessions per client address (``addresses`` resolves them, as for
    ``/ws``); ``revoker`` closes sockets whose token is revoked."""
    options = EngineIOOptions(
        # Same size limit as a /ws frame (the client splits polling payloads by it).
        max_payload=settings.max_frame_bytes,
        # The origin rule is OriginGuard's (/ws's); Engine.IO only reflects allowed origins.
        allowed_origins=ANY_ORIGIN,
        cookie=STICKY_COOKIE,
        sid_prefix=sid_prefix(instance_id),
    )
    server = SocketIOServer(clock.reactor_time, options)

    def drop(engine_id: str, reason: str) -> None:
        session = server.engine.get_session(engine_id)
        if session is not None:
            session.abort(reason)

    namespace = GameNamespace(
        settings=settings, accounts=accounts, play=play, presence=presence, metrics=metrics,
        clock=clock, drop=drop, revoker=revoker,
    )
    server.add_namespace("/", namespace)
    resource: Resource = server.engine.resource
    if throttle is not None:
        resource = HandshakeLimit(resource, throttle, addresses or ClientAddresses())
    return GameSocketIO(server, namespace, OriginGuard(resource, settings.allowed_origins, options))
