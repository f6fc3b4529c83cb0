"""Tokens an attacker might try: every kind is refused; rotation keeps listed keys working."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import jwt
import pytest
import pytest_twisted
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from support.harness import Harness
from twisted.internet.task import Clock

from lingualeap.clock import ReactorClock
from lingualeap.domain.errors import GameError
from lingualeap.services.tokens import TokenService, derived_kid, parse_key

OLD = "old-secret-0123456789-0123456789-0123456789"
NEW = "new-secret-0123456789-0123456789-0123456789"


def service(*keys: tuple[str, str], clock: Clock | None = None) -> TokenService:
    time = clock or Clock()
    if clock is None:
        time.advance(1_700_000_000)
    return TokenService(list(keys), ReactorClock(time))


def refused(tokens: TokenService, token: str) -> str:
    with pytest.raises(GameError) as e:
        tokens.verify(token)
    assert e.value.code == "unauthorized"
    return e.value.message.lower()


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_made(header: dict[str, Any], payload: dict[str, Any], key: bytes) -> str:
    """A token signed with HMAC-SHA256 under ``key`` whatever the header claims."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def claims(**overrides: Any) -> dict[str, Any]:
    base = {"sub": "u-1", "jti": "j", "ver": 0, "iat": 1_700_000_000, "exp": 1_700_003_600,
            "iss": "lingualeap", "aud": "lingualeap"}
    return {**base, **overrides}


def test_tokens_name_their_key_and_rotation_keeps_listed_keys_valid() -> None:
    before = service(("v1", OLD))
    token, _ = before.issue("u-1", "Ana", 0)
    assert jwt.get_unverified_header(token)["kid"] == "v1"
    rotated = service(("v2", NEW), ("v1", OLD))  # new key signs, old one still verifies
    assert rotated.verify(token).user_id == "u-1"
    fresh, _ = rotated.issue("u-1", "Ana", 0)
    assert jwt.get_unverified_header(fresh)["kid"] == "v2"
    assert "unknown key id" in refused(before, fresh)  # an instance not yet told about v2
    retired = service(("v2", NEW))  # once v1 tokens have expired, v1 is dropped
    assert "unknown key id" in refused(retired, token)
    assert retired.verify(fresh).user_id == "u-1"


def test_a_bare_secret_gets_a_stable_derived_key_id() -> None:
    assert parse_key(OLD).kid == derived_kid(OLD) == parse_key(OLD).kid
    assert parse_key(f"v7:{NEW}").kid == "v7" and parse_key(f"v7:{NEW}").secret == NEW
    one, two = TokenService(OLD, ReactorClock(Clock())), TokenService(OLD, ReactorClock(Clock()))
    assert one.signing_kid == two.signing_kid  # instances sharing a secret agree


def test_alg_none_and_other_algorithms_are_refused() -> None:
    tokens = service(("v1", OLD))
    unsigned = jwt.encode(claims(), None, algorithm="none", headers={"kid": "v1"})
    assert "algorithm" in refused(tokens, unsigned)
    assert "algorithm" in refused(tokens, unsigned.rsplit(".", 1)[0] + ".")
    hs512 = jwt.encode(claims(), OLD, algorithm="HS512", headers={"kid": "v1"})
    assert "algorithm" in refused(tokens, hs512)
    # "None" spelt otherwise does not slip through either.
    for alg in ("NONE", "nOnE", "hs256"):
        assert "algorithm" in refused(tokens, hand_made({"alg": alg, "kid": "v1"}, claims(), OLD.encode()))


def test_hs_rs_confusion_is_refused() -> None:
    tokens = service(("v1", OLD))
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    rs256 = jwt.encode(claims(), private, algorithm="RS256", headers={"kid": "v1"})
    assert "algorithm" in refused(tokens, rs256)
    # The classic attack: sign HS256 with the server's public key as the HMAC secret.
    confused = hand_made({"alg": "HS256", "typ": "JWT", "kid": "v1"}, claims(), public_pem)
    assert "signature" in refused(tokens, confused)


