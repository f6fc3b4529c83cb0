from __future__ import annotations

import pytest
import pytest_twisted
from support.ports import Ports

from lingualeap.domain.errors import GameError
from lingualeap.domain.results import MatchResult, PlayerResult
from lingualeap.ports import UserRecord


def user(user_id: str, name: str, email: str) -> UserRecord:
    return UserRecord(user_id, name, email, "$2b$04$hash", created_at=1.0, updated_at=1.0)


def match(match_id: str) -> MatchResult:
    return MatchResult(match_id, "french", 10.0, 20.0, (
        PlayerResult("u-a", "Ana", False, 300, 50, True),
        PlayerResult("g-x", "Guest", True, 100, 10, False),
        PlayerResult("u-b", "Ben", False, 20, 2, False),
    ), ())


@pytest_twisted.ensureDeferred
async def test_create_and_find_case_insensitively(ports: Ports) -> None:
    await ports.players.create_user(user("u-a", "Ana", "ana@example.com"))
    for found in (await ports.players.user_by_id("u-a"), await ports.players.user_by_name("ANA"),
                  await ports.players.user_by_email("Ana@Example.com")):
        assert found == user("u-a", "Ana", "ana@example.com")
    assert await ports.players.user_by_name("nobody") is None
    for clash in (user("u-x", "aNa", "x@example.com"), user("u-y", "Other", "ana@example.com")):
        with pytest.raises(GameError) as e:
            await ports.players.create_user(clash)
        assert e.value.code == "user_exists"


@pytest_twisted.ensureDeferred
async def test_update_reindexes_and_refuses_taken_names(ports: Ports) -> None:
    await ports.players.create_user(user("u-a", "Ana", "ana@example.com"))
    await ports.players.create_user(user("u-b", "Ben", "ben@example.com"))
    updated = await ports.players.update_user("u-a", {"name": "Anita", "email": "anita@example.com"})
    assert (updated.name, updated.email) == ("Anita", "anita@example.com")
    assert await ports.players.user_by_name("ana") is None
    assert (await ports.players.user_by_email("anita@example.com")) == updated
    with pytest.raises(GameError) as e:
        await ports.players.update_user("u-a", {"name": "BEN"})
    assert e.value.code == "user_exists"
    with pytest.raises(GameError) as e:
        await ports.players.update_user("u-zzz", {"name": "Zed"})
    assert e.value.code == "unknown_user"
    assert (await ports.players.update_user("u-b", {"token_version": 3})).token_version == 3


@pytest_twisted.ensureDeferred
async def test_a_match_credits_registered_players_once(ports: Ports) -> None:
    await ports.players.create_user(user("u-a", "Ana", "ana@example.com"))
    await ports.players.create_user(user("u-b", "Ben", "ben@example.com"))
    assert await ports.players.record_match(match("m-1"))
    assert not await ports.players.record_match(match("m-1"))
    ana, ben = await ports.players.user_by_id("u-a"), await ports.players.user_by_id("u-b")
    assert ana is not None and (ana.total_xp, ana.games_played, ana.wins) == (50, 1, 1)
    assert ben is not None and (ben.total_xp, ben.games_played, ben.wins) == (2, 1, 0)


@pytest_twisted.ensureDeferred
async def test_grants_are_given_once(ports: Ports) -> None:
    await ports.players.create_user(user("u-a", "Ana", "ana@example.com"))
    granted = await ports.players.grant_xp("u-a", 10, "daily:2026-01-01")
    assert granted is not None and granted.total_xp == 10 and granted.grants == ("daily:2026-01-01",)
    assert await ports.players.grant_xp("u-a", 10, "daily:2026-01-01") is None


@pytest_twisted.ensureDeferred
async def test_delete_frees_the_name(ports: Ports) -> None:
    await ports.players.create_user(user("u-a", "Ana", "ana@example.com"))
    assert await ports.players.delete_user("u-a")
    assert not await ports.players.delete_user("u-a")
    assert await ports.players.user_by_id("u-a") is None
    await ports.players.create_user(user("u-c", "Ana", "ana@example.com"))
