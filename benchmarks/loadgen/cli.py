"""``python -m benchmarks.loadgen``: the coordinator.

It starts the worker processes, waits (with a deadline) until every worker's clients are set
up, picks a common start time, samples the server's CPU and memory from /proc at the edges of
every measurement window, collects the workers' results, merges their histograms and prints a
report (and writes it as JSON with ``--json``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import secrets
import socket
import sys
import time
import urllib.parse
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from . import jsonlib
from .histogram import from_wires, histogram_kind, summary_ms
from .procstat import (
    MachineSample,
    ProcSample,
    cpu_percent,
    machine,
    machine_busy_cores,
    raise_fd_limit,
    sample,
)
from .worker import MODES, TRANSPORTS, WorkerConfig, worker_main

#: A generator process using this share of one core or more is saturated: its figures would
#: measure the generator, not the server.
SATURATION = 0.90


def _floats(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, not {text!r}") from None
    if not values or any(v < 0 for v in values):
        raise argparse.ArgumentTypeError("expected non-negative numbers")
    return values


def _named_pid(text: str) -> tuple[str, int]:
    name, _, pid = text.rpartition("=")
    if not name or not pid.isdigit():
        raise argparse.ArgumentTypeError(f"expected NAME=PID, not {text!r}")
    return name, int(pid)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.loadgen",
        description="Simulate LinguaLeap players over /ws or Socket.IO at a fixed open-loop rate and "
        "report throughput, guess->result latency (corrected for coordinated omission), server CPU/RSS "
        "and the generator's own CPU. Loopback targets only; it stops by itself.",
    )
    p.add_argument("--url", action="append", default=None,
                   help="WebSocket URL (repeatable; players are spread round-robin). "
                        "Default ws://127.0.0.1:8080/ws; for --transport socketio use .../socket.io/")
    p.add_argument("--transport", choices=TRANSPORTS, default="ws",
                   help="ws: LinguaLeap JSON frames; socketio: Engine.IO v4 websocket transport")
    p.add_argument("--mode", choices=MODES, default="load",
                   help="load: players find matches and guess; echo: echo clients (baseline); idle: open "
                        "connections and hold them; matchmaking: a burst of findMatch, check every player "
                        "is matched once")
    p.add_argument("--players", type=int, default=100, help="clients in all (default 100)")
    p.add_argument("--workers", type=int, default=1, help="generator processes (default 1)")
    p.add_argument("--rate", type=_floats, default=[200.0],
                   help="total guesses (or echoes) per second; a comma-separated list runs one step per "
                        "rate on the same connections (default 200)")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds of each step not measured (default 3)")
    p.add_argument("--duration", type=float, default=10.0, help="measured seconds of each step (default 10)")
    p.add_argument("--mix", type=_floats, default=[0.02, 0.08],
                   help="RIGHT,PARTIAL shares of guesses (the rest are wrong); needs --words (default 0.02,0.08)")
    p.add_argument("--words", default=None,
                   help="word bank directory the server uses (e.g. tests/fixtures/words), to know answers")
    p.add_argument("--language", default="french", help="language to play (default french)")
    p.add_argument("--auth", choices=("guest", "register", "login"), default="guest",
                   help="play as guests, or register (POST /api/users) / log in each player first")
    p.add_argument("--connect-concurrency", type=int, default=100,
                   help="handshakes in flight per worker (default 100)")
    p.add_argument("--connect-timeout", type=float, default=10.0, help="seconds per handshake (default 10)")
    p.add_argument("--setup-timeout", type=float, default=60.0,
                   help="seconds for connecting and matching every player (default 60)")
    p.add_argument("--match-timeout", type=float, default=30.0,
                   help="matchmaking mode: seconds to wait for every player's matchFound (default 30)")
    p.add_argument("--drain", type=float, default=3.0,
                   help="seconds to wait for outstanding results after the last step (default 3)")
    p.add_argument("--no-requeue", action="store_true", help="do not look for a new match when one ends")
    p.add_argument("--same-source", action="store_true",
                   help="connect every client from 127.0.0.1 (default: each from its own 127.x.y.z, so "
                        "per-address limits apply per simulated player)")
    p.add_argument("--server-pid", type=int, action="append", default=[],
                   help="PID of a server process to sample (repeatable)")
    p.add_argument("--aux-pid", type=_named_pid, action="append", default=[],
                   help="NAME=PID of another process to sample, e.g. haproxy=123 (repeatable)")
    p.add_argument("--redis", default=None,
                   help="redis://127.0.0.1:PORT/DB of the cluster: rooms' owners are looked up there to "
                        "split latency into same-instance and cross-instance guesses")
    p.add_argument("--loop", choices=("auto", "asyncio", "uvloop"), default="auto",
                   help="event loop of the workers (auto: uvloop when installed)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--json", default=None, help="write the full report as JSON to this file")
    p.add_argument("--quiet", action="store_true", help="print only the JSON report path/summary line")
    return p


@dataclass
class Window:
    step: int
    start: float
    end: float


class Sampler:
    """Samples the server (and auxiliary) processes and the machine at planned instants."""

    def __init__(self, server_pids: list[int], aux: list[tuple[str, int]]) -> None:
        self.server_pids = server_pids
        self.aux = aux
        self.timeline: list[dict[str, Any]] = []

    def take(self) -> dict[str, Any]:
        return {
            "servers": [sample(pid) for pid in self.server_pids],
            "aux": [(name, sample(pid)) for name, pid in self.aux],
            "machine": machine(),
            "at": time.monotonic(),
        }

    def record_rss(self) -> None:
        snap = self.take()
        self.timeline.append({"at": snap["at"], "rss_kb": [s.rss_kb for s in snap["servers"]]})

    @staticmethod
    def compare(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
        servers = [
            {"pid": a.pid, "cpu_percent": round(cpu_percent(b, a), 1), "rss_mb": round(a.rss_kb / 1024, 1),
             "alive": a.alive}
            for b, a in zip(before["servers"], after["servers"])
        ]
        aux = {
            name: {"cpu_percent": round(cpu_percent(b, a), 1), "rss_mb": round(a.rss_kb / 1024, 1)}
            for (name, b), (_, a) in zip(before["aux"], after["aux"])
        }
        m_before: MachineSample = before["machine"]
        m_after: MachineSample = after["machine"]
        return {
            "servers": servers,
            "server_cpu_percent": round(sum(s["cpu_percent"] for s in servers), 1),
            "server_rss_mb": round(sum(s["rss_mb"] for s in servers), 1),
            "aux": aux,
            "machine_busy_cores": round(machine_busy_cores(m_before, m_after), 2),
        }


def redis_owners(url: str, rooms: list[str], timeout: float = 5.0) -> dict[str, str]:
    """``{room: owner instance}`` from the rooms' lease keys (``ll:lease:ROOM`` = 'INSTANCE TOKEN')."""
    parts = urllib.parse.urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("--redis must be on loopback")
    db = int((parts.path or "/0").strip("/") or 0)
    owners: dict[str, str] = {}
    with socket.create_connection((parts.hostname, parts.port or 6379), timeout=timeout) as s:
        commands = [["SELECT", str(db)]] + [["GET", f"ll:lease:{room}"] for room in rooms]
        s.sendall(b"".join(_resp(c) for c in commands))
        reader = s.makefile("rb")
        for i in range(len(commands)):
            value = _read_reply(reader)
            if i and isinstance(value, bytes):
                owners[rooms[i - 1]] = value.decode().split(" ")[0]
    return owners


