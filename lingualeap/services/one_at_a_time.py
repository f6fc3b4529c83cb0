"""A periodic job that starts again only once its last run has finished.

Periodic looks at a shared store (orphaned rooms, the matchmaking queues) must not pile up while
the store is slow or away: a run that is still waiting makes the next tick skip it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure


class OneAtATime:
    def __init__(self, failed: Callable[[Failure], None]) -> None:
        """``failed`` hears how a run failed (the next run goes ahead regardless)."""
        self._failed = failed
        self.running = False

    def run(self, work: Callable[[], Coroutine[Any, Any, Any]]) -> bool:
        """Start ``work()`` unless a run is still going; whether it started."""
        if self.running:
            return False
        self.running = True
        d = Deferred.fromCoroutine(work())
        d.addErrback(self._failed)
        d.addBoth(self._done)
        return True

    def _done(self, _: object) -> None:
        self.running = False
