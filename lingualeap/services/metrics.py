"""Prometheus metrics of one server process, in a registry of its own (tests build many)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
ROUND_BUCKETS = (1, 2, 5, 10, 15, 20, 30, 45, 60, 120)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.connections = Gauge(
            "lingualeap_connections", "Open client connections on this instance", registry=r
        )
        self.connected_players = Gauge(
            "lingualeap_connected_players", "Distinct players connected to this instance", registry=r
        )
        self.active_rooms = Gauge(
            "lingualeap_active_rooms", "Rooms hosted by this instance", registry=r
        )
        self.queued_players = Gauge(
            "lingualeap_queued_players", "Players waiting for a match", ["language"], registry=r
        )
        self.guesses = Counter(
            "lingualeap_guesses", "Guesses judged, by outcome", ["outcome"], registry=r
        )
        self.matches_finished = Counter(
            "lingualeap_matches_finished", "Matches played to the end", registry=r
        )
        self.commands = Counter(
            "lingualeap_commands", "Client commands received, by event and result",
            ["event", "result"], registry=r,
        )
        self.results_outbox = Gauge(
            "lingualeap_results_outbox_depth",
            "Finished match results waiting for the player store (MongoDB) to take them", registry=r,
        )
        self.results_dropped = Counter(
            "lingualeap_results_dropped",
            "Match results lost because the outbox was full while the player store failed", registry=r,
        )
        self.reactor_lag = Gauge(
            "lingualeap_reactor_lag_seconds", "How late this process's timers fired at the last look", registry=r
        )
        self.guesses_shed = Counter(
            "lingualeap_guesses_shed", "Guesses refused because this process was running behind", registry=r
        )
        self.takeovers = Counter(
            "lingualeap_room_takeovers", "Rooms this instance adopted after their owner went away", registry=r
        )
        self.round_duration = Histogram(
            "lingualeap_round_duration_seconds", "How long rounds last",
            buckets=ROUND_BUCKETS, registry=r,
        )
        self.event_latency = Histogram(
            "lingualeap_event_latency_seconds",
            "Time from receiving a client command to having sent its events",
            ["event"], buckets=LATENCY_BUCKETS, registry=r,
        )
        # Labelled children are looked up once: ``labels()`` on every guess showed in profiles.
        self._guess_counters = {o: self.guesses.labels(outcome=o) for o in ("exact", "partial", "wrong", "rejected")}
        self._command_counters: dict[tuple[str, str], Any] = {}
        self._latencies: dict[str, Any] = {}

    def guessed(self, outcome: str) -> None:
        """One guess judged: ``exact``, ``partial``, ``wrong`` or ``rejected``."""
        self._guess_counters[outcome].inc()

    def command_handled(self, event: str, result: str, seconds: float) -> None:
        """A client command and how it ended (``ok`` or an error code), ``seconds`` after it came."""
        counter = self._command_counters.get((event, result))
        if counter is None:
            counter = self._command_counters[(event, result)] = self.commands.labels(event=event, result=result)
        counter.inc()
        latency = self._latencies.get(event)
        if latency is None:
            latency = self._latencies[event] = self.event_latency.labels(event=event)
        latency.observe(seconds)

    def observe_presence(self, connections: int, players: int) -> None:
        self.connections.set(connections)
        self.connected_players.set(players)

    def render(self) -> bytes:
        return generate_latest(self.registry)