def _resp(args: list[str]) -> bytes:
    out = [f"*{len(args)}\r\n".encode()]
    for a in args:
        data = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def _read_reply(reader: Any) -> Any:
    line = reader.readline()
    kind, rest = line[:1], line[1:-2]
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = reader.read(n + 2)
        return data[:-2]
    if kind == b"-":
        raise RuntimeError(rest.decode())
    return rest


def run(args: argparse.Namespace) -> dict[str, Any]:
    urls = args.url or ["ws://127.0.0.1:8080/ws"]
    for url in urls:
        host = urllib.parse.urlsplit(url).hostname
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit(f"refusing to load {host}: only loopback targets are allowed")
    if args.mode in ("load", "matchmaking") and args.players % 2:
        raise SystemExit("--players must be even: matches are formed in pairs")
    workers = max(1, min(args.workers, args.players))
    if args.mode in ("load", "echo"):
        per_player = max(args.rate) / max(1, args.players)
        if per_player > 4.5 and args.mode == "load":
            print(f"note: {per_player:.1f} guesses/s per player: servers with a per-user guess limit "
                  "(e.g. 5/s) answer some guesses with rate_limited", file=sys.stderr)
    raise_fd_limit()
    mix = (args.mix + [0.0, 0.0])[:2]
    run_id = "lg" + secrets.token_hex(3)
    configs = [
        WorkerConfig(
            index=w, workers=workers, mode=args.mode, transport=args.transport, urls=urls,
            players=list(range(w, args.players, workers)), language=args.language, words=args.words,
            mix=(mix[0], mix[1]), connect_concurrency=args.connect_concurrency,
            connect_timeout=args.connect_timeout, setup_timeout=args.setup_timeout, auth=args.auth,
            requeue=not args.no_requeue, seed=args.seed, loop=args.loop, run_id=run_id, drain=args.drain,
            match_timeout=args.match_timeout, spread_sources=not args.same_source,
        )
        for w in range(workers)
    ]
    sampler = Sampler(args.server_pid, args.aux_pid)
    baseline = sampler.take()
    context = multiprocessing.get_context("spawn")
    processes = []
    pipes: list[Connection] = []
    for config in configs:
        parent, child = context.Pipe()
        process = context.Process(target=worker_main, args=(config, child), daemon=True,
                                  name=f"loadgen-{config.index}")
        process.start()
        child.close()
        processes.append(process)
        pipes.append(parent)
    try:
        return _coordinate(args, configs, processes, pipes, sampler, baseline, urls)
    finally:
        for pipe in pipes:
            try:
                pipe.send(("stop",))
            except (OSError, BrokenPipeError):
                pass
        for process in processes:
            process.join(10)
            if process.is_alive():
                process.terminate()
                process.join(5)


