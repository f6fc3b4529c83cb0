"""Simulated clients: game players, echo clients and idle connections, over /ws or Socket.IO.

A *codec adapter* sits between the WebSocket (:mod:`.wire`) and a behaviour: it turns frames
into ``(event name, raw payload)`` without parsing JSON when the name is enough (most frames),
and events into frames. Behaviours parse the JSON of the few events they need to read.

Matching a guess to its result: the server answers every accepted guess with a
``correctGuess`` or ``wrongGuess`` naming the guesser in ``player.id``, and a rejected one with
``error``; answers come back in the order guesses were sent on a connection, so each player keeps
a FIFO of its outstanding guesses (intended send time, step, cross-instance flag).
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import jsonlib
from .histogram import Histogram, new_histogram
from .wire import WsClient

WS_PREFIX = b'{"event":"'
SIO_EVENT = b'42["'


# -- statistics --------------------------------------------------------------------------------
@dataclass
class StepStats:
    """Everything measured for the guesses (or echoes) whose intended time fell in one window."""

    rate: float
    latency: Histogram = field(default_factory=new_histogram)
    cross: Histogram = field(default_factory=new_histogram)
    local: Histogram = field(default_factory=new_histogram)
    send_lag: Histogram = field(default_factory=new_histogram)
    sent: int = 0
    answered: int = 0
    skipped: int = 0
    lost: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)
    cpu_seconds: float = 0.0
    window: float = 0.0

    def to_wire(self) -> dict[str, Any]:
        return {
            "rate": self.rate, "latency": self.latency.to_wire(), "cross": self.cross.to_wire(),
            "local": self.local.to_wire(), "send_lag": self.send_lag.to_wire(), "sent": self.sent,
            "answered": self.answered, "skipped": self.skipped, "lost": self.lost,
            "outcomes": self.outcomes, "rejected": self.rejected, "events": self.events,
            "cpu_seconds": self.cpu_seconds, "window": self.window,
        }


class Host(Protocol):
    """What a behaviour needs from the worker that runs it."""

    current: StepStats | None
    requeue: bool
    answers: dict[tuple[str, str], str]
    other_errors: dict[str, int]
    closed: dict[str, int]

    def matched(self, player: GamePlayer, data: dict[str, Any], now: float) -> None: ...


def count_closed(host: Host, reason: str) -> None:
    key = reason[:48]
    host.closed[key] = host.closed.get(key, 0) + 1


def count_event(host: Host, name: bytes) -> None:
    """Count an event by type in the current window's statistics (if one is open)."""
    stats = host.current
    if stats is not None:
        key = name.decode("utf-8", "replace")
        stats.events[key] = stats.events.get(key, 0) + 1


# -- codec adapters ----------------------------------------------------------------------------
class Behaviour(Protocol):
    transport_up: bool

    def opened(self, adapter: Adapter) -> None: ...

    def event(self, name: bytes, payload: bytes, now: float) -> None: ...

    def gone(self, reason: str) -> None: ...


class Adapter:
    """Base: ``send(event, data)``, ``data(payload)``; subclasses know one wire format."""

    ws: WsClient | None = None

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour

    def on_close(self, reason: str) -> None:
        self.behaviour.transport_up = False
        self.behaviour.gone(reason)

    def send_raw(self, payload: bytes) -> None:
        if self.ws is not None:
            self.ws.send(payload)

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()

    def abort(self) -> None:
        if self.ws is not None:
            self.ws.abort()


class WsJsonAdapter(Adapter):
    """LinguaLeap's /ws: ``{"event": NAME, "data": {...}}`` text frames."""

    kind = "ws"

    def on_open(self, ws: WsClient) -> None:
        self.ws = ws
        self.behaviour.transport_up = True
        self.behaviour.opened(self)

    def on_message(self, payload: bytes, received_at: float) -> None:
        if payload.startswith(WS_PREFIX):
            name = payload[10:payload.find(b'"', 10)]
        else:
            try:
                message = jsonlib.loads(payload)
                name = str(message.get("event", "?")).encode() if isinstance(message, dict) else b"?"
            except ValueError:
                name = b"?"
        self.behaviour.event(name, payload, received_at)

    @staticmethod
    def data(payload: bytes) -> Any:
        return jsonlib.loads(payload).get("data") or {}

    def send(self, event: str, data: Any) -> None:
        self.send_raw(b'{"event":"' + event.encode() + b'","data":' + jsonlib.dumps(data) + b"}")

    @staticmethod
    def guess_prefix(room: str) -> bytes:
        return b'{"event":"makeGuess","data":{"roomId":' + jsonlib.dumps(room) + b',"guess":'

    guess_suffix = b"}}"


