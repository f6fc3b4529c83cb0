"""One load generator process: its share of the clients, on one asyncio loop.

Talks to the coordinator over a pipe: ``("ready", report)`` once its clients are set up,
then waits for ``("start", t0, plan, owners)`` (or ``("stop",)``), runs, and answers
``("result", report)``. Every wait has a deadline; the worker always ends by itself.
"""

from __future__ import annotations

import asyncio
import random
import time
import urllib.parse
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from . import jsonlib, wire
from .histogram import new_histogram
from .players import (
    Adapter,
    EchoClient,
    GamePlayer,
    IdleClient,
    SocketIOAdapter,
    StepStats,
    WsJsonAdapter,
)
from .procstat import raise_fd_limit, self_cpu_seconds
from .words import load_answers

#: Scheduler resolution (seconds).
TICK = 0.001

MODES = ("load", "echo", "idle", "matchmaking")
TRANSPORTS = ("ws", "socketio")


@dataclass
class WorkerConfig:
    index: int
    workers: int
    mode: str
    transport: str
    urls: list[str]
    players: list[int]
    language: str = "french"
    words: str | None = None
    mix: tuple[float, float] = (0.02, 0.08)
    connect_concurrency: int = 100
    connect_timeout: float = 10.0
    setup_timeout: float = 60.0
    auth: str = "guest"
    requeue: bool = True
    seed: int = 1
    loop: str = "auto"
    run_id: str = "lg"
    spread_sources: bool = True
    drain: float = 3.0
    match_timeout: float = 30.0
    extra: dict[str, Any] = field(default_factory=dict)


def _target(url: str) -> tuple[str, int, str, bool]:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("ws", "http"):
        raise ValueError(f"only ws:// URLs on loopback are supported, not {url!r}")
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 80
    path = parts.path or "/"
    return host, port, path, bool(parts.query)


