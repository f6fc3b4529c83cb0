"""The room state machine: pure functions from (state, command, now) to (state', events).

A room is WAITING for players, STARTING (match found, first round soon), in a ROUND, in the
INTERMISSION between rounds, FINISHED, or CLOSED (everybody left before the end). Every
timed transition is driven by :func:`tick` once ``now`` reaches ``state.wake_at`` (the next
phase deadline, or the end of a disconnected player's grace period); the caller owns the clock
and wakes the room at that time. Deadlines are absolute, so a room restored from a snapshot on
another instance continues on the same schedule.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lingualeap.domain import judge, scoring
from lingualeap.domain.errors import GameError
from lingualeap.domain.events import Event, to_millis
from lingualeap.domain.model import Player, WordPair
from lingualeap.domain.records import replace

MAX_PLAYERS = 4
LEADERBOARD_SIZE = 10


class Phase(enum.Enum):
    WAITING = "waiting"
    STARTING = "starting"
    ROUND = "round"
    INTERMISSION = "intermission"
    FINISHED = "finished"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Rules:
    rounds: int = 10
    round_seconds: float = 30.0
    start_delay: float = 2.0
    intermission: float = 2.0
    max_players: int = MAX_PLAYERS


@dataclass(frozen=True, slots=True)
class RoundRecord:
    """What happened in one finished round (kept for match history)."""

    number: int
    english: str
    answer: str
    winner: str | None
    started_at: float
    ended_at: float


@dataclass(frozen=True, slots=True)
class Standing:
    player: Player
    score: int
    rounds_won: int
    xp: int


@dataclass(frozen=True, slots=True)
class RoomState:
    room_id: str
    language: str
    private: bool
    rules: Rules
    words: tuple[WordPair, ...]
    created_at: float
    players: tuple[Player, ...] = ()
    scores: Mapping[str, int] = field(default_factory=dict)
    rounds_won: Mapping[str, int] = field(default_factory=dict)
    phase: Phase = Phase.WAITING
    round: int = 0
    round_started_at: float = 0.0
    round_ends_at: float = 0.0
    revealed: frozenset[int] = frozenset()
    next_at: float | None = None
    started_at: float | None = None
    ended_at: float | None = None
    history: tuple[RoundRecord, ...] = ()
    #: Sequence number of the last event this room emitted (see :func:`numbered`).
    seq: int = 0
    #: Players whose connection dropped, and when their seat is given up.
    away: Mapping[str, float] = field(default_factory=dict)

    # -- queries -------------------------------------------------------------------------
    def member(self, player_id: str) -> Player | None:
        return next((p for p in self.players if p.id == player_id), None)

    @property
    def member_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.players)

    @property
    def current_word(self) -> WordPair | None:
        if self.phase is Phase.ROUND and 1 <= self.round <= len(self.words):
            return self.words[self.round - 1]
        return None

    @property
    def total_rounds(self) -> int:
        return len(self.words)

    @property
    def wake_at(self) -> float | None:
        """When :func:`tick` has something to do next."""
        deadlines = [d for d in (self.next_at, *self.away.values()) if d is not None]
        return min(deadlines) if deadlines else None

    @property
    def is_over(self) -> bool:
        return self.phase in (Phase.FINISHED, Phase.CLOSED)

    def standings(self) -> list[Standing]:
        ranked = sorted(
            self.players,
            key=lambda p: (-self.scores.get(p.id, 0), -self.rounds_won.get(p.id, 0)),
        )
        winner = self.winner()
        return [
            Standing(
                player=p,
                score=self.scores.get(p.id, 0),
                rounds_won=self.rounds_won.get(p.id, 0),
                xp=scoring.match_xp(self.scores.get(p.id, 0), winner is not None and winner.id == p.id),
            )
            for p in ranked
        ]

    def winner(self) -> Player | None:
        """The single best player by score, then rounds won; ``None`` for a draw."""
        if not self.players:
            return None

        def key(p: Player) -> tuple[int, int]:
            return (self.scores.get(p.id, 0), self.rounds_won.get(p.id, 0))

        ranked = sorted(self.players, key=key, reverse=True)
        if len(ranked) > 1 and key(ranked[0]) == key(ranked[1]):
            return None
        return ranked[0]

    def leaderboard(self) -> list[dict[str, Any]]:
        return [
            {"name": s.player.username, "score": s.score} for s in self.standings()[:LEADERBOARD_SIZE]
        ]


# -- payload helpers -------------------------------------------------------------------------
def _players(state: RoomState) -> list[dict[str, str]]:
    return [p.public() for p in state.players]


def _scores(state: RoomState) -> dict[str, int]:
    return {p.id: state.scores.get(p.id, 0) for p in state.players}


def room_info(state: RoomState, to: tuple[str, ...] | None = None) -> Event:
    return Event(
        "roomInfo",
        {
            "roomId": state.room_id,
            "language": state.language,
            "private": state.private,
            "maxPlayers": state.rules.max_players,
            "players": _players(state),
            "scores": _scores(state),
        },
        to,
    )


def _leaderboard_event(state: RoomState) -> Event:
    return Event("gameLeaderboardUpdate", {"roomId": state.room_id, "leaderboard": state.leaderboard()})


def numbered(state: RoomState, events: list[Event]) -> tuple[RoomState, list[Event]]:
    """Stamp each event with the room's next sequence number (``data.seq``), in order.

    Clients and instances use it to put events in order and to spot gaps after a reconnect.
    """
    if not events:
        return state, events
    stamped = [
        Event(e.name, {**e.data, "seq": state.seq + i}, e.to) for i, e in enumerate(events, start=1)
    ]
    return replace(state, seq=state.seq + len(events)), stamped


def snapshot(state: RoomState, to: tuple[str, ...] | None = None) -> Event:
    """``roomState``: everything a (re)connecting member needs to show the room as it is now."""
    word = state.current_word
    return Event(
        "roomState",
        {
            "roomId": state.room_id,
            "language": state.language,
            "private": state.private,
            "phase": state.phase.value,
            "players": _players(state),
            "scores": _scores(state),
            "round": state.round,
            "totalRounds": state.total_rounds,
            "translation": word.english if word else None,
            "hint": judge.mask(word.answer, state.revealed) if word else None,
            "endsAt": to_millis(state.round_ends_at) if word else None,
            "nextAt": to_millis(state.next_at) if state.next_at is not None else None,
            "seq": state.seq,
        },
        to,
    )


# -- creation ---------------------------------------------------------------------------------
def create(
    room_id: str,
    language: str,
    *,
    private: bool,
    rules: Rules,
    words: Sequence[WordPair],
    now: float,
    players: Sequence[Player] = (),
) -> tuple[RoomState, list[Event]]:
    """A new room, possibly with its first players (matchmaking forms rooms of two at once)."""
    if len(words) < rules.rounds:
        raise ValueError(f"need {rules.rounds} words, got {len(words)}")
    if len(players) > rules.max_players:
        raise ValueError("more players than the room holds")
    state = RoomState(
        room_id=room_id,
        language=language,
        private=private,
        rules=rules,
        words=tuple(words[: rules.rounds]),
        created_at=now,
        players=tuple(players),
        scores={p.id: 0 for p in players},
        rounds_won={p.id: 0 for p in players},
    )
    events: list[Event] = []
    if players:
        events.append(room_info(state))
    state, more = _maybe_schedule_start(state, now)
    return state, events + more


def _maybe_schedule_start(state: RoomState, now: float) -> tuple[RoomState, list[Event]]:
    if state.phase is not Phase.WAITING or len(state.players) < 2:
        return state, []
    starts_at = now + state.rules.start_delay
    state = replace(state, phase=Phase.STARTING, next_at=starts_at)
    return state, [
        Event(
            "matchFound",
            {
                "roomId": state.room_id,
                "language": state.language,
                "players": _players(state),
                "totalRounds": state.total_rounds,
                "startsAt": to_millis(starts_at),
            },
        )
    ]


# -- membership -------------------------------------------------------------------------------
def join(state: RoomState, player: Player, now: float) -> tuple[RoomState, list[Event]]:
    if state.is_over:
        raise GameError("unknown_room", f"room {state.room_id} is closed")
    if state.member(player.id) is not None:
        # Joining twice is harmless: tell the player where they stand.
        return state, [room_info(state, to=(player.id,))]
    if not state.private:
        raise GameError("room_not_joinable", "matchmaking rooms cannot be joined by id")
    if state.phase not in (Phase.WAITING, Phase.STARTING):
        raise GameError("room_not_joinable", "this room's match has already started")
    if len(state.players) >= state.rules.max_players:
        return state, [
            Event("roomFull", {"roomId": state.room_id, "maxPlayers": state.rules.max_players}, (player.id,))
        ]
    state = replace(
        state,
        players=state.players + (player,),
        scores={**state.scores, player.id: 0},
        rounds_won={**state.rounds_won, player.id: 0},
    )
    events = [
        Event(
            "playerJoined",
            {"roomId": state.room_id, "player": player.public(), "players": _players(state), "scores": _scores(state)},
        ),
        room_info(state),
    ]
    state, more = _maybe_schedule_start(state, now)
    return state, events + more


def leave(state: RoomState, player_id: str, now: float) -> tuple[RoomState, list[Event]]:
    """A player leaves (or disconnects). Leavers forfeit: they drop out of scores and standings."""
    leaver = state.member(player_id)
    if leaver is None:
        raise GameError("not_in_room", f"you are not in room {state.room_id}")
    remaining = tuple(p for p in state.players if p.id != player_id)
    scores = {k: v for k, v in state.scores.items() if k != player_id}
    won = {k: v for k, v in state.rounds_won.items() if k != player_id}
    away = {k: v for k, v in state.away.items() if k != player_id}
    state = replace(state, players=remaining, scores=scores, rounds_won=won, away=away)
    if not remaining:
        return replace(state, phase=Phase.CLOSED, next_at=None, ended_at=now), []
    events = [
        Event(
            "playerLeft",
            {"roomId": state.room_id, "player": leaver.public(), "players": _players(state), "scores": _scores(state)},
        )
    ]
    if len(remaining) >= 2:
        return state, events
    if state.phase is Phase.STARTING and state.private:
        # Not enough players any more: wait for someone else to join.
        return replace(state, phase=Phase.WAITING, next_at=None), events
    if state.phase in (Phase.STARTING, Phase.WAITING) and not state.private:
        closed = replace(state, phase=Phase.CLOSED, next_at=None, ended_at=now)
        return closed, events + [Event("roomDeleted", {"roomId": state.room_id})]
    if state.phase in (Phase.ROUND, Phase.INTERMISSION):
        finished, more = _finish(state, now)
        return finished, events + more
    return state, events


# -- play -------------------------------------------------------------------------------------
def guess(state: RoomState, player_id: str, text: str, now: float) -> tuple[RoomState, list[Event]]:
    player = state.member(player_id)
    if player is None:
        raise GameError("not_in_room", f"you are not in room {state.room_id}")
    word = state.current_word
    if word is None or now >= state.round_ends_at:
        raise GameError("no_round", "no round is running in this room")
    verdict = judge.judge(text, word, state.revealed)
    score = state.scores.get(player_id, 0)
    base = {"roomId": state.room_id, "round": state.round, "player": player.public()}
    if verdict.exact:
        points = scoring.exact_points(now - state.round_started_at)
        state = replace(
            state,
            scores={**state.scores, player_id: score + points},
            rounds_won={**state.rounds_won, player_id: state.rounds_won.get(player_id, 0) + 1},
        )
        # The mask is not completed here: the answer travels only in roundEnded.
        hit = Event(
            "correctGuess",
            {**base, "exact": True, "points": points, "revealedChars": [],
             "hint": judge.mask(word.answer, state.revealed), "scores": _scores(state)},
        )
        ended, more = _end_round(state, now, winner=player)
        return ended, [hit, _leaderboard_event(state), *more]
    if verdict.newly_revealed:
        points = scoring.partial_points(len(verdict.newly_revealed))
        revealed = state.revealed | verdict.newly_revealed
        state = replace(state, scores={**state.scores, player_id: score + points}, revealed=revealed)
        hit = Event(
            "correctGuess",
            {**base, "exact": False, "points": points, "revealedChars": sorted(verdict.newly_revealed),
             "hint": judge.mask(word.answer, revealed), "scores": _scores(state)},
        )
        events = [hit, _leaderboard_event(state)]
        if revealed >= judge.letter_positions(word.answer):
            # Every letter found piece by piece: nothing is left to guess, so the round is over.
            ended, more = _end_round(state, now, winner=None)
            return ended, events + more
        return state, events
    new_score, change = scoring.apply_penalty(score)
    state = replace(state, scores={**state.scores, player_id: new_score})
    miss = Event("wrongGuess", {**base, "points": change, "scores": _scores(state)})
    return state, [miss, _leaderboard_event(state)]


def disconnect(state: RoomState, player_id: str, now: float, grace: float) -> tuple[RoomState, list[Event]]:
    """The player's connection dropped: keep the seat for ``grace`` seconds, or leave at once."""
    player = state.member(player_id)
    if player is None:
        raise GameError("not_in_room", f"you are not in room {state.room_id}")
    if grace <= 0 or state.phase in (Phase.WAITING,) or state.is_over:
        return leave(state, player_id, now)
    if player_id in state.away:
        return state, []
    until = now + grace
    state = replace(state, away={**state.away, player_id: until})
    return state, [
        Event("playerDisconnected", {"roomId": state.room_id, "player": player.public(), "until": to_millis(until)})
    ]