def _collect(pipes: list[Connection], processes: list[Any], kind: str, deadline: float,
             sampler: Sampler | None = None, plan_times: list[tuple[float, int, str]] | None = None,
             snapshots: dict[tuple[int, str], dict[str, Any]] | None = None) -> list[Any]:
    """Wait for one ``kind`` message per worker, sampling at ``plan_times`` meanwhile."""
    results: list[Any] = [None] * len(pipes)
    pending_times = sorted(plan_times or [])
    next_rss = time.monotonic()
    while any(r is None for r in results):
        now = time.monotonic()
        while pending_times and pending_times[0][0] <= now and sampler is not None and snapshots is not None:
            _, step, edge = pending_times.pop(0)
            snapshots[(step, edge)] = sampler.take()
        if sampler is not None and now >= next_rss:
            sampler.record_rss()
            next_rss = now + 1.0
        if now > deadline:
            missing = [i for i, r in enumerate(results) if r is None]
            raise TimeoutError(f"workers {missing} did not report {kind} in time")
        for i, pipe in enumerate(pipes):
            if results[i] is None and pipe.poll(0):
                try:
                    message = pipe.recv()
                except EOFError:
                    raise RuntimeError(f"worker {i} exited (code {processes[i].exitcode})") from None
                if message[0] == kind:
                    results[i] = message[1]
            if results[i] is None and not processes[i].is_alive() and not pipe.poll(0):
                raise RuntimeError(f"worker {i} exited (code {processes[i].exitcode}) before reporting {kind}")
        wake = min([deadline, next_rss] + [t for t, _, _ in pending_times[:1]])
        timeout = max(0.0, min(0.05, wake - time.monotonic()))
        multiprocessing.connection.wait(pipes, timeout)
    return results


