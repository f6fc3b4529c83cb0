"""A bare Autobahn echo server on Twisted: the ceiling of this stack on this machine.

Same pieces as the LinguaLeap server's /ws (Twisted's default reactor, ``twisted.web`` ``Site``,
Autobahn's ``WebSocketResource`` at ``/ws``, the same protocol options), but every text message
is sent straight back: no JSON, no game. ``GET /health`` answers 200.

    python -m benchmarks.echo_server --port 9000
"""

from __future__ import annotations

import argparse
import resource
import sys
from collections.abc import Sequence
from typing import Any

from autobahn.twisted.resource import WebSocketResource
from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol
from twisted.web.resource import Resource
from twisted.web.http import Request
from twisted.web.server import Site


class EchoProtocol(WebSocketServerProtocol):
    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        self.sendMessage(payload, isBinary)


class Health(Resource):
    isLeaf = True

    def render_GET(self, request: Request) -> bytes:
        request.setHeader(b"content-type", b"application/json")
        return b'{"status":"ok","instance":"echo"}'


class QuietSite(Site):
    noisy = False

    def log(self, request: Request) -> None:
        pass


def build_site() -> tuple[Site, WebSocketServerFactory]:
    factory = WebSocketServerFactory()
    factory.protocol = EchoProtocol
    # As lingualeap.transports.websocket.GameWebSocketFactory sets them.
    factory.setProtocolOptions(maxFramePayloadSize=65536, maxMessagePayloadSize=65536, autoPingInterval=30,
                               autoPingTimeout=20, openHandshakeTimeout=10, closeHandshakeTimeout=5,
                               failByDrop=False)
    root = Resource()
    root.putChild(b"ws", WebSocketResource(factory))
    root.putChild(b"health", Health())
    return QuietSite(root), factory


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.echo_server", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=9000, help="TCP port on 127.0.0.1 (default 9000)")
    args = parser.parse_args(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    from twisted.internet import reactor as _reactor

    reactor: Any = _reactor
    site, factory = build_site()
    factory.startFactory()
    reactor.listenTCP(args.port, site, interface="127.0.0.1", backlog=4096)
    print(f"echo server on 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
    reactor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
