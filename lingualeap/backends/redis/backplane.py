"""The backplane on Redis pub/sub: a subscriber connection and the shared command connection.

The subscriber (re)subscribes to this instance's inbox, the broadcast channel and the rooms it
watches every time it connects, and then tells the handler, which resynchronises from stored
state: pub/sub delivers at most once, so anything published while we were away is gone.
"""

from __future__ import annotations

import json
from typing import Any

import txredisapi
from twisted.internet.defer import Deferred
from twisted.logger import Logger

from lingualeap import jsonbytes
from lingualeap.backends.redis import keys
from lingualeap.backends.redis.client import PersistentRedisFactory, RedisAddress, RedisClient, endpoint
from lingualeap.domain.errors import GameError
from lingualeap.ports import BackplaneHandler

SUBSCRIBE_TIMEOUT = 5.0
#: The publisher's instance id, first in a room batch so its own copy is dropped unread.
ORIGIN = "origin"


class _Subscriber(txredisapi.SubscriberProtocol):  # type: ignore[misc]
    def messageReceived(self, pattern: Any, channel: Any, message: Any) -> None:
        self.factory.backplane.received(str(channel), message)


class _SubscriberFactory(PersistentRedisFactory):
    protocol = _Subscriber
    backplane: RedisBackplane

    def buildProtocol(self, addr: Any) -> Any:
        protocol = super().buildProtocol(addr)
        protocol.whenConnected().addCallback(self.backplane.subscriber_ready)
        return protocol


