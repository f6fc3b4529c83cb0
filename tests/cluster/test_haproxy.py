"""Three instances behind the repository's haproxy.cfg, with Redis: clients land anywhere."""

from __future__ import annotations

import collections
import urllib.request
from collections.abc import Iterator

import pytest
import pytest_twisted
from support.cluster import LocalCluster
from support.processes import http_json
from support.syncws import SyncClient
from support.words import answer_for
from support.wsclient import WsClient, connect
from twisted.internet import defer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    c = LocalCluster(tmp_path_factory.mktemp("haproxy"), 3,
                     ["--rounds", "1", "--round-seconds", "5", "--start-delay", "0.3",
                      # Hundreds of players from one address (loopback) is a load test, not abuse.
                      "--limit-connections", "off"], haproxy=True)
    c.start()
    yield c
    c.stop()


def test_http_is_balanced_and_says_which_instance_answered(cluster: LocalCluster) -> None:
    seen = collections.Counter()
    for _ in range(9):
        with urllib.request.urlopen(cluster.front + "/health", timeout=5) as response:
            header = response.headers["X-LinguaLeap-Instance"]
            assert header == __import__("json").loads(response.read())["instance"]
            seen[header] += 1
    assert set(seen) == {"app1", "app2", "app3"}


def test_players_landing_on_different_instances_play_a_match(cluster: LocalCluster) -> None:
    ws = cluster.front.replace("http", "ws") + "/ws"
    clients: list[SyncClient] = []
    landed: dict[str, tuple[SyncClient, str]] = {}
    while len(landed) < 2:  # leastconn spreads new connections; keep the first two distinct
        client = SyncClient(f"{ws}?username=p{len(clients)}")
        clients.append(client)
        welcome = client.next("welcome")
        landed.setdefault(welcome["instance"], (client, welcome["player"]["username"]))
        assert len(clients) < 10, "HAProxy never spread connections over two instances"
    (first, first_name), (second, _) = landed.values()
    first.send("findMatch", {"language": "spanish"})
    first.next("queued")
    second.send("findMatch", {"language": "spanish"})
    new_round = second.next("newRound")
    first.send("makeGuess", {"roomId": new_round["roomId"], "guess": answer_for(new_round["translation"], "spanish")})
    assert second.next("roundEnded")["winner"]["username"] == first_name
    ended = second.next("matchEnded")
    assert first.next("matchEnded") == ended
    assert ended["winner"]["username"] == first_name
    for client in clients:
        client.close()


@pytest_twisted.ensureDeferred
async def test_hundreds_of_players_queued_at_once_each_land_in_exactly_one_room(cluster: LocalCluster) -> None:
    ws = cluster.front.replace("http", "ws") + "/ws"
    count = 300
    clients: list[WsClient] = list(await defer.gatherResults(
        [defer.ensureDeferred(connect(f"{ws}?username=c{i}")) for i in range(count)], consumeErrors=True))
    welcomes = [await c.next("welcome") for c in clients]
    instances = collections.Counter(w["instance"] for w in welcomes)
    assert set(instances) == {"app1", "app2", "app3"}
    for c in clients:
        c.send("findMatch", {"language": "french"})
    found = await defer.gatherResults(
        [defer.ensureDeferred(c.next("matchFound", timeout=60)) for c in clients], consumeErrors=True)
    rooms: dict[str, list[str]] = collections.defaultdict(list)
    for welcome, match in zip(welcomes, found):
        rooms[match["roomId"]].append(welcome["player"]["id"])
    assert len(rooms) == count // 2
    assert all(len(set(members)) == 2 for members in rooms.values())
    everyone = [p for members in rooms.values() for p in members]
    assert sorted(everyone) == sorted(w["player"]["id"] for w in welcomes)
    for c in clients:
        assert sum(1 for e in c.events if e["event"] == "matchFound") == 1
        c.close()
