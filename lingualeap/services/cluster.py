"""This instance's side of the backplane: remote calls between instances, and broadcasts.

A call is a message to the target's inbox with a correlation id; the reply comes back to ours.
Calls have a deadline: an instance that does not answer gives the caller an ``unavailable`` error
instead of a hang.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from twisted.internet.defer import Deferred
from twisted.logger import Logger

from lingualeap.clock import Clock
from lingualeap.domain.errors import GameError, RateLimited
from lingualeap.domain.events import Event
from lingualeap.ports import Backplane
from lingualeap.services.presence import Presence

CALL_TIMEOUT = 5.0
Operation = Callable[[dict[str, Any]], Awaitable[Any]]
RoomBatchHandler = Callable[[str, dict[str, Any]], None]


class Undelivered(GameError):
    """A call that never reached its instance (not listening, or the backplane is away), so it
    was certainly not carried out there: safe to send again elsewhere."""

    def __init__(self, message: str) -> None:
        super().__init__("unavailable", message)


class Cluster:
    """Routes backplane traffic; it is also the :class:`EventSink` services broadcast through."""

    log = Logger()

    def __init__(self, backplane: Backplane, presence: Presence, clock: Clock) -> None:
        self.backplane = backplane
        self.instance_id = backplane.instance_id
        self._presence = presence
        self._clock = clock
        self._operations: dict[str, Operation] = {}
        self._calls: dict[str, Deferred[Any]] = {}
        self._on_room_batch: RoomBatchHandler | None = None
        self._on_resubscribe: Callable[[], None] | None = None
        self._broadcast_handlers: dict[str, Callable[[dict[str, Any]], None]] = {}
        backplane.attach(self)

    def on_room_batch(self, handler: RoomBatchHandler) -> None:
        self._on_room_batch = handler

    def on_resubscribe(self, handler: Callable[[], None]) -> None:
        self._on_resubscribe = handler

    def register(self, name: str, operation: Operation) -> None:
        self._operations[name] = operation

    def on_broadcast(self, kind: str, handler: Callable[[dict[str, Any]], None]) -> None:
        """Handle cluster notices (``{"notice": kind, ...}``) that every instance receives."""
        self._broadcast_handlers[kind] = handler

    async def broadcast_message(self, kind: str, data: dict[str, Any]) -> None:
        await self.backplane.broadcast({"notice": kind, "data": data, "from": self.instance_id})

    # -- calling other instances ------------------------------------------------------------
    async def call(self, instance: str, operation: str, args: dict[str, Any]) -> Any:
        if instance == self.instance_id:
            return await self._operations[operation](args)
        call_id = secrets.token_hex(8)
        reply: Deferred[Any] = Deferred()
        self._calls[call_id] = reply
        timer = self._clock.call_later(CALL_TIMEOUT, self._expire, call_id, instance, operation)
        try:
            try:
                await self.backplane.send(
                    instance, {"call": call_id, "from": self.instance_id, "op": operation, "args": args}
                )
            except GameError as e:
                raise Undelivered(e.message) from e
            return await reply
        finally:
            timer.cancel()
            self._calls.pop(call_id, None)

    def _expire(self, call_id: str, instance: str, operation: str) -> None:
        reply = self._calls.pop(call_id, None)
        if reply is not None and not reply.called:
            reply.errback(GameError("unavailable", f"instance {instance} did not answer {operation} in time"))

    # -- BackplaneHandler ---------------------------------------------------------------------
    def room_batch(self, room_id: str, batch: dict[str, Any]) -> None:
        if self._on_room_batch is not None:
            self._on_room_batch(room_id, batch)

    def direct(self, message: dict[str, Any]) -> None:
        if "reply" in message:
            reply = self._calls.pop(str(message["reply"]), None)
            if reply is None or reply.called:
                return  # it already timed out
            error = message.get("error")
            if error:
                reply.errback(_error_of(error))
            else:
                reply.callback(message.get("result"))
            return
        if "call" in message:
            d = Deferred.fromCoroutine(self._serve(message))
            d.addErrback(lambda f: self.log.failure("serving {op} failed", f, op=message.get("op")))
            return
        self.log.warn("ignoring unknown backplane message {keys}", keys=sorted(message))

    async def _serve(self, message: dict[str, Any]) -> None:
        operation = self._operations.get(str(message.get("op")))
        reply: dict[str, Any] = {"reply": message["call"]}
        try:
            if operation is None:
                raise GameError("internal", f"unknown operation {message.get('op')!r}")
            reply["result"] = await operation(dict(message.get("args") or {}))
        except GameError as e:
            reply["error"] = {"code": e.code, "message": e.message}
            if isinstance(e, RateLimited):
                reply["error"]["retryAfter"] = e.retry_after
        except Exception:
            self.log.failure("operation {op} failed", op=message.get("op"))
            reply["error"] = {"code": "internal", "message": "the server failed; it was logged"}
        try:
            await self.backplane.send(str(message["from"]), reply)
        except GameError as e:
            # The caller stopped listening (it shut down, or Redis is away): its call times out
            # there, and nothing here is wrong.
            self.log.info("could not answer {op} from {caller}: {e}", op=message.get("op"),
                          caller=message.get("from"), e=e.message)

    def broadcasted(self, message: dict[str, Any]) -> None:
        if "event" in message:
            self._presence.broadcast(Event(str(message["event"]), dict(message.get("data") or {})))
        elif "notice" in message and message.get("from") != self.instance_id:
            handler = self._broadcast_handlers.get(str(message["notice"]))
            if handler is not None:
                handler(dict(message.get("data") or {}))

    def resubscribed(self) -> None:
        if self._on_resubscribe is not None:
            self._on_resubscribe()

    # -- EventSink ----------------------------------------------------------------------------
    def deliver(self, player_ids: Any, event: Event) -> None:
        self._presence.deliver(player_ids, event)

    def broadcast(self, event: Event) -> None:
        d = Deferred.fromCoroutine(self.backplane.broadcast({"event": event.name, "data": dict(event.data)}))
        d.addErrback(lambda f: self.log.failure("broadcasting {event} failed", f, event=event.name))


def _error_of(error: dict[str, Any]) -> GameError:
    """The caller's copy of a refusal, of the same kind (a rate limit keeps its ``retryAfter``)."""
    if "retryAfter" in error:
        return RateLimited(float(error["retryAfter"]), str(error["message"]))
    return GameError(str(error["code"]), str(error["message"]))
