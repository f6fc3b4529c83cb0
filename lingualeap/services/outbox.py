"""Finished match results that could not be stored yet, retried until the store takes them.

When the player store is unreachable (MongoDB down, timeouts), the game goes on and the results
of the matches that end meanwhile wait here, in order, at most ``capacity`` of them. They are
retried with exponential back-off through the Clock (and at once when the store reports that it
is back), and delivered at least once: the store's crediting is idempotent, so a result whose
first attempt timed out after being applied is harmless to send again.

With a spool (Redis, when configured) every waiting result also has a copy there, a result that
does not fit in memory is spilled there instead of dropped, and whatever the spool holds (from
this instance or from one that died) is taken back whenever there is room and the store answers.
A result that does not fit anywhere is logged at critical level with everything needed to enter
it by hand; so is whatever is still waiting here when the process stops without a spool.
"""

from __future__ import annotations

import dataclasses
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.logger import Logger

from lingualeap.clock import Cancellable, Clock
from lingualeap.domain.errors import GameError
from lingualeap.domain.results import MatchResult, PlayerResult
from lingualeap.domain.room import RoundRecord
from lingualeap.ports import ResultSpool

#: Results held at most (a match result is a few KB; a thousand is minutes of a busy instance).
DEFAULT_CAPACITY = 1000
FIRST_DELAY = 1.0
MAX_DELAY = 30.0


@dataclass
class _Waiting:
    result: MatchResult
    since: float
    attempts: int = 0
    #: Whether the spool holds a copy (so stopping does not lose it).
    copied: bool = False


def result_json(result: MatchResult) -> str:
    """The whole result as one line of JSON (for the spool, and for logs someone may replay)."""
    return json.dumps(dataclasses.asdict(result), separators=(",", ":"), ensure_ascii=False)


def result_from_json(text: str) -> MatchResult:
    raw = json.loads(text)
    return MatchResult(
        match_id=raw["match_id"],
        language=raw["language"],
        started_at=float(raw["started_at"]),
        ended_at=float(raw["ended_at"]),
        players=tuple(PlayerResult(**p) for p in raw["players"]),
        rounds=tuple(RoundRecord(**r) for r in raw["rounds"]),
    )


