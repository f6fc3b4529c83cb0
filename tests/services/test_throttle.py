"""Limits at the service level, on a fake clock: logins with growing delays, per-user commands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
import pytest_twisted
from support.harness import Harness
from twisted.internet.task import Clock

from lingualeap.backends.memory.ratelimit import MemoryRateLimiter
from lingualeap.clock import ReactorClock
from lingualeap.domain.commands import CancelMatch, FindMatch, MakeGuess
from lingualeap.domain.errors import GameError, RateLimited
from lingualeap.domain.model import Player
from lingualeap.domain.ratelimit import Backoff, Decision, Rate
from lingualeap.services.throttle import Limits, Throttle, address_key

IP, OTHER_IP = "203.0.113.5", "198.51.100.9"


async def limited(awaitable: Any) -> float:
    with pytest.raises(RateLimited) as e:
        await awaitable
    assert e.value.code == "rate_limited"
    return e.value.retry_after


async def code_of(awaitable: Any) -> str:
    with pytest.raises(GameError) as e:
        await awaitable
    return e.value.code


@pytest_twisted.ensureDeferred
async def test_failed_logins_lock_the_account_for_growing_delays() -> None:
    h = Harness(limits=Limits(login_account=Backoff(free=3, base=1, maximum=8, window=900)))
    accounts = h.server.accounts
    await accounts.register("Ana", "ana@example.com", "password123", address=IP)
    for _ in range(3):  # the first failures are free
        assert await code_of(accounts.login("ana@example.com", "wrong-one", address=IP)) == "bad_credentials"
    assert await code_of(accounts.login("ana@example.com", "wrong-one", address=IP)) == "bad_credentials"
    # Locked now, even with the right password and from another address, for 1 s, then 2, 4, 8, 8.
    for expected in (1, 2, 4, 8, 8):
        assert await limited(accounts.login("ANA@example.com", "password123", address=OTHER_IP)) == pytest.approx(expected)
        h.advance(expected)
        assert await code_of(accounts.login("ana@example.com", "wrong-one", address=IP)) == "bad_credentials"
    h.advance(8)
    session = await accounts.login("ana@example.com", "password123", address=IP)
    assert session.user.name == "Ana"
    # Success forgives the account: the next mistakes are free again.
    assert await code_of(accounts.login("ana@example.com", "wrong-one", address=IP)) == "bad_credentials"
    await accounts.login("ana@example.com", "password123", address=IP)


@pytest_twisted.ensureDeferred
async def test_an_address_trying_many_accounts_is_locked_out_too() -> None:
    h = Harness(limits=Limits(login_ip=Backoff(free=4, base=2, maximum=60, window=900)))
    accounts = h.server.accounts
    for i in range(4):  # unknown accounts: each has its own (free) record; the address adds up
        assert await code_of(accounts.login(f"user{i}@example.com", "password123", address=IP)) == "bad_credentials"
    assert await code_of(accounts.login("user9@example.com", "password123", address=IP)) == "bad_credentials"
    assert await limited(accounts.login("user10@example.com", "password123", address=IP)) == pytest.approx(2)
    # Another address is not affected.
    assert await code_of(accounts.login("user10@example.com", "password123", address=OTHER_IP)) == "bad_credentials"


@pytest_twisted.ensureDeferred
async def test_login_and_registration_attempts_per_address_are_rate_limited() -> None:
    h = Harness(limits=Limits(logins=Rate(0.5, 3)))
    accounts = h.server.accounts
    for i in range(3):
        await accounts.register(f"user{i}", f"user{i}@example.com", "password123", address=IP)
    retry = await limited(accounts.register("user3", "user3@example.com", "password123", address=IP))
    assert retry == pytest.approx(2)
    await accounts.register("user3", "user3@example.com", "password123", address=OTHER_IP)
    h.advance(2)
    await accounts.login("user0@example.com", "password123", address=IP)
    # Without an address (internal callers, tests) nothing is limited.
    for _ in range(5):
        await accounts.login("user0@example.com", "password123")


@pytest_twisted.ensureDeferred
async def test_commands_are_limited_per_user_and_guesses_on_their_own() -> None:
    h = Harness(limits=Limits(user_events=Rate(10, 6), guesses=Rate(1, 2)))
    ana, ben = Player("u-ana", "Ana"), Player("u-ben", "Ben")
    play = h.server.play
    guess = MakeGuess(room_id="nowhere", guess="x")
    for _ in range(2):
        assert await code_of(play.handle(ana, guess)) == "unknown_room"
    assert await limited(play.handle(ana, guess)) == pytest.approx(1)
    # Other commands still have the user allowance left: 6 in all, 3 spent on guess attempts.
    for _ in range(3):
        assert await code_of(play.handle(ana, CancelMatch())) == "not_queued"
    assert await limited(play.handle(ana, CancelMatch())) == pytest.approx(0.1)
    assert await code_of(play.handle(ben, guess)) == "unknown_room"  # others are unaffected


@pytest_twisted.ensureDeferred
async def test_guesses_in_the_players_own_room_are_limited_by_the_room_host() -> None:
    h = Harness(limits=Limits(user_events=Rate(10, 3), guesses=Rate(1, 2)), round_seconds=60)
    ana, ben = Player("u-ana", "Ana"), Player("u-ben", "Ben")
    play = h.server.play
    ca, _ = h.connect(ana), h.connect(ben)
    await play.handle(ana, FindMatch("french"))
    await play.handle(ben, FindMatch("french"))
    room_id = ca.last("matchFound")["roomId"]
    h.advance(2)  # the first round starts
    for _ in range(2):
        await play.handle(ana, MakeGuess(room_id, "zzzz"))
    assert len(ca.named("wrongGuess")) == 2
    assert await limited(play.handle(ana, MakeGuess(room_id, "zzzz"))) == pytest.approx(1)
    assert len(ca.named("wrongGuess")) == 2  # the refused guess never reached the rules
    await play.handle(ben, MakeGuess(room_id, "zzzz"))  # each player has their own allowance
    # The guesses did not spend the user's allowance for other commands (3 of them).
    for _ in range(3):
        assert await code_of(play.handle(ana, CancelMatch())) == "not_queued"
    assert await limited(play.handle(ana, CancelMatch())) == pytest.approx(0.1)
    h.advance(1)
    await play.handle(ana, MakeGuess(room_id, "zzzz"))
    assert len(ca.named("wrongGuess")) == 4  # Ben's and Ana's guesses after the wait


class Unreachable:
    """A shared limiter whose store is down."""

    async def take(self, key: str, rate: Rate, cost: float = 1.0) -> Decision:
        raise GameError("unavailable", "the shared store is unreachable")

    async def take_each(self, buckets: Sequence[tuple[str, Rate]]) -> list[Decision]:
        raise GameError("unavailable", "the shared store is unreachable")

    async def penalty(self, key: str) -> float:
        raise GameError("unavailable", "the shared store is unreachable")

    async def fail(self, key: str, backoff: Backoff) -> float:
        raise ConnectionError("lost")

    async def forgive(self, key: str) -> None:
        raise GameError("unavailable", "the shared store is unreachable")


@pytest_twisted.ensureDeferred
async def test_limits_fall_back_to_this_instance_when_the_store_is_away() -> None:
    time = Clock()
    clock = ReactorClock(time)
    throttle = Throttle(Unreachable(), Limits(connections=Rate(1, 2), login_account=Backoff(0, 5, 5, 60)),
                        clock, fallback=MemoryRateLimiter(clock))
    await throttle.connection(IP)
    await throttle.connection(IP)
    assert await limited(throttle.connection(IP)) == pytest.approx(1)
    assert await throttle.login_failed(IP, "ana@example.com") == 5
    assert await limited(throttle.login_attempt(IP, "ana@example.com")) == pytest.approx(5)
    await throttle.login_succeeded("ana@example.com")


def test_ipv6_clients_are_limited_by_their_slash_64() -> None:
    assert address_key("2001:db8::1") == address_key("2001:db8::ffff:1") == "2001:db8::/64"
    assert address_key("2001:db8:0:1::1") != address_key("2001:db8::1")
    assert address_key("203.0.113.5") == "203.0.113.5"
    assert address_key("unknown") == "unknown"


@pytest_twisted.ensureDeferred
async def test_limits_are_off_when_set_to_none() -> None:
    clock = ReactorClock(Clock())
    throttle = Throttle(MemoryRateLimiter(clock), Limits(http=None), clock)
    for _ in range(1000):
        await throttle.http_request(IP)
