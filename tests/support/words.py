"""Small, known word banks (tests/fixtures/words/) so tests can guess right on purpose."""

from __future__ import annotations

from pathlib import Path

from lingualeap.domain.model import Language
from lingualeap.words.loader import load_languages

FIXTURE_WORDS = Path(__file__).resolve().parents[1] / "fixtures" / "words"
_BANKS = load_languages(FIXTURE_WORDS)
FRENCH_WORDS = _BANKS["french"].pairs
SPANISH_WORDS = _BANKS["spanish"].pairs


def languages() -> dict[str, Language]:
    return dict(_BANKS)


def answer_for(english: str, language: str = "french") -> str:
    """The answer of a word from the test banks, by its English prompt."""
    return next(p.answer for p in _BANKS[language].pairs if p.english == english)
