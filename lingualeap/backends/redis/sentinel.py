"""Finding the Redis master through Sentinel, before every connection attempt.

When Sentinel promotes a replica, our connections to the old master break (or, if it comes back
as a replica, are refused by the role check); txredisapi reconnects, and this endpoint asks the
Sentinels again, so instances follow the new master by themselves.
"""

from __future__ import annotations

from typing import Any

import txredisapi
from twisted.internet.endpoints import TCP4ClientEndpoint
from twisted.internet.interfaces import IStreamClientEndpoint
from twisted.logger import Logger
from zope.interface import implementer

from lingualeap.backends.redis.client import RedisAddress

_managers: dict[tuple[tuple[str, int], ...], Any] = {}


def _manager(address: RedisAddress) -> Any:
    """One Sentinel client per set of Sentinels, shared by the command and subscriber connections."""
    manager = _managers.get(address.sentinels)
    if manager is None:
        manager = _managers[address.sentinels] = txredisapi.Sentinel(list(address.sentinels), min_other_sentinels=0)
    return manager


@implementer(IStreamClientEndpoint)
class SentinelMasterEndpoint:
    log = Logger()

    def __init__(self, reactor: Any, sentinel: Any, master: str) -> None:
        self._reactor = reactor
        self._sentinel = sentinel
        self._master = master
        self.current: tuple[str, int] | None = None

    def connect(self, protocol_factory: Any) -> Any:
        d = self._sentinel.discover_master(self._master)
        d.addCallback(self._connect, protocol_factory)
        return d

    def _connect(self, address: tuple[str, int], protocol_factory: Any) -> Any:
        if address != self.current:
            self.log.info("Redis master {name} is {host}:{port}", name=self._master, host=address[0], port=address[1])
            self.current = address
        return TCP4ClientEndpoint(self._reactor, address[0], address[1], timeout=5).connect(protocol_factory)


def master_endpoint(reactor: Any, address: RedisAddress) -> SentinelMasterEndpoint:
    assert address.master is not None
    return SentinelMasterEndpoint(reactor, _manager(address), address.master)


async def close_all() -> None:
    for manager in list(_managers.values()):
        await manager.disconnect()
    _managers.clear()