def _coordinate(args: argparse.Namespace, configs: list[WorkerConfig], processes: list[Any],
                pipes: list[Connection], sampler: Sampler, baseline: dict[str, Any], urls: list[str]) -> dict[str, Any]:
    started = time.monotonic()
    readies = _collect(pipes, processes, "ready", started + args.setup_timeout + 30)
    setup_seconds = time.monotonic() - started
    rooms: dict[str, list[str]] = {}
    instances: dict[str, str] = {}
    for ready in readies:
        for room, ids in ready["rooms"].items():
            rooms.setdefault(room, []).extend(ids)
        instances.update(ready["instances"])
    owners: dict[str, str] = {}
    if args.redis and rooms:
        owners = redis_owners(args.redis, sorted(rooms))
    after_setup = sampler.take()
    plan = [(rate, args.warmup, args.duration) for rate in args.rate]
    if args.mode in ("idle", "matchmaking"):
        plan = [(0.0, args.warmup, args.duration)]
    t0 = time.monotonic() + 0.5
    windows = []
    at = t0
    for i, (_, warmup, duration) in enumerate(plan):
        windows.append(Window(i, at + warmup, at + warmup + duration))
        at += warmup + duration
    plan_times = [(w.start, w.step, "start") for w in windows] + [(w.end, w.step, "end") for w in windows]
    if args.mode == "matchmaking":
        plan_times = [(t0, 0, "start")]
    for pipe in pipes:
        pipe.send(("start", t0, plan, owners))
    snapshots: dict[tuple[int, str], dict[str, Any]] = {}
    total = sum(w + d for _, w, d in plan) if args.mode != "matchmaking" else args.match_timeout
    results = _collect(pipes, processes, "result", t0 + total + args.drain + 60, sampler, plan_times, snapshots)
    if args.mode == "matchmaking":
        snapshots[(0, "end")] = sampler.take()

    report: dict[str, Any] = {
        "tool": "benchmarks.loadgen",
        "argv": sys.argv[1:],
        "mode": args.mode,
        "transport": args.transport,
        "urls": urls,
        "players": args.players,
        "workers": len(configs),
        "histogram": histogram_kind(),
        "json": results[0].get("json") if results else jsonlib.NAME,
        "loop": results[0].get("loop") if results else "?",
        "setup_seconds": round(setup_seconds, 2),
        "connections": _connections(readies),
        "alive_at_end": sum(r["alive_at_end"] for r in results),
        "other_errors": _sum_dicts(r["other_errors"] for r in results),
        "closed": _sum_dicts(r["closed"] for r in results),
        "rooms_at_start": len(rooms),
        "cross_instance_rooms": sum(1 for room, ids in rooms.items()
                                    if room in owners and any(instances.get(i) != owners[room] for i in ids)),
        "server_before_connect": Sampler.compare(baseline, after_setup)["servers"],
        "rss_timeline": sampler.timeline,
    }
    report["server_rss_kb_before_connect"] = sum(s.rss_kb for s in baseline["servers"])
    report["server_rss_kb_after_setup"] = sum(s.rss_kb for s in after_setup["servers"])
    if args.mode in ("load", "echo"):
        report["steps"] = [_merge_step(i, results, snapshots) for i in range(len(plan))]
        report["matches_seen"] = sum(r.get("matches_seen", 0) for r in results)
    elif args.mode == "idle":
        end = snapshots.get((0, "end")) or sampler.take()
        held = sum(r["held"] for r in results)
        rss_before = sum(s.rss_kb for s in baseline["servers"])
        rss_after = sum(s.rss_kb for s in end["servers"])
        report["idle"] = {
            "held": held,
            "rss_before_mb": round(rss_before / 1024, 1),
            "rss_after_mb": round(rss_after / 1024, 1),
            "kb_per_connection": round((rss_after - rss_before) / held, 1) if held else None,
            "window": Sampler.compare(snapshots[(0, "start")], end) if (0, "start") in snapshots else None,
        }
    else:
        report["matchmaking"] = _merge_matchmaking(results, snapshots)
    return report