class SocketIOAdapter(Adapter):
    """Engine.IO v4 / Socket.IO v5 over the websocket transport, main namespace.

    ``0{open}`` → we send ``40{auth}``; ``40{sid}`` means connected; ``2`` (ping) → ``3``;
    events are ``42["name", data]``; ``44`` is a refused connect.
    """

    kind = "socketio"

    def __init__(self, behaviour: Behaviour, auth: dict[str, Any] | None = None) -> None:
        super().__init__(behaviour)
        self.auth = auth
        self.connected = False

    def on_open(self, ws: WsClient) -> None:
        self.ws = ws
        self.behaviour.transport_up = True  # the namespace connect follows: see on_message

    def on_message(self, payload: bytes, received_at: float) -> None:
        if payload.startswith(SIO_EVENT):
            self.behaviour.event(payload[4:payload.find(b'"', 4)], payload, received_at)
            return
        kind = payload[:1]
        if kind == b"2":
            self.send_raw(b"3" + payload[1:])
        elif kind == b"0":
            self.send_raw(b"40" + (jsonlib.dumps(self.auth) if self.auth else b""))
        elif payload.startswith(b"40"):
            self.connected = True
            self.behaviour.opened(self)
        elif payload.startswith(b"44"):
            self.behaviour.event(b"connect_error", b'42["connect_error",' + payload[2:] + b"]", received_at)
            self.close()
        elif payload.startswith(b"41") or kind == b"1":
            self.close()
        elif payload.startswith(b"42"):  # an event on another namespace, or unusual spacing
            try:
                name = str(jsonlib.loads(payload[2:])[0]).encode()
            except (ValueError, IndexError):
                name = b"?"
            self.behaviour.event(name, payload, received_at)

    @staticmethod
    def data(payload: bytes) -> Any:
        items = jsonlib.loads(payload[2:])
        return items[1] if len(items) > 1 else {}

    def send(self, event: str, data: Any) -> None:
        self.send_raw(b"42" + jsonlib.dumps([event, data]))

    @staticmethod
    def guess_prefix(room: str) -> bytes:
        return b'42["makeGuess",{"roomId":' + jsonlib.dumps(room) + b',"guess":'

    guess_suffix = b"}]"


# -- behaviours ----------------------------------------------------------------------------------
class GamePlayer:
    """A player: welcome → findMatch → rounds; guesses when the scheduler says so."""

    def __init__(self, index: int, host: Host, language: str, mix: tuple[float, float],
                 auto_find: bool, rng: random.Random) -> None:
        self.index = index
        self.host = host
        self.language = language
        self.right_share, self.partial_share = mix
        self.auto_find = auto_find
        self.rng = rng
        self.adapter: Any = None
        self.transport_up = False
        self.id = ""
        self.instance = ""
        self.needle = b""
        self.room: str | None = None
        self.answer: str | None = None
        self.hint = ""
        self.in_round = False
        self.welcomed = False
        self.alive = False
        self.cross: bool | None = None
        self.owners: dict[str, str] = {}
        self.prefix = b""
        self.pending: deque[tuple[float, StepStats | None, bool | None]] = deque()
        self.matches: list[tuple[float, str, tuple[str, ...]]] = []
        self.queued_at: float | None = None
        self.closed_reason = ""

    # -- behaviour callbacks ---------------------------------------------------------------
    def opened(self, adapter: Adapter) -> None:
        self.adapter = adapter
        self.alive = True

    def gone(self, reason: str) -> None:
        self.alive = False
        self.in_round = False
        self.closed_reason = reason
        count_closed(self.host, reason)

    def event(self, name: bytes, payload: bytes, now: float) -> None:
        count_event(self.host, name)
        if name == b"wrongGuess":
            if self.needle and self.needle in payload:
                self._answered(now, "wrong")
            elif not self.needle:
                self._slow_result(payload, now, "wrong")
        elif name == b"gameLeaderboardUpdate":
            return
        elif name == b"correctGuess":
            data = self.adapter.data(payload)
            hint = data.get("hint")
            if isinstance(hint, str):
                self.hint = hint
            exact = bool(data.get("exact"))
            if exact:
                self.in_round = False
            player = data.get("player") or {}
            if player.get("id") == self.id:
                self._answered(now, "exact" if exact else "partial")
        elif name == b"newRound":
            data = self.adapter.data(payload)
            self._enter(str(data.get("roomId")))
            self.answer = self.host.answers.get((self.language, str(data.get("translation"))))
            self.hint = str(data.get("hint") or data.get("word") or "")
            self.in_round = True
        elif name == b"roundEnded":
            self.in_round = False
        elif name == b"error":
            data = self.adapter.data(payload)
            code = str(data.get("code"))
            if self.pending and data.get("event") in (None, "makeGuess"):
                intended, step, _ = self.pending.popleft()
                if step is not None:
                    step.rejected[code] = step.rejected.get(code, 0) + 1
            else:
                self.host.other_errors[code] = self.host.other_errors.get(code, 0) + 1
            if code in ("unknown_room", "not_in_room"):
                self.in_round = False
                self.room = None
        elif name == b"welcome":
            data = self.adapter.data(payload)
            player = data.get("player") or {}
            self.id = str(player.get("id", ""))
            self.instance = str(data.get("instance", ""))
            needle = b'"player":{"id":' + jsonlib.dumps(self.id)
            # Only trust the fast byte search if the server writes JSON the way we expect.
            self.needle = needle if needle in payload else b""
            self.welcomed = True
            if self.auto_find:
                self.find_match()
        elif name == b"matchFound":
            data = self.adapter.data(payload)
            room = str(data.get("roomId"))
            self._enter(room)
            ids = tuple(str(p.get("id")) for p in data.get("players") or () if isinstance(p, dict))
            self.matches.append((now, room, ids))
            self.host.matched(self, data, now)
        elif name in (b"matchEnded", b"roomDeleted"):
            self.in_round = False
            self.room = None
            if self.host.requeue and self.alive:
                self.find_match()

    def _enter(self, room: str) -> None:
        if room != self.room:
            self.room = room
            self.prefix = self.adapter.guess_prefix(room)
            owner = self.owners.get(room)
            self.cross = None if owner is None or not self.instance else owner != self.instance

    def _answered(self, now: float, outcome: str) -> None:
        if not self.pending:
            return
        intended, step, cross = self.pending.popleft()
        if step is None:
            return
        step.answered += 1
        step.outcomes[outcome] = step.outcomes.get(outcome, 0) + 1
        micros = int((now - intended) * 1_000_000)
        step.latency.record(micros)
        if cross is True:
            step.cross.record(micros)
        elif cross is False:
            step.local.record(micros)

    def _slow_result(self, payload: bytes, now: float, outcome: str) -> None:
        player = self.adapter.data(payload).get("player") or {}
        if player.get("id") == self.id:
            self._answered(now, outcome)

    # -- commands --------------------------------------------------------------------------
    def find_match(self) -> None:
        self.queued_at = None
        if self.adapter is not None and self.alive:
            self.adapter.send("findMatch", {"language": self.language})

    def guess(self, intended: float, step: StepStats | None, sent_at: float) -> None:
        if not self.in_round or self.room is None or not self.alive:
            if step is not None:
                step.skipped += 1
            return
        answer = self.answer
        r = self.rng.random()
        if answer and r < self.right_share:
            text = answer
        elif answer and r < self.right_share + self.partial_share and "_" in self.hint:
            hidden = [i for i, c in enumerate(self.hint) if c == "_" and i < len(answer)]
            i = self.rng.choice(hidden) if hidden else 0
            text = "#" * i + answer[i] + "#" * (len(answer) - i - 1)
        else:
            text = "#" * max(1, len(self.hint))
        self.adapter.send_raw(self.prefix + jsonlib.dumps(text) + self.adapter.guess_suffix)
        self.pending.append((intended, step, self.cross))
        if step is not None:
            step.sent += 1
            step.send_lag.record(int((sent_at - intended) * 1_000_000))


