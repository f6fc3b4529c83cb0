"""Rules every open connection follows, whatever its transport (``/ws`` or Socket.IO).

How many connections one user may keep open here, when a silent one is closed, and how a
connection is told why it is being closed: an ``error`` event with a machine-readable code,
then the close itself (``/ws``: a close frame with ``code`` and ``reason``; Socket.IO: see
:class:`~lingualeap.transports.socketio_game.connection.GameSocket`).
"""

from __future__ import annotations

from collections.abc import Callable

from lingualeap.clock import Cancellable, Clock
from lingualeap.domain.errors import GameError
from lingualeap.domain.events import Event
from lingualeap.services.presence import Connection, Outbound, Presence

#: WebSocket's "policy violation": floods and connections over the per-user cap.
CLOSE_POLICY = 1008
#: Closed for sending nothing for the idle timeout (an application code: no reconnect needed).
CLOSE_IDLE = 4000
#: The token the connection was opened with was revoked (logout everywhere, new password).
CLOSE_REVOKED = 4001
#: Close codes after which a client should not simply reconnect (Socket.IO: a DISCONNECT).
FINAL_CLOSE_CODES = frozenset({CLOSE_POLICY, CLOSE_IDLE, CLOSE_REVOKED})

TOO_MANY_CONNECTIONS = "too many connections for this user"


def dismiss(connection: Connection, code: int, reason: str, error: GameError) -> None:
    """Say why (``error {code, message}``), then close the connection with ``code``/``reason``."""
    connection.send(Outbound(Event("error", {"code": error.code, "message": error.message})))
    connection.close(code, reason)


def evict_oldest(presence: Presence, player_id: str, keep: int) -> None:
    """Past the per-user limit, the oldest connections go (stale tabs, half-dead links):
    the newest is the one the person is looking at."""
    mine = presence.connections_of(player_id)
    for old in mine[: max(0, len(mine) - keep)]:
        dismiss(old, CLOSE_POLICY, TOO_MANY_CONNECTIONS,
                GameError("too_many_connections", f"{TOO_MANY_CONNECTIONS} (at most {keep}); "
                                                  "a newer one took this one's place"))


def close_idle(connection: Connection, timeout: float) -> None:
    dismiss(connection, CLOSE_IDLE, "idle",
            GameError("idle", f"closed after {timeout:g} s without a message from you"))


class IdleWatch:
    """Calls ``on_idle`` once the client has sent nothing for ``timeout`` seconds (0: never).

    One timer per connection, re-armed for the time left when it fires rather than on every
    message; :meth:`touch` on every message from the client, :meth:`stop` when it closes.
    """

    def __init__(self, clock: Clock, timeout: float, on_idle: Callable[[], None]) -> None:
        self._clock = clock
        self._timeout = timeout
        self._on_idle = on_idle
        self._last = clock.now()
        self._timer: Cancellable | None = None
        if timeout > 0:
            self._arm(timeout)

    def touch(self) -> None:
        self._last = self._clock.now()

    def stop(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()

    def _arm(self, delay: float) -> None:
        self._timer = self._clock.call_later(delay, self._check)

    def _check(self) -> None:
        self._timer = None
        left = self._last + self._timeout - self._clock.now()
        if left > 0:
            self._arm(left)
        else:
            self._on_idle()