def _connections(readies: list[dict[str, Any]]) -> dict[str, Any]:
    connected = sum(r["connected"] for r in readies)
    first = min(r["connect_started"] for r in readies)
    last = max(r["connect_finished"] for r in readies)
    span = last - first
    handshake = from_wires([r["handshake"] for r in readies])
    return {
        "attempted": sum(r["clients"] for r in readies),
        "connected": connected,
        "ready": sum(r["ready"] for r in readies),
        "failures": _sum_dicts(r["failures"] for r in readies),
        "registered": sum(r["registered"] for r in readies),
        "connect_seconds": round(span, 3),
        "handshakes_per_s": round(connected / span, 1) if span > 0 else None,
        "handshake_ms": summary_ms(handshake),
    }


def _sum_dicts(dicts: Any) -> dict[str, int]:
    total: dict[str, int] = {}
    for d in dicts:
        for k, v in d.items():
            total[k] = total.get(k, 0) + v
    return dict(sorted(total.items()))


def _merge_step(i: int, results: list[dict[str, Any]], snapshots: dict[tuple[int, str], dict[str, Any]]) -> dict[str, Any]:
    steps = [r["steps"][i] for r in results]
    window = max(s["window"] for s in steps) or 1e-9
    latency = from_wires([s["latency"] for s in steps])
    cross = from_wires([s["cross"] for s in steps])
    local = from_wires([s["local"] for s in steps])
    lag = from_wires([s["send_lag"] for s in steps])
    sent = sum(s["sent"] for s in steps)
    answered = sum(s["answered"] for s in steps)
    events = _sum_dicts(s["events"] for s in steps)
    generator = [round(100 * s["cpu_seconds"] / s["window"], 1) if s["window"] else 0.0 for s in steps]
    server = (Sampler.compare(snapshots[(i, "start")], snapshots[(i, "end")])
              if (i, "start") in snapshots and (i, "end") in snapshots else {})
    server_cores = server.get("server_cpu_percent", 0.0) / 100
    answered_per_s = answered / window
    rejected = _sum_dicts(s["rejected"] for s in steps)
    saturated = any(g >= SATURATION * 100 for g in generator)
    return {
        "rate": steps[0]["rate"],
        "window_s": round(window, 2),
        "sent": sent,
        "sent_per_s": round(sent / window, 1),
        "answered": answered,
        "answered_per_s": round(answered_per_s, 1),
        "outcomes": _sum_dicts(s["outcomes"] for s in steps),
        "rejected": rejected,
        "skipped": sum(s["skipped"] for s in steps),
        "lost": sum(s["lost"] for s in steps),
        "latency_ms": summary_ms(latency),
        "cross_instance_ms": summary_ms(cross),
        "same_instance_ms": summary_ms(local),
        "send_lag_ms": summary_ms(lag),
        "events": events,
        "events_per_s": round(sum(events.values()) / window, 1),
        "generator_cpu_percent": generator,
        "generator_saturated": saturated,
        "server": server,
        "per_server_core": round(answered_per_s / server_cores, 1) if server_cores > 0 else None,
        # What the rest of the machine (other users' work) used meanwhile.
        "other_load_cores": round(max(0.0, server.get("machine_busy_cores", 0.0) - server_cores
                                      - sum(a["cpu_percent"] for a in server.get("aux", {}).values()) / 100
                                      - sum(generator) / 100), 2) if server else None,
        "measured_from": snapshots[(i, "start")]["at"] if (i, "start") in snapshots else None,
        "measured_to": snapshots[(i, "end")]["at"] if (i, "end") in snapshots else None,
    }


