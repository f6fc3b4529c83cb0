"""``twistd lingualeap --mongo ...`` processes against a real MongoDB-protocol server.

Accounts, XP and history survive restarts of the server and of MongoDB; a MongoDB outage in the
middle of a match does not stop the game, and its result is written once MongoDB is back.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websocket
from support.mongo import MongoServer, drop_database, mongo_server, new_database  # noqa: F401
from support.processes import ServerProcess, http_json, wait_until
from support.syncws import SyncClient
from support.words import FIXTURE_WORDS, answer_for

from lingualeap.domain.progression import DAILY_STREAK_XP

pytestmark = pytest.mark.slow

SECRET = "persistence-test-secret-that-is-long-enough"


def server_args(uri: str, *extra: str) -> list[str]:
    return ["--mongo", uri, "--words", str(FIXTURE_WORDS), "--bcrypt-rounds", "4", "--jwt-secret", SECRET,
            "--rounds", "2", "--round-seconds", "10", "--start-delay", "0.2", "--intermission", "0.2",
            "--drain-seconds", "0", *extra]


def dependency(server: ServerProcess, name: str) -> dict[str, Any]:
    status, health = http_json(server.base + "/health")
    assert status == 200, health  # degraded still answers 200: load balancers keep routing
    return next((d for d in health.get("dependencies", []) if d["name"] == name), {})


def start(uri: str, log_dir: Path, *extra: str) -> ServerProcess:
    server = ServerProcess(server_args(uri, *extra), log_dir).start()
    try:
        wait_until(lambda: dependency(server, "mongo").get("status") == "ok", 20, "MongoDB reachable from the server")
    except BaseException:
        server.stop()  # a failed start leaves no process behind
        raise
    return server


def register(server: ServerProcess, name: str) -> dict[str, Any]:
    status, body = http_json(server.base + "/api/users", "POST",
                             {"name": name, "email": f"{name.lower()}@example.com", "password": "password123"})
    assert status == 201, body
    return dict(body)


def authorised(server: ServerProcess, method: str, path: str, token: str) -> tuple[int, Any]:
    import json
    import urllib.error
    import urllib.request

    request = urllib.request.Request(server.base + path, method=method, headers={"authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def play_match(server: ServerProcess, first: dict[str, Any], second: dict[str, Any],
               before_last_guess: Any = None) -> dict[str, Any]:
    """Two rounds: the first player solves the first word, the second player the second."""
    ws = f"ws://127.0.0.1:{server.port}/ws"
    a, b = SyncClient(f"{ws}?token={first['token']}"), SyncClient(f"{ws}?token={second['token']}")
    try:
        a.next("welcome"), b.next("welcome")
        a.send("findMatch", {"language": "french"})
        a.next("queued")
        b.send("findMatch", {"language": "french"})
        room = a.next("matchFound")["roomId"]
        word = a.next("newRound")["translation"]
        a.send("makeGuess", {"roomId": room, "guess": answer_for(word)})
        a.next("roundEnded")
        word = a.next("newRound")["translation"]
        if before_last_guess is not None:
            before_last_guess()
        b.send("makeGuess", {"roomId": room, "guess": answer_for(word)})
        ended = a.next("matchEnded")
        assert b.next("matchEnded") == ended
        return ended
    finally:
        a.close(), b.close()


def xp_of(ended: dict[str, Any], name: str) -> int:
    return int(next(s["xp"] for s in ended["standings"] if s["username"] == name))


def clean(log: str) -> None:
    assert "Unhandled error" not in log and "Traceback" not in log, log


@pytest.fixture
def database(mongo_server: MongoServer) -> Iterator[str]:  # noqa: F811
    name = new_database()
    yield name
    drop_database(mongo_server, name)


def test_accounts_xp_and_history_survive_a_restart_of_the_server(
    mongo_server: MongoServer, database: str, tmp_path: Path,  # noqa: F811
) -> None:
    uri = mongo_server.uri(database)
    server = start(uri, tmp_path)
    try:
        ana, ben = register(server, "Ana"), register(server, "Ben")
        status, profile = authorised(server, "GET", "/api/users/profile", ana["token"])
        assert status == 200 and profile["languages"] == {} and profile["gamesPlayed"] == 0
        ended = play_match(server, ana, ben)
        ana_xp, ben_xp = xp_of(ended, "Ana"), xp_of(ended, "Ben")
        assert ana_xp > 0 and ben_xp > 0
        # Totals add the daily-streak bonus of a first match of the day (two rounds: no run of 3).
        ana_total = ana_xp + DAILY_STREAK_XP
        wait_until(lambda: http_json(server.base + "/api/users/ana/totalXP")[1]["totalXP"] == ana_total, 10,
                   "Ana's XP stored")
        first_log = server.log()
    finally:
        server.stop()
    clean(first_log)

    with mongo_server.client() as client:  # what MongoDB holds, straight from it
        db = client[database]
        [stored] = list(db.matches.find())
        assert stored["room"] == ended["roomId"] and "pending" not in stored
        assert [p["username"] for p in stored["players"]] == [s["username"] for s in ended["standings"]]
        assert [r["word"] for r in stored["rounds"]] == [answer_for(r["english"]) for r in stored["rounds"]]
        assert db.users.find_one({"name_key": "ana"})["total_xp"] == ana_total
        assert db.progress.count_documents({}) == 2

    server = start(uri, tmp_path)  # a new process: nothing of the first one's memory is left
    try:
        status, body = http_json(server.base + "/api/users/auth", "POST",
                                 {"email": "ana@example.com", "password": "password123"})
        assert status == 200 and body["totalXP"] == ana_total
        status, profile = authorised(server, "GET", "/api/users/profile", body["token"])
        assert profile["gamesPlayed"] == 1 and profile["languages"]["french"]["games"] == 1
        assert profile["languages"]["french"]["xp"] == ana_xp and profile["languages"]["french"]["bestStreak"] == 1
        # The global leaderboard of this fresh process was rebuilt from MongoDB.
        board = http_json(server.base + "/api/leaderboard/global")[1]
        assert {"name": "Ana", "totalXP": ana_total, "level": 1} in board and len(board) == 2
        status, history = http_json(server.base + "/api/users/ana/history?limit=5")
        assert status == 200 and [m["roomId"] for m in history["matches"]] == [ended["roomId"]]
        [entry] = history["matches"]
        assert entry["xp"] == ana_xp and [r["winner"] for r in entry["rounds"]] == ["Ana", "Ben"]
        assert http_json(server.base + "/api/users/ana/history?limit=0")[0] == 400
        # Ben leaves: his account and progress go, Ana's history keeps the match without him.
        status, _ = authorised(server, "DELETE", f"/api/users/{ben['_id']}", ben["token"])
        assert status == 200
        [entry] = http_json(server.base + "/api/users/ana/history")[1]["matches"]
        assert {s["name"] for s in entry["standings"]} == {"Ana", "Deleted player"}
        assert entry["rounds"][1]["winner"] == "Deleted player"
        assert http_json(server.base + "/api/users/ben/history")[0] == 404
        board = http_json(server.base + "/api/leaderboard/global")[1]
        assert [e["name"] for e in board] == ["Ana"]
        with mongo_server.client() as client:
            db = client[database]
            assert db.users.count_documents({"_id": ben["_id"]}) == 0
            assert db.progress.count_documents({"user": ben["_id"]}) == 0
            assert db.matches.count_documents({"players.id": ben["_id"]}) == 0
        clean(server.log())
    finally:
        server.stop()


def test_concurrent_registrations_of_one_name_make_one_account(
    mongo_server: MongoServer, database: str, tmp_path: Path,  # noqa: F811
) -> None:
    server = start(mongo_server.uri(database), tmp_path)
    try:
        def attempt(i: int) -> tuple[int, Any]:
            name = ["Zoe", "ZOE", "zoe"][i % 3]
            return http_json(server.base + "/api/users", "POST",
                             {"name": name, "email": f"zoe{i}@example.com", "password": "password123"})

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            outcomes = list(pool.map(attempt, range(16)))
        assert sorted(status for status, _ in outcomes) == [201] + [400] * 15
        assert {body["message"] for status, body in outcomes if status == 400} == {"User already exists"}
        with mongo_server.client() as client:
            assert client[database].users.count_documents({}) == 1
        clean(server.log())
    finally:
        server.stop()


def test_mongodb_stopped_mid_game_results_are_written_when_it_is_back(
    mongo_server: MongoServer, tmp_path: Path,  # noqa: F811
) -> None:
    mongo_server.require_control()
    mongo = MongoServer().start()  # this test stops its MongoDB: not the shared one
    try:
        server = start(mongo.uri("llgame"), tmp_path, "--mongo-timeout", "1")
        try:
            ana, ben = register(server, "Ana"), register(server, "Ben")
            cleo = register(server, "Cleo")  # logs out everywhere before the outage
            assert authorised(server, "POST", "/api/users/logout?all=1", cleo["token"])[0] == 200
            ended = play_match(server, ana, ben, before_last_guess=mongo.stop)
            # Registered players still get in on their signed token; revoked tokens still do not.
            ws = f"ws://127.0.0.1:{server.port}/ws"
            again = SyncClient(f"{ws}?token={ana['token']}")
            try:
                me = again.next("welcome")["player"]
                assert (me["id"], me["username"], me["guest"]) == (ana["_id"], "Ana", False)
            finally:
                again.close()
            with pytest.raises(websocket.WebSocketBadStatusException) as refused:
                websocket.create_connection(f"{ws}?token={cleo['token']}", timeout=5)
            assert refused.value.status_code == 401
            ana_xp = xp_of(ended, "Ana") + DAILY_STREAK_XP  # with the first match of the day's bonus
            # The game went on; the result waits, and /health says so (still 200).
            wait_until(lambda: dependency(server, "results-outbox").get("depth") == 1, 15, "result in the outbox")
            status, health = http_json(server.base + "/health")
            assert status == 200 and health["status"] == "degraded"
            assert dependency(server, "mongo")["status"] == "degraded"
            metrics = http_json_text(server.base + "/metrics")
            assert "lingualeap_results_outbox_depth 1.0" in metrics
            status, body = http_json(server.base + "/api/users/ana/totalXP")
            assert (status, body["code"]) == (503, "unavailable")

            mongo.start()  # same port, same data
            wait_until(lambda: dependency(server, "results-outbox").get("depth") == 0, 30, "outbox drained")
            # The store's own status follows its next successful ping (every 2 s).
            wait_until(lambda: dependency(server, "mongo").get("status") == "ok", 10, "MongoDB reported healthy")
            assert http_json(server.base + "/api/users/ana/totalXP")[1]["totalXP"] == ana_xp
            [entry] = http_json(server.base + "/api/users/ben/history")[1]["matches"]
            assert entry["roomId"] == ended["roomId"]
            assert {"name": "Ana", "totalXP": ana_xp, "level": 1} in http_json(server.base + "/api/leaderboard/global")[1]
            assert "Unhandled error" not in server.log()
        finally:
            server.stop()
        with mongo.client() as client:
            assert client["llgame"].matches.count_documents({}) == 1
            assert client["llgame"].users.find_one({"name": "Ana"})["total_xp"] == ana_xp
    finally:
        mongo.cleanup()


def http_json_text(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode())


def test_a_result_waiting_on_an_instance_that_dies_is_stored_by_another_through_redis(
    mongo_server: MongoServer, tmp_path: Path,  # noqa: F811
) -> None:
    from support.redis import RedisServer

    mongo_server.require_control()
    mongo, redis = MongoServer().start(), RedisServer().start()
    servers: list[ServerProcess] = []
    try:
        cluster_args = ("--redis", redis.url, "--mongo-timeout", "1")
        first = start(mongo.uri("llgame"), tmp_path, *cluster_args, "--instance-id", "app1")
        servers.append(first)
        ana, ben = register(first, "Ana"), register(first, "Ben")
        ended = play_match(first, ana, ben, before_last_guess=mongo.stop)
        wait_until(lambda: dependency(first, "results-outbox").get("depth") == 1, 15, "result in the outbox")
        first.kill()  # kill -9: its memory, outbox included, is gone
        mongo.start()
        second = start(mongo.uri("llgame"), tmp_path, *cluster_args, "--instance-id", "app2")
        servers.append(second)
        ana_xp = xp_of(ended, "Ana") + DAILY_STREAK_XP  # with the first match of the day's bonus
        wait_until(lambda: http_json(second.base + "/api/users/ana/totalXP")[1].get("totalXP") == ana_xp, 20,
                   "the result stored from the Redis spool")
        with mongo.client() as client:
            assert client["llgame"].matches.count_documents({}) == 1
        assert "Traceback" not in second.log()
    finally:
        for server in servers:
            server.stop()
        redis.cleanup()
        mongo.cleanup()


def test_credentials_in_the_uri_log_in_and_a_wrong_password_is_reported(tmp_path: Path) -> None:
    mongo = MongoServer(login=("lingualeap", "s3cret pass/w@rd")).start()  # users with SCRAM-SHA-256 only
    try:
        server = start(mongo.uri("llauth"), tmp_path)
        try:
            ana = register(server, "Ana")
            assert authorised(server, "GET", "/api/users/profile", ana["token"])[0] == 200
        finally:
            server.stop()
        with mongo.client() as client:
            assert client["llauth"].users.count_documents({"name": "Ana"}) == 1

        wrong = mongo.uri("llauth").replace("s3cret", "wrong")
        server = ServerProcess(server_args(wrong), tmp_path).start()
        try:
            wait_until(lambda: "MongoDB login of lingualeap failed" in server.log(), 20, "the refused login logged")
            assert dependency(server, "mongo")["status"] != "ok"
            assert "s3cret" not in server.log() and "wrong pass" not in server.log()
        finally:
            server.stop()
    finally:
        mongo.cleanup()
