"""The plain WebSocket transport at ``/ws``: JSON frames in, JSON frames out.

Thin on purpose: it turns a handshake into an identity, frames into commands, and events into
frames. Game state lives in the services.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from autobahn.twisted.websocket import WebSocketServerFactory
from autobahn.websocket.types import ConnectionDeny, ConnectionRequest
from twisted.internet.defer import Deferred
from twisted.logger import Logger

from lingualeap.clock import Clock
from lingualeap.domain.errors import GameError, RateLimited
from lingualeap.domain.events import Event
from lingualeap.domain.model import Player
from lingualeap.domain.ratelimit import TokenBucket
from lingualeap.services.accounts import AccountService
from lingualeap.services.connections import CLOSE_IDLE, CLOSE_POLICY, IdleWatch, close_idle, evict_oldest
from lingualeap.services.metrics import Metrics
from lingualeap.services.play import PlayService
from lingualeap.services.presence import Outbound, Presence
from lingualeap.services.revocation import Revoker
from lingualeap.services.tokens import Claims
from lingualeap.services.throttle import Throttle
from lingualeap.transports import codec
from lingualeap.transports.client_ip import ClientAddresses
from lingualeap.transports.identity import guest_player, origin_allowed, token_from, welcome
from lingualeap.transports.ws_protocol import LeanServerProtocol

#: Rejected frames in a row (while the bucket is empty) before a flood closes the connection.
FLOOD_STRIKES = 20
__all__ = ["CLOSE_IDLE", "CLOSE_POLICY", "FLOOD_STRIKES", "GameProtocol", "GameWebSocketFactory",
           "WebSocketSettings"]


@dataclass(frozen=True, slots=True)
class WebSocketSettings:
    allow_guests: bool
    max_frame_bytes: int
    message_rate: float
    message_burst: float
    allowed_origins: tuple[str, ...]
    welcome: dict[str, Any]
    #: Open connections of one user here; opening another closes the oldest.
    connections_per_user: int = 5
    #: Seconds without a client frame before the connection is closed (0: never).
    idle_timeout: float = 0.0


class GameProtocol(LeanServerProtocol):
    # Not ``log``: Autobahn logs every frame through ``self.log`` at debug level, and a plain
    # Twisted Logger there would write all of it to the twistd log.
    _log = Logger()
    factory: GameWebSocketFactory

    _player: Player | None = None
    _claims: Claims | None = None
    _bucket: TokenBucket | None = None
    _strikes = 0
    _user_strikes = 0
    _closing = False
    _registered = False
    _idle: IdleWatch | None = None

    @property
    def player(self) -> Player:
        if self._player is None:
            raise RuntimeError("no identity before the handshake completed")
        return self._player

    # -- handshake -------------------------------------------------------------------------
    # Autobahn accepts a Deferred from onConnect, though its annotations do not say so.
    def onConnect(self, request: ConnectionRequest) -> Deferred[None]:  # type: ignore[override]
        return Deferred.fromCoroutine(self._identify(request))

    async def _identify(self, request: ConnectionRequest) -> None:
        settings = self.factory.settings
        if not origin_allowed(request.headers.get("origin"), request.headers.get("host"), settings.allowed_origins):
            raise ConnectionDeny(403, "origin not allowed")
        if self.factory.throttle is not None:
            try:
                await self.factory.throttle.connection(self._client_address(request))
            except RateLimited as e:
                raise ConnectionDeny(429, f"too many new connections; retry in {e.retry_after:.1f}s") from None
        token = token_from(request.params, request.headers)
        if token is not None:
            try:
                self._player, self._claims = await self.factory.accounts.identify(token)
            except GameError as e:
                # An outage of the stores is not the client's fault: "try again", not "log in".
                raise ConnectionDeny(503 if e.code == "unavailable" else 401, e.message) from None
            return None
        if not settings.allow_guests:
            raise ConnectionDeny(401, "a token is required (guests are not allowed here)")
        self._player = guest_player((request.params.get("username") or [None])[0], self.factory.accounts.tokens,
                                    (request.params.get("guest") or [None])[0])
        return None

    def _client_address(self, request: ConnectionRequest) -> str:
        peer = getattr(self.transport.getPeer(), "host", None) if self.transport is not None else None
        forwarded = request.headers.get("x-forwarded-for")
        return self.factory.addresses.resolve(peer, [forwarded] if forwarded else [])

    def onOpen(self) -> None:
        now = self.factory.clock.now()
        self._bucket = TokenBucket.full(self.factory.settings.message_rate, self.factory.settings.message_burst, now)
        self._registered = True
        self.factory.presence.add(self)
        evict_oldest(self.factory.presence, self.player.id, self.factory.settings.connections_per_user)
        timeout = self.factory.settings.idle_timeout
        self._idle = IdleWatch(self.factory.clock, timeout, self._idled)
        if self.factory.revoker is not None:
            self.factory.revoker.opened(self, self._claims)
        self._send_event(welcome(self.player, self.factory.accounts.tokens, self.factory.settings.welcome))

    def _idled(self) -> None:
        if self._registered:
            close_idle(self, self.factory.settings.idle_timeout)

    def onClose(self, wasClean: bool, code: int | None, reason: str | None) -> None:
        if self._idle is not None:
            self._idle.stop()
        if not self._registered:
            return
        self._registered = False
        if self.factory.presence.discard(self):
            player = self.player
            d = Deferred.fromCoroutine(self.factory.play.disconnected(player))
            d.addErrback(lambda f: self._log.failure("cleanup after {player} left failed", f, player=player.id))

    # -- frames in -------------------------------------------------------------------------
    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        if self._player is None or self._bucket is None or self._closing:
            return
        now = self.factory.clock.now()
        if self._idle is not None:
            self._idle.touch()
        if not self._bucket.take(now):
            self._strike()
            return
        self._strikes = 0
        if isBinary:
            self._send_error(GameError("bad_json", "binary frames are not supported; send JSON text"), None)
            return
        try:
            name, command = codec.decode_frame(payload)
        except GameError as e:
            self.factory.metrics.commands.labels(event="invalid", result=e.code).inc()
            self._send_error(e, None)
            return
        d = Deferred.fromCoroutine(self._run(name, command, time.perf_counter()))
        d.addErrback(lambda f: self._log.failure("command {name} crashed", f, name=name))

    async def _run(self, name: str, command: Any, started: float) -> None:
        result = "ok"
        try:
            await self.factory.play.handle(self.player, command)
        except RateLimited as e:
            # Over the per-user limit (shared by all the user's connections): a strike too.
            result = e.code
            self._user_strikes += 1
            if self._user_strikes >= FLOOD_STRIKES:
                self._flood()
            else:
                self._send_error(e, name)
        except GameError as e:
            result = e.code
            self._user_strikes = 0
            self._send_error(e, name)
        except Exception:
            result = "internal"
            self._log.failure("command {name} from {player} failed", name=name, player=self.player.id)
            self._send_error(GameError("internal", "the server failed to handle that; it was logged"), name)
        else:
            self._user_strikes = 0
        finally:
            self.factory.metrics.command_handled(name, result, time.perf_counter() - started)

    def _strike(self) -> None:
        """A frame over this connection's rate: an error, or the door after a sustained flood."""
        self._strikes += 1
        if self._strikes >= FLOOD_STRIKES:
            self._flood()
            return
        assert self._bucket is not None
        now = self.factory.clock.now()
        retry = round(self._bucket.retry_after(now), 3)
        self._send_error(RateLimited(retry, "too many messages; slow down"), None)

    def _flood(self) -> None:
        self._log.warn("closing flooding connection of {player}", player=self.player.id)
        # Nothing more from it is read or answered, even before the close handshake ends.
        self.close(CLOSE_POLICY, "flood")

    # -- frames out ------------------------------------------------------------------------
    def send(self, message: Outbound) -> None:
        # Nothing may follow our close frame (RFC 6455, 5.5.1).
        if self._registered and not self._closing:
            prepared = message.encoded("ws-json", self.factory.prepare)
            self.sendPreparedMessage(prepared)

    def close(self, code: int, reason: str) -> None:
        # sendClose() only takes 1000 and 3000-4999; a server may also use the RFC 6455 codes
        # 1001 (going away) and 1008 (policy violation), so send the frame directly.
        self._closing = True
        self.sendCloseFrame(code=code, reasonUtf8=reason.encode("utf-8")[:123], isReply=False)

    def _send_event(self, event: Event) -> None:
        self.send(Outbound(event))

    def _send_error(self, error: GameError, event: str | None, **extra: Any) -> None:
        self._send_event(codec.error_event(error, event, **extra))


