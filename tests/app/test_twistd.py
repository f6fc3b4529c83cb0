"""The README's run command, for real: ``twistd -n lingualeap`` as a process, and a round against it."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.processes import ServerProcess, http_json
from support.syncws import SyncClient


@pytest.fixture
def server(tmp_path: Path) -> ServerProcess:
    process = ServerProcess(
        ["--rounds", "2", "--round-seconds", "1", "--start-delay", "0.2", "--intermission", "0.2"], tmp_path
    ).start()
    yield process  # type: ignore[misc]
    process.stop()


def test_twistd_serves_a_playable_game(server: ServerProcess) -> None:
    ws = server.base.replace("http", "ws") + "/ws"
    status, user = http_json(server.base + "/api/users", "POST",
                             {"name": "Runner", "email": "runner@example.com", "password": "password123"})
    assert status == 201
    runner = SyncClient(f"{ws}?token={user['token']}")
    guest = SyncClient(f"{ws}?username=Walker")
    try:
        runner.send("findMatch", {"language": "spanish"})
        guest.send("findMatch", {"language": "spanish"})
        first = guest.next("newRound")
        assert first["round"] == 1 and first["translation"] and set(first["hint"]) - {"_", " ", "-", "'"} == set()
        guest.send("makeGuess", {"roomId": first["roomId"], "guess": "zzzzzzzzzzzz"})
        assert guest.next("wrongGuess")["player"]["username"] == "Walker"
        ended = runner.next("roundEnded")
        assert ended["word"] and ended["translation"] == first["translation"]
        second = runner.next("newRound")
        runner.send("makeGuess", {"roomId": second["roomId"], "guess": "x"})
        result = runner.next("matchEnded")
        assert {s["username"] for s in result["standings"]} == {"Runner", "Walker"}
    finally:
        runner.close()
        guest.close()
    status, health = http_json(server.base + "/health")
    assert status == 200 and health["status"] == "ok"
    # twistd re-raises SIGTERM after a clean shutdown, so "killed by SIGTERM" is the clean exit.
    assert server.stop() in (0, -15)
    log = server.log()
    assert "Server Shut Down." in log
    assert "Unhandled" not in log and "Traceback" not in log, log
    assert "random per-process secret" in log
