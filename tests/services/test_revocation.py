"""Open connections do not outlive their token: which ones a revocation closes, on this instance,
from another instance's notice, and when the handshake was still under way (memory backends)."""

from __future__ import annotations

import pytest_twisted
from support.harness import FakeConnection, Harness

from lingualeap.domain.model import Player
from lingualeap.services.accounts import Session
from lingualeap.services.connections import CLOSE_REVOKED
from lingualeap.services.revocation import REMEMBER, Revocation, Revoker

REVOKED = (CLOSE_REVOKED, "token_revoked")


class Accounts:
    def __init__(self) -> None:
        self.h = Harness()
        server = self.h.server
        assert server.revoker is not None
        self.revoker: Revoker = server.revoker
        self.accounts = server.accounts

    async def open(self, session: Session) -> FakeConnection:
        """A connection opened with the session's token, as the transports open one."""
        player, claims = await self.accounts.identify(session.token)
        connection = self.h.connect(player)
        self.revoker.opened(connection, claims)
        return connection

    def guest(self) -> FakeConnection:
        connection = self.h.connect(Player("g-1", "Guest-1", guest=True))
        self.revoker.opened(connection, None)
        return connection


def revoked(connection: FakeConnection) -> bool:
    if connection.closed is None:
        return False
    assert connection.closed == REVOKED
    assert connection.last("error")["code"] == "token_revoked"
    return True


@pytest_twisted.ensureDeferred
async def test_logout_everywhere_closes_every_connection_of_the_account_and_only_those() -> None:
    a = Accounts()
    first = await a.accounts.register("Ana", "ana@example.com", "password123")
    second = await a.accounts.login("ana@example.com", "password123")
    bob = await a.accounts.register("Bob", "bob@example.com", "password123")
    ana1, ana2, bob1, guest = await a.open(first), await a.open(second), await a.open(bob), a.guest()
    await a.accounts.logout_everywhere(first.user, first.claims)
    assert revoked(ana1) and revoked(ana2)
    assert not revoked(bob1) and not revoked(guest)


@pytest_twisted.ensureDeferred
async def test_a_new_password_keeps_the_connection_of_the_new_token() -> None:
    a = Accounts()
    old = await a.accounts.register("Ana", "ana@example.com", "password123")
    before = await a.open(old)
    new = await a.accounts.update_profile(old.user, {"password": "another-password"})
    assert revoked(before)
    after = await a.open(new)  # the new token is not covered, even though the revocation is recent
    assert not revoked(after)
    renamed = await a.accounts.update_profile(new.user, {"name": "Anna"})  # no new password: no revocation
    assert renamed.claims.version == new.claims.version and not revoked(after)


@pytest_twisted.ensureDeferred
async def test_logout_closes_the_connections_of_that_token_only() -> None:
    a = Accounts()
    phone = await a.accounts.register("Ana", "ana@example.com", "password123")
    laptop = await a.accounts.login("ana@example.com", "password123")
    on_phone, on_laptop = await a.open(phone), await a.open(laptop)
    await a.accounts.logout(phone.claims)
    assert revoked(on_phone) and not revoked(on_laptop)


@pytest_twisted.ensureDeferred
async def test_deleting_the_account_closes_its_connections() -> None:
    a = Accounts()
    ana = await a.accounts.register("Ana", "ana@example.com", "password123")
    connection = await a.open(ana)
    await a.accounts.delete(ana.user, ana.user.id)
    assert revoked(connection)


@pytest_twisted.ensureDeferred
async def test_a_notice_from_another_instance_closes_connections_here() -> None:
    a = Accounts()
    ana = await a.accounts.register("Ana", "ana@example.com", "password123")
    connection = await a.open(ana)
    notice = Revocation(ana.user.id, below_version=ana.claims.version + 1).as_notice()
    await a.h.server.backends.backplane.broadcast({"notice": "revoked", "data": notice, "from": "elsewhere"})
    assert revoked(connection)
    # Garbage from the backplane is ignored, not a crash.
    await a.h.server.backends.backplane.broadcast({"notice": "revoked", "data": {"below": "x"}, "from": "elsewhere"})


@pytest_twisted.ensureDeferred
async def test_a_handshake_under_way_during_the_revocation_is_closed_when_it_opens() -> None:
    a = Accounts()
    ana = await a.accounts.register("Ana", "ana@example.com", "password123")
    player, claims = await a.accounts.identify(ana.token)  # the token check passed...
    await a.accounts.logout_everywhere(ana.user, ana.claims)  # ...then the token was revoked
    assert a.revoker.revoked(claims)
    late = a.h.connect(player)
    a.revoker.opened(late, claims)
    assert revoked(late)
    a.h.advance(REMEMBER + 1)  # forgotten after a minute: by then no handshake is still under way
    assert not a.revoker.revoked(claims)
