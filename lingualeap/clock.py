"""The one seam for time. Only this module schedules on the reactor.

Services take a :class:`Clock`; tests build one over ``twisted.internet.task.Clock`` and move
time with ``advance()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.internet.task import LoopingCall
from twisted.logger import Logger


class Cancellable(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""

    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any) -> Cancellable: ...

    def looping_call(self, interval: float, fn: Callable[[], Any]) -> Cancellable: ...

    @property
    def reactor_time(self) -> IReactorTime: ...


class _DelayedCallHandle:
    def __init__(self, call: IDelayedCall) -> None:
        self._call = call

    def cancel(self) -> None:
        if self._call.active():
            self._call.cancel()


class _LoopHandle:
    def __init__(self, loop: LoopingCall) -> None:
        self._loop = loop

    def cancel(self) -> None:
        if self._loop.running:
            self._loop.stop()


class ReactorClock:
    """A :class:`Clock` over any ``IReactorTime`` (the reactor, or ``task.Clock`` in tests)."""

    log = Logger()

    def __init__(self, reactor: IReactorTime) -> None:
        self._reactor = reactor

    @property
    def reactor_time(self) -> IReactorTime:
        return self._reactor

    def now(self) -> float:
        return float(self._reactor.seconds())

    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any) -> Cancellable:
        return _DelayedCallHandle(self._reactor.callLater(max(0.0, delay), fn, *args))

    def looping_call(self, interval: float, fn: Callable[[], Any]) -> Cancellable:
        def guarded() -> None:
            # A LoopingCall stops for good after one exception: log it and keep ticking.
            try:
                fn()
            except Exception:
                self.log.failure("periodic task {fn!r} failed", fn=fn)

        loop = LoopingCall(guarded)
        loop.clock = self._reactor
        loop.start(interval, now=False)
        return _LoopHandle(loop)
