"""Engine.IO v4 + Socket.IO v5 server on Twisted and Autobahn (polling and WebSocket).

The game plugs in a :class:`Namespace` handler; see README.md in this package.
"""

from .engineio_server import EngineIOServer
from .engineio_session import EngineIOSession, SessionHandler
from .namespace import Ack, ConnectRefused, Namespace
from .options import EngineIOOptions
from .request_info import RequestInfo
from .service import SocketIOService
from .socketio_server import SocketIOServer
from .sockets import EncodedPacket, Socket, encode_event

__all__ = [
    "Ack",
    "ConnectRefused",
    "EncodedPacket",
    "EngineIOOptions",
    "EngineIOServer",
    "EngineIOSession",
    "Namespace",
    "RequestInfo",
    "SessionHandler",
    "Socket",
    "SocketIOServer",
    "SocketIOService",
    "encode_event",
]
