"""The conformance app: the "test server" of the official Engine.IO / Socket.IO test suites.

``python -m lingualeap.transports.socketio.conformance --port 3000`` serves

- raw Engine.IO at ``/engine.io/``, echoing every message (text as text, binary as binary);
- Socket.IO at ``/socket.io/``: the main namespace emits ``auth`` with the client's auth payload
  on connect, answers ``message`` with ``message-back`` (same arguments) and acknowledges
  ``message-with-ack`` with its arguments; ``/custom`` emits ``auth`` on connect; every other
  namespace is refused.

Defaults: pingInterval 300 ms, pingTimeout 200 ms, maxPayload 1,000,000, connectTimeout
1,000 ms, any origin; listening on 127.0.0.1 and ::1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from twisted.application.service import MultiService
from twisted.internet.defer import gatherResults
from twisted.internet.endpoints import serverFromString
from twisted.internet.interfaces import IReactorCore, IReactorTime
from twisted.logger import (
    FilteringLogObserver,
    LogLevel,
    LogLevelFilterPredicate,
    Logger,
    globalLogBeginner,
    textFileLogObserver,
)
from twisted.python.failure import Failure
from twisted.web.resource import Resource
from twisted.web.http import Request
from twisted.web.server import Site

from .engineio_server import EngineIOServer
from .engineio_session import EngineIOSession
from .namespace import Ack
from .options import EngineIOOptions
from .request_info import RequestInfo
from .service import SocketIOService
from .socketio_server import SocketIOServer
from .sockets import Socket

__all__ = [
    "build",
    "endpoint_descriptions",
    "main",
    "EchoHandler",
    "MainNamespace",
    "CustomNamespace",
]

log = Logger()


class EchoHandler:
    """Raw Engine.IO: send every message back."""

    def __init__(self, session: EngineIOSession) -> None:
        self._session = session

    def message_received(self, data: str | bytes) -> None:
        self._session.send(data)

    def session_closed(self, reason: str) -> None:
        pass


class MainNamespace:
    def on_connect(self, socket: Socket, auth: object, request_info: RequestInfo) -> None:
        socket.emit("auth", auth)

    def on_event(self, socket: Socket, event: str, args: list[object], ack: Ack | None) -> None:
        if event == "message":
            socket.emit("message-back", *args)
        elif event == "message-with-ack" and ack is not None:
            ack(*args)

    def on_disconnect(self, socket: Socket, reason: str) -> None:
        pass


class CustomNamespace:
    def on_connect(self, socket: Socket, auth: object, request_info: RequestInfo) -> None:
        socket.emit("auth", auth)

    def on_event(self, socket: Socket, event: str, args: list[object], ack: Ack | None) -> None:
        pass

    def on_disconnect(self, socket: Socket, reason: str) -> None:
        pass


class _QuietSite(Site):
    """A Site without per-request access logs."""

    noisy = False

    def log(self, request: Request) -> None:
        pass


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m lingualeap.transports.socketio.conformance",
        description="Engine.IO echo server at /engine.io/ and Socket.IO test server at "
        "/socket.io/, as the official protocol test suites expect.",
    )
    parser.add_argument("--port", type=int, default=3000, help="TCP port (default: 3000)")
    parser.add_argument(
        "--interfaces",
        default="127.0.0.1,::1",
        help="comma-separated addresses to listen on (default: 127.0.0.1,::1)",
    )
    parser.add_argument(
        "--ping-interval", type=int, default=300, help="pingInterval in ms (default: 300)"
    )
    parser.add_argument(
        "--ping-timeout", type=int, default=200, help="pingTimeout in ms (default: 200)"
    )
    parser.add_argument(
        "--max-payload", type=int, default=1_000_000, help="maxPayload in bytes (default: 1e6)"
    )
    parser.add_argument(
        "--connect-timeout",
        type=int,
        default=1000,
        help="Socket.IO connectTimeout in ms (default: 1000)",
    )
    parser.add_argument(
        "--allowed-origins",
        default="*",
        help='"*" or a comma-separated list of allowed origins (default: *)',
    )
    parser.add_argument(
        "--cookie", default=None, help="set this sticky-session cookie on handshakes (e.g. io)"
    )
    parser.add_argument("--verbose", action="store_true", help="log debug messages and requests")
    args = parser.parse_args(argv)
    for name in ("port", "ping_interval", "ping_timeout", "max_payload", "connect_timeout"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    return args


def build(reactor: IReactorTime, args: argparse.Namespace) -> tuple[MultiService, Site]:
    """The servers' lifecycle service and the site serving both endpoints."""
    options = EngineIOOptions(
        ping_interval=args.ping_interval / 1000,
        ping_timeout=args.ping_timeout / 1000,
        max_payload=args.max_payload,
        allowed_origins=EngineIOOptions.origins_from(args.allowed_origins),
        cookie=args.cookie,
    )
    engine = EngineIOServer(reactor, EchoHandler, options)
    sio = SocketIOServer(reactor, options, connect_timeout=args.connect_timeout / 1000)
    sio.add_namespace("/", MainNamespace())
    sio.add_namespace("/custom", CustomNamespace())

    root = Resource()
    root.putChild(b"engine.io", engine.resource)
    root.putChild(b"socket.io", sio.resource)
    site = Site(root) if args.verbose else _QuietSite(root)

    top = MultiService()
    SocketIOService(engine).setServiceParent(top)
    SocketIOService(sio).setServiceParent(top)
    return top, site


def endpoint_descriptions(port: int, interfaces: str) -> list[str]:
    """``serverFromString`` descriptions, e.g. ``tcp6:3000:interface=\\:\\:1``."""
    descriptions = []
    for interface in (i.strip() for i in interfaces.split(",") if i.strip()):
        kind = "tcp6" if ":" in interface else "tcp"
        escaped = interface.replace(":", "\\:")
        descriptions.append(f"{kind}:{port}:interface={escaped}")
    return descriptions


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    level = LogLevel.debug if args.verbose else LogLevel.info
    predicate = LogLevelFilterPredicate(defaultLogLevel=level)
    if not args.verbose:
        predicate.setLogLevelForNamespace("autobahn", LogLevel.warn)
    globalLogBeginner.beginLoggingTo(
        [FilteringLogObserver(textFileLogObserver(sys.stderr), [predicate])],
        redirectStandardIO=False,
    )

    from twisted.internet import reactor

    core: IReactorCore = reactor
    service, site = build(reactor, args)
    service.startService()
    core.addSystemEventTrigger("before", "shutdown", service.stopService)
    exit_code = 0

    def listening(_: object) -> None:
        log.info(
            "conformance server on port {port} ({interfaces})",
            port=args.port,
            interfaces=args.interfaces,
        )

    def failed(failure: Failure) -> None:
        nonlocal exit_code
        exit_code = 1
        log.failure("cannot listen on port {port}", failure, port=args.port)
        core.callWhenRunning(core.stop)

    listens = [
        serverFromString(reactor, description).listen(site)
        for description in endpoint_descriptions(args.port, args.interfaces)
    ]
    gatherResults(listens, consumeErrors=True).addCallbacks(listening, failed)
    core.run()
    sys.exit(exit_code)


if __name__ == "__main__":
    main()
