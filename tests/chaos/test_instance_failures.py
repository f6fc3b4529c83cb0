"""Instances die, restart and shut down while matches run; the matches finish anyway.

Real processes: a Redis master with a replica and three Sentinels, a Mongo-wire server, three
``twistd lingualeap`` instances behind the repository's haproxy.cfg, and players that reconnect
through HAProxy.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from support.cluster import LocalCluster
from support.processes import http_json, wait_until
from support.resilient import ResilientPlayer
from support.words import answer_for

from lingualeap.domain.progression import DAILY_STREAK_XP, ROUND_STREAK_XP

pytestmark = pytest.mark.slow

ARGS = ["--rounds", "3", "--round-seconds", "8", "--start-delay", "1", "--intermission", "0.5",
        "--reconnect-grace", "30", "--drain-seconds", "2"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    c = LocalCluster(tmp_path_factory.mktemp("chaos"), 3, ARGS, haproxy=True, sentinel=True, mongo=True)
    c.start()
    yield c
    c.stop()


def redis_command(port: int, *args: str) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall((" ".join(args) + "\r\n").encode())
        return s.recv(4096).decode()


def owner_of(cluster: LocalCluster, room: str) -> int:
    reply = redis_command(cluster.redis.port, "GET", f"ll:lease:{room}")
    holder = reply.split("\r\n")[1]
    return int(holder.split()[0].removeprefix("app")) - 1


counter = iter(range(1000))


def players(cluster: LocalCluster) -> tuple[ResilientPlayer, ResilientPlayer]:
    ws = cluster.front.replace("http", "ws") + "/ws"
    made = []
    for _ in range(2):
        name = f"p{next(counter)}"
        status, body = http_json(cluster.front + "/api/users", "POST",
                                 {"name": name, "email": f"{name}@example.com", "password": "password123"})
        assert status == 201, body
        made.append(ResilientPlayer(ws, body["token"], name))
    return made[0], made[1]


def start_match(a: ResilientPlayer, b: ResilientPlayer) -> tuple[str, dict[str, Any]]:
    a.next("welcome"), b.next("welcome")
    a.send("findMatch", {"language": "french"})
    a.next("queued")
    b.send("findMatch", {"language": "french"})
    try:
        first = a.next("newRound")
    except AssertionError as e:
        raise AssertionError(f"{e}; {b.name} got {[m['event'] for m in b.events]} on {b.instances}, "
                             f"{a.name} is on {a.instances}") from None
    b.next("newRound")
    return first["roomId"], first


def test_killing_the_owner_mid_round_does_not_end_the_match(cluster: LocalCluster, record_figure: Any) -> None:
    a, b = players(cluster)
    room, first = start_match(a, b)
    a.send("makeGuess", {"roomId": room, "guess": answer_for(first["translation"])})
    score = a.next("roundEnded")["scores"]
    b.next("roundEnded")
    second = a.next("newRound")
    b.next("newRound")
    victim = owner_of(cluster, room)
    killed_at = time.monotonic()
    cluster.instances[victim].kill()
    # The room is adopted from its snapshot by another instance; the round clock goes on.
    wait_until(lambda: owner_of_or_none(cluster, room) not in (None, victim), 20, "another instance adopting the room")
    record_figure("room owner unavailable after kill -9", time.monotonic() - killed_at)
    b.send("makeGuess", {"roomId": room, "guess": answer_for(second["translation"])})
    ended = a.next("roundEnded", timeout=30)
    assert ended["round"] == 2
    result = a.next("matchEnded", timeout=60)
    assert b.next("matchEnded", timeout=60) == result
    # Nobody guessed after those two right answers: the scores are exactly what they were.
    standings = {s["id"]: s["score"] for s in result["standings"]}
    assert standings[_id_of(a)] == score[_id_of(a)] > 0
    assert standings[_id_of(b)] == ended["scores"][_id_of(b)] > 0
    for player in (a, b):
        player.assert_nothing_lost()
        for gap in player.interruptions:
            record_figure(f"{player.name} without events", gap)
    # Written to MongoDB once, with the scores the players saw; credited once.
    wait_until(lambda: cluster.matches(room), 30, "the match record in MongoDB")
    records = cluster.matches(room)
    assert len(records) == 1, records
    stored = {p["id"]: (p["score"], p["xp"]) for p in records[0]["players"]}  # type: ignore[index]
    assert stored == {s["id"]: (s["score"], s["xp"]) for s in result["standings"]}
    for standing in result["standings"]:
        # Credited once: the match's XP, then (just after) the first-match-of-the-day bonus (and +5
        # for a player who solved all three rounds in a row).
        def bonus(name: str = standing["username"], xp: int = standing["xp"]) -> int:
            return int(http_json(f"{cluster.front}/api/users/{name}/totalXP")[1]["totalXP"]) - xp

        wait_until(lambda: bonus() > 0, 10, "the streak bonus credited")
        assert bonus() in (DAILY_STREAK_XP, DAILY_STREAK_XP + ROUND_STREAK_XP)
    a.close(), b.close()
    cluster.instances[victim].spawn()
    cluster.wait_healthy(cluster.instances[victim])


def owner_of_or_none(cluster: LocalCluster, room: str) -> int | None:
    try:
        return owner_of(cluster, room)
    except (ValueError, IndexError):
        return None


def _id_of(player: ResilientPlayer) -> str:
    welcome = next(e for e in player.events if e["event"] == "welcome")
    return str(welcome["data"]["player"]["id"])


def test_dropped_client_connections_resume_without_losing_events(cluster: LocalCluster, record_figure: Any) -> None:
    a, b = players(cluster)
    room, first = start_match(a, b)
    for player in (a, b):
        player.drop()
    a.send("makeGuess", {"roomId": room, "guess": "zzzz"})  # reconnects and resumes first
    assert b.next("wrongGuess")["player"]["username"] == a.name
    b.send("makeGuess", {"roomId": room, "guess": answer_for(first["translation"])})
    assert a.next("roundEnded")["winner"]["username"] == b.name
    assert a.next("matchEnded", timeout=60) == b.next("matchEnded", timeout=60)
    for player in (a, b):
        player.assert_nothing_lost()
        assert player.interruptions, f"{player.name} never noticed the drop"
        for gap in player.interruptions:
            record_figure(f"{player.name} reconnect and resume", gap)
    a.close(), b.close()


def test_a_rolling_restart_of_every_instance_does_not_end_a_match(cluster: LocalCluster, record_figure: Any) -> None:
    a, b = players(cluster)
    room, _ = start_match(a, b)
    started = time.monotonic()
    for index in range(len(cluster.instances)):
        instance = cluster.instances[index]
        instance.terminate()  # graceful: fail health checks, hand rooms over, close with 1012
        assert instance.process is not None
        instance.process.wait(30)
        cluster.restart(index)
    record_figure("rolling restart of 3 instances", time.monotonic() - started)
    # The match is still the same one, and it finishes.
    result = a.next("matchEnded", timeout=90)
    assert result["roomId"] == room
    assert b.next("matchEnded", timeout=90) == result
    for player in (a, b):
        player.assert_nothing_lost()
        for gap in player.interruptions:
            record_figure(f"{player.name} without events", gap)
    # Handed from instance to instance, the match is still written once.
    wait_until(lambda: cluster.matches(room), 30, "the match record in MongoDB")
    assert len(cluster.matches(room)) == 1
    a.close(), b.close()


def test_killing_the_redis_master_fails_over_and_play_resumes(cluster: LocalCluster, record_figure: Any) -> None:
    a, b = players(cluster)
    room, first = start_match(a, b)
    old_master = cluster.redis.port
    killed_at = time.monotonic()
    cluster.redis.kill()
    wait_until(lambda: all(s.master_port() not in (None, old_master) for s in cluster.sentinels), 60,
               "Sentinel promoting the replica")
    promoted_at = time.monotonic()
    record_figure("Sentinel promotion after kill -9 of the master", promoted_at - killed_at)

    def play_works() -> bool:
        a.send("makeGuess", {"roomId": room, "guess": "qqqq"})
        try:
            b.next("wrongGuess", timeout=1)
            return True
        except AssertionError:
            return False

    wait_until(play_works, 15, "play resuming after the promotion", interval=0.1)
    record_figure("play resumed after promotion", time.monotonic() - promoted_at)
    assert time.monotonic() - promoted_at < 15
    a.close(), b.close()
