"""Redis away for ten seconds: games on an instance go on, matchmaking pauses, all resumes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from support.cluster import LocalCluster
from support.processes import http_json, wait_until
from support.syncws import SyncClient
from support.words import answer_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    c = LocalCluster(tmp_path_factory.mktemp("outage"), 2,
                     ["--rounds", "3", "--round-seconds", "6", "--start-delay", "1", "--intermission", "0.5"],
                     persistent_redis=True)
    c.start()
    yield c
    c.stop()


def test_a_redis_outage_pauses_matchmaking_but_not_running_games(cluster: LocalCluster, record_figure: Any) -> None:
    ana = SyncClient(f"{cluster.ws(0)}?username=ana")
    ben = SyncClient(f"{cluster.ws(0)}?username=ben")
    cat = SyncClient(f"{cluster.ws(1)}?username=cat")
    ana.send("findMatch", {"language": "french"})
    ana.next("queued")
    ben.send("findMatch", {"language": "french"})
    first = ana.next("newRound")
    room = first["roomId"]
    ben.next("newRound")

    stopped_at = time.monotonic()
    cluster.redis.stop()
    # The match hosted on this instance goes on from memory.
    ben.send("makeGuess", {"roomId": room, "guess": answer_for(first["translation"])})
    assert ana.next("roundEnded")["winner"]["username"] == "ben"
    # Matchmaking needs the shared queue: a clear error, not a hang or a crash.
    cat.send("findMatch", {"language": "french"})
    error = cat.next("error")
    assert error["code"] == "unavailable" and "matchmaking is paused" in error["message"]
    for instance in cluster.instances:
        status, health = http_json(instance.base + "/health")
        assert status == 200 and health["status"] == "degraded"
        assert health["dependencies"][0]["status"] == "down"
    time.sleep(max(0.0, 10 - (time.monotonic() - stopped_at)))  # the outage lasts ten seconds
    cluster.redis.start()
    restarted_at = time.monotonic()

    def healthy_again() -> bool:
        return all(http_json(i.base + "/health")[1]["status"] == "ok" for i in cluster.instances)

    wait_until(healthy_again, 30, "instances reconnecting to Redis")
    record_figure("instances healthy after Redis came back", time.monotonic() - restarted_at)

    def matchmaking_works() -> bool:
        cat.send("findMatch", {"language": "spanish"})
        try:
            cat.next("queued", timeout=2)
            return True
        except AssertionError:
            return False

    wait_until(matchmaking_works, 20, "matchmaking resuming")
    record_figure("matchmaking paused for", time.monotonic() - stopped_at)
    assert ana.next("matchEnded", timeout=30) == ben.next("matchEnded", timeout=30)
    for instance in cluster.instances:
        assert instance.process is not None and instance.process.poll() is None  # nobody exited
    ana.close(), ben.close(), cat.close()
