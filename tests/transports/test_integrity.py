"""Game integrity over real /ws: a whole match in which every frame every client receives is
inspected for answers, plus replayed guesses, full rooms and players acting where they are not."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest_twisted
from support.live import LiveServer
from support.words import FRENCH_WORDS
from support.wsclient import connect

from lingualeap.domain.judge import fold

WORDS = {p.english: p for p in FRENCH_WORDS}


@pytest_twisted.async_yield_fixture
async def server() -> AsyncIterator[LiveServer]:
    live = await LiveServer(rounds=3, round_seconds=1.5, start_delay=0.8, intermission=0.2,
                            reconnect_grace=10, drain_seconds=0).start()
    yield live
    await live.stop()


async def register(server: LiveServer, name: str) -> str:
    status, body, _ = await server.request(
        "POST", "/api/users", {"name": name, "email": f"{name}@example.com", "password": "password123"})
    assert status == 201, body
    return str(body["token"])


def strings(value: Any) -> Iterator[str]:
    """Every string value in a decoded frame (keys are our own vocabulary, not data)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def assert_no_answer_before_its_round_ended(who: str, frames: list[dict[str, Any]], answers: dict[int, set[str]]) -> None:
    """No frame may carry the answer (or an alternative) of a round whose roundEnded the client
    has not received yet: not during the round, and not before it either."""
    ended: set[int] = set()
    for index, frame in enumerate(frames):
        if frame["event"] == "roundEnded":
            ended.add(frame["data"]["round"])  # the one frame allowed to carry its answer
        secret = {word for number, words in answers.items() if number not in ended for word in words}
        for text in strings(frame):
            leaked = [word for word in secret if word in fold(text)]
            assert not leaked, f"{who}'s frame {index} ({frame['event']}) carries {leaked} before roundEnded: {frame}"


@pytest_twisted.ensureDeferred
async def test_answers_never_leave_the_server_before_their_round_ends(server: LiveServer) -> None:
    ana_token, carl_token = await register(server, "ana"), await register(server, "carl")
    ana = await connect(server.ws_url(f"token={ana_token}"))
    ben = await connect(server.ws_url("username=ben"))
    carl = await connect(server.ws_url(f"token={carl_token}"))
    dan = await connect(server.ws_url("username=dan"))
    eve = await connect(server.ws_url("username=eve"))
    for client in (ana, ben, carl, dan, eve):
        await client.next("welcome")
    for client in (ana, ben, carl, dan):
        client.send("joinRoom", {"roomId": "integrity", "language": "french"})
        await client.next("roomInfo")
    eve.send("joinRoom", {"roomId": "integrity", "language": "french"})
    assert (await eve.next("roomFull"))["maxPlayers"] == 4
    ana.send("joinRoom", {"roomId": "another-one", "language": "french"})
    assert (await ana.next("error"))["code"] == "already_in_room"  # one room per player

    # Round 1: replayed guesses change nothing twice; strangers cannot act in the room.
    first = await ana.next("newRound")
    room, answer = first["roomId"], WORDS[first["translation"]].answer
    for event in ("makeGuess", "leaveRoom"):
        eve.send(event, {"roomId": room, "guess": answer})
        assert (await eve.next("error"))["code"] == "not_in_room"
    eve.send("joinRoom", {"roomId": room, "language": "french"})
    assert (await eve.next("error"))["code"] == "room_not_joinable"
    partial = answer[0] + "#" * (len(answer) - 1)
    ben.send("makeGuess", {"roomId": room, "guess": partial})
    hit = await ben.next("correctGuess")
    assert hit["exact"] is False and hit["revealedChars"] == [0] and hit["points"] == 10
    ben.send("makeGuess", {"roomId": room, "guess": partial})  # the same again: no new letter, no credit
    again = await ben.next("wrongGuess")
    assert again["player"]["username"] == "ben" and again["points"] == -10 and again["scores"][again["player"]["id"]] == 0
    ana.send("makeGuess", {"roomId": room, "guess": answer})
    ana.send("makeGuess", {"roomId": room, "guess": answer})  # a replay right behind it
    exact = await ana.next("correctGuess")
    while not exact["exact"]:  # ana saw ben's partial hit first
        exact = await ana.next("correctGuess")
    assert exact["player"]["username"] == "ana"
    replay = await ana.next("error")
    assert replay["code"] == "no_round" and replay["event"] == "makeGuess"
    ended = await ana.next("roundEnded")
    assert ended["scores"][exact["player"]["id"]] == exact["points"]  # credited once

    # Round 2 runs out; round 3: carl drops out and comes back mid-round.
    await ana.next("roundEnded")
    third = await carl.next("newRound")
    while third["round"] != 3:
        third = await carl.next("newRound")
    seen = max(f["data"].get("seq", 0) for f in carl.events)
    carl.close()
    await carl.wait_closed()
    carl_again = await connect(server.ws_url(f"token={carl_token}"))
    carl_again.send("resume", {"roomId": room, "lastSeq": seen})
    ben.send("makeGuess", {"roomId": room, "guess": "zzzz"})
    await carl_again.next("wrongGuess")
    ana.send("makeGuess", {"roomId": room, "guess": WORDS[third["translation"]].answer})
    result = await ana.next("matchEnded")
    assert result["winner"]["username"] == "ana"
    for client in (ben, carl_again, dan):
        await client.next("matchEnded")

    # Now every frame of every client, in the order it arrived.
    rounds = {f["data"]["round"]: f["data"] for f in ana.events if f["event"] == "roundEnded"}
    assert sorted(rounds) == [1, 2, 3]
    answers = {}
    for number, data in rounds.items():
        pair = WORDS[data["translation"]]
        assert data["word"] == pair.answer
        answers[number] = {fold(w) for w in (pair.answer, *pair.alternatives)}
    frames = {"ana": ana.events, "ben": ben.events, "carl": carl.events + carl_again.events,
              "dan": dan.events, "eve": eve.events}
    assert sum(len(f) for f in frames.values()) > 60
    for who, received in frames.items():
        assert_no_answer_before_its_round_ended(who, received, answers)
    for client in (ana, ben, carl_again, dan, eve):
        client.close()


def test_the_inspection_catches_a_leak() -> None:
    import pytest

    answers = {1: {"maison"}, 2: {"livre"}}
    fine = [{"event": "newRound", "data": {"round": 1, "hint": "______"}},
            {"event": "roundEnded", "data": {"round": 1, "word": "maison"}}]
    assert_no_answer_before_its_round_ended("x", fine, answers)
    for leak in ({"event": "newRound", "data": {"round": 1, "word": "Maison"}},
                 {"event": "roomState", "data": {"players": [{"username": "the LIVRE"}]}},
                 {"event": "roundEnded", "data": {"round": 1, "next": ["livre"]}}):
        with pytest.raises(AssertionError):
            assert_no_answer_before_its_round_ended("x", [leak], answers)
