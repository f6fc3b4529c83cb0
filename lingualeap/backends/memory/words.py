"""Word pairs drawn straight from the loaded banks."""

from __future__ import annotations

import random
from collections.abc import Mapping

from lingualeap.domain import words
from lingualeap.domain.errors import GameError
from lingualeap.domain.model import Language, WordPair


class MemoryWordSource:
    def __init__(self, languages: Mapping[str, Language], rng: random.Random | None = None) -> None:
        self._languages = languages
        self._rng = rng or random.SystemRandom()

    async def draw(self, language: str, count: int) -> list[WordPair]:
        if language not in self._languages:
            raise GameError("unknown_language", f"unknown language {language!r}")
        return words.draw(self._languages[language], count, self._rng)
