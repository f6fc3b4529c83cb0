"""Prototypes of proposed server optimisations, applied as patches at start-up, to measure them.

``benchmarks/`` may not change the server, so a proposal is measured by running the unchanged
server under ``twistd`` with a prototype of the change patched in at start-up:

    python benchmarks/run.py single --rate 2000,4000 --experiment no-self-publish,orjson

Every experiment is a small, self-contained stand-in for a change proposed in
``benchmarks/RESULTS.md`` (written against the code of commit 72e0f3d). When a function or
constant an experiment patches is gone, the server stops with an error instead of measuring
something else; a patched function whose behaviour changed is not detected, so re-read an
experiment against the code before trusting its figures on a later commit.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable
from typing import Any

ENV = "LINGUALEAP_EXPERIMENTS"


def no_self_publish() -> None:
    """MemoryBackplane.publish: do not deep-copy a room batch back to the instance that made it.

    RoomHost._commit already delivered the batch to this instance's players (``_local``); the
    published copy is dropped by Fanout's sequence check after a deepcopy and a re-parse.
    """
    import copy

    from lingualeap.backends.memory import backplane

    def publish(self: Any, room_id: str, batch: dict[str, Any]) -> Any:
        for instance in sorted(self._hub.watchers.get(room_id, ())):
            if instance == self.instance_id:
                continue
            handler = self._hub.handlers.get(instance)
            if handler is not None:
                handler.room_batch(room_id, copy.deepcopy(batch))

    async def apublish(self: Any, room_id: str, batch: dict[str, Any]) -> None:
        publish(self, room_id, batch)

    assert callable(backplane.MemoryBackplane.publish)
    backplane.MemoryBackplane.publish = apublish  # type: ignore[method-assign]


def orjson_codec() -> None:
    """transports/codec.py encode_event: orjson instead of json.dumps (same bytes for our data)."""
    import orjson

    from lingualeap.transports import codec

    assert callable(codec.encode_event)

    def encode_event(event: Any) -> bytes:
        return orjson.dumps({"event": event.name, "data": event.data})

    codec.encode_event = encode_event


def keep_timer() -> None:
    """RoomHost._schedule: keep the room's reactor timer when its wake-up time did not change
    (every guess cancelled and re-created it)."""
    from lingualeap.services import room_host

    original = room_host.RoomHost._schedule

    def _schedule(self: Any, hosted: Any) -> None:
        wake_at = hosted.state.wake_at
        if hosted.timer is not None and getattr(hosted, "_timer_at", None) == wake_at and not hosted.state.is_over:
            return
        original(self, hosted)
        hosted._timer_at = wake_at if hosted.timer is not None else None

    room_host.RoomHost._schedule = _schedule  # type: ignore[method-assign]


def short_log() -> None:
    """MemoryRoomStore: keep 20 events per room for replays instead of 500 (what storing the
    log as encoded bytes, untracked by the GC, would approximate)."""
    from lingualeap.backends.memory import rooms

    assert isinstance(rooms.EVENT_LOG_LIMIT, int)
    rooms.EVENT_LOG_LIMIT = 20


def gc_freeze() -> None:
    """gc.freeze() once the server runs: start-up objects (word banks, modules) leave the GC's
    generations, so full collections scan only what the game allocates."""
    from lingualeap.app import service

    original = service.LinguaLeapService.startService

    def startService(self: Any) -> None:
        original(self)
        gc.collect()
        gc.freeze()

    service.LinguaLeapService.startService = startService  # type: ignore[method-assign]


def local_owner() -> None:
    """GameService._route: when this instance hosts the room, skip the lease lookup (a Redis GET
    per guess with Redis backends) and call the local operation directly."""
    from lingualeap.services import game

    original = game.GameService._route

    async def _route(self: Any, room_id: str, operation: str, args: dict[str, Any]) -> Any:
        if self._host.owns(room_id):
            return await self._cluster.call(self.instance_id, operation, args)
        return await original(self, room_id, operation, args)

    game.GameService._route = _route  # type: ignore[method-assign]


def stall_probe() -> None:
    """Not an optimisation, a measuring aid: log every reactor callback (an I/O event handler or a
    timed call) that holds the reactor for 3 ms or more, with what it was, to stderr (the
    server log), so the sources of a latency tail can be named. Costs ~2 % CPU."""
    import time

    from twisted.internet import base
    from twisted.python import log

    threshold = 0.003
    original_call = log.callWithLogger

    def report(what: Any, took: float) -> None:
        name = getattr(what, "__qualname__", None) or type(what).__qualname__
        sys.stderr.write(f"STALL {took * 1000:.1f} ms {name}\n")

    def callWithLogger(logger: Any, func: Any, *args: Any, **kw: Any) -> Any:
        started = time.perf_counter()
        try:
            return original_call(logger, func, *args, **kw)
        finally:
            took = time.perf_counter() - started
            if took >= threshold:
                report(getattr(logger, "protocol", logger), took)  # the selectable's protocol

    log.callWithLogger = callWithLogger
    original_init = base.DelayedCall.__init__

    def __init__(self: Any, time_: float, func: Any, args: Any, kw: Any, *rest: Any, **more: Any) -> None:
        def timed(*a: Any, **k: Any) -> Any:
            started = time.perf_counter()
            try:
                return func(*a, **k)
            finally:
                took = time.perf_counter() - started
                if took >= threshold:
                    report(func, took)

        original_init(self, time_, timed, args, kw, *rest, **more)

    base.DelayedCall.__init__ = __init__  # type: ignore[method-assign]


def heap_census() -> None:
    """Not an optimisation, a measuring aid: on SIGUSR2 the server writes the 30 most numerous
    types of live objects (and how many there are) to stderr, to see what the collector walks."""
    import collections
    import signal

    from twisted.internet import reactor

    def census() -> None:
        gc.collect()
        counts = collections.Counter(type(o).__qualname__ for o in gc.get_objects())
        sys.stderr.write(f"CENSUS {sum(counts.values())} objects\n")
        for name, count in counts.most_common(30):
            sys.stderr.write(f"CENSUS {count:9d} {name}\n")

    signal.signal(signal.SIGUSR2, lambda *_: reactor.callFromThread(census))  # type: ignore[attr-defined]


EXPERIMENTS: dict[str, Callable[[], None]] = {
    "no-self-publish": no_self_publish,
    "orjson": orjson_codec,
    "keep-timer": keep_timer,
    "short-log": short_log,
    "gc-freeze": gc_freeze,
    "local-owner": local_owner,
    "stall-probe": stall_probe,
    "heap-census": heap_census,
}


def apply(names: list[str]) -> None:
    for name in names:
        if name not in EXPERIMENTS:
            raise SystemExit(f"unknown experiment {name!r}; known: {', '.join(sorted(EXPERIMENTS))}")
        try:
            EXPERIMENTS[name]()
        except (ImportError, AttributeError, AssertionError) as e:
            raise SystemExit(f"experiment {name!r} does not fit this code any more: {e!r}") from e


def main() -> None:
    """``python benchmarks/experiments.py TWISTD-ARGS…``: twistd with ``$LINGUALEAP_EXPERIMENTS``."""
    names = [n for n in os.environ.get(ENV, "").split(",") if n]
    apply(names)
    sys.argv[0] = "twistd"
    from twisted.scripts.twistd import run

    run()


if __name__ == "__main__":
    main()