def reconnect(state: RoomState, player_id: str, now: float) -> tuple[RoomState, list[Event]]:
    """The player is back within the grace period: the seat is theirs again."""
    player = state.member(player_id)
    if player is None:
        raise GameError("not_in_room", f"your seat in room {state.room_id} was given up")
    if player_id not in state.away:
        return state, []
    away = {k: v for k, v in state.away.items() if k != player_id}
    state = replace(state, away=away)
    return state, [Event("playerReconnected", {"roomId": state.room_id, "player": player.public()})]


def tick(state: RoomState, now: float) -> tuple[RoomState, list[Event]]:
    """Run what is due (a no-op before ``wake_at``): expired seats first, then the phase."""
    events: list[Event] = []
    for player_id, until in sorted(state.away.items(), key=lambda item: item[1]):
        if until <= now and not state.is_over and state.member(player_id) is not None:
            state, left = leave(state, player_id, now)
            events += left
    if state.is_over:
        return state, events
    state, more = _phase_tick(state, now)
    return state, events + more


def _phase_tick(state: RoomState, now: float) -> tuple[RoomState, list[Event]]:
    if state.next_at is None or now < state.next_at:
        return state, []
    if state.phase is Phase.STARTING:
        return _start_round(replace(state, started_at=now), 1, now)
    if state.phase is Phase.ROUND:
        return _end_round(state, now, winner=None)
    if state.phase is Phase.INTERMISSION:
        return _start_round(state, state.round + 1, now)
    return replace(state, next_at=None), []


