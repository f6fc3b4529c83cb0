"""Unit checks of the load generator's pieces: histograms, WebSocket framing, result matching."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest

from benchmarks.loadgen import histogram as hist
from benchmarks.loadgen import players, wire


def test_log_histogram_percentiles_are_within_one_percent() -> None:
    rng = random.Random(7)
    values = sorted(int(rng.expovariate(1 / 3000)) for _ in range(50_000))
    h = hist.LogHistogram()
    for v in values:
        h.record(v)
    for p in (50, 90, 99, 99.9):
        exact = values[int(p / 100 * len(values)) - 1]
        assert exact <= h.percentile(p) <= exact * 1.01 + 1
    assert h.max == values[-1] and h.count == len(values)


def test_log_histograms_merge_through_their_wire_form() -> None:
    a, b = hist.LogHistogram(), hist.LogHistogram()
    for v in range(1000):
        a.record(v)
        b.record(v + 1000)
    merged = hist.from_wires([a.to_wire(), b.to_wire()])
    assert merged.count == 2000 and merged.max == 1999
    assert 990 <= merged.percentile(50) <= 1010


def test_every_value_falls_in_a_bucket_whose_highest_value_covers_it() -> None:
    for v in [0, 1, 255, 256, 257, 511, 512, 4095, 10**6, 10**9]:
        index = hist.bucket_of(v)
        assert hist.highest_of(index) >= v
        assert index < hist.EXACT or hist.highest_of(index - 1) < v


def test_masking_is_its_own_inverse() -> None:
    payload = "{\"guess\":\"élève\"}".encode()
    key = b"\x01\x02\x03\x04"
    masked = wire.mask_payload(payload, key)
    assert masked != payload and wire.mask_payload(masked, key) == payload


class Recorder:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    def on_open(self, ws: Any) -> None:
        pass

    def on_message(self, payload: bytes, received_at: float) -> None:
        self.messages.append(payload)

    def on_close(self, reason: str) -> None:
        pass


def _server_frame(payload: bytes, opcode: int = 1, fin: bool = True) -> bytes:
    n = len(payload)
    head = bytes([(0x80 if fin else 0) | opcode])
    if n < 126:
        head += bytes([n])
    elif n < 65536:
        head += bytes([126]) + n.to_bytes(2, "big")
    else:
        head += bytes([127]) + n.to_bytes(8, "big")
    return head + payload


def _chunks(data: bytes, rng: random.Random) -> Iterator[bytes]:
    i = 0
    while i < len(data):
        step = rng.randint(1, 50)
        yield data[i:i + step]
        i += step


@pytest.mark.parametrize("size", [5, 125, 126, 300, 70_000])
def test_frames_split_anywhere_are_reassembled(size: int) -> None:
    client = object.__new__(wire.WsClient)
    recorder = Recorder()
    client.handler = recorder
    client._buf = b""
    client._fragments = []
    client.frames_in = 0
    client.bytes_in = 0
    client.open = True
    body = bytes(random.Random(size).randrange(32, 127) for _ in range(size))
    stream = _server_frame(body) + _server_frame(b"ab", fin=False) + _server_frame(b"cd", opcode=0)
    for chunk in _chunks(stream, random.Random(1)):
        client.data_received(chunk)
    assert recorder.messages == [body, b"abcd"]


class FakeAdapter:
    data = staticmethod(players.WsJsonAdapter.data)
    guess_prefix = staticmethod(players.WsJsonAdapter.guess_prefix)
    guess_suffix = players.WsJsonAdapter.guess_suffix

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def send_raw(self, payload: bytes) -> None:
        self.sent.append(payload)

    def send(self, event: str, data: Any) -> None:
        self.sent.append(event.encode())


class FakeHost:
    def __init__(self) -> None:
        self.current: players.StepStats | None = None
        self.requeue = False
        self.answers = {("french", "house"): "maison"}
        self.other_errors: dict[str, int] = {}
        self.closed: dict[str, int] = {}

    def matched(self, player: Any, data: Any, now: float) -> None:
        pass


def test_a_player_matches_its_own_results_in_order_and_counts_rejections() -> None:
    host = FakeHost()
    player = players.GamePlayer(0, host, "french", (0.0, 0.0), auto_find=False, rng=random.Random(1))
    adapter = FakeAdapter()
    player.opened(adapter)  # type: ignore[arg-type]
    player.event(b"welcome", b'{"event":"welcome","data":{"player":{"id":"g-1","username":"a"}}}', 0.0)
    player.event(b"newRound", b'{"event":"newRound","data":{"roomId":"m-1","translation":"house",'
                              b'"hint":"______"}}', 0.0)
    assert player.in_round and player.answer == "maison"
    step = players.StepStats(rate=1)
    player.guess(1.0, step, 1.0)
    player.guess(1.1, step, 1.1)
    player.guess(1.2, step, 1.2)
    assert adapter.sent[-1] == b'{"event":"makeGuess","data":{"roomId":"m-1","guess":"######"}}'
    # Somebody else's result is not ours; ours are taken in order.
    player.event(b"wrongGuess", b'{"event":"wrongGuess","data":{"player":{"id":"g-2","username":"b"}}}', 1.5)
    assert step.answered == 0
    player.event(b"wrongGuess", b'{"event":"wrongGuess","data":{"player":{"id":"g-1","username":"a"}}}', 1.5)
    player.event(b"correctGuess", b'{"event":"correctGuess","data":{"exact":false,"hint":"m_____",'
                                  b'"player":{"id":"g-1","username":"a"}}}', 1.6)
    player.event(b"error", b'{"event":"error","data":{"code":"no_round","event":"makeGuess"}}', 1.7)
    assert step.answered == 2 and step.outcomes == {"wrong": 1, "partial": 1}
    assert step.rejected == {"no_round": 1} and not player.pending
    assert step.latency.count == 2 and step.latency.max == 500_000