def _merge_matchmaking(results: list[dict[str, Any]], snapshots: dict[tuple[int, str], dict[str, Any]]) -> dict[str, Any]:
    players = [p for r in results for p in r["players"]]
    rooms: dict[str, set[str]] = {}
    times = []
    twice = 0
    unmatched = 0
    never: list[dict[str, Any]] = []  # who they were, to look them up in the server logs
    for p in players:
        if not p["matches"]:
            unmatched += 1
            if len(never) < 20:
                never.append({"id": p["id"], "instance": p["instance"]})
            continue
        if len(p["matches"]) > 1:
            twice += 1
        at, room, ids = p["matches"][0]
        times.append(at - p["queued_at"])
        rooms.setdefault(room, set()).update(ids)
    membership: dict[str, int] = {}
    for ids in rooms.values():
        for player_id in ids:
            membership[player_id] = membership.get(player_id, 0) + 1
    in_two_rooms = sum(1 for n in membership.values() if n > 1)
    bad_rooms = sum(1 for ids in rooms.values() if len(ids) != 2)
    from .histogram import new_histogram

    h = new_histogram()
    for t in times:
        h.record(int(t * 1_000_000))
    first_queued = min((p["queued_at"] for p in players), default=0.0)
    last_match = max((p["matches"][0][0] for p in players if p["matches"]), default=first_queued)
    window = (Sampler.compare(snapshots[(0, "start")], snapshots[(0, "end")])
              if (0, "start") in snapshots and (0, "end") in snapshots else {})
    return {
        "players": len(players),
        "matched": len(players) - unmatched,
        "unmatched": unmatched,
        "unmatched_players": never,
        "rooms": len(rooms),
        "matched_twice": twice,
        "in_two_rooms": in_two_rooms,
        "rooms_not_of_two": bad_rooms,
        "all_matched_after_s": round(last_match - first_queued, 3) if not unmatched else None,
        "last_match_after_s": round(last_match - first_queued, 3),
        "match_latency_ms": summary_ms(h),
        "server": window,
    }


def print_report(report: dict[str, Any], out: Any = sys.stdout) -> None:
    c = report["connections"]
    print(f"{report['mode']} over {report['transport']}: {c['connected']}/{c['attempted']} connected "
          f"({c['handshakes_per_s']} handshakes/s, p99 {c['handshake_ms']['p99']} ms), "
          f"{report['workers']} worker(s), loop {report['loop']}, json {report['json']}", file=out)
    if c["failures"]:
        print(f"  connect failures: {c['failures']}", file=out)
    for step in report.get("steps", []):
        lat = step["latency_ms"]
        flag = "  ** GENERATOR SATURATED: not a valid measurement **" if step["generator_saturated"] else ""
        print(f"  rate {step['rate']:.0f}/s: sent {step['sent_per_s']}/s answered {step['answered_per_s']}/s "
              f"p50 {lat['p50']} p95 {lat['p95']} p99 {lat['p99']} max {lat['max']} ms; "
              f"server CPU {step['server'].get('server_cpu_percent')}% RSS {step['server'].get('server_rss_mb')} MB; "
              f"generator CPU {step['generator_cpu_percent']}%{flag}", file=out)
        if step["cross_instance_ms"]["count"]:
            print(f"    cross-instance p99 {step['cross_instance_ms']['p99']} ms "
                  f"({step['cross_instance_ms']['count']}), same-instance p99 {step['same_instance_ms']['p99']} ms",
                  file=out)
        print(f"    outcomes {step['outcomes']} rejected {step['rejected']} skipped {step['skipped']} "
              f"lost {step['lost']} send-lag p99 {step['send_lag_ms']['p99']} ms", file=out)
    if "idle" in report:
        i = report["idle"]
        print(f"  idle: {i['held']} held, RSS {i['rss_before_mb']} -> {i['rss_after_mb']} MB, "
              f"{i['kb_per_connection']} KB/connection", file=out)
    if "matchmaking" in report:
        m = report["matchmaking"]
        print(f"  matchmaking: {m['matched']}/{m['players']} matched in {m['last_match_after_s']} s, "
              f"{m['rooms']} rooms, twice {m['matched_twice']}, rooms not of two {m['rooms_not_of_two']}", file=out)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.players <= 0 or args.workers <= 0:
        raise SystemExit("--players and --workers must be positive")
    report = run(args)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)
    if not args.quiet:
        print_report(report)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
