"""Refusing guesses while this process runs behind.

With more load than one process can take, every turn of the reactor finds more frames waiting
than the last, turns grow to seconds, and everything queued behind them waits too: the replies
of the shared store (whose connection is dropped after 5 s without one), the renewals of room
leases (lost after 6 s), the rooms' timers. Rooms would be lost to an overload. A guess played
seconds late is worth nothing to its player anyway, so while the reactor runs late, guesses are
refused at once (``unavailable``), at a fraction of the cost of playing them, until it has caught
up. Every other command still runs. It takes two late looks in a row: one long turn (a garbage
collection, or the process kept off the CPU for a moment) is not an overload; under an overload
every turn is long.
"""

from __future__ import annotations

from twisted.logger import Logger

from lingualeap.clock import Cancellable, Clock
from lingualeap.domain.errors import GameError
from lingualeap.services.metrics import Metrics

#: Seconds between two looks at how late the reactor runs.
CHECK_INTERVAL = 0.05
#: A look finding the reactor this late starts refusing guesses ...
SHED_AFTER = 0.5


class LagMonitor:
    """How late this process's timers fire: the measure of how far behind its reactor is."""

    log = Logger()

    def __init__(self, clock: Clock, metrics: Metrics, shed_after: float = SHED_AFTER,
                 interval: float = CHECK_INTERVAL) -> None:
        """``shed_after`` seconds late at two looks in a row, guesses are refused until a look
        finds the reactor at most a fifth of that late again (``0``: never refuse)."""
        self._clock = clock
        self._metrics = metrics
        self._shed_after = shed_after
        self._interval = interval
        self._due = 0.0
        self._call: Cancellable | None = None
        self.behind = False
        self._late_looks = 0
        self._refused = 0

    def start(self) -> None:
        if self._shed_after > 0 and self._call is None:
            self._next()

    def stop(self) -> None:
        if self._call is not None:
            self._call.cancel()
            self._call = None

    def _next(self) -> None:
        self._due = self._clock.now() + self._interval
        self._call = self._clock.call_later(self._interval, self._look)

    def _look(self) -> None:
        lag = max(0.0, self._clock.now() - self._due)
        self._metrics.reactor_lag.set(lag)
        self._late_looks = self._late_looks + 1 if lag >= self._shed_after else 0
        if not self.behind and self._late_looks >= 2:
            self.behind = True
            self.log.warn("the reactor runs {lag:.2f}s late: refusing guesses until it catches up", lag=lag)
        elif self.behind and lag <= self._shed_after / 5:
            self.behind = False
            self.log.info("caught up: taking guesses again ({count} refused)", count=self._refused)
            self._refused = 0
        self._next()

    def check_guess(self) -> None:
        """``unavailable`` while running behind."""
        if self.behind:
            self._refused += 1
            self._metrics.guesses_shed.inc()
            raise GameError("unavailable", "the server is running behind; guess again in a moment")