class ResultOutbox:
    log = Logger()

    def __init__(
        self,
        clock: Clock,
        deliver: Callable[[MatchResult], Awaitable[None]],
        *,
        capacity: int = DEFAULT_CAPACITY,
        first_delay: float = FIRST_DELAY,
        max_delay: float = MAX_DELAY,
        on_depth: Callable[[int], None] | None = None,
        on_drop: Callable[[], None] | None = None,
        spool: ResultSpool | None = None,
    ) -> None:
        self._clock = clock
        self._spool = spool
        self.spilled = 0
        self._deliver = deliver
        self.capacity = capacity
        self._first_delay = first_delay
        self._max_delay = max_delay
        self._delay = first_delay
        self._on_depth = on_depth
        self._on_drop = on_drop
        self._waiting: OrderedDict[str, _Waiting] = OrderedDict()
        self._timer: Cancellable | None = None
        self._running = False
        self._stopped = False
        self.dropped = 0
        self.delivered = 0

    # -- queries ---------------------------------------------------------------------------
    @property
    def depth(self) -> int:
        return len(self._waiting)

    def waiting(self) -> list[MatchResult]:
        return [w.result for w in self._waiting.values()]

    def health(self) -> dict[str, Any]:
        oldest = next(iter(self._waiting.values()), None)
        return {
            "name": "results-outbox",
            "status": "ok" if not self._waiting else "degraded",
            "depth": len(self._waiting),
            "capacity": self.capacity,
            "dropped": self.dropped,
            "spilled": self.spilled,
            "oldestSeconds": round(self._clock.now() - oldest.since, 3) if oldest else None,
        }

    # -- commands --------------------------------------------------------------------------
    def add(self, result: MatchResult, reason: str) -> bool:
        """Keep a result for later; ``False`` (and a critical log) if it is full and has no spool."""
        key = result.record_id
        if key in self._waiting:
            return True
        if len(self._waiting) >= self.capacity:
            if self._spool is not None:
                self._background(self._spill(result, reason), "spilling match {match}", key)
                return True
            self._lost(result, reason, f"the results outbox is full ({self.capacity} waiting)")
            return False
        self._waiting[key] = _Waiting(result, self._clock.now())
        self._changed()
        if self._spool is not None:
            # A copy outlives this process; the one in memory is what gets retried.
            self._background(self._keep(result), "keeping a copy of match {match}", key)
        self.log.warn(
            "match {match} could not be stored ({reason}); keeping it in the outbox ({depth}/{capacity})",
            match=key, reason=reason, depth=len(self._waiting), capacity=self.capacity,
        )
        self._schedule(self._delay)
        return True

    def kick(self) -> None:
        """The store is back: try now instead of at the end of the back-off."""
        self._delay = self._first_delay
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if (self._waiting or self._spool is not None) and not self._running:
            self._start()

    def stop(self) -> None:
        """No more retries; log (critically) every result still waiting, so none vanishes quietly."""
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        copied = [w for w in self._waiting.values() if w.copied]
        if copied:
            self.log.warn("{count} result(s) still waiting; their copies in the spool will be stored by "
                          "another instance, or by this one after a restart", count=len(copied))
        for key, waiting in self._waiting.items():
            if waiting.copied:
                continue
            self.log.critical(
                "RESULT NOT STORED at shutdown: match {match} waited {seconds:.0f}s for the player "
                "store; enter it by hand: {result}",
                match=key, seconds=self._clock.now() - waiting.since, result=result_json(waiting.result),
            )

    async def flush(self) -> None:
        """One pass over the waiting results now (stops at the first that fails)."""
        if not self._running:
            self._running = True
            try:
                await self._drain()
            finally:
                self._running = False

    # -- internals -------------------------------------------------------------------------
    def _lost(self, result: MatchResult, reason: str, why: str) -> None:
        self.dropped += 1
        if self._on_drop is not None:
            self._on_drop()
        self.log.critical(
            "RESULT LOST: {why} and the player store is still failing ({reason}); match {match} is "
            "not stored and its XP not credited. Enter it by hand: {result}",
            why=why, reason=reason, match=result.record_id, result=result_json(result),
        )

    def _background(self, work: Awaitable[None], what: str, key: str) -> None:
        async def run() -> None:
            await work

        Deferred.fromCoroutine(run()).addErrback(lambda f: self.log.failure(what, f, match=key))

    async def _keep(self, result: MatchResult) -> None:
        assert self._spool is not None
        try:
            copied = await self._spool.save(result.record_id, result_json(result))
        except Exception as e:
            copied = False
            self.log.warn("no spare copy of match {match} in the spool ({error}); it waits here only",
                          match=result.record_id, error=e)
        waiting = self._waiting.get(result.record_id)
        if waiting is not None:
            waiting.copied = copied

    async def _spill(self, result: MatchResult, reason: str) -> None:
        assert self._spool is not None
        try:
            saved = await self._spool.save(result.record_id, result_json(result))
        except Exception as e:
            saved, reason = False, f"{reason}; the spool failed too: {e}"
        if not saved:
            self._lost(result, reason, f"the results outbox is full ({self.capacity} waiting), so is the spool,")
            return
        self.spilled += 1
        self.log.warn("the results outbox is full ({capacity}): match {match} waits in the spool",
                      capacity=self.capacity, match=result.record_id)
        self._schedule(self._delay)

    async def _adopt(self) -> int:
        """Take results from the spool into memory, as far as there is room; how many."""
        room = self.capacity - len(self._waiting)
        if self._spool is None or room <= 0:
            return 0
        try:
            found = await self._spool.load(room)
        except Exception as e:
            self.log.debug("the spool cannot be read ({error})", error=e)
            return 0
        adopted = 0
        for key, document in found.items():
            if key in self._waiting or len(self._waiting) >= self.capacity:
                continue
            try:
                result = result_from_json(document)
            except (ValueError, KeyError, TypeError):
                self.log.failure("match {match} in the spool cannot be read; left there", match=key)
                continue
            self._waiting[key] = _Waiting(result, self._clock.now(), copied=True)
            adopted += 1
        if adopted:
            self._changed()
            self.log.info("took {count} waiting result(s) from the spool", count=adopted)
        return adopted

    async def _forget(self, key: str) -> None:
        if self._spool is None:
            return
        try:
            await self._spool.remove(key)
        except Exception as e:
            # Stored already; if the copy comes back, storing it again credits nothing.
            self.log.warn("match {match} is stored but its spool copy stays ({error})", match=key, error=e)

    def _changed(self) -> None:
        if self._on_depth is not None:
            self._on_depth(len(self._waiting))

    def _schedule(self, delay: float) -> None:
        if self._stopped or self._timer is not None or self._running:
            return
        if not self._waiting and self._spool is None:
            return
        self._timer = self._clock.call_later(delay, self._start)

    def _start(self) -> None:
        self._timer = None
        if self._running or self._stopped:
            return
        self._running = True

        def done(_: object) -> None:
            self._running = False

        d = Deferred.fromCoroutine(self._drain())
        d.addErrback(lambda f: self.log.failure("draining the results outbox failed", f))
        d.addBoth(done)

    async def _drain(self) -> None:
        while not self._stopped:
            if not self._waiting and not await self._adopt():
                break
            key, waiting = next(iter(self._waiting.items()))
            waiting.attempts += 1
            try:
                await self._deliver(waiting.result)
            except Exception as e:
                self._failed(key, waiting, e)
                return
            # Not popitem(): a result added during the await went to the end, this one is first.
            self._waiting.pop(key, None)
            self.delivered += 1
            self._changed()
            await self._forget(key)
            self.log.info(
                "stored match {match} from the outbox after {attempts} attempt(s) and {seconds:.1f}s "
                "({depth} still waiting)",
                match=key, attempts=waiting.attempts, seconds=self._clock.now() - waiting.since,
                depth=len(self._waiting),
            )
        self._delay = self._first_delay

    def _failed(self, key: str, waiting: _Waiting, error: Exception) -> None:
        if isinstance(error, GameError) and error.code == "unavailable":
            self.log.debug("outbox: the store is still unavailable ({error})", error=error)
        else:
            # Not an outage but something about this result: let the others go first meanwhile.
            self.log.failure("storing match {match} from the outbox failed (attempt {attempts})",
                             match=key, attempts=waiting.attempts)
            self._waiting.move_to_end(key)
        self._delay = min(self._max_delay, self._delay * 2)
        if not self._stopped:
            self._timer = self._clock.call_later(self._delay, self._start)


class OutboxService(Service):
    """Stops the outbox with the process: one last attempt, then a log of what is left."""

    log = Logger()
    name = "results-outbox"

    def __init__(self, outbox: ResultOutbox) -> None:
        self.outbox = outbox

    def stopService(self) -> Deferred[None]:
        super().stopService()

        async def last_attempt() -> None:
            if self.outbox.depth:
                self.log.info("trying to store {depth} waiting result(s) before stopping", depth=self.outbox.depth)
                try:
                    await self.outbox.flush()
                except Exception:
                    self.log.failure("the last attempt to store waiting results failed")
            self.outbox.stop()

        return Deferred.fromCoroutine(last_attempt())
