"""The REST API over real HTTP against a listening server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_twisted
from support.live import LiveServer


@pytest_twisted.async_yield_fixture
async def server() -> AsyncIterator[LiveServer]:
    live = await LiveServer().start()
    yield live
    await live.stop()


USER = {"name": "Ana", "email": "ana@example.com", "password": "password123"}


@pytest_twisted.ensureDeferred
async def test_register_sets_an_httponly_cookie_and_returns_the_user(server: LiveServer) -> None:
    status, body, headers = await server.request("POST", "/api/users", USER)
    assert status == 201
    assert body["name"] == "Ana" and body["email"] == "ana@example.com" and body["totalXP"] == 0
    assert body["_id"].startswith("u-") and body["token"]
    assert "password" not in str(body) and "hash" not in str(body)
    cookie = headers.getRawHeaders(b"set-cookie")[0]
    assert cookie.startswith(b"jwt=" + body["token"].encode())
    assert b"HttpOnly" in cookie and b"SameSite=Lax" in cookie and b"Path=/" in cookie
    status, body, _ = await server.request("POST", "/api/users", USER)
    assert (status, body["message"]) == (400, "User already exists")


@pytest_twisted.ensureDeferred
async def test_login_profile_and_logout_with_the_cookie(server: LiveServer) -> None:
    await server.request("POST", "/api/users", USER)
    status, body, headers = await server.request("POST", "/api/users/auth", {"email": USER["email"], "password": "password123"})
    assert status == 200
    cookie = headers.getRawHeaders(b"set-cookie")[0].split(b";")[0].decode()
    status, profile, _ = await server.request("GET", "/api/users/profile", headers={"cookie": cookie})
    assert status == 200
    assert profile["name"] == "Ana" and profile["level"] == 1 and profile["gamesPlayed"] == 0
    status, _, _ = await server.request("POST", "/api/users/logout", headers={"cookie": cookie})
    assert status == 200
    status, body, _ = await server.request("GET", "/api/users/profile", headers={"cookie": cookie})
    assert status == 401 and body["message"]
    status, body, _ = await server.request("POST", "/api/users/auth", {"email": USER["email"], "password": "nope-nope"})
    assert (status, body["message"]) == (401, "Invalid email or password")


@pytest_twisted.ensureDeferred
async def test_profile_update_and_self_only_delete(server: LiveServer) -> None:
    _, ana, _ = await server.request("POST", "/api/users", USER)
    _, ben, _ = await server.request("POST", "/api/users", {"name": "Ben", "email": "ben@example.com", "password": "password123"})
    status, updated, _ = await server.request("PUT", "/api/users/profile", {"name": "Anita"}, token=ana["token"])
    assert status == 200 and updated["name"] == "Anita"
    status, body, _ = await server.request("PUT", "/api/users/profile", {"email": "nope"}, token=updated["token"])
    assert status == 400 and "email" in body["message"]
    status, _, _ = await server.request("DELETE", f"/api/users/{ben['_id']}", token=ana["token"])
    assert status == 403
    status, _, _ = await server.request("DELETE", f"/api/users/{ana['_id']}", token=updated["token"])
    assert status == 200
    status, _, _ = await server.request("GET", "/api/users/Anita/totalXP")
    assert status == 404
    status, _, _ = await server.request("GET", "/api/users/Ben/totalXP")
    assert status == 200


@pytest_twisted.ensureDeferred
async def test_add_xp_is_forbidden_except_the_servers_own_grant(server: LiveServer) -> None:
    _, ana, _ = await server.request("POST", "/api/users", USER)
    await server.request("POST", "/api/users", {"name": "Ben", "email": "ben@example.com", "password": "password123"})
    status, _, _ = await server.request("POST", "/api/users/Ana/addXP", {"xp": 1000})
    assert status == 401
    status, _, _ = await server.request("POST", "/api/users/Ben/addXP", {"xp": 1000, "reason": "daily"}, token=ana["token"])
    assert status == 403
    status, body, _ = await server.request("POST", "/api/users/Ana/addXP", {"xp": 1000}, token=ana["token"])
    assert status == 403 and "earned in games" in body["message"]
    status, body, _ = await server.request("POST", "/api/users/Ana/addXP", {"xp": 1000, "reason": "daily"}, token=ana["token"])
    assert status == 200 and body["totalXP"] == 10
    _, board, _ = await server.request("GET", "/api/leaderboard/global")
    assert board == [{"name": "Ana", "totalXP": 10, "level": 1}]


@pytest_twisted.ensureDeferred
async def test_bad_requests_get_json_errors(server: LiveServer) -> None:
    cases = [
        ("POST", "/api/users", b"{broken", 400),
        ("POST", "/api/users", b"[1, 2]", 400),
        ("POST", "/api/users", b'{"name": "A", "email": "a@example.com", "password": "password123"}', 400),
        ("POST", "/api/users", b'{"name": "Ana", "email": "ana@example.com", "password": "short"}', 400),
        ("POST", "/api/users", b'{"name": "x", "pad": "' + b"x" * 70_000 + b'"}', 413),
        ("GET", "/api/users/profile", None, 401),
        ("GET", "/api/nothing/here", None, 404),
        ("GET", "/api/leaderboard/game/unknown-room", None, 404),
        ("GET", "/api/leaderboard/global?limit=5000", None, 400),
        ("DELETE", "/api/leaderboard/global", None, 405),
        ("GET", "/api/users", None, 405),
    ]
    for method, path, raw, expected in cases:
        status, body, headers = await server.request(method, path, raw=raw)
        assert status == expected, (method, path, status, body)
        assert isinstance(body, dict) and body["message"] and body["code"], (method, path, body)
        if expected == 405:
            assert headers.getRawHeaders(b"allow")


@pytest_twisted.ensureDeferred
async def test_health_metrics_and_languages(server: LiveServer) -> None:
    status, health, _ = await server.request("GET", "/health")
    assert status == 200 and health["status"] == "ok" and health["instance"]
    status, text, headers = await server.request("GET", "/metrics")
    assert status == 200 and b"text/plain" in headers.getRawHeaders(b"content-type")[0]
    for name in (b"lingualeap_connected_players", b"lingualeap_active_rooms", b"lingualeap_queued_players",
                 b"lingualeap_guesses_total", b"lingualeap_round_duration_seconds",
                 b"lingualeap_event_latency_seconds"):
        assert name in text, name
    from support.wsclient import connect

    client = await connect(server.ws_url())
    _, text, _ = await server.request("GET", "/metrics")
    assert b"lingualeap_connected_players 1.0" in text
    client.close()
    await client.wait_closed()
    status, languages, _ = await server.request("GET", "/api/languages")
    assert status == 200 and {lang["id"] for lang in languages} == {"french", "spanish"}