class Worker:
    def __init__(self, config: WorkerConfig, conn: Connection) -> None:
        self.config = config
        self.conn = conn
        self.rng = random.Random(config.seed * 7919 + config.index)
        self.current: StepStats | None = None
        self.requeue = config.requeue and config.mode == "load"
        self.answers = load_answers(Path(config.words)) if config.words else {}
        self.other_errors: dict[str, int] = {}
        self.closed: dict[str, int] = {}
        self.failures: dict[str, int] = {}
        self.clients: list[Any] = []
        self.handshake = new_histogram()
        self.connect_started = 0.0
        self.connect_finished = 0.0
        self.registered = 0

    # -- Host ------------------------------------------------------------------------------
    def matched(self, player: GamePlayer, data: dict[str, Any], now: float) -> None:
        pass  # each player keeps its own matches; the coordinator checks them all

    # -- pipe ------------------------------------------------------------------------------
    def send(self, message: Any) -> None:
        self.conn.send(message)

    async def recv(self, timeout: float) -> Any:
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready = await loop.run_in_executor(None, self.conn.poll, 0.2)
            if ready:
                return self.conn.recv()
        return ("stop",)

    # -- the run ---------------------------------------------------------------------------
    async def run(self) -> None:
        c = self.config
        self.clients = [self._client(i) for i in c.players]
        await self._connect_all()
        await self._wait_ready()
        self.send(("ready", self._ready_report()))
        message = await self.recv(c.setup_timeout + 600)
        if message[0] != "start":
            self._close_all()
            return
        _, t0, plan, owners = message
        for client in self.clients:
            if isinstance(client, GamePlayer):
                client.owners = owners
                room = client.room
                if room is not None and room in owners:
                    client.room = None
                    client._enter(room)  # noqa: SLF001 - classify the current room now
        if c.mode in ("load", "echo"):
            report = await self._steps(t0, plan)
        elif c.mode == "idle":
            report = await self._hold(t0, plan)
        else:
            report = await self._matchmake(t0)
        report.update(self._common_report())
        self.send(("result", report))
        self._close_all()
        await asyncio.sleep(0)  # let the transports start closing before the loop goes

    def _client(self, i: int) -> Any:
        c = self.config
        if c.mode == "echo":
            return EchoClient(i, self)
        if c.mode == "idle":
            return IdleClient(i, self, expect_welcome=c.transport == "ws")
        return GamePlayer(i, self, c.language, c.mix, auto_find=c.mode == "load", rng=self.rng)

    # -- connecting ------------------------------------------------------------------------
    async def _connect_all(self) -> None:
        c = self.config
        semaphore = asyncio.Semaphore(c.connect_concurrency)
        self.connect_started = time.monotonic()

        async def one(client: Any) -> None:
            async with semaphore:
                await self._connect(client)

        await asyncio.gather(*(one(client) for client in self.clients))
        self.connect_finished = time.monotonic()

    async def _connect(self, client: Any) -> None:
        c = self.config
        host, port, path, _ = _target(c.urls[client.index % len(c.urls)])
        query: dict[str, str] = {}
        name = f"{c.run_id}{client.index}"[:32]
        if c.auth != "guest" and c.mode in ("load", "matchmaking"):
            token = await self._register(host, port, name, client.index)
            if token is None:
                return
            query["token"] = token
        else:
            query["username"] = name
        if c.transport == "socketio":
            query.update({"EIO": "4", "transport": "websocket"})
            adapter: Adapter = SocketIOAdapter(client, auth={"token": query["token"]} if "token" in query else None)
        else:
            adapter = WsJsonAdapter(client)
        started = time.monotonic()
        try:
            source = wire.source_address(client.index) if c.spread_sources and host.startswith("127.") else None
            await wire.connect(host, port, f"{path}?{urllib.parse.urlencode(query)}", adapter,  # type: ignore[arg-type]
                               timeout=c.connect_timeout, source=source)
        except (OSError, asyncio.TimeoutError, ConnectionError) as e:
            key = type(e).__name__ + (f": {str(e)[:60]}" if isinstance(e, ConnectionError) else "")
            self.failures[key] = self.failures.get(key, 0) + 1
            return
        self.handshake.record(int((time.monotonic() - started) * 1_000_000))

    async def _register(self, host: str, port: int, name: str, index: int) -> str | None:
        c = self.config
        body = jsonlib.dumps({"name": name, "email": f"{name}@bench.example.org", "password": "benchmark-pass-1"})
        path = "/api/users" if c.auth == "register" else "/api/users/auth"
        try:
            status, raw = await wire.http_json(host, port, "POST", path, body, timeout=c.connect_timeout * 3)
        except (OSError, asyncio.TimeoutError) as e:
            self.failures[f"register {type(e).__name__}"] = self.failures.get(f"register {type(e).__name__}", 0) + 1
            return None
        if status not in (200, 201):
            self.failures[f"register HTTP {status}"] = self.failures.get(f"register HTTP {status}", 0) + 1
            return None
        self.registered += 1
        return str(jsonlib.loads(raw)["token"])

    def _ready(self, client: Any) -> bool:
        mode = self.config.mode
        if mode == "load":
            return bool(client.in_round)
        return bool(client.welcomed)

    async def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.config.setup_timeout
        while time.monotonic() < deadline:
            if all(self._ready(client) for client in self.clients if client.alive or client.transport_up):
                return
            await asyncio.sleep(0.05)

    def _ready_report(self) -> dict[str, Any]:
        alive = [client for client in self.clients if client.alive]
        rooms: dict[str, list[str]] = {}
        instances: dict[str, str] = {}
        for client in alive:
            if isinstance(client, GamePlayer):
                instances[client.id] = client.instance
                if client.room:
                    rooms.setdefault(client.room, []).append(client.id)
        return {
            "worker": self.config.index,
            "clients": len(self.clients),
            "connected": len(alive),
            "ready": sum(1 for client in alive if self._ready(client)),
            "failures": self.failures,
            "handshake": self.handshake.to_wire(),
            "connect_started": self.connect_started,
            "connect_finished": self.connect_finished,
            "rooms": rooms,
            "instances": instances,
            "registered": self.registered,
        }

    def _common_report(self) -> dict[str, Any]:
        return {
            "worker": self.config.index,
            "alive_at_end": sum(1 for client in self.clients if client.alive),
            "other_errors": self.other_errors,
            "closed": self.closed,
            "json": jsonlib.NAME,
            "loop": type(asyncio.get_running_loop()).__module__.split(".")[0],
        }

    def _close_all(self) -> None:
        for client in self.clients:
            if client.adapter is not None:
                client.adapter.abort()

    # -- guessing (or echoing) at a fixed open-loop rate ---------------------------------------
    async def _steps(self, t0: float, plan: list[tuple[float, float, float]]) -> dict[str, Any]:
        c = self.config
        order = [client for client in self.clients if client.alive]
        self.rng.shuffle(order)
        n = len(order)
        results: list[StepStats] = []
        await _sleep_until(t0)
        start = t0
        turn = 0
        monotonic = time.monotonic
        for rate, warmup, duration in plan:
            stats = StepStats(rate=rate)
            per_worker = rate / c.workers
            interval = 1.0 / per_worker if per_worker > 0 else float("inf")
            measure_from = start + warmup
            end = measure_from + duration
            k = 0
            due = start
            cpu_before: float | None = None
            window_start = measure_from
            while True:
                now = monotonic()
                if cpu_before is None and now >= measure_from:
                    cpu_before = self_cpu_seconds()
                    window_start = now
                    self.current = stats
                if now >= end:
                    break
                while due <= now and due < end and n:
                    order[turn % n].guess(due, stats if due >= measure_from else None, now)
                    turn += 1
                    k += 1
                    due = start + k * interval
                if not n:
                    due = end
                wake = min(due, end) if cpu_before is not None else min(due, measure_from)
                # Event loop timers have millisecond resolution: shorter sleeps would spin. Guesses
                # that fall due meanwhile go out together at the next tick, late by under a tick,
                # and that lateness is part of their measured latency (see send_lag).
                delay = wake - monotonic()
                await asyncio.sleep(delay if delay > TICK else TICK)
            stats.cpu_seconds = self_cpu_seconds() - (cpu_before if cpu_before is not None else self_cpu_seconds())
            stats.window = monotonic() - window_start
            self.current = None
            results.append(stats)
            start = end
        deadline = time.monotonic() + c.drain
        while time.monotonic() < deadline and any(client.pending for client in order if client.alive):
            await asyncio.sleep(0.02)
        for client in order:
            for item in client.pending:
                if item[1] is not None:
                    item[1].lost += 1
            client.pending.clear()
        matches = sum(len(getattr(client, "matches", ())) for client in self.clients)
        return {"steps": [s.to_wire() for s in results], "matches_seen": matches}

    # -- idle connections ----------------------------------------------------------------------
    async def _hold(self, t0: float, plan: list[tuple[float, float, float]]) -> dict[str, Any]:
        duration = sum(w + d for _, w, d in plan)
        await _sleep_until(t0 + duration)
        return {"held": sum(1 for client in self.clients if client.alive)}

    # -- a burst of findMatch ------------------------------------------------------------------
    async def _matchmake(self, t0: float) -> dict[str, Any]:
        players = [client for client in self.clients if client.alive and isinstance(client, GamePlayer)]
        await _sleep_until(t0)
        sent_at: dict[int, float] = {}
        for player in players:
            player.find_match()
            sent_at[player.index] = time.monotonic()
        deadline = t0 + self.config.match_timeout
        while time.monotonic() < deadline and not all(p.matches or not p.alive for p in players):
            await asyncio.sleep(0.02)
        # Anything arriving a little later (a second matchFound would be a bug) is caught too.
        await asyncio.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        return {
            "players": [
                {"id": p.id, "instance": p.instance, "queued_at": sent_at[p.index],
                 "matches": [(at, room, list(ids)) for at, room, ids in p.matches]}
                for p in players
            ],
        }


async def _sleep_until(when: float) -> None:
    delay = when - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)


def worker_main(config: WorkerConfig, conn: Connection) -> None:
    """Process entry point."""
    raise_fd_limit()
    run: Any = asyncio.run
    if config.loop in ("auto", "uvloop"):
        try:
            import uvloop

            run = uvloop.run
        except ImportError:
            if config.loop == "uvloop":
                raise
    try:
        run(Worker(config, conn).run())
    except KeyboardInterrupt:
        pass
    finally:
        conn.close()
