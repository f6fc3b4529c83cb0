"""Small, known word banks so tests can guess right on purpose."""

from __future__ import annotations

from lingualeap.domain.model import Language, WordPair

FRENCH_WORDS = (
    WordPair("house", "maison", ("demeure",), 1),
    WordPair("student", "élève", ("étudiant",), 1),
    WordPair("tomorrow", "demain", (), 1),
    WordPair("water", "eau", (), 1),
    WordPair("weekend", "week-end", (), 2),
    WordPair("tree", "arbre", (), 1),
    WordPair("book", "livre", (), 1),
    WordPair("to eat", "manger", (), 1),
    WordPair("green", "vert", (), 1),
    WordPair("quickly", "vite", ("rapidement",), 2),
    WordPair("bread", "pain", (), 1),
    WordPair("cheese", "fromage", (), 1),
)

SPANISH_WORDS = (
    WordPair("tomorrow", "mañana", (), 1),
    WordPair("house", "casa", ("hogar",), 1),
    WordPair("dog", "perro", (), 1),
    WordPair("cat", "gato", (), 1),
    WordPair("water", "agua", (), 1),
    WordPair("book", "libro", (), 1),
    WordPair("tree", "árbol", (), 1),
    WordPair("to eat", "comer", (), 1),
    WordPair("green", "verde", (), 1),
    WordPair("bread", "pan", (), 1),
    WordPair("cheese", "queso", (), 1),
    WordPair("quickly", "rápido", ("rápidamente",), 2),
)


def languages() -> dict[str, Language]:
    return {
        "french": Language("french", "French", FRENCH_WORDS),
        "spanish": Language("spanish", "Spanish", SPANISH_WORDS),
    }


def answer_for(english: str, language: str = "french") -> str:
    """The answer of a word from the test banks, by its English prompt."""
    pairs = FRENCH_WORDS if language == "french" else SPANISH_WORDS
    return next(p.answer for p in pairs if p.english == english)
