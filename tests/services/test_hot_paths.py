"""The per-guess and periodic work of a hosted room, trimmed where benchmarks/RESULTS.md measured it:
timers kept when their deadline stays, room leaderboards read from the live room rather than
written on every guess, lease renewals in one call, no ownership look-ups for rooms hosted here."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_twisted
from support.harness import FakeConnection, Harness

from lingualeap.domain.commands import FindMatch, MakeGuess
from lingualeap.domain.model import Player
from lingualeap.domain.room import RoomState
from lingualeap.ports import Lease
from lingualeap.services.room_host import LEASE_RENEW_INTERVAL

ANA = Player("u-ana", "Ana")
BEN = Player("u-ben", "Ben")
CAT = Player("u-cat", "Cat")
DAN = Player("u-dan", "Dan")


async def playing(h: Harness, a: Player, b: Player) -> tuple[str, FakeConnection]:
    ca, _ = h.connect(a), h.connect(b)
    await h.server.play.handle(a, FindMatch("french"))
    await h.server.play.handle(b, FindMatch("french"))
    room_id = ca.last("matchFound")["roomId"]
    h.advance(2)  # the first round starts
    return room_id, ca


def room_timers(h: Harness) -> list[Any]:
    return [call for call in h.time.getDelayedCalls() if getattr(call.func, "__name__", "") == "_wake"]


@pytest_twisted.ensureDeferred
async def test_a_wrong_guess_keeps_the_rooms_timer_and_the_round_still_ends_on_time() -> None:
    h = Harness(round_seconds=30)
    room_id, ca = await playing(h, ANA, BEN)
    [timer] = room_timers(h)
    deadline = timer.getTime()
    for _ in range(5):
        await h.server.play.handle(ANA, MakeGuess(room_id, "zzzz"))
    assert room_timers(h) == [timer] and timer.active() and timer.getTime() == deadline
    h.advance(deadline - h.time.seconds() - 0.01)
    assert "roundEnded" not in ca.names()
    h.advance(0.25)
    assert ca.last("roundEnded")["winner"] is None


@pytest_twisted.ensureDeferred
async def test_a_right_guess_moves_the_timer() -> None:
    h = Harness(round_seconds=30)
    room_id, ca = await playing(h, ANA, BEN)
    [timer] = room_timers(h)
    state = h.server.game.room(room_id)
    assert state is not None and state.current_word is not None
    await h.server.play.handle(ANA, MakeGuess(room_id, state.current_word.answer))
    assert ca.last("roundEnded")["winner"] == ANA.public()
    [after] = room_timers(h)
    assert after is not timer and not timer.active() and after.getTime() < timer.getTime()


@pytest_twisted.ensureDeferred
async def test_a_live_rooms_leaderboard_is_read_from_its_state_not_written_per_guess(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h = Harness(round_seconds=30, rounds=1)
    room_id, _ = await playing(h, ANA, BEN)
    written: list[RoomState] = []
    original = h.server.results.room_scores

    async def room_scores(state: RoomState) -> None:
        written.append(state)
        await original(state)

    monkeypatch.setattr(h.server.results, "room_scores", room_scores)
    await h.server.play.handle(ANA, MakeGuess(room_id, "zzzz"))
    state = h.server.game.room(room_id)
    assert state is not None and state.current_word is not None
    await h.server.play.handle(BEN, MakeGuess(room_id, state.current_word.answer[:-1] + "#"))
    h.advance(1)
    assert written == []
    live = h.server.game.room(room_id)
    assert live is not None and live.scores[BEN.id] > live.scores.get(ANA.id, 0)
    expected = [{"name": s.player.username, "score": s.score} for s in live.standings()]
    assert await h.server.results.room_top(room_id) == expected
    h.advance(30)  # the only round ends, and the match with it
    await h.settle()
    assert h.server.game.room(room_id) is None and [s.room_id for s in written] == [room_id]
    assert await h.server.results.room_top(room_id) == expected  # the board the room left


@pytest_twisted.ensureDeferred
async def test_all_hosted_leases_are_renewed_in_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    h = Harness()
    await playing(h, ANA, BEN)
    await playing(h, CAT, DAN)
    leases = h.server.backends.leases
    calls: list[list[Lease]] = []
    original = leases.renew_all

    async def renew_all(batch: list[Lease]) -> list[bool]:
        calls.append(list(batch))
        return await original(batch)

    async def renew(lease: Lease) -> bool:
        raise AssertionError("renewed one by one")

    monkeypatch.setattr(leases, "renew_all", renew_all)
    monkeypatch.setattr(leases, "renew", renew)
    h.server.host.start()
    try:
        h.advance(LEASE_RENEW_INTERVAL)
        await h.settle()
        assert [len(batch) for batch in calls] == [2]
        # A lease found lost drops its room here.
        lost = calls[0][0]
        await leases.release(lost)
        h.advance(LEASE_RENEW_INTERVAL)
        await h.settle()
        assert not h.server.host.owns(lost.room_id) and h.server.host.count() == 1
    finally:
        await h.server.host.stop()


@pytest_twisted.ensureDeferred
async def test_the_orphan_check_does_not_ask_who_owns_rooms_hosted_here(monkeypatch: pytest.MonkeyPatch) -> None:
    h = Harness()
    room_id, _ = await playing(h, ANA, BEN)
    asked: list[str] = []
    original = h.server.backends.leases.owner

    async def owner(room: str) -> str | None:
        asked.append(room)
        return await original(room)

    monkeypatch.setattr(h.server.backends.leases, "owner", owner)
    h.server.game.start(h.server.clock, interval=1.0)
    try:
        h.advance(3)
        assert h.server.host.owns(room_id) and asked == []
    finally:
        h.server.game.stop()
