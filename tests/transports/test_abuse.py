"""Abuse limits over real sockets: origins, per-address and per-user limits, idle connections,
cross-site requests, oversized bodies and login lock-outs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_twisted
from support.live import LiveServer
from support.wsclient import connect

from lingualeap.domain.ratelimit import Backoff, Rate
from lingualeap.services.throttle import Limits

SLOW = 0.001  # a refill rate so slow that nothing comes back during a test


async def register(server: LiveServer, name: str, **headers: str) -> dict[str, Any]:
    status, body, _ = await server.request(
        "POST", "/api/users", {"name": name, "email": f"{name}@example.com", "password": "password123"},
        headers=headers or None,
    )
    assert status == 201, body
    return dict(body)


async def refused(url: str, headers: dict[str, str] | None = None) -> str:
    with pytest.raises(ConnectionError) as e:
        await connect(url, headers=headers)
    return str(e.value)


@pytest_twisted.async_yield_fixture
async def server(request: pytest.FixtureRequest) -> AsyncIterator[LiveServer]:
    options = getattr(request, "param", {})
    live = await LiveServer(**{"drain_seconds": 0, **options}).start()
    yield live
    await live.stop()


def configured(**options: Any) -> Any:
    return pytest.mark.parametrize("server", [options], indirect=True)


# -- WebSocket -------------------------------------------------------------------------------
@configured(allowed_origins=("https://friend.example",))
@pytest_twisted.ensureDeferred
async def test_cross_origin_websockets_are_refused(server: LiveServer) -> None:
    assert "403" in await refused(server.ws_url(), {"Origin": "https://evil.example"})
    assert "not allowed" in await refused(server.ws_url(), {"Origin": "null"})  # Autobahn: 400
    for origin in (f"http://{server.base}", "https://friend.example", None):
        client = await connect(server.ws_url(), headers={"Origin": origin} if origin else None)
        await client.next("welcome")
        client.close()


@configured(limits=Limits(connections=Rate(SLOW, 3)))
@pytest_twisted.ensureDeferred
async def test_new_connections_are_limited_per_client_address(server: LiveServer) -> None:
    clients = [await connect(server.ws_url()) for _ in range(3)]
    assert "429" in await refused(server.ws_url())
    # Behind a trusted proxy (loopback, by default) each forwarded client has its own allowance,
    # and what a client writes in front of the proxy's entry does not buy it a new one.
    forwarded = await connect(server.ws_url(), headers={"X-Forwarded-For": "198.51.100.7"})
    for _ in range(2):
        clients.append(await connect(server.ws_url(), headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.7"}))
    assert "429" in await refused(server.ws_url(), {"X-Forwarded-For": "7.7.7.7, 198.51.100.7"})
    for client in [*clients, forwarded]:
        client.close()


@configured(limits=Limits(connections=Rate(SLOW, 2)), trusted_proxies=("none",))
@pytest_twisted.ensureDeferred
async def test_forwarded_addresses_from_untrusted_peers_are_ignored(server: LiveServer) -> None:
    clients = [await connect(server.ws_url(), headers={"X-Forwarded-For": f"198.51.100.{i}"}) for i in range(2)]
    assert "429" in await refused(server.ws_url(), {"X-Forwarded-For": "198.51.100.99"})
    for client in clients:
        client.close()


@configured(limits=Limits(user_events=Rate(SLOW, 6)))
@pytest_twisted.ensureDeferred
async def test_commands_are_limited_per_user_across_connections(server: LiveServer) -> None:
    token = (await register(server, "ana"))["token"]
    one, two = await connect(server.ws_url(f"token={token}")), await connect(server.ws_url(f"token={token}"))
    bob = await connect(server.ws_url("username=bob"))
    for client in (one, two, one, two, one, two):
        client.send("cancelMatch")
        assert (await client.next("error"))["code"] == "not_queued"
    two.send("cancelMatch")
    limited = await two.next("error")
    assert limited["code"] == "rate_limited" and limited["retryAfter"] > 100 and limited["event"] == "cancelMatch"
    bob.send("cancelMatch")
    assert (await bob.next("error"))["code"] == "not_queued"  # somebody else is not affected
    for client in (one, two, bob):
        client.close()


@configured(message_rate=1000.0, message_burst=1000.0, limits=Limits(user_events=Rate(SLOW, 2)))
@pytest_twisted.ensureDeferred
async def test_a_sustained_per_user_flood_is_disconnected(server: LiveServer) -> None:
    client = await connect(server.ws_url("username=flood"))
    for _ in range(60):
        client.send("cancelMatch")
    assert (await client.next("error"))["code"] == "not_queued"
    assert (await client.next("error"))["code"] == "not_queued"
    assert (await client.next("error"))["code"] == "rate_limited"
    assert await client.wait_closed() == (1008, "flood")


@configured(limits=Limits(connections_per_user=2))
@pytest_twisted.ensureDeferred
async def test_opening_more_connections_than_allowed_closes_the_oldest(server: LiveServer) -> None:
    token = (await register(server, "ana"))["token"]
    first, second = await connect(server.ws_url(f"token={token}")), await connect(server.ws_url(f"token={token}"))
    guests = [await connect(server.ws_url("username=guest")) for _ in range(3)]  # guests are separate people
    third = await connect(server.ws_url(f"token={token}"))
    await third.next("welcome")
    assert await first.wait_closed() == (1008, "too many connections for this user")
    second.send("cancelMatch")
    assert (await second.next("error"))["code"] == "not_queued"
    for client in (second, third, *guests):
        assert not client.closed.called
        client.close()


@configured(limits=Limits(idle_timeout=0.6))
@pytest_twisted.ensureDeferred
async def test_idle_connections_are_closed(server: LiveServer) -> None:
    from twisted.internet import reactor
    from twisted.internet.task import deferLater

    idle = await connect(server.ws_url("username=idle"))
    busy = await connect(server.ws_url("username=busy"))
    started = reactor.seconds()  # type: ignore[attr-defined]
    while not idle.closed.called:
        busy.send("cancelMatch")
        await deferLater(reactor, 0.15, lambda: None)
        assert reactor.seconds() - started < 5, "the idle connection was never closed"  # type: ignore[attr-defined]
    assert await idle.wait_closed() == (4000, "idle")
    assert reactor.seconds() - started >= 0.55  # type: ignore[attr-defined]
    assert not busy.closed.called  # it kept talking
    busy.close()


# -- HTTP ------------------------------------------------------------------------------------
@configured(limits=Limits(http=Rate(SLOW, 5)))
@pytest_twisted.ensureDeferred
async def test_http_requests_are_limited_per_address_with_429_and_retry_after(server: LiveServer) -> None:
    for _ in range(5):
        status, _, _ = await server.request("GET", "/api/languages")
        assert status == 200
    status, body, headers = await server.request("GET", "/api/languages")
    assert status == 429 and body["code"] == "rate_limited" and body["message"]
    assert int(headers.getRawHeaders(b"retry-after")[0]) >= 1
    status, _, _ = await server.request("GET", "/api/nothing")
    assert status == 429  # everything under the limit, found or not
    status, _, _ = await server.request("GET", "/health")
    assert status == 200  # load balancers always get through
    status, _, _ = await server.request("GET", "/api/languages", headers={"X-Forwarded-For": "198.51.100.7"})
    assert status == 200  # another client behind our (loopback) proxy


@configured(limits=Limits(login_account=Backoff(free=2, base=3, maximum=60, window=900)))
@pytest_twisted.ensureDeferred
async def test_failed_logins_get_429_with_growing_retry_after(server: LiveServer) -> None:
    await register(server, "ana")
    wrong = {"email": "ana@example.com", "password": "not-the-password"}
    for _ in range(3):
        status, body, _ = await server.request("POST", "/api/users/auth", wrong)
        assert (status, body["code"]) == (401, "bad_credentials")
    status, body, headers = await server.request(
        "POST", "/api/users/auth", {"email": "ana@example.com", "password": "password123"})
    assert (status, body["code"]) == (429, "rate_limited")
    assert headers.getRawHeaders(b"retry-after") == [b"3"]


@configured(allowed_origins=("https://friend.example",))
@pytest_twisted.ensureDeferred
async def test_cookie_authenticated_changes_must_come_from_an_allowed_origin(server: LiveServer) -> None:
    ana = await register(server, "ana")
    cookie = {"cookie": f"jwt={ana['token']}"}
    evil = {"origin": "https://evil.example"}
    status, body, _ = await server.request("PUT", "/api/users/profile", {"name": "Hacked"}, headers={**cookie, **evil})
    assert (status, body["code"]) == (403, "forbidden")
    status, _, _ = await server.request("POST", "/api/users/logout", headers={**cookie, **evil})
    assert status == 403
    status, _, _ = await server.request("POST", "/api/users/auth", {"email": "ana@example.com", "password": "password123"},
                                        headers=evil)
    assert status == 403  # no logging a victim into somebody else's account either
    status, _, _ = await server.request("GET", "/api/users/profile", headers={**cookie, **evil})
    assert status == 200  # reading is not a change (and CORS keeps the answer from the page)
    for origin in (f"http://{server.base}", "https://friend.example"):
        status, _, _ = await server.request("PUT", "/api/users/profile", {"name": "Ana2"},
                                            headers={**cookie, "origin": origin})
        assert status == 200, origin
    status, _, _ = await server.request("PUT", "/api/users/profile", {"name": "Ana3"}, headers=cookie)
    assert status == 200  # no Origin: not a browser, or one that SameSite=Lax already protects
    # A Bearer header cannot be added by another site's page: no Origin check for it.
    status, _, _ = await server.request("PUT", "/api/users/profile", {"name": "Ana4"}, token=ana["token"],
                                        headers=evil)
    assert status == 200


@pytest_twisted.ensureDeferred
async def test_logout_everywhere_over_http(server: LiveServer) -> None:
    ana = await register(server, "ana")
    status, login, _ = await server.request("POST", "/api/users/auth", {"email": "ana@example.com", "password": "password123"})
    assert status == 200
    status, _, _ = await server.request("POST", "/api/users/logout?all=true", token=login["token"])
    assert status == 200
    for token in (ana["token"], login["token"]):
        status, _, _ = await server.request("GET", "/api/users/profile", token=token)
        assert status == 401
        assert "401" in await refused(server.ws_url(f"token={token}"))
    status, _, _ = await server.request("POST", "/api/users/logout?all=true")
    assert status == 401


@pytest_twisted.ensureDeferred
async def test_huge_bodies_are_refused_without_being_stored(server: LiveServer) -> None:
    status, body, _ = await server.request("POST", "/api/users", raw=b"x" * (2 * 1024 * 1024))
    assert (status, body["code"]) == (413, "too_large")
    status, _, _ = await server.request("GET", "/health")
    assert status == 200
