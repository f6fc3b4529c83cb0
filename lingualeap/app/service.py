"""The root service of a LinguaLeap process: listening ports and the lifecycle of the game."""

from __future__ import annotations

from typing import Any

from autobahn.twisted.resource import WebSocketResource
from twisted.application.service import MultiService
from twisted.application.strports import service as strport_service
from twisted.internet import task
from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.web.server import Site

from lingualeap.app.runtime import tune_for_serving
from lingualeap.app.wiring import Server, build_server
from lingualeap.config import Config
from lingualeap.domain.model import Language
from lingualeap.transports.client_ip import ClientAddresses
from lingualeap.transports.http.api import Api
from lingualeap.transports.http.ops import HealthResource, MetricsResource
from lingualeap.transports.http.site import build_root, build_site
from lingualeap.transports.socketio import SocketIOService
from lingualeap.transports.socketio_game import build_game_socketio
from lingualeap.transports.websocket import GameWebSocketFactory, WebSocketSettings


#: WebSocket close code 1012 (service restart): clients should reconnect, to another instance.
CLOSE_SERVICE_RESTART = 1012


class LinguaLeapService(MultiService):
    log = Logger()

    def __init__(
        self, config: Config, reactor: Any, languages: dict[str, Language] | None = None, *,
        tune_runtime: bool = False
    ) -> None:
        """``tune_runtime``: once started, apply the interpreter settings of a long-running server
        (:mod:`lingualeap.app.runtime`). For a server process (twistd); not for tests that build
        many servers in one process."""
        super().__init__()
        self.config = config
        self._reactor = reactor
        self._tune_runtime = tune_runtime
        self.server: Server = build_server(config, reactor, languages=languages)
        settings = WebSocketSettings(
            allow_guests=config.allow_guests,
            max_frame_bytes=config.max_frame_bytes,
            message_rate=config.message_rate,
            message_burst=config.message_burst,
            allowed_origins=config.allowed_origins,
            welcome=self.server.welcome(),
            connections_per_user=config.limits.connections_per_user,
            idle_timeout=config.limits.idle_timeout,
        )
        # Who is asking, behind our proxies: for per-address limits and the access log.
        self.addresses = ClientAddresses.from_specs(config.trusted_proxies)
        self.ws_factory = GameWebSocketFactory(
            settings=settings,
            accounts=self.server.accounts,
            play=self.server.play,
            presence=self.server.presence,
            metrics=self.server.metrics,
            clock=self.server.clock,
            throttle=self.server.throttle,
            addresses=self.addresses,
            revoker=self.server.revoker,
        )
        # Socket.IO at /socket.io/ for the original clients: the same settings and services.
        self.socketio = build_game_socketio(
            settings=settings,
            instance_id=config.instance_id,
            accounts=self.server.accounts,
            play=self.server.play,
            presence=self.server.presence,
            metrics=self.server.metrics,
            clock=self.server.clock,
            throttle=self.server.throttle,
            addresses=self.addresses,
            revoker=self.server.revoker,
        )
        self.site: Site = build_site(
            build_root(
                web_dir=config.web_dir,
                api=Api(
                    self.server.accounts,
                    self.server.results,
                    self.server.languages,
                    self.server.backends.instances,
                    config.max_body_bytes,
                    self.server.tokens.ttl,
                    allowed_origins=config.allowed_origins,
                    addresses=self.addresses,
                    boards=self.server.boards,
                ),
                websocket=WebSocketResource(self.ws_factory),
                health=HealthResource(self.server.health),
                metrics=MetricsResource(self.server.metrics),
                extra={b"socket.io": self.socketio.resource},
            ),
            config.instance_id,
            throttle=self.server.throttle,
            addresses=self.addresses,
            max_request_bytes=max(config.max_body_bytes, 1024 * 1024),
        )
        for dependency in self.server.backends.services:
            dependency.setServiceParent(self)
        # Started before the listeners; on stop it disconnects whoever is still connected.
        SocketIOService(self.socketio.server).setServiceParent(self)
        for description in config.listen:
            strport_service(description, self.site, reactor=reactor).setServiceParent(self)

    def startService(self) -> None:
        if self.config.jwt_secret_source == "generated":
            self.log.warn(
                "No --jwt-secret or LINGUALEAP_JWT_SECRET given: using a random per-process secret; "
                "tokens will not survive a restart or work on other instances"
            )
        # A WebSocketResource inside a Site does not start its factory: do it here.
        self.ws_factory.doStart()
        self.server.host.start()
        self.server.game.start(self.server.clock)
        self.server.matchmaking.start()
        if self.server.lag is not None:
            self.server.lag.start()
        if self.server.boards is not None:
            self.server.boards.start()
        super().startService()
        if self._tune_runtime:
            tune_for_serving()
        self.log.info(
            "LinguaLeap {instance} serving on {listen} ({languages})",
            instance=self.config.instance_id,
            listen=", ".join(self.config.listen),
            languages=", ".join(self.server.languages),
        )

    def stopService(self) -> Deferred[None]:
        """Graceful shutdown: fail health checks, hand rooms over, send players elsewhere, stop."""

        async def stop() -> None:
            server = self.server
            server.draining = True
            if self.config.drain_seconds > 0 and server.presence.connection_count:
                self.log.info("draining for {seconds}s before shutting down", seconds=self.config.drain_seconds)
                await task.deferLater(self._reactor, self.config.drain_seconds, lambda: None)
            server.game.stop()
            server.matchmaking.stop()
            if server.lag is not None:
                server.lag.stop()
            if server.boards is not None:
                server.boards.stop()
            try:
                await server.game.hand_off()
            except Exception:
                self.log.failure("handing rooms over failed; their leases will expire instead")
            for connection in list(server.presence.connections()):
                connection.close(CLOSE_SERVICE_RESTART, "server restarting: reconnect and resume")
            await server.host.stop()
            await super(LinguaLeapService, self).stopService()
            self.ws_factory.doStop()

        return Deferred.fromCoroutine(stop())
