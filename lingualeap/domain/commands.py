"""Client commands: small classes with a wire ``NAME`` and a ``parse`` that validates a payload.

Any transport that can produce ``(name, data)`` (plain WebSocket JSON, Socket.IO) shares them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from lingualeap.domain import validation
from lingualeap.domain.errors import GameError

MAX_LANGUAGE_LENGTH = 32


class Command(Protocol):
    NAME: ClassVar[str]


def _field(data: Mapping[str, Any], name: str) -> Any:
    if name not in data:
        raise GameError("invalid_field", f"{name} is required")
    return data[name]


def _language(data: Mapping[str, Any]) -> str:
    value = _field(data, "language")
    if not isinstance(value, str) or not 0 < len(value) <= MAX_LANGUAGE_LENGTH:
        raise GameError("invalid_field", "language must be a short string such as 'french'")
    return value.strip().lower()


@dataclass(frozen=True, slots=True)
class FindMatch:
    """Wait for a public match in ``language`` for a room of ``players`` (2-4, default 2);
    ``practice=False`` declines the practice match against a bot offered after a long wait."""

    NAME: ClassVar[str] = "findMatch"
    language: str
    players: int = 2
    practice: bool = True

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> FindMatch:
        players = data.get("players")
        if players is None:
            players = 2
        elif isinstance(players, bool) or not isinstance(players, int) or not 2 <= players <= 4:
            raise GameError("invalid_field", "players must be a whole number from 2 to 4")
        practice = data.get("practice", True)
        if not isinstance(practice, bool):
            raise GameError("invalid_field", "practice must be true or false")
        return cls(language=_language(data), players=players, practice=practice)


@dataclass(frozen=True, slots=True)
class CancelMatch:
    NAME: ClassVar[str] = "cancelMatch"

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> CancelMatch:
        return cls()


@dataclass(frozen=True, slots=True)
class JoinRoom:
    NAME: ClassVar[str] = "joinRoom"
    room_id: str
    language: str | None

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> JoinRoom:
        room_id = validation.validate_room_id(_field(data, "roomId"))
        language = _language(data) if data.get("language") is not None else None
        return cls(room_id=room_id, language=language)


@dataclass(frozen=True, slots=True)
class LeaveRoom:
    NAME: ClassVar[str] = "leaveRoom"
    room_id: str

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> LeaveRoom:
        return cls(room_id=validation.validate_room_id(_field(data, "roomId")))


@dataclass(frozen=True, slots=True)
class MakeGuess:
    NAME: ClassVar[str] = "makeGuess"
    room_id: str
    guess: str

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> MakeGuess:
        return cls(
            room_id=validation.validate_room_id(_field(data, "roomId")),
            guess=validation.validate_guess(_field(data, "guess")),
        )


@dataclass(frozen=True, slots=True)
class Resume:
    """Back after a dropped connection: the seat in ``room_id`` and the events after ``last_seq``."""

    NAME: ClassVar[str] = "resume"
    room_id: str
    last_seq: int

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Resume:
        last_seq = data.get("lastSeq", 0)
        if not isinstance(last_seq, int) or isinstance(last_seq, bool) or not 0 <= last_seq < 2**53:
            raise GameError("invalid_field", "lastSeq must be a whole number >= 0")
        return cls(room_id=validation.validate_room_id(_field(data, "roomId")), last_seq=last_seq)


COMMANDS: dict[str, Any] = {c.NAME: c for c in (FindMatch, CancelMatch, JoinRoom, LeaveRoom, MakeGuess, Resume)}
