"""Our events and commands in the shapes the original LinguaLeap Socket.IO clients expect (pure).

Server → client: ``42[NAME, PAYLOAD]`` with PAYLOAD as in docs/PROTOCOL.md, except where the
original sent something else: both leaderboard updates were bare arrays, so they still are.
Client → server: one object argument per event, as the original clients emit them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lingualeap.domain.errors import GameError
from lingualeap.domain.events import Event
from lingualeap.transports.socketio import EncodedPacket, encode_event

#: The key under which an :class:`~lingualeap.services.presence.Outbound` caches our encoding.
WIRE = "socketio"

#: Events whose Socket.IO payload is ``data["leaderboard"]`` alone (the original's arrays).
ARRAY_EVENTS = frozenset({"gameLeaderboardUpdate", "globalLeaderboardUpdate"})

ACK_OK: dict[str, Any] = {"ok": True}


def payload(event: Event) -> object:
    """What goes after the event name: the original's shape where it had one, else ``data``."""
    if event.name in ARRAY_EVENTS:
        return list(event.data.get("leaderboard", ()))
    return dict(event.data)


def encode(event: Event) -> EncodedPacket:
    """One Socket.IO EVENT packet for ``event``, framed once for every socket that gets it."""
    return encode_event(event.name, payload(event))


def command_data(args: Sequence[object]) -> object:
    """The payload of a client event: its first argument (``None`` if it sent none).

    Extra arguments are ignored, as the original server did; a non-object first argument is
    refused later by the command parser.
    """
    return args[0] if args else None


def ack_error(error: GameError, **extra: Any) -> dict[str, Any]:
    """The acknowledgement of a refused command: ``{"error": {code, message, ...}}``."""
    return {"error": {"code": error.code, "message": error.message, **extra}}
