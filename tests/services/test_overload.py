"""An instance running behind refuses guesses until it catches up, and says so (fake clock)."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_twisted
from support.harness import FakeConnection, Harness
from twisted.python import usage

from lingualeap.app.tap import Options
from lingualeap.domain.commands import CancelMatch, FindMatch, MakeGuess
from lingualeap.domain.errors import GameError
from lingualeap.domain.model import Player

ANA, BEN = Player("u-ana", "Ana"), Player("u-ben", "Ben")


async def in_a_round(h: Harness) -> tuple[str, FakeConnection]:
    ca, _ = h.connect(ANA), h.connect(BEN)
    await h.server.play.handle(ANA, FindMatch("french"))
    await h.server.play.handle(BEN, FindMatch("french"))
    h.advance(2)
    return str(ca.last("matchFound")["roomId"]), ca


@pytest_twisted.ensureDeferred
async def test_guesses_are_refused_while_the_reactor_runs_late_and_taken_once_it_caught_up() -> None:
    h = Harness(round_seconds=60, shed_guesses_after=0.5)
    assert h.server.lag is not None
    h.server.lag.start()
    room_id, ca = await in_a_round(h)
    await h.server.play.handle(ANA, MakeGuess(room_id, "zzzz"))
    h.time.advance(0.8)  # a turn of the reactor took 0.8 s: the next look finds it late ...
    await h.server.play.handle(ANA, MakeGuess(room_id, "zzzz"))  # ... once is a hiccup
    h.time.advance(0.8)  # ... and the next turn too: it is running behind
    with pytest.raises(GameError) as e:
        await h.server.play.handle(ANA, MakeGuess(room_id, "zzzz"))
    assert e.value.code == "unavailable" and "behind" in e.value.message
    with pytest.raises(GameError) as e:  # other commands still run
        await h.server.play.handle(ANA, CancelMatch())
    assert e.value.code == "not_queued"
    metrics = h.server.metrics.render().decode()
    assert "lingualeap_guesses_shed_total 1.0" in metrics
    assert 'lingualeap_guesses_total{outcome="rejected"} 1.0' in metrics
    assert "lingualeap_reactor_lag_seconds 0.75" in metrics
    h.advance(0.1)  # looks on time again: caught up
    await h.server.play.handle(ANA, MakeGuess(room_id, "zzzz"))
    assert len(ca.named("wrongGuess")) == 3  # the refused guess never reached the room
    h.server.lag.stop()


@pytest_twisted.ensureDeferred
async def test_a_hiccup_or_a_switched_off_monitor_refuses_nothing() -> None:
    for shed_after, late in ((0.5, 0.3), (0.5, 5.0), (0.0, 5.0)):
        h = Harness(round_seconds=60, shed_guesses_after=shed_after)
        assert h.server.lag is not None
        h.server.lag.start()
        room_id, ca = await in_a_round(h)
        h.time.advance(late)
        await h.server.play.handle(ANA, MakeGuess(room_id, "zzzz"))
        assert len(ca.named("wrongGuess")) == 1
        h.server.lag.stop()


def test_the_option_tunes_or_switches_off_refusing_guesses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINGUALEAP_JWT_SECRET", "x" * 40)

    def config(*args: str) -> Any:
        options = Options()
        options.parseOptions(list(args))
        return options["config"]

    assert config().shed_guesses_after == 0.5
    assert config("--shed-guesses-after", "0").shed_guesses_after == 0
    assert config("--shed-guesses-after", "2.5").shed_guesses_after == 2.5
    with pytest.raises(usage.UsageError, match="shed-guesses-after"):
        config("--shed-guesses-after", "soon")
