"""The game over Socket.IO (``/socket.io/``), for the original LinguaLeap clients.

Built on :mod:`lingualeap.transports.socketio`, which knows nothing about the game.
"""

from lingualeap.transports.socketio_game.namespace import GameNamespace
from lingualeap.transports.socketio_game.server import GameSocketIO, build_game_socketio

__all__ = ["GameNamespace", "GameSocketIO", "build_game_socketio"]
