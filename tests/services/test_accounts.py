from __future__ import annotations

import pytest
import pytest_twisted
from support.harness import Harness

from lingualeap.domain.errors import GameError
from lingualeap.services.tokens import TOKEN_TTL


async def code_of(awaitable: object) -> str:
    with pytest.raises(GameError) as e:
        await awaitable  # type: ignore[misc]
    return e.value.code


@pytest_twisted.ensureDeferred
async def test_register_login_and_authenticate() -> None:
    h = Harness()
    accounts = h.server.accounts
    session = await accounts.register("Ana", "Ana@Example.com", "password123")
    assert session.user.email == "ana@example.com"
    assert session.user.password_hash.startswith("$2b$") and "password123" not in session.user.password_hash
    user, _ = await accounts.authenticate(session.token)
    assert user.id == session.user.id
    again = await accounts.login("ANA@example.com ", "password123")
    assert again.user.id == session.user.id
    assert await code_of(accounts.login("ana@example.com", "wrong-password")) == "bad_credentials"
    assert await code_of(accounts.login("nobody@example.com", "password123")) == "bad_credentials"


@pytest_twisted.ensureDeferred
async def test_names_and_emails_are_unique_case_insensitively() -> None:
    h = Harness()
    await h.server.accounts.register("Ana", "ana@example.com", "password123")
    assert await code_of(h.server.accounts.register("ANA", "other@example.com", "password123")) == "user_exists"
    assert await code_of(h.server.accounts.register("Other", "ANA@example.com", "password123")) == "user_exists"


@pytest_twisted.ensureDeferred
async def test_logout_revokes_the_token_but_not_other_sessions() -> None:
    h = Harness()
    first = await h.server.accounts.register("Ana", "ana@example.com", "password123")
    second = await h.server.accounts.login("ana@example.com", "password123")
    await h.server.accounts.logout(first.claims)
    assert await code_of(h.server.accounts.authenticate(first.token)) == "unauthorized"
    await h.server.accounts.authenticate(second.token)


@pytest_twisted.ensureDeferred
async def test_tokens_expire_on_the_server_clock() -> None:
    h = Harness()
    session = await h.server.accounts.register("Ana", "ana@example.com", "password123")
    h.advance(TOKEN_TTL - 1)
    await h.server.accounts.authenticate(session.token)
    h.advance(2)
    assert await code_of(h.server.accounts.authenticate(session.token)) == "unauthorized"


@pytest_twisted.ensureDeferred
async def test_tampered_and_foreign_tokens_are_refused() -> None:
    import jwt

    h = Harness()
    session = await h.server.accounts.register("Ana", "ana@example.com", "password123")
    head, body, sig = session.token.split(".")
    tampered = f"{head}.{body}.{sig[:-2]}xx"
    forged = jwt.encode({"sub": session.user.id, "jti": "x", "iat": 0, "exp": 2**40,
                         "iss": "lingualeap", "aud": "lingualeap"}, "another-secret-of-enough-length-000", "HS256")
    unsigned = jwt.encode({"sub": session.user.id}, None, algorithm="none")
    for token in (tampered, forged, unsigned, "garbage"):
        assert await code_of(h.server.accounts.authenticate(token)) == "unauthorized"


@pytest_twisted.ensureDeferred
async def test_profile_update_renames_on_the_leaderboard_and_reissues_the_token() -> None:
    h = Harness()
    session = await h.server.accounts.register("Ana", "ana@example.com", "password123")
    await h.server.accounts.grant(session.user, "ana", "daily")
    user, _ = await h.server.accounts.authenticate(session.token)
    renewed = await h.server.accounts.update_profile(user, {"name": "Anita", "password": "new-password-1"})
    assert renewed.user.name == "Anita"
    assert (await h.server.results.global_top(10))[0]["name"] == "Anita"
    await h.server.accounts.login("ana@example.com", "new-password-1")
    assert await code_of(h.server.accounts.update_profile(renewed.user, {"email": "bad"})) == "invalid_field"


@pytest_twisted.ensureDeferred
async def test_xp_grants_are_server_side_own_account_and_once_a_day() -> None:
    h = Harness()
    ana = await h.server.accounts.register("Ana", "ana@example.com", "password123")
    ben = await h.server.accounts.register("Ben", "ben@example.com", "password123")
    assert await code_of(h.server.accounts.grant(ana.user, "Ben", "daily")) == "forbidden"
    assert await code_of(h.server.accounts.grant(ana.user, "Ana", "because")) == "forbidden"
    assert (await h.server.accounts.grant(ana.user, "Ana", "daily"))["totalXP"] == 10
    assert await code_of(h.server.accounts.grant(ana.user, "Ana", "daily")) == "forbidden"
    h.advance(24 * 3600)
    assert (await h.server.accounts.grant(ana.user, "Ana", "daily"))["totalXP"] == 20
    assert (await h.server.accounts.total_xp("Ben"))["totalXP"] == 0
    assert ben


@pytest_twisted.ensureDeferred
async def test_deleting_an_account_only_works_on_your_own() -> None:
    h = Harness()
    ana = await h.server.accounts.register("Ana", "ana@example.com", "password123")
    ben = await h.server.accounts.register("Ben", "ben@example.com", "password123")
    assert await code_of(h.server.accounts.delete(ana.user, ben.user.id)) == "forbidden"
    await h.server.accounts.grant(ana.user, "Ana", "daily")
    await h.server.accounts.delete(ana.user, ana.user.id)
    assert await code_of(h.server.accounts.authenticate(ana.token)) == "unauthorized"
    assert await h.server.results.global_top(10) == []
    assert await code_of(h.server.accounts.total_xp("Ana")) == "unknown_user"
