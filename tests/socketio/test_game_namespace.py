"""The game namespace on memory backends and a fake clock, driven through in-memory WebSockets."""

from __future__ import annotations

import json
from typing import Any

import pytest
import pytest_twisted
from socketio_fakes import FakeRequest, FakeWebSocket
from support.harness import Harness
from support.words import answer_for
from twisted.web.resource import Resource

from lingualeap.domain.events import Event
from lingualeap.services.throttle import Limits
from lingualeap.transports.socketio import EngineIOOptions, RequestInfo
from lingualeap.transports.socketio_game import build_game_socketio, wire
from lingualeap.transports.socketio_game.connection import GameSocket
from lingualeap.transports.socketio_game.origin import OriginGuard
from lingualeap.transports.socketio_game.server import sid_prefix
from lingualeap.transports.websocket import FLOOD_STRIKES, WebSocketSettings


class Game:
    """A whole server (memory backends, fake clock) with its Socket.IO endpoint."""

    def __init__(self, **config: Any) -> None:
        self.h = Harness(instance_id="unit1", **config)
        server, c = self.h.server, self.h.config
        settings = WebSocketSettings(
            allow_guests=c.allow_guests, max_frame_bytes=c.max_frame_bytes, message_rate=c.message_rate,
            message_burst=c.message_burst, allowed_origins=c.allowed_origins, welcome=server.welcome(),
            connections_per_user=c.limits.connections_per_user, idle_timeout=c.limits.idle_timeout,
        )
        self.sio = build_game_socketio(
            settings=settings, instance_id=c.instance_id, accounts=server.accounts, play=server.play,
            presence=server.presence, metrics=server.metrics, clock=server.clock,
        )

    def client(
        self, query: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> FakeWebSocket:
        ws = FakeWebSocket()
        engine = self.sio.server.engine
        info = RequestInfo.build(query or {}, headers or {}, None, "websocket", False)
        engine.open_session(engine.new_sid(), ws, info)
        ws.take()  # the open packet
        return ws

    def join(self, auth: dict[str, Any] | None = None, **request: Any) -> FakeWebSocket:
        ws = self.client(**request)
        ws.receive("40" + (json.dumps(auth) if auth is not None else ""))
        return ws

    def connections(self) -> list[GameSocket]:
        return [c for c in self.h.server.presence.connections() if isinstance(c, GameSocket)]


def emit(ws: FakeWebSocket, event: str, *args: Any, ack: int | None = None) -> None:
    ws.receive(f"42{'' if ack is None else ack}{json.dumps([event, *args])}")


def events(ws: FakeWebSocket) -> list[tuple[str, Any]]:
    """The EVENT packets sent since the last look, as (name, payload)."""
    found = []
    for frame in ws.take():
        assert isinstance(frame, str)
        if frame.startswith("42["):
            name, *args = json.loads(frame[2:])
            found.append((name, args[0] if len(args) == 1 else args))
    return found


def ack_reply(frame: str | bytes) -> Any:
    """The one argument of an ACK packet ``43<id>[reply]``."""
    assert isinstance(frame, str) and frame.startswith("43")
    return json.loads(frame[2:].lstrip("0123456789"))[0]


def named(seen: list[tuple[str, Any]], name: str) -> list[Any]:
    return [payload for event, payload in seen if event == name]


@pytest.fixture
def game() -> Game:
    return Game()


# -- identity --------------------------------------------------------------------------------


def test_welcome_follows_the_connect_ack_and_names_the_guest_from_auth(game: Game) -> None:
    ws = game.join({"username": "  Ana  "})
    ack, welcome = ws.take()
    assert str(ack).startswith('40{"sid":"')
    name, payload = json.loads(str(welcome)[2:])
    assert name == "welcome" and payload["player"]["username"] == "Ana" and payload["player"]["guest"] is True
    assert payload["instance"] == "unit1" and payload["rounds"] == game.h.config.rounds
    assert [c.player.username for c in game.connections()] == ["Ana"]


def test_a_guest_may_be_named_in_the_query(game: Game) -> None:
    ws = game.join(query={"username": "Bea"})
    assert named(events(ws), "welcome")[0]["player"]["username"] == "Bea"


@pytest_twisted.ensureDeferred
async def test_a_nameless_guest_takes_the_username_of_its_first_find_match_only(game: Game) -> None:
    ws = game.join()
    assert named(events(ws), "welcome")[0]["player"]["username"].startswith("Guest-")
    emit(ws, "findMatch", {"username": "Zoe", "language": "french"})
    await game.h.settle()
    assert named(events(ws), "queued") == [{"language": "french", "position": 1}]
    [connection] = game.connections()
    assert connection.player.username == "Zoe" and connection.player.guest
    emit(ws, "cancelMatch")
    emit(ws, "findMatch", {"username": "Someone-else", "language": "french"})
    await game.h.settle()
    assert connection.player.username == "Zoe"  # a name does not change once taken


@pytest.mark.parametrize("where", ["auth", "query"])
def test_a_guest_with_its_guest_token_is_the_same_guest_again(game: Game, where: str) -> None:
    first = named(events(game.join({"username": "Ana"})), "welcome")[0]
    token = first["guestToken"]
    again = game.join({"guestToken": token}) if where == "auth" else game.join(query={"guest": token})
    assert named(events(again), "welcome")[0]["player"] == first["player"]
    stranger = game.join({"guestToken": "forged"})
    assert named(events(stranger), "welcome")[0]["player"]["id"] != first["player"]["id"]


def test_a_guest_named_on_connect_keeps_its_name(game: Game) -> None:
    ws = game.join({"username": "Ana"})
    emit(ws, "findMatch", {"username": "Mallory", "language": "french"})
    assert game.connections()[0].player.username == "Ana"


@pytest_twisted.ensureDeferred
async def test_registered_players_by_auth_token_cookie_or_bearer(game: Game) -> None:
    session = await game.h.server.accounts.register("carla", "carla@example.com", "password123")
    clients = [
        game.join({"token": session.token}, headers={"cookie": "jwt=stale-and-ignored"}),
        game.join(headers={"cookie": f"other=1; jwt={session.token}"}),
        game.join(headers={"authorization": f"Bearer {session.token}"}),
        game.join(query={"token": session.token}),
    ]
    for ws in clients:
        [welcome] = named(events(ws), "welcome")
        assert welcome["player"] == {"id": session.user.id, "username": "carla", "guest": False}
    assert game.h.server.presence.player_count() == 1 and game.h.server.presence.connection_count == 4


@pytest.mark.parametrize("auth, headers", [
    ({"token": "not-a-jwt"}, {}),
    ({"token": 42}, {}),
    (None, {"cookie": "jwt=forged"}),
    (None, {"authorization": "Bearer forged"}),
])
def test_bad_tokens_are_refused_with_unauthorized(game: Game, auth: Any, headers: dict[str, str]) -> None:
    ws = game.join(auth, headers=headers)
    [refusal] = ws.take()
    assert str(refusal).startswith("44{")
    error = json.loads(str(refusal)[2:])
    assert error["data"] == {"code": "unauthorized"} and error["message"]
    assert game.h.server.presence.connection_count == 0


def test_without_guests_a_token_is_required() -> None:
    game = Game(allow_guests=False)
    ws = game.join({"username": "Ana"})
    [refusal] = ws.take()
    assert json.loads(str(refusal)[2:])["data"] == {"code": "unauthorized"}


# -- commands, acks and errors ---------------------------------------------------------------


def test_acks_answer_with_the_result_and_errors_go_out_as_events_without_one(game: Game) -> None:
    ws = game.join({"username": "Ana"})
    ws.take()
    emit(ws, "findMatch", {"language": "french"}, ack=1)
    frames = ws.take()
    assert frames[-1] == '431[{"ok":true}]'  # after the events the command caused
    assert frames[0] == '42["queued",{"language":"french","position":1}]'
    emit(ws, "dance", {}, ack=2)
    assert ws.take() == ['432[{"error":{"code":"unknown_event","message":"unknown event \'dance\'"}}]']
    emit(ws, "makeGuess", "maison", ack=3)
    assert ack_reply(ws.take()[0])["error"]["code"] == "invalid_field"
    emit(ws, "joinRoom", {"roomId": "a room"})
    assert events(ws) == [("error", {"code": "invalid_field", "event": "joinRoom",
                                     "message": "roomId must be 1-32 letters, digits, '_' or '-'"})]
    emit(ws, "cancelMatch", ack=4)
    assert ws.take()[-1] == '434[{"ok":true}]'
    emit(ws, "cancelMatch")
    assert named(events(ws), "error")[0]["code"] == "not_queued"


def test_a_failing_command_hurts_nobody_else(game: Game, monkeypatch: pytest.MonkeyPatch) -> None:
    ana, ben = game.join({"username": "Ana"}), game.join({"username": "Ben"})
    ana.take(), ben.take()
    real = game.h.server.play.handle

    async def broken(player: Any, command: Any) -> None:
        if player.username == "Ana":
            raise RuntimeError("bug")
        await real(player, command)

    monkeypatch.setattr(game.h.server.play, "handle", broken)
    emit(ana, "findMatch", {"language": "french"}, ack=7)
    assert ack_reply(ana.take()[0])["error"]["code"] == "internal"
    emit(ben, "findMatch", {"language": "french"}, ack=1)
    assert ben.take()[-1] == '431[{"ok":true}]'
    emit(ana, "cancelMatch")
    assert named(events(ana), "error")[0]["code"] == "internal"  # and Ana is still connected


@pytest_twisted.ensureDeferred
async def test_a_match_on_the_fake_clock_with_the_original_leaderboard_arrays(game: Game) -> None:
    ana, ben = game.join({"username": "Ana"}), game.join({"username": "Ben"})
    emit(ana, "findMatch", {"username": "Ana", "language": "french"})
    emit(ben, "findMatch", {"username": "Ben", "language": "french"})
    await game.h.settle()
    game.h.advance(game.h.config.start_delay + 0.1)
    await game.h.settle()
    seen = events(ana)
    [info] = named(seen, "roomInfo")
    assert [p["username"] for p in info["players"]] == ["Ana", "Ben"]
    [first] = named(seen, "newRound")
    emit(ana, "makeGuess", {"roomId": info["roomId"], "guess": answer_for(first["translation"])})
    await game.h.settle()
    seen = events(ben)
    [hit] = named(seen, "correctGuess")
    assert hit["exact"] is True
    assert named(seen, "gameLeaderboardUpdate")[-1] == [{"name": "Ana", "score": hit["points"]},
                                                        {"name": "Ben", "score": 0}]


def test_a_broadcast_is_encoded_once_for_every_socket(game: Game, monkeypatch: pytest.MonkeyPatch) -> None:
    clients = [game.join({"username": f"P{i}"}) for i in range(3)]
    for ws in clients:
        ws.take()
    calls: list[str] = []
    real = wire.encode

    def counting(event: Event) -> Any:
        calls.append(event.name)
        return real(event)

    monkeypatch.setattr(wire, "encode", counting)
    board = [{"name": "carla", "totalXP": 42, "level": 1}]
    game.h.server.presence.broadcast(Event("globalLeaderboardUpdate", {"leaderboard": board}))
    assert calls == ["globalLeaderboardUpdate"]
    for ws in clients:
        assert ws.take() == ['42["globalLeaderboardUpdate",[{"name":"carla","totalXP":42,"level":1}]]']


# -- limits and leaving ----------------------------------------------------------------------


def test_rate_limit_then_flood_disconnect() -> None:
    game = Game(message_rate=1.0, message_burst=2.0)
    ws, other = game.join({"username": "Flo"}), game.join({"username": "Calm"})
    ws.take()
    for _ in range(2):
        emit(ws, "cancelMatch")
    emit(ws, "cancelMatch", ack=5)
    limited = ack_reply(ws.take()[-1])
    assert limited["error"]["code"] == "rate_limited" and limited["error"]["retryAfter"] > 0
    for _ in range(FLOOD_STRIKES - 1):
        emit(ws, "cancelMatch")
    frames = ws.take()
    flood = '42["error",{"code":"flood","message":"too many messages; disconnected"}]'
    assert frames[-3:] == [flood, "41", "1"]  # the reason, DISCONNECT, then the Engine.IO close
    assert ws.closed and [c.player.username for c in game.connections()] == ["Calm"]
    emit(other, "cancelMatch", ack=1)
    assert ack_reply(other.take()[-1])["error"]["code"] == "not_queued"  # answered: unaffected


def test_idle_sockets_are_closed_and_engineio_heartbeats_do_not_count() -> None:
    game = Game(limits=Limits(idle_timeout=60))
    quiet, talker = game.join({"username": "Quiet"}), game.join({"username": "Talk"})
    heard: dict[FakeWebSocket, list[str | bytes]] = {quiet: [], talker: []}
    for _ in range(6):  # 72 s, answering every heartbeat ping on both; only one emits events
        game.h.advance(12)
        for ws in (quiet, talker):
            frames = ws.take()
            heard[ws] += frames
            if "2" in frames and not ws.closed:
                ws.receive("3")
        if not talker.closed:
            emit(talker, "cancelMatch")
    idle = '42["error",{"code":"idle","message":"closed after 60 s without a message from you"}]'
    assert heard[quiet][-3:] == [idle, "41", "1"] and quiet.closed  # the reason, DISCONNECT, close
    assert "2" in heard[quiet]  # it did answer the heartbeat
    assert not talker.closed and [c.player.username for c in game.connections()] == ["Talk"]


@pytest_twisted.ensureDeferred
async def test_leaving_takes_the_player_out_of_the_queue(game: Game) -> None:
    ws = game.join({"username": "Ana"})
    emit(ws, "findMatch", {"language": "french"})
    [connection] = game.connections()
    assert await game.h.server.matchmaking.is_queued(connection.player.id)
    ws.receive("1")  # the client closes its Engine.IO connection
    await game.h.settle()
    assert game.h.server.presence.connection_count == 0
    assert not await game.h.server.matchmaking.is_queued(connection.player.id)


def test_a_restarting_server_drops_the_transport_so_clients_reconnect(game: Game) -> None:
    ws = game.join({"username": "Ana"})
    ws.take()
    game.connections()[0].close(1012, "server restarting")
    assert ws.closed and ws.take() == []  # no "1", no "41": stock clients treat that as final
    assert game.h.server.presence.connection_count == 0


# -- origins and session ids -----------------------------------------------------------------


class Inner(Resource):
    isLeaf = True

    def render(self, request: Any) -> bytes:
        return b"inner"


@pytest.mark.parametrize("origin, host, allowed", [
    (None, "game.example", True),
    ("https://game.example", "game.example", True),
    ("https://friend.example", "game.example", True),
    ("https://evil.example", "game.example", False),
])
def test_origins_follow_the_ws_rule(origin: str | None, host: str, allowed: bool) -> None:
    guard = OriginGuard(Inner(), ("https://friend.example",), EngineIOOptions())
    request = FakeRequest()
    request.requestHeaders.setRawHeaders(b"host", [host.encode()])
    if origin is not None:
        request.requestHeaders.setRawHeaders(b"origin", [origin.encode()])
    body = guard.render(request)
    if allowed:
        assert body == b"inner"
    else:
        assert request.responseCode == 403 and json.loads(body) == {"code": 4, "message": "Forbidden"}


def test_session_ids_start_with_the_instance_id(game: Game) -> None:
    assert game.sio.server.engine.new_sid().startswith("unit1.")
    assert sid_prefix("app-2") == "app-2." and sid_prefix("not a valid id") == ""
    assert EngineIOOptions().sid_prefix == ""
    with pytest.raises(ValueError, match="sid_prefix"):
        EngineIOOptions(sid_prefix="app1/")


def test_payload_shapes() -> None:
    board = {"roomId": "r", "leaderboard": [{"name": "a", "score": 1}], "seq": 3}
    assert wire.payload(Event("gameLeaderboardUpdate", board)) == [{"name": "a", "score": 1}]
    assert wire.payload(Event("roundEnded", {"roomId": "r"})) == {"roomId": "r"}
    assert wire.command_data([]) is None and wire.command_data([{"a": 1}, "extra"]) == {"a": 1}
