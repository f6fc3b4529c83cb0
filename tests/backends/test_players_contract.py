from __future__ import annotations

import pytest
import pytest_twisted
from support.ports import Ports
from support.progression_contract import check_progression_compare_and_set

from lingualeap.domain.errors import GameError
from lingualeap.domain.results import MatchResult, PlayerResult
from lingualeap.domain.rating import Rating, rate_match
from lingualeap.ports import LanguageStats, UserRecord


def user(user_id: str, name: str, email: str) -> UserRecord:
    return UserRecord(user_id, name, email, "$2b$04$hash", created_at=1.0, updated_at=1.0)


def match(match_id: str, started_at: float = 10.0) -> MatchResult:
    return MatchResult(match_id, "french", started_at, started_at + 10.0, (
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
async def test_a_private_room_played_again_credits_each_match(ports: Ports) -> None:
    # Private rooms are named by their players and reused: one room id, two matches.
    await ports.players.create_user(user("u-a", "Ana", "ana@example.com"))
    await ports.players.create_user(user("u-b", "Ben", "ben@example.com"))
    assert await ports.players.record_match(match("lisbon", started_at=10.0))
    assert await ports.players.record_match(match("lisbon", started_at=500.0))
    assert not await ports.players.record_match(match("lisbon", started_at=500.0))
    ana = await ports.players.user_by_id("u-a")
    assert ana is not None and (ana.total_xp, ana.games_played) == (100, 2)


@pytest_twisted.ensureDeferred
async def test_a_match_rates_registered_players_per_language(ports: Ports) -> None:
    await ports.players.create_user(user("u-a", "Ana", "ana@example.com"))
    await ports.players.create_user(user("u-b", "Ben", "ben@example.com"))
    assert await ports.players.record_match(match("m-1"))
    ana, ben = await ports.players.user_by_id("u-a"), await ports.players.user_by_id("u-b")
    assert ana is not None and ben is not None
    french = ana.stats_for("french")
    assert (french.games, french.wins, french.xp) == (1, 1, 50)
    # Pairwise Glicko-2 over three players (the guest counts as a newcomer, is not kept).
    expected = rate_match({}, [("u-a", 300), ("g-x", 100), ("u-b", 20)])
    assert french.rating == expected["u-a"] and ben.stats_for("french").rating == expected["u-b"]
    assert ana.stats_for("spanish") == LanguageStats("spanish")
    # The next match starts from the stored ratings.
    assert await ports.players.record_match(match("m-2"))
    again = await ports.players.user_by_id("u-a")
    assert again is not None and again.stats_for("french").games == 2
    assert again.stats_for("french").rating == rate_match(
        {"u-a": expected["u-a"], "u-b": expected["u-b"]}, [("u-a", 300), ("g-x", 100), ("u-b", 20)]
    )["u-a"]


@pytest_twisted.ensureDeferred
async def test_a_practice_match_against_a_bot_is_not_rated(ports: Ports) -> None:
    await ports.players.create_user(user("u-a", "Ana", "ana@example.com"))
    practice = MatchResult("p-1", "french", 10.0, 20.0, (
        PlayerResult("u-a", "Ana", False, 300, 50, True),
        PlayerResult("bot-1", "Robo", True, 100, 10, False),
    ), ())
    assert await ports.players.record_match(practice)
    ana = await ports.players.user_by_id("u-a")
    assert ana is not None and ana.total_xp == 50
    assert ana.stats_for("french").games == 1 and ana.stats_for("french").rating == Rating()


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


@pytest_twisted.ensureDeferred
async def test_progression_is_saved_by_compare_and_set(ports: Ports) -> None:
    await check_progression_compare_and_set(ports.players, user("u-a", "Ana", "ana@example.com"))
