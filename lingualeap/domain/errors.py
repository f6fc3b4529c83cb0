"""The one exception the rules raise: a refused command, with a stable machine-readable code."""

from __future__ import annotations


class GameError(Exception):
    """A command was refused. ``code`` is part of the protocol; ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GameError) and (self.code, self.message) == (
            other.code,
            other.message,
        )

    def __hash__(self) -> int:
        return hash((self.code, self.message))
