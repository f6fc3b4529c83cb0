"""Room states as plain JSON-compatible dicts, so a snapshot can live outside the process."""

from __future__ import annotations

from typing import Any

from lingualeap.domain.model import Player, WordPair
from lingualeap.domain.room import Phase, RoomState, RoundRecord, Rules


def _word(raw: Any) -> WordPair:
    return WordPair(raw["english"], raw["answer"], tuple(raw.get("alternatives", ())), int(raw.get("tier", 1)))


def to_dict(state: RoomState, *, words: bool = True) -> dict[str, Any]:
    """``words=False`` leaves out the room's words, which never change: a store that keeps them
    apart writes them once, not with every change (see :func:`words_to_list`)."""
    raw = {
        "room_id": state.room_id,
        "language": state.language,
        "private": state.private,
        "rules": {
            "rounds": state.rules.rounds,
            "round_seconds": state.rules.round_seconds,
            "start_delay": state.rules.start_delay,
            "intermission": state.rules.intermission,
            "max_players": state.rules.max_players,
        },
        "created_at": state.created_at,
        "players": [{"id": p.id, "username": p.username, "guest": p.guest} for p in state.players],
        "scores": dict(state.scores),
        "rounds_won": dict(state.rounds_won),
        "phase": state.phase.value,
        "round": state.round,
        "round_started_at": state.round_started_at,
        "round_ends_at": state.round_ends_at,
        "revealed": sorted(state.revealed),
        "next_at": state.next_at,
        "started_at": state.started_at,
        "ended_at": state.ended_at,
        "history": [
            {"number": r.number, "english": r.english, "answer": r.answer, "winner": r.winner,
             "started_at": r.started_at, "ended_at": r.ended_at}
            for r in state.history
        ],
        "seq": state.seq,
        "away": dict(state.away),
    }
    if words:
        raw["words"] = words_to_list(state.words)
    return raw


def words_to_list(words: tuple[WordPair, ...]) -> list[dict[str, Any]]:
    return [{"english": w.english, "answer": w.answer, "alternatives": list(w.alternatives), "tier": w.tier}
            for w in words]


def from_dict(raw: dict[str, Any], words: list[Any] | None = None) -> RoomState:
    """The state of :func:`to_dict`; ``words`` if it was made without them."""
    rules = raw["rules"]
    return RoomState(
        room_id=raw["room_id"],
        language=raw["language"],
        private=bool(raw["private"]),
        rules=Rules(
            rounds=int(rules["rounds"]),
            round_seconds=float(rules["round_seconds"]),
            start_delay=float(rules["start_delay"]),
            intermission=float(rules["intermission"]),
            max_players=int(rules["max_players"]),
        ),
        words=tuple(_word(w) for w in (raw["words"] if "words" in raw else words or ())),
        created_at=float(raw["created_at"]),
        players=tuple(Player(p["id"], p["username"], bool(p["guest"])) for p in raw["players"]),
        scores={k: int(v) for k, v in raw["scores"].items()},
        rounds_won={k: int(v) for k, v in raw["rounds_won"].items()},
        phase=Phase(raw["phase"]),
        round=int(raw["round"]),
        round_started_at=float(raw["round_started_at"]),
        round_ends_at=float(raw["round_ends_at"]),
        revealed=frozenset(int(i) for i in raw["revealed"]),
        next_at=None if raw["next_at"] is None else float(raw["next_at"]),
        started_at=None if raw["started_at"] is None else float(raw["started_at"]),
        ended_at=None if raw["ended_at"] is None else float(raw["ended_at"]),
        history=tuple(
            RoundRecord(int(r["number"]), r["english"], r["answer"], r["winner"],
                        float(r["started_at"]), float(r["ended_at"]))
            for r in raw["history"]
        ),
        seq=int(raw.get("seq", 0)),
        away={k: float(v) for k, v in (raw.get("away") or {}).items()},
    )