class RedisBackplane:
    log = Logger()

    def __init__(self, reactor: Any, address: RedisAddress, client: RedisClient, instance_id: str) -> None:
        self.instance_id = instance_id
        self._reactor = reactor
        self._address = address
        self._client = client
        self._channels = keys.Channels(address.db)
        self._inbox = self._channels.inbox(instance_id)
        # Redis hands a publication to every subscriber, the publisher included: our own room
        # batches reached our players already, so they are recognised by this prefix and dropped
        # before being decoded.
        self._own = compact_json(from_instance(instance_id, {}))[:-1] + ","
        self._own_bytes = self._own.encode("utf-8")
        self._subscribed: set[str] = {self._inbox, self._channels.broadcast}
        self._protocol: Any = None
        self._subscribing: dict[str, Deferred[None]] = {}
        self._handler: BackplaneHandler | None = None
        self.factory = _SubscriberFactory(
            f"{address.host}:{address.port}", None, 1, isLazy=True,
            password=address.password, replyTimeout=None, convertNumbers=False,
        )
        self.factory.backplane = self
        self.ready: Deferred[None] = Deferred()

    # -- lifecycle ----------------------------------------------------------------------------
    def attach(self, handler: BackplaneHandler) -> None:
        self._handler = handler

    def start(self) -> None:
        self.factory.startConnecting(endpoint(self._reactor, self._address))

    async def stop(self) -> None:
        await self.factory.disconnect()

    @property
    def connected(self) -> bool:
        return self._protocol is not None and bool(self._protocol.connected)

    def subscriber_ready(self, protocol: Any) -> Any:
        self._protocol = protocol
        protocol.whenDisconnected().addCallback(self._lost)
        d = Deferred.fromCoroutine(self._resubscribe(protocol))
        d.addErrback(lambda f: self.log.failure("subscribing on {redis} failed", f, redis=str(self._address)))
        return protocol

    def _lost(self, _: object) -> None:
        self._protocol = None
        if self.factory.closing:
            return  # we are stopping: nothing was lost
        self.log.warn("Redis subscriber connection lost; reconnecting ({redis})", redis=str(self._address))

    async def _resubscribe(self, protocol: Any) -> None:
        await protocol.subscribe(sorted(self._subscribed)).addTimeout(SUBSCRIBE_TIMEOUT, self._reactor)
        self.log.info("subscribed to {count} channels on {redis}", count=len(self._subscribed), redis=str(self._address))
        if not self.ready.called:
            self.ready.callback(None)
        if self._handler is not None:
            self._handler.resubscribed()

    # -- Backplane ----------------------------------------------------------------------------
    async def watch(self, room_id: str) -> None:
        channel = self._channels.room(room_id)
        pending = self._subscribing.get(channel)
        if pending is not None:
            # Someone else's subscription to this room is on its way: it is ours too only once
            # Redis confirms it, or we could read the log before hearing the channel.
            await _wait(pending)
            return
        if channel in self._subscribed:
            return
        self._subscribed.add(channel)
        protocol = self._protocol
        if protocol is None:
            return  # subscribed (and resynchronised) as soon as the connection is back
        d = protocol.subscribe(channel).addTimeout(SUBSCRIBE_TIMEOUT, self._reactor)
        done: Deferred[None] = Deferred()
        self._subscribing[channel] = done
        try:
            await d
        except Exception as e:
            self._subscribed.discard(channel)
            raise GameError("unavailable", f"could not subscribe to room {room_id}: {e}") from e
        finally:
            del self._subscribing[channel]
            done.callback(None)

    async def unwatch(self, room_id: str) -> None:
        channel = self._channels.room(room_id)
        if channel not in self._subscribed:
            return
        self._subscribed.discard(channel)
        if self._protocol is not None:
            await self._protocol.unsubscribe(channel).addTimeout(SUBSCRIBE_TIMEOUT, self._reactor)

    async def publish(self, room_id: str, batch: dict[str, Any]) -> None:
        message = compact_json(from_instance(self.instance_id, batch))
        await self._client.execute("PUBLISH", self._channels.room(room_id), message)

    async def send(self, instance_id: str, message: dict[str, Any]) -> None:
        receivers = await self._client.execute("PUBLISH", self._channels.inbox(instance_id), compact_json(message))
        if int(receivers) == 0:
            raise GameError("unavailable", f"instance {instance_id} is not listening")

    async def broadcast(self, message: dict[str, Any]) -> None:
        await self._client.execute("PUBLISH", self._channels.broadcast, compact_json(message))

    def received(self, channel: str, raw: Any) -> None:
        if self._handler is None or self._mine(channel, raw):
            return
        try:
            message = json.loads(raw)
        except (TypeError, ValueError):
            self.log.warn("dropping a malformed message on {channel}", channel=channel)
            return
        try:
            if channel == self._inbox:
                self._handler.direct(message)
            elif channel == self._channels.broadcast:
                self._handler.broadcasted(message)
            else:
                room_id = self._channels.room_of(channel)
                if room_id is not None:
                    message.pop(ORIGIN, None)
                    self._handler.room_batch(room_id, message)
        except Exception:
            self.log.failure("handling a message on {channel} failed", channel=channel)

    def _mine(self, channel: str, raw: Any) -> bool:
        """A room batch this instance published (inbox and broadcast messages are never skipped)."""
        if channel == self._inbox or channel == self._channels.broadcast:
            return False
        if isinstance(raw, str):
            return raw.startswith(self._own)
        return isinstance(raw, bytes) and raw.startswith(self._own_bytes)


async def _wait(done: Deferred[None]) -> None:
    # A fresh Deferred per waiter, so waiting never changes the shared one's result.
    waiter: Deferred[None] = Deferred()

    def release(result: object) -> object:
        waiter.callback(None)
        return result

    done.addBoth(release)
    await waiter


def from_instance(instance_id: str, batch: dict[str, Any]) -> dict[str, Any]:
    """A room batch as published by ``instance_id`` (which will not hear it back)."""
    return {ORIGIN: instance_id, **batch}


def compact_json(value: Any) -> str:
    """Compact UTF-8 JSON, as every backplane message and every room commit is written.

    One encoder for both: a room batch published by ``RedisRoomStore.commit`` must begin with
    the very bytes of :attr:`RedisBackplane._own` for its publisher to drop it. ``jsonbytes``
    writes the same as ``json.dumps(separators=(",", ":"), ensure_ascii=False)``, faster."""
    return jsonbytes.dumps(value).decode()
