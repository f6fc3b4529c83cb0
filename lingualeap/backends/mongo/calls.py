"""Every MongoDB call goes through :func:`call`: "not reachable now" becomes one error.

txmongo raises a zoo of exceptions when the server is slow or gone (its own TimeExceeded,
PyMongo's connection and write-concern errors, Twisted's connection errors, cancellation);
callers only need to know "try again later", which is :class:`MongoUnavailable` (HTTP 503).
"""

from __future__ import annotations

from typing import TypeVar

from pymongo.errors import ConnectionFailure, ExecutionTimeout, OperationFailure, WriteConcernError
from twisted.internet import error as net_error
from twisted.internet.defer import CancelledError, Deferred, TimeoutError as DeferredTimeout
from txmongo.errors import TimeExceeded

from lingualeap.domain.errors import GameError

T = TypeVar("T")

#: Server error codes that mean "not now" (elections, shutdowns, time limits, refused logins)
#: rather than "this request is wrong".
_TRANSIENT_CODES = frozenset({
    6, 7, 13, 18, 50, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436,
})
_NETWORK_ERRORS = (
    TimeExceeded, ConnectionFailure, WriteConcernError, ExecutionTimeout, CancelledError,
    DeferredTimeout, net_error.ConnectError, net_error.ConnectionLost, net_error.ConnectionDone,
    net_error.ConnectionClosed,
)


class MongoUnavailable(GameError):
    """MongoDB did not answer in time or is not reachable: try again later (HTTP 503)."""

    def __init__(self, detail: str) -> None:
        super().__init__("unavailable", "the player database is unreachable; try again shortly")
        self.detail = detail


def is_duplicate_key(error: BaseException) -> bool:
    return isinstance(error, OperationFailure) and error.code == 11000


async def call(pending: Deferred[T]) -> T:
    """Await a txmongo call (which must have been given ``timeout=``), translating "unreachable"."""
    try:
        return await pending
    except _NETWORK_ERRORS as e:
        raise MongoUnavailable(f"{type(e).__name__}: {e}") from e
    except OperationFailure as e:
        if e.code in _TRANSIENT_CODES or e.has_error_label("RetryableWriteError"):
            raise MongoUnavailable(f"{type(e).__name__}: {e}") from e
        raise