def _start_round(state: RoomState, number: int, now: float) -> tuple[RoomState, list[Event]]:
    word = state.words[number - 1]
    ends_at = now + state.rules.round_seconds
    state = replace(
        state,
        phase=Phase.ROUND,
        round=number,
        round_started_at=now,
        round_ends_at=ends_at,
        revealed=frozenset(),
        next_at=ends_at,
    )
    hint = judge.mask(word.answer)
    return state, [
        Event(
            "newRound",
            {
                "roomId": state.room_id,
                "round": number,
                "totalRounds": state.total_rounds,
                "translation": word.english,
                "hint": hint,
                "word": hint,
                "endsAt": to_millis(ends_at),
            },
        )
    ]


def _end_round(state: RoomState, now: float, winner: Player | None) -> tuple[RoomState, list[Event]]:
    word = state.words[state.round - 1]
    record = RoundRecord(
        number=state.round,
        english=word.english,
        answer=word.answer,
        winner=winner.id if winner else None,
        started_at=state.round_started_at,
        ended_at=now,
    )
    last = state.round >= state.total_rounds
    next_at = None if last else now + state.rules.intermission
    state = replace(state, phase=Phase.INTERMISSION, next_at=next_at, history=state.history + (record,))
    ended = Event(
        "roundEnded",
        {
            "roomId": state.room_id,
            "round": state.round,
            "totalRounds": state.total_rounds,
            "word": word.answer,
            "translation": word.english,
            "winner": winner.public() if winner else None,
            "scores": _scores(state),
            "nextRoundAt": to_millis(next_at) if next_at is not None else None,
        },
    )
    if not last:
        return state, [ended]
    finished, more = _finish(state, now)
    return finished, [ended, *more]


def _finish(state: RoomState, now: float) -> tuple[RoomState, list[Event]]:
    state = replace(state, phase=Phase.FINISHED, next_at=None, ended_at=now)
    winner = state.winner()
    return state, [
        Event(
            "matchEnded",
            {
                "roomId": state.room_id,
                "standings": [
                    {"id": s.player.id, "username": s.player.username, "score": s.score,
                     "xp": s.xp, "guest": s.player.guest}
                    for s in state.standings()
                ],
                "winner": winner.public() if winner else None,
            },
        )
    ]
