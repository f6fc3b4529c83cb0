"""Several ``twistd lingualeap --redis`` processes acting as one game server."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from support.cluster import LocalCluster
from support.processes import http_json, wait_until
from support.syncws import SyncClient
from support.words import answer_for

from lingualeap.domain.progression import DAILY_STREAK_XP

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    c = LocalCluster(tmp_path_factory.mktemp("cluster"), 4,
                     ["--rounds", "2", "--round-seconds", "3", "--start-delay", "2", "--intermission", "0.3"])
    c.start()
    yield c
    c.stop()


def register(cluster: LocalCluster, index: int, name: str) -> str:
    status, body = http_json(cluster.instances[index].base + "/api/users", "POST",
                             {"name": name, "email": f"{name}@example.com", "password": "password123"})
    assert status == 201, body
    return str(body["token"])


def subscribers(cluster: LocalCluster, channel: str) -> int:
    found = subprocess.run(["redis-cli", "-p", str(cluster.redis.port), "PUBSUB", "NUMSUB", channel],
                           capture_output=True, text=True, check=True, timeout=10).stdout.split()
    assert found[0] == channel, found
    return int(found[1])


def room_events(client: SyncClient) -> list[tuple[str, int]]:
    return [(e["event"], e["data"]["seq"]) for e in client.events if "seq" in (e.get("data") or {})]


def test_players_on_two_instances_play_a_whole_match(cluster: LocalCluster) -> None:
    ana = SyncClient(f"{cluster.ws(0)}?token={register(cluster, 0, 'ana')}")
    ben = SyncClient(f"{cluster.ws(1)}?token={register(cluster, 1, 'ben')}")
    assert ana.next("welcome")["instance"] == "app1" and ben.next("welcome")["instance"] == "app2"
    ana.send("findMatch", {"language": "french"})
    ana.next("queued")
    ben.send("findMatch", {"language": "french"})
    room = ana.next("roomInfo")["roomId"]
    assert ben.next("roomInfo")["roomId"] == room
    first = ana.next("newRound")
    # Only the instance that is not hosting the room listens to its channel: Redis does not
    # send every batch back to the host that made it.
    assert subscribers(cluster, f"ll:0:ch:room:{room}") == 1
    ben.send("makeGuess", {"roomId": room, "guess": "zzzzzz"})
    assert ana.next("wrongGuess")["player"]["username"] == "ben"
    ben.send("makeGuess", {"roomId": room, "guess": answer_for(first["translation"])})
    assert ana.next("roundEnded")["winner"]["username"] == "ben"
    # The room's board is live on every instance while it runs (read from its snapshot, which
    # the owner may still be writing when its own players hear the round end).
    for instance in cluster.instances:
        def ben_leads(base: str = instance.base) -> bool:
            status, board = http_json(f"{base}/api/leaderboard/game/{room}")
            return status == 200 and board[0]["name"] == "ben" and board[0]["score"] > 0
        wait_until(ben_leads, 5, f"ben leading room {room}'s board on {instance.base}")
    result = ana.next("matchEnded")
    assert ben.next("matchEnded") == result
    assert result["winner"]["username"] == "ben"
    # Both saw the same room events, in order, with no gaps.
    assert room_events(ana) == room_events(ben)
    seqs = [seq for _, seq in room_events(ana)]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    # XP and the leaderboard are visible from any instance, as soon as the results are in.
    # Ben's total adds the daily-streak bonus of his first match today (one round solved: no run).
    xp = result["standings"][0]["xp"] + DAILY_STREAK_XP
    update = ana.next("globalLeaderboardUpdate")
    assert {"name": "ben", "totalXP": xp, "level": 1} in update["leaderboard"]
    for instance in cluster.instances:
        assert http_json(instance.base + "/api/users/ben/totalXP")[1]["totalXP"] == xp
        board = http_json(instance.base + "/api/leaderboard/global")[1]
        assert {"name": "ben", "totalXP": xp, "level": 1} in board
    ana.close(), ben.close()


def test_a_private_room_holds_players_from_four_instances(cluster: LocalCluster) -> None:
    clients = [SyncClient(f"{cluster.ws(i)}?username=p{i}") for i in range(4)]
    for i, client in enumerate(clients):
        assert client.next("welcome")["instance"] == f"app{i + 1}"
        client.send("joinRoom", {"roomId": "four-way", "language": "spanish"})
        assert client.next("roomInfo")["roomId"] == "four-way"
    for client in clients:
        assert client.next("newRound")["roomId"] == "four-way"
        last_info = [e["data"] for e in client.events if e["event"] == "roomInfo"][-1]
        assert [p["username"] for p in last_info["players"]] == ["p0", "p1", "p2", "p3"]
    clients[3].send("leaveRoom", {"roomId": "four-way"})
    assert clients[0].next("playerLeft")["player"]["username"] == "p3"
    results = [c.next("matchEnded", timeout=20) for c in clients[:3]]
    assert results[0] == results[1] == results[2]
    for client in clients:
        client.close()


def test_a_fast_guesser_is_limited_by_the_rooms_host_on_another_instance(cluster: LocalCluster) -> None:
    import time

    ana = SyncClient(f"{cluster.ws(0)}?username=host-ana")
    ben = SyncClient(f"{cluster.ws(1)}?token={register(cluster, 1, 'quick-ben')}")
    ana.send("joinRoom", {"roomId": "quick-den", "language": "french"})
    ana.next("roomInfo")
    ben.send("joinRoom", {"roomId": "quick-den", "language": "french"})
    ben.next("newRound")
    sent, started = 25, time.monotonic()
    for _ in range(sent):
        ben.send("makeGuess", {"roomId": "quick-den", "guess": "zzzzzz"})
    accepted, refused = 0, []
    while accepted + len(refused) < sent:  # every guess is answered: applied, or refused with a reason
        event = ben.next_any(("wrongGuess", "error"))
        if "code" not in event:
            accepted += event["player"]["username"] == "quick-ben"
        elif event["code"] == "no_round":  # the round ended meanwhile: applied to the rules
            accepted += 1
        else:
            refused.append(event)
    elapsed = time.monotonic() - started
    # Default limit 5/s, burst 10, kept by the host (app1) and told to app2 with its wait.
    assert refused and all(e["code"] == "rate_limited" and e["event"] == "makeGuess" and e["retryAfter"] > 0
                           for e in refused)
    assert 10 <= accepted <= 10 + 5 * elapsed + 1
    ana.close(), ben.close()


def test_logging_out_on_one_instance_ends_the_token_everywhere(cluster: LocalCluster) -> None:
    token = register(cluster, 2, "cleo")
    status, profile = http_json(cluster.instances[0].base + "/api/users/profile")  # no token
    assert status == 401
    import urllib.request

    def profile_status(index: int) -> int:
        request = urllib.request.Request(cluster.instances[index].base + "/api/users/profile",
                                         headers={"authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return int(response.status)
        except urllib.error.HTTPError as e:
            return int(e.code)

    assert profile_status(0) == 200
    request = urllib.request.Request(cluster.instances[3].base + "/api/users/logout", method="POST",
                                     headers={"authorization": f"Bearer {token}"})
    urllib.request.urlopen(request, timeout=5).close()
    assert [profile_status(i) for i in range(4)] == [401, 401, 401, 401]


def test_instances_register_and_are_listed(cluster: LocalCluster) -> None:
    status, body = http_json(cluster.instances[1].base + "/api/cluster")
    assert status == 200
    assert {i["id"] for i in body["instances"]} == {"app1", "app2", "app3", "app4"}
    health = http_json(cluster.instances[0].base + "/health")[1]
    assert health["instance"] == "app1"
    assert [d["name"] for d in health["dependencies"]] == ["redis"]
    assert health["dependencies"][0]["status"] == "ok"


def test_after_losing_pubsub_instances_resubscribe_and_resynchronise(cluster: LocalCluster) -> None:
    import socket

    ana = SyncClient(f"{cluster.ws(2)}?username=ana")
    ben = SyncClient(f"{cluster.ws(3)}?username=ben")
    ana.send("findMatch", {"language": "spanish"})
    ana.next("queued")
    ben.send("findMatch", {"language": "spanish"})
    room = ana.next("newRound")["roomId"]
    seen = ben.next("newRound")["seq"]
    with socket.create_connection(("127.0.0.1", cluster.redis.port), timeout=5) as redis:
        redis.sendall(b"CLIENT KILL TYPE pubsub\r\n")
        assert int(redis.recv(64)[1:].split(b"\r")[0]) >= 2  # every instance's subscriber was cut
    # While the instances reconnect (after a backoff), the owner publishes to nobody.
    ben.send("makeGuess", {"roomId": room, "guess": "zzzz"})
    # Whoever missed the guess's events gets the room as stored instead; nothing is silently lost.
    # (An instance that resubscribed before the guess was published simply hears it; a guess
    # sharing a letter with the word is a partial correctGuess, not a wrongGuess.)
    verdicts = ("wrongGuess", "correctGuess")
    for client in (ana, ben):
        deadline_events = client.next_any(("roomState", *verdicts), timeout=20)
        assert deadline_events["roomId"] == room and deadline_events["seq"] > seen
        if "phase" in deadline_events:
            assert deadline_events["phase"] == "round" and deadline_events["hint"] and "word" not in deadline_events
    latest = max(int(e["data"]["seq"]) for e in ana.events if "seq" in (e.get("data") or {}))
    ben.send("makeGuess", {"roomId": room, "guess": "qqqq"})
    assert ana.next_any(verdicts, timeout=10)["seq"] > latest
    assert ana.next("matchEnded", timeout=20) == ben.next("matchEnded", timeout=20)
    ana.close(), ben.close()
