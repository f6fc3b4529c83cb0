"""Floods trigger the limits, and the players next to them keep normal latency.

A behaviour check, not a benchmark: the latency bound is generous and measured from timestamps.
Flooders keep coming back for the whole measurement, so the other players are measured under
pressure, not after it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator

import pytest_twisted
from autobahn.exception import Disconnected
from support.live import LiveServer
from support.wsclient import connect
from twisted.internet import reactor
from twisted.internet.defer import ensureDeferred
from twisted.internet.task import deferLater

FLOODERS = 4
GUESSES = 20
P95_BOUND = 0.25
FRAME = '{"event":"makeGuess","data":{"roomId":"flood-test","guess":"' + "x" * 60 + '"}}'


@pytest_twisted.async_yield_fixture
async def server() -> AsyncIterator[LiveServer]:
    # The default limits: this is what a server ships with.
    live = await LiveServer(round_seconds=60, start_delay=0.1, drain_seconds=0).start()
    yield live
    await live.stop()


async def flood(server: LiveServer, name: str, until: list[bool], seen: Counter[str]) -> None:
    """Connect, flood until cut off, come back; until told to stop."""
    while not until:
        try:
            client = await connect(server.ws_url(f"username={name}"))
        except ConnectionError as e:
            seen["refused 429" if "429" in str(e) else f"refused {e}"] += 1
            await deferLater(reactor, 0.2, lambda: None)
            continue
        try:
            while not client.closed.called:
                for _ in range(50):
                    client.send_raw(FRAME)
                await deferLater(reactor, 0.02, lambda: None)
        except Disconnected:
            pass  # the server's close frame is in: it is just not through yet
        code, reason = await client.wait_closed()
        seen[f"closed {code} {reason}"] += 1
        seen["rate_limited errors"] += sum(
            1 for e in client.events if e["event"] == "error" and e["data"]["code"] == "rate_limited")


@pytest_twisted.ensureDeferred
async def test_flooders_are_limited_then_cut_off_while_players_keep_normal_latency(server: LiveServer) -> None:
    ana, ben = await connect(server.ws_url("username=ana")), await connect(server.ws_url("username=ben"))
    for client in (ana, ben):
        client.send("joinRoom", {"roomId": "flood-test", "language": "french"})
    room = (await ana.next("newRound"))["roomId"]
    stop: list[bool] = []
    seen: Counter[str] = Counter()
    floods = [ensureDeferred(flood(server, f"flood{i}", stop, seen)) for i in range(FLOODERS)]
    await deferLater(reactor, 0.1, lambda: None)  # the flood is on

    latencies = []
    for _ in range(GUESSES):
        sent = time.monotonic()
        ana.send("makeGuess", {"roomId": room, "guess": "qqqqqqqqqqqq"})
        miss = await ana.next("wrongGuess")
        latencies.append(time.monotonic() - sent)
        assert miss["player"]["username"] == "ana"
        await deferLater(reactor, 0.12, lambda: None)  # a quick typist, within the guess limit
    stop.append(True)
    for d in floods:
        await d

    latencies.sort()
    print(f"flood: {dict(seen)}; latency p50 {latencies[len(latencies) // 2] * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms")
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    assert p95 < P95_BOUND, f"p95 {p95 * 1000:.0f} ms; all: {[round(x * 1000) for x in latencies]}"
    # Every flooder was told to slow down, then cut off, again and again during the measurement.
    assert seen["closed 1008 flood"] >= 2 * FLOODERS, seen
    assert seen["rate_limited errors"] >= seen["closed 1008 flood"], seen
    assert not ana.closed.called and not ben.closed.called
    assert sum(1 for e in ben.events if e["event"] == "wrongGuess") == GUESSES  # ben saw them all
    ana.close(), ben.close()