class EchoClient:
    """Sends a small JSON message and waits for it to come back (echo server, or Socket.IO
    ``message`` → ``message-back`` on the conformance app)."""

    MESSAGE = b'{"event":"makeGuess","data":{"roomId":"m-0123456789abcdef","guess":"#####"}}'

    def __init__(self, index: int, host: Host) -> None:
        self.index = index
        self.host = host
        self.adapter: Any = None
        self.transport_up = False
        self.alive = False
        self.welcomed = False
        self.in_round = False
        self.pending: deque[tuple[float, StepStats | None]] = deque()

    def opened(self, adapter: Adapter) -> None:
        self.adapter = adapter
        self.alive = True
        self.welcomed = True
        self.in_round = True

    def gone(self, reason: str) -> None:
        self.alive = False
        count_closed(self.host, reason)

    def event(self, name: bytes, payload: bytes, now: float) -> None:
        count_event(self.host, name)
        if name in (b"makeGuess", b"message-back") and self.pending:
            intended, step = self.pending.popleft()
            if step is not None:
                step.answered += 1
                step.outcomes["echo"] = step.outcomes.get("echo", 0) + 1
                step.latency.record(int((now - intended) * 1_000_000))

    def guess(self, intended: float, step: StepStats | None, sent_at: float) -> None:
        if not self.alive:
            if step is not None:
                step.skipped += 1
            return
        if isinstance(self.adapter, SocketIOAdapter):
            self.adapter.send_raw(b'42["message",' + self.MESSAGE + b"]")
        else:
            self.adapter.send_raw(self.MESSAGE)
        self.pending.append((intended, step))
        if step is not None:
            step.sent += 1
            step.send_lag.record(int((sent_at - intended) * 1_000_000))


class IdleClient:
    """Connects, reads its welcome (if the server sends one) and stays."""

    def __init__(self, index: int, host: Host, expect_welcome: bool) -> None:
        self.index = index
        self.host = host
        self.adapter: Any = None
        self.transport_up = False
        self.alive = False
        self.welcomed = not expect_welcome
        self.in_round = False
        self.pending: deque[Any] = deque()

    def opened(self, adapter: Adapter) -> None:
        self.adapter = adapter
        self.alive = True

    def gone(self, reason: str) -> None:
        self.alive = False
        count_closed(self.host, reason)

    def event(self, name: bytes, payload: bytes, now: float) -> None:
        if name == b"welcome":
            self.welcomed = True

    def guess(self, intended: float, step: StepStats | None, sent_at: float) -> None:
        if step is not None:
            step.skipped += 1
