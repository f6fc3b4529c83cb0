"""Value objects shared by every game rule."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WordPair:
    """One thing to guess: the English prompt and the foreign answer.

    ``alternatives`` are other foreign words accepted as exact answers; ``tier`` is a difficulty
    tier from word frequency (1 = most common).
    """

    english: str
    answer: str
    alternatives: tuple[str, ...] = ()
    tier: int = 1


@dataclass(frozen=True, slots=True)
class Language:
    """A playable language and its word bank."""

    id: str
    name: str
    pairs: tuple[WordPair, ...]


#: Ids of the server's practice bots start with this (no account can have such an id).
BOT_ID_PREFIX = "bot-"


@dataclass(frozen=True, slots=True)
class Player:
    """A player as the rules see one: a stable id, a display name, and whether it is a guest."""

    id: str
    username: str
    guest: bool = False

    @property
    def bot(self) -> bool:
        """A server practice bot (always a guest too): matches against one are not rated."""
        return self.id.startswith(BOT_ID_PREFIX)

    def public(self) -> dict[str, str]:
        return {"id": self.id, "username": self.username}
