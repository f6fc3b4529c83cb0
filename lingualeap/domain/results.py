"""A finished match as history: what persistence stores and XP is credited from."""

from __future__ import annotations

from dataclasses import dataclass

from lingualeap.domain.room import RoomState, RoundRecord


@dataclass(frozen=True, slots=True)
class PlayerResult:
    id: str
    username: str
    guest: bool
    score: int
    xp: int
    won: bool


@dataclass(frozen=True, slots=True)
class MatchResult:
    match_id: str
    language: str
    started_at: float
    ended_at: float
    players: tuple[PlayerResult, ...]
    rounds: tuple[RoundRecord, ...]

    @property
    def winner_id(self) -> str | None:
        return next((p.id for p in self.players if p.won), None)

    @property
    def record_id(self) -> str:
        """The key a store records this match under, the same on every replay of it.

        ``match_id`` is the room's id, and private rooms are named by players and reused, so on
        its own it would make a second match in the same room look like a replay of the first.
        A room's start time is kept in its snapshot, so a failover recomputes the same key.
        """
        return f"{self.match_id}@{round(self.started_at * 1000)}"


def result_of(state: RoomState) -> MatchResult:
    winner = state.winner()
    return MatchResult(
        match_id=state.room_id,
        language=state.language,
        started_at=state.started_at if state.started_at is not None else state.created_at,
        ended_at=state.ended_at if state.ended_at is not None else state.created_at,
        players=tuple(
            PlayerResult(
                id=s.player.id,
                username=s.player.username,
                guest=s.player.guest,
                score=s.score,
                xp=s.xp,
                won=winner is not None and winner.id == s.player.id,
            )
            for s in state.standings()
        ),
        rounds=state.history,
    )
