"""The game on Socket.IO's main namespace ``/``: the same sessions, rooms and events as ``/ws``.

Thin like ``/ws``: a CONNECT becomes an identity and a Presence connection, each event a
command for :class:`~lingualeap.services.play.PlayService`, each game event a Socket.IO event.
"""

from __future__ import annotations

import time
from typing import Any

from twisted.internet.defer import Deferred
from twisted.logger import Logger

from lingualeap.clock import Clock
from lingualeap.domain.errors import GameError
from lingualeap.domain.ratelimit import TokenBucket
from lingualeap.services.accounts import AccountService
from lingualeap.services.connections import IdleWatch, close_idle, evict_oldest
from lingualeap.services.metrics import Metrics
from lingualeap.services.play import PlayService
from lingualeap.services.presence import Outbound, Presence
from lingualeap.services.revocation import REASON as REVOKED, Revoker
from lingualeap.transports import codec
from lingualeap.transports.socketio import Ack, ConnectRefused, RequestInfo, Socket
from lingualeap.transports.socketio_game import wire
from lingualeap.transports.socketio_game.connection import CLOSE_POLICY, DropConnection, GameSocket
from lingualeap.transports.identity import welcome
from lingualeap.transports.socketio_game.identity import identify, renamed
from lingualeap.transports.websocket import FLOOD_STRIKES, WebSocketSettings

#: Where a socket keeps its :class:`GameSocket` (``Socket.data`` is ours to use).
CONNECTION = "lingualeap.connection"
#: The commands of the original clients that carry the player's ``username``.
NAMING_EVENTS = frozenset({"findMatch", "joinRoom"})


class GameNamespace:
    """A :class:`~lingualeap.transports.socketio.Namespace` handler for the game.

    ``settings`` are ``/ws``'s (guests, rate limit, connections per user, idle timeout, welcome);
    ``drop`` ends a client's Engine.IO connection without a close packet (``SocketIOServer.engine``
    sessions' ``abort``); ``revoker`` closes sockets whose token is revoked.
    """

    log = Logger()

    def __init__(
        self,
        *,
        settings: WebSocketSettings,
        accounts: AccountService,
        play: PlayService,
        presence: Presence,
        metrics: Metrics,
        clock: Clock,
        drop: DropConnection,
        revoker: Revoker | None = None,
    ) -> None:
        self._settings = settings
        self._revoker = revoker
        self._accounts = accounts
        self._play = play
        self._presence = presence
        self._metrics = metrics
        self._clock = clock
        self._drop = drop

    # -- joining and leaving ---------------------------------------------------------------
    async def on_connect(self, socket: Socket, auth: object, request_info: RequestInfo) -> None:
        who = await identify(auth, request_info, self._accounts, self._settings.allow_guests)
        if who.claims is not None and self._revoker is not None and self._revoker.revoked(who.claims):
            raise ConnectRefused("this token was revoked", {"code": REVOKED})
        settings = self._settings
        bucket = TokenBucket.full(settings.message_rate, settings.message_burst, self._clock.now())
        connection = GameSocket(socket, who.player, who.named, bucket, self._drop)
        socket.data[CONNECTION] = connection
        # Registered before the CONNECT ack goes out: events for the player in between are
        # held by the socket and follow the ack, like this welcome.
        self._presence.add(connection)
        evict_oldest(self._presence, who.player.id, settings.connections_per_user)
        connection.idle = IdleWatch(self._clock, settings.idle_timeout, lambda: self._idled(connection))
        if self._revoker is not None:
            self._revoker.opened(connection, who.claims)
        connection.send(Outbound(welcome(who.player, self._accounts.tokens, settings.welcome)))

    def _idled(self, connection: GameSocket) -> None:
        if connection.socket.connected:
            close_idle(connection, self._settings.idle_timeout)

    def on_disconnect(self, socket: Socket, reason: str) -> None:
        connection = socket.data.pop(CONNECTION, None)
        if isinstance(connection, GameSocket) and connection.idle is not None:
            connection.idle.stop()
        if not isinstance(connection, GameSocket) or not self._presence.discard(connection):
            return
        player = connection.player
        d = Deferred.fromCoroutine(self._play.disconnected(player))
        d.addErrback(lambda f: self.log.failure("cleanup after {player} left failed", f, player=player.id))

    # -- events in -------------------------------------------------------------------------
    def on_event(self, socket: Socket, event: str, args: list[object], ack: Ack | None) -> None:
        connection = socket.data.get(CONNECTION)
        if not isinstance(connection, GameSocket):
            return
        if connection.idle is not None:
            connection.idle.touch()  # any event counts; Engine.IO's heartbeat does not
        if not self._admit(connection, event, ack):
            return
        data = wire.command_data(args)
        try:
            command = codec.parse_command(event, data)
        except GameError as e:
            self._metrics.commands.labels(event="invalid", result=e.code).inc()
            self._refuse(connection, e, event[:64], ack)  # the name is the client's: keep it short
            return
        if not connection.named and event in NAMING_EVENTS:
            self._take_name(connection, data)
        d = Deferred.fromCoroutine(self._run(connection, event, command, ack, time.perf_counter()))
        d.addErrback(lambda f: self.log.failure("command {name} crashed", f, name=event))

    def _admit(self, connection: GameSocket, event: str, ack: Ack | None) -> bool:
        """The token bucket of ``/ws``: refuse over the rate, disconnect a sustained flood."""
        now = self._clock.now()
        if connection.bucket.take(now):
            connection.strikes = 0
            return True
        connection.strikes += 1
        if connection.strikes >= FLOOD_STRIKES:
            self.log.warn("disconnecting flooding socket of {player}", player=connection.player.id)
            self._refuse(connection, GameError("flood", "too many messages; disconnected"), None, None)
            connection.close(CLOSE_POLICY, "flood")
            return False
        retry = round(connection.bucket.retry_after(now), 3)
        self._refuse(connection, GameError("rate_limited", "too many messages; slow down"), event, ack,
                     retryAfter=retry)
        return False

    def _take_name(self, connection: GameSocket, data: object) -> None:
        # Only the first findMatch/joinRoom names a guest: a name must not change mid-game.
        connection.named = True
        if isinstance(data, dict):
            player = renamed(connection.player, data.get("username"))
            if player is not None:
                connection.adopt(player)

    async def _run(self, connection: GameSocket, name: str, command: Any, ack: Ack | None,
                   started: float) -> None:
        metrics = self._metrics
        try:
            await self._play.handle(connection.player, command)
        except GameError as e:
            metrics.commands.labels(event=name, result=e.code).inc()
            self._refuse(connection, e, name, ack)
        except Exception:
            self.log.failure("command {name} from {player} failed", name=name, player=connection.player.id)
            metrics.commands.labels(event=name, result="internal").inc()
            self._refuse(connection, GameError("internal", "the server failed to handle that; it was logged"),
                         name, ack)
        else:
            metrics.commands.labels(event=name, result="ok").inc()
            if ack is not None:
                ack(wire.ACK_OK)
        finally:
            metrics.event_latency.labels(event=name).observe(time.perf_counter() - started)

    # -- answers ---------------------------------------------------------------------------
    def _refuse(self, connection: GameSocket, error: GameError, event: str | None, ack: Ack | None,
                **extra: Any) -> None:
        """An ack error if the client asked for an ack, else an ``error`` event (as on ``/ws``)."""
        if ack is not None:
            ack(wire.ack_error(error, **extra))
        else:
            connection.send(Outbound(codec.error_event(error, event, **extra)))