class GameWebSocketFactory(WebSocketServerFactory):
    protocol = GameProtocol  # type: ignore[assignment]

    def __init__(
        self,
        *,
        settings: WebSocketSettings,
        accounts: AccountService,
        play: PlayService,
        presence: Presence,
        metrics: Metrics,
        clock: Clock,
        throttle: Throttle | None = None,
        addresses: ClientAddresses | None = None,
        revoker: Revoker | None = None,
    ) -> None:
        """``throttle`` limits new connections per client address (``addresses`` resolves them);
        ``revoker`` closes connections whose token is revoked."""
        super().__init__(reactor=clock.reactor_time)
        self.settings = settings
        self.revoker = revoker
        self.throttle = throttle
        self.addresses = addresses or ClientAddresses()
        self.accounts = accounts
        self.play = play
        self.presence = presence
        self.metrics = metrics
        self.clock = clock
        self.setProtocolOptions(
            maxFramePayloadSize=settings.max_frame_bytes,
            maxMessagePayloadSize=settings.max_frame_bytes,
            autoPingInterval=30,
            autoPingTimeout=20,
            openHandshakeTimeout=10,
            closeHandshakeTimeout=5,
            # Send a close frame with the reason (e.g. 1009 too big) instead of dropping TCP.
            failByDrop=False,
        )

    def prepare(self, event: Event) -> Any:
        return self.prepareMessage(codec.encode_event(event), isBinary=False)
