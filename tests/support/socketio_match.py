"""A whole match between two Socket.IO clients, in the original clients' vocabulary.

The server must run with ``--words tests/fixtures/words --rounds 2`` so that answers are known
(:func:`support.words.answer_for`). Round 1: ``first`` guesses right. Round 2: ``second``
guesses wrong, then nobody is right and the round times out. ``first`` wins.
"""

from __future__ import annotations

from typing import Any, Protocol

from support.words import answer_for

OK = {"ok": True}
WRONG = "qqqqqqqqqq"


class Client(Protocol):
    def emit(self, event: str, data: Any = None) -> None: ...

    def call(self, event: str, data: Any = None, timeout: float = 5.0) -> Any: ...

    def next(self, name: str, timeout: float = 10.0) -> Any: ...


def play_match(first: Client, first_name: str, second: Client, second_name: str,
               language: str = "french", round_seconds: float = 3.0) -> dict[str, Any]:
    """Queue both (the original's ``findMatch {username, language}``, acked), play, return matchEnded."""
    assert first.call("findMatch", {"username": first_name, "language": language}) == OK
    assert first.next("queued")["language"] == language
    second.emit("findMatch", {"username": second_name, "language": language})  # no ack: as the original

    info = first.next("roomInfo")
    room = info["roomId"]
    assert sorted(p["username"] for p in info["players"]) == sorted([first_name, second_name])
    assert set(info["scores"]) == {p["id"] for p in info["players"]}
    assert second.next("roomInfo")["roomId"] == room
    assert first.next("matchFound")["roomId"] == room
    assert second.next("matchFound")["roomId"] == room

    # Round 1: right at once.
    one = first.next("newRound")
    assert second.next("newRound") == one
    answer = answer_for(one["translation"], language)
    assert one["round"] == 1 and one["word"] == one["hint"] != answer  # never the answer
    assert first.call("makeGuess", {"roomId": room, "guess": answer}) == OK
    hit = second.next("correctGuess")
    assert hit["exact"] is True and hit["player"]["username"] == first_name and hit["points"] > 100
    board = second.next("gameLeaderboardUpdate")
    assert isinstance(board, list) and board[0]["name"] == first_name  # the original's bare array
    assert board[0]["score"] == hit["points"]
    ended = first.next("roundEnded")
    assert ended["word"] == answer and ended["winner"]["username"] == first_name
    assert second.next("roundEnded") == ended

    # Round 2: a wrong guess, then the time runs out.
    two = second.next("newRound")
    assert first.next("newRound") == two and two["round"] == 2
    assert second.call("makeGuess", {"roomId": room, "guess": WRONG}) == OK
    miss = first.next("wrongGuess")
    assert miss["player"]["username"] == second_name and miss["points"] <= 0
    timed_out = first.next("roundEnded", timeout=round_seconds + 5)
    assert timed_out["winner"] is None and timed_out["word"] == answer_for(two["translation"], language)
    assert second.next("roundEnded") == timed_out

    result: dict[str, Any] = first.next("matchEnded")
    assert second.next("matchEnded") == result
    assert result["roomId"] == room and result["winner"]["username"] == first_name
    standings = {s["username"]: s for s in result["standings"]}
    assert standings[first_name]["score"] == hit["points"] and standings[first_name]["xp"] > 0
    return result