def test_wrong_audience_issuer_missing_claims_and_tampering_are_refused() -> None:
    tokens = service(("v1", OLD))
    sign = lambda payload: jwt.encode(payload, OLD, algorithm="HS256", headers={"kid": "v1"})  # noqa: E731
    assert "audience" in refused(tokens, sign(claims(aud="someone-else")))
    assert "issuer" in refused(tokens, sign(claims(iss="evil")))
    without_exp = claims()
    del without_exp["exp"]
    assert "exp" in refused(tokens, sign(without_exp))
    good, _ = tokens.issue("u-1", "Ana", 0)
    head, body, signature = good.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=="))
    payload["sub"] = "u-admin"
    forged_body = b64(json.dumps(payload).encode())
    assert "signature" in refused(tokens, f"{head}.{forged_body}.{signature}")
    assert refused(tokens, f"{head}.{body}.{signature[:-3]}AAA")
    for kid in (None, 7, ["v1"], "../../etc/passwd"):
        header = {"alg": "HS256"} if kid is None else {"alg": "HS256", "kid": kid}
        assert "key id" in refused(tokens, hand_made(header, claims(), OLD.encode()))
    for garbage in ("", "a.b", "a.b.c", "x" * 5000, "eyJhbGciOiJIUzI1NiJ9.e30."):
        refused(tokens, garbage)


def test_expiry_follows_the_server_clock() -> None:
    time = Clock()
    time.advance(1_700_000_000)
    tokens = service(("v1", OLD), clock=time)
    token, issued = tokens.issue("u-1", "Ana", 0)
    time.advance(issued.expires_at - time.seconds() - 1)
    tokens.verify(token)
    time.advance(1)
    assert "expired" in refused(tokens, token)


async def code_of(awaitable: Any) -> str:
    with pytest.raises(GameError) as e:
        await awaitable
    return e.value.code


@pytest_twisted.ensureDeferred
async def test_a_password_change_revokes_every_older_token_everywhere() -> None:
    h = Harness()
    accounts = h.server.accounts
    first = await accounts.register("Ana", "ana@example.com", "password123")
    second = await accounts.login("ana@example.com", "password123")
    user, _ = await accounts.authenticate(first.token)
    changed = await accounts.update_profile(user, {"password": "another-password-1"})
    assert changed.user.token_version == user.token_version + 1
    for old in (first.token, second.token):
        assert await code_of(accounts.authenticate(old)) == "unauthorized"
    await accounts.authenticate(changed.token)  # the session that changed it carries on
    renamed = await accounts.update_profile(changed.user, {"name": "Anita"})
    await accounts.authenticate(changed.token)  # other changes do not log anyone out
    assert renamed.user.token_version == changed.user.token_version


@pytest_twisted.ensureDeferred
async def test_logout_everywhere_revokes_every_token_of_the_account() -> None:
    h = Harness()
    accounts = h.server.accounts
    phone = await accounts.register("Ana", "ana@example.com", "password123")
    laptop = await accounts.login("ana@example.com", "password123")
    bob = await accounts.register("Bob", "bob@example.com", "password123")
    user, claims_ = await accounts.authenticate(laptop.token)
    await accounts.logout_everywhere(user, claims_)
    for token in (phone.token, laptop.token):
        assert await code_of(accounts.authenticate(token)) == "unauthorized"
    await accounts.authenticate(bob.token)
    again = await accounts.login("ana@example.com", "password123")
    await accounts.authenticate(again.token)  # logging in again works


def test_guest_tokens_and_account_tokens_are_not_interchangeable() -> None:
    tokens = service(("v1", OLD))
    guest = tokens.issue_guest("g-1234", "Guest-1234")
    assert tokens.verify_guest(guest).user_id == "g-1234"
    assert "audience" in refused(tokens, guest)
    account, _ = tokens.issue("u-1", "Ana", 0)
    with pytest.raises(GameError):
        tokens.verify_guest(account)
    # Even signed by us, a guest token must name a guest.
    with pytest.raises(GameError):
        tokens.verify_guest(tokens.issue_guest("u-1", "Ana"))
