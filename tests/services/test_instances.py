"""Several instances in one process on a shared hub: the routing code that Redis carries."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_twisted
from support.harness import FakeConnection, Harness
from twisted.internet.defer import Deferred

from lingualeap.app.backends import memory_backends
from lingualeap.app.wiring import build_server
from lingualeap.backends.memory.backplane import MemoryBackplane, MemoryHub
from lingualeap.clock import ReactorClock
from lingualeap.domain.commands import FindMatch, JoinRoom, LeaveRoom, MakeGuess, Resume
from lingualeap.domain.errors import GameError, RateLimited
from lingualeap.domain.ratelimit import Rate
from lingualeap.domain.model import Player
from lingualeap.ports import QueueTicket
from lingualeap.services.room_host import LEASE_RENEW_INTERVAL
from lingualeap.services.throttle import Limits
from support.words import languages


class Cluster:
    """N servers on one fake clock, sharing stores and a hub, as N processes share Redis."""

    def __init__(self, size: int, **config: Any) -> None:
        base = Harness(**config)
        self.time = base.time
        hub = MemoryHub()
        shared = memory_backends("shared", base.server.clock, languages(), hub=hub)
        self.servers = []
        for i in range(size):
            backends = memory_backends(f"i{i}", base.server.clock, languages(), hub=hub)
            for port in ("players", "leaderboards", "queue", "revocations", "rooms", "leases"):
                setattr(backends, port, getattr(shared, port))
            backends.backplane = MemoryBackplane(f"i{i}", hub)
            from dataclasses import replace

            self.servers.append(build_server(replace(base.config, instance_id=f"i{i}"), _reactor(),
                                             clock=ReactorClock(self.time), languages=languages(),
                                             backends=backends))

    def connect(self, index: int, player: Player) -> FakeConnection:
        connection = FakeConnection(player)
        self.servers[index].presence.add(connection)
        return connection

    def owner_of(self, room_id: str) -> Any:
        return next(s for s in self.servers if s.host.owns(room_id))


async def a_duel_over_two_instances(c: Cluster) -> tuple[list[Player], list[FakeConnection], str]:
    """Ana on instance 0 and Ben on instance 1, matched and in their first round."""
    players = [Player("u-a", "Ana"), Player("u-b", "Ben")]
    conns = [c.connect(i, p) for i, p in enumerate(players)]
    for i, player in enumerate(players):
        await c.servers[i].play.handle(player, FindMatch("french"))
    c.time.advance(2)
    return players, conns, str(conns[0].last("roomInfo")["roomId"])


def _reactor() -> Any:
    from twisted.internet import reactor

    return reactor


@pytest_twisted.ensureDeferred
async def test_players_on_different_instances_play_a_match_and_see_every_event_in_order() -> None:
    c = Cluster(2, rounds=2)
    ana, ben = Player("u-a", "Ana"), Player("u-b", "Ben")
    ca, cb = c.connect(0, ana), c.connect(1, ben)
    await c.servers[0].play.handle(ana, FindMatch("french"))
    await c.servers[1].play.handle(ben, FindMatch("french"))
    room_id = cb.last("roomInfo")["roomId"]
    owner = c.owner_of(room_id)
    assert owner is c.servers[1]  # the instance that completed the pair hosts the room
    c.time.advance(2)
    state = owner.host.room(room_id)
    await c.servers[0].play.handle(ana, MakeGuess(room_id, "zzzz"))  # routed to the owner
    await c.servers[0].play.handle(ana, MakeGuess(room_id, state.current_word.answer))
    c.time.advance(2)
    c.time.advance(30)
    assert ca.names() == cb.names()
    room_events = [e for e in ca.events if "seq" in e.data]
    assert [e.data["seq"] for e in room_events] == list(range(1, len(room_events) + 1))
    assert ca.last("matchEnded")["winner"] == ana.public()
    assert c.servers[0].game.room_of(ana.id) is None and c.servers[1].game.room_of(ben.id) is None


@pytest_twisted.ensureDeferred
async def test_a_private_room_holds_players_from_four_instances() -> None:
    c = Cluster(4, rounds=1)
    players = [Player(f"u-{i}", f"P{i}") for i in range(4)]
    conns = [c.connect(i, p) for i, p in enumerate(players)]
    for i, p in enumerate(players):
        await c.servers[i].play.handle(p, JoinRoom("party", "spanish"))
    for conn in conns:
        assert [p["username"] for p in conn.last("roomInfo")["players"]] == ["P0", "P1", "P2", "P3"]
    c.time.advance(2)
    assert all(conn.last("newRound")["round"] == 1 for conn in conns)
    await c.servers[3].play.handle(players[3], LeaveRoom("party"))
    assert conns[0].last("playerLeft")["player"]["username"] == "P3"
    c.time.advance(30)
    assert conns[0].last("matchEnded") == conns[2].last("matchEnded")
    assert "matchEnded" not in conns[3].names()


@pytest_twisted.ensureDeferred
async def test_errors_from_the_owner_reach_the_player_on_another_instance() -> None:
    c = Cluster(2)
    ana, ben, cat = Player("u-a", "Ana"), Player("u-b", "Ben"), Player("u-c", "Cat")
    c.connect(0, ana), c.connect(1, ben), c.connect(1, cat)
    await c.servers[0].play.handle(ana, JoinRoom("den", "french"))
    with pytest.raises(GameError) as e:
        await c.servers[1].play.handle(ben, JoinRoom("den", "spanish"))
    assert e.value.code == "invalid_field"
    assert c.servers[1].game.room_of(ben.id) is None
    with pytest.raises(GameError) as e:
        await c.servers[1].play.handle(cat, MakeGuess("den", "x"))
    assert e.value.code == "not_in_room"


@pytest_twisted.ensureDeferred
async def test_a_players_guesses_share_one_allowance_over_every_instance() -> None:
    c = Cluster(2, limits=Limits(guesses=Rate(1, 3)), round_seconds=60)
    ana, ben = Player("u-a", "Ana"), Player("u-b", "Ben")
    c.connect(0, ana), c.connect(1, ben)
    await c.servers[0].play.handle(ana, FindMatch("french"))
    await c.servers[1].play.handle(ben, FindMatch("french"))
    c.time.advance(2)
    room_id = c.servers[0].game.room_of(ana.id)
    assert room_id is not None
    elsewhere = next(i for i, s in enumerate(c.servers) if not s.host.owns(room_id))
    at_host = 1 - elsewhere
    c.connect(elsewhere, ana), c.connect(at_host, ana)  # Ana is connected to both instances
    await c.servers[elsewhere].play.handle(ana, MakeGuess(room_id, "zzzz"))
    await c.servers[at_host].play.handle(ana, MakeGuess(room_id, "zzzz"))
    await c.servers[elsewhere].play.handle(ana, MakeGuess(room_id, "zzzz"))
    for server in c.servers:
        with pytest.raises(RateLimited) as e:  # from the host, with its wait, on either instance
            await server.play.handle(ana, MakeGuess(room_id, "zzzz"))
        assert e.value.retry_after == pytest.approx(1)
    c.time.advance(1)
    await c.servers[elsewhere].play.handle(ana, MakeGuess(room_id, "zzzz"))


@pytest_twisted.ensureDeferred
async def test_commands_go_straight_to_a_known_host_and_look_again_once_it_is_gone() -> None:
    c = Cluster(2, round_seconds=60)
    players, conns, room_id = await a_duel_over_two_instances(c)
    host = c.owner_of(room_id)
    here = 1 - c.servers.index(host)
    guesser, server, seen = players[here], c.servers[here], conns[here]
    leases = server.backends.leases
    lookups: list[str] = []
    find = leases.owner

    async def counted(room: str) -> str | None:
        lookups.append(room)
        return await find(room)

    leases.owner = counted
    for _ in range(3):
        await server.play.handle(guesser, MakeGuess(room_id, "zzzz"))
    assert len(seen.named("wrongGuess")) == 3
    assert lookups == [room_id]  # the first guess asked who hosts the room; the next went straight
    # The host dies and lets its lease go: the next guess finds nobody listening, looks again,
    # and the room is taken over on the spot.
    await host.host.stop()
    host.backends.backplane._hub.handlers.pop(host.config.instance_id)  # noqa: SLF001 - a dead process
    await leases.release(host.host._rooms[room_id].lease)  # noqa: SLF001
    await server.play.handle(guesser, MakeGuess(room_id, "zzzz"))
    assert server.host.owns(room_id) and len(seen.named("wrongGuess")) == 4


@pytest_twisted.ensureDeferred
async def test_global_leaderboard_updates_reach_every_instance() -> None:
    c = Cluster(2, rounds=1)
    session = await c.servers[0].accounts.register("Ana", "ana@example.com", "password123")
    ana, ben = Player(session.user.id, "Ana"), Player("g-b", "Ben", guest=True)
    watcher = c.connect(1, Player("g-w", "Watcher", guest=True))
    c.connect(0, ana), c.connect(1, ben)
    await c.servers[0].play.handle(ana, FindMatch("french"))
    await c.servers[1].play.handle(ben, FindMatch("french"))
    room_id = watcher and c.servers[0].game.room_of(ana.id)
    c.time.advance(2)
    owner = c.owner_of(room_id)
    await c.servers[0].play.handle(ana, MakeGuess(room_id, owner.host.room(room_id).current_word.answer))
    await owner.host.settle()
    assert watcher.last("globalLeaderboardUpdate")["leaderboard"][0]["name"] == "Ana"


@pytest_twisted.ensureDeferred
async def test_when_the_owner_dies_another_instance_adopts_the_room_and_finishes_the_match() -> None:
    c = Cluster(2, rounds=2, round_seconds=10)
    for server in c.servers:
        server.game.start(server.clock)
    ana, ben = Player("u-a", "Ana"), Player("u-b", "Ben")
    ca, cb = c.connect(0, ana), c.connect(1, ben)
    await c.servers[0].play.handle(ana, FindMatch("french"))
    await c.servers[1].play.handle(ben, FindMatch("french"))
    room_id = ca.last("roomInfo")["roomId"]
    owner = c.servers[1]
    assert owner.host.owns(room_id)
    c.time.advance(2)
    await c.servers[0].play.handle(ana, MakeGuess(room_id, owner.host.room(room_id).current_word.answer))
    score = ca.last("roundEnded")["scores"][ana.id]
    # The owner dies: its timers stop, it hears nothing more, and its lease runs out.
    await owner.host.stop()
    owner.game.stop()
    owner.backends.backplane._hub.handlers.pop("i1")  # noqa: SLF001 - simulating a dead process
    lease = owner.host._rooms[room_id].lease  # noqa: SLF001
    await owner.backends.leases.release(lease)
    for _ in range(8):
        c.time.advance(0.5)
    survivor = c.servers[0]
    assert survivor.host.owns(room_id)
    assert 'lingualeap_room_takeovers_total 1.0' in survivor.metrics.render().decode()
    for _ in range(40):
        c.time.advance(0.5)
    ended = ca.last("matchEnded")
    assert {s["id"]: s["score"] for s in ended["standings"]}[ana.id] == score
    assert ca.last("newRound")["round"] == 2


@pytest_twisted.ensureDeferred
async def test_a_host_does_not_hear_its_rooms_channels_until_another_instance_takes_one_over() -> None:
    c = Cluster(2, round_seconds=60)
    players, conns, room_id = await a_duel_over_two_instances(c)
    host = c.owner_of(room_id)
    at_host, elsewhere = c.servers.index(host), 1 - c.servers.index(host)
    other = c.servers[elsewhere]
    watchers = host.backends.backplane._hub.watchers  # noqa: SLF001
    # Only the instance that has to hear the room's events listens; the host hands its own over.
    assert watchers[room_id] == {other.config.instance_id}
    await host.play.handle(players[at_host], MakeGuess(room_id, "zzzz"))
    assert [len(conn.named("wrongGuess")) for conn in conns] == [1, 1]
    # The host's lease lapses (it could not reach the store) and the other instance adopts the
    # room: the old host finds out at its next renewal and listens to the room again.
    await host.backends.leases.release(host.host._rooms[room_id].lease)  # noqa: SLF001
    assert await other.host.adopt(room_id)
    host.host.start()
    c.time.advance(LEASE_RENEW_INTERVAL)
    await host.host.settle()
    assert not host.host.owns(room_id) and host.config.instance_id in watchers[room_id]
    await other.play.handle(players[elsewhere], MakeGuess(room_id, "zzzz"))
    assert [len(conn.named("wrongGuess")) for conn in conns] == [2, 2]  # heard from the new host
    assert watchers[room_id] == {host.config.instance_id}  # which stopped listening to it
    await host.host.stop()


@pytest_twisted.ensureDeferred
async def test_a_close_noticed_late_elsewhere_does_not_cost_a_resumed_player_the_seat() -> None:
    # Ben's old connection on instance 0 is noticed closed only after he resumed on instance 1.
    c = Cluster(2, rounds=3, reconnect_grace=5)
    ana, ben = Player("u-a", "Ana"), Player("u-b", "Ben")
    ca, old = c.connect(0, ana), c.connect(0, ben)
    await c.servers[0].play.handle(ana, FindMatch("french"))
    await c.servers[0].play.handle(ben, FindMatch("french"))
    room_id = ca.last("roomInfo")["roomId"]
    c.time.advance(2)
    back = c.connect(1, ben)
    await c.servers[1].play.handle(ben, Resume(room_id, old.events[-1].data["seq"]))
    if c.servers[0].presence.discard(old):
        await c.servers[0].play.disconnected(ben)
    for _ in range(8):
        c.time.advance(1)  # retries of the owner notices, and the whole grace period
    assert back.last("playerReconnected")["player"] == ben.public()
    assert "playerLeft" not in ca.names()
    assert c.owner_of(room_id).host.room(room_id).away == {}


@pytest_twisted.ensureDeferred
async def test_a_room_being_made_is_not_taken_over_by_an_instance_told_to_expect_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Matchmaking tells the players' instances to expect a room before its owner takes the
    # lease; an orphan check there in between must leave the lease alone, or nobody hosts it.
    c = Cluster(2)
    store = c.servers[1].backends.rooms
    gate: Deferred[None] = Deferred()
    load = store.load

    async def slow_load(room_id: str) -> Any:
        await gate  # a store round trip that takes a while
        return await load(room_id)

    monkeypatch.setattr(store, "load", slow_load)
    adopting = Deferred.fromCoroutine(c.servers[1].host.adopt("m-new"))
    monkeypatch.setattr(store, "load", load)
    ana, ben = Player("u-a", "Ana"), Player("u-b", "Ben")
    assert await c.servers[0].host.create("m-new", "french", private=False, players=[ana, ben])
    gate.callback(None)
    assert await adopting is False  # the room exists by now, and it is hosted: nothing to adopt
    assert c.servers[0].host.owns("m-new") and not c.servers[1].host.owns("m-new")


@pytest_twisted.ensureDeferred
async def test_a_match_whose_room_cannot_be_made_sends_its_players_back_to_the_queue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    c = Cluster(1)
    server = c.servers[0]
    ana, ben = Player("u-a", "Ana"), Player("u-b", "Ben")
    ca, cb = c.connect(0, ana), c.connect(0, ben)

    async def taken(*args: Any, **kwargs: Any) -> bool:
        return False  # another instance holds the new room's lease

    monkeypatch.setattr(server.host, "create", taken)
    await server.play.handle(ana, FindMatch("french"))
    await server.play.handle(ben, FindMatch("french"))
    assert "matchFound" not in ca.names() + cb.names()
    assert await server.matchmaking.is_queued(ana.id) and await server.matchmaking.is_queued(ben.id)
    monkeypatch.undo()
    await server.matchmaking.look()  # the next periodic look forms the match again
    assert ca.last("matchFound")["roomId"] == cb.last("matchFound")["roomId"]


@pytest_twisted.ensureDeferred
async def test_a_match_is_hosted_where_one_of_its_players_is_connected() -> None:
    # An instance whose pass finds a group of other instances' players leaves it to them, so at
    # most one player of a duel has to reach the room across instances.
    c = Cluster(3)
    ana, ben = Player("u-a", "Ana"), Player("u-b", "Ben")
    ca, cb = c.connect(0, ana), c.connect(1, ben)
    queue = c.servers[0].backends.queue
    now = c.time.seconds()
    await queue.enqueue("french", ana, "i0", QueueTicket(since=now))
    await queue.enqueue("french", ben, "i1", QueueTicket(since=now))
    await c.servers[2].matchmaking._form_groups("french", 2)
    assert "matchFound" not in ca.names() + cb.names() and c.servers[2].host.count() == 0
    await c.servers[1].matchmaking._form_groups("french", 2)
    room_id = cb.last("matchFound")["roomId"]
    assert ca.last("matchFound")["roomId"] == room_id and c.owner_of(room_id) is c.servers[1]
