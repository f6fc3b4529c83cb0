"""Drawing a match's words from a language's bank."""

from __future__ import annotations

import random

from lingualeap.domain.model import Language, WordPair


def draw(language: Language, count: int, rng: random.Random) -> list[WordPair]:
    """``count`` distinct pairs (no repeats within a match), uniformly from the bank."""
    if count > len(language.pairs):
        raise ValueError(f"{language.id} has only {len(language.pairs)} words, {count} requested")
    return rng.sample(language.pairs, count)
