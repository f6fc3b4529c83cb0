"""Loading the word banks: one JSON file per language in ``lingualeap/words/data/``.

Adding a language is adding a file: ``{"id", "name", "pairs": [{"english", "answer",
"alternatives", "tier"}]}``. See ``lingualeap/words/README.md``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lingualeap.domain.model import Language, WordPair

DATA_DIR = Path(__file__).parent / "data"


class WordBankError(Exception):
    pass


def _pair(raw: Any, where: str) -> WordPair:
    try:
        english, answer = raw["english"], raw["answer"]
        alternatives = tuple(raw.get("alternatives", ()))
        tier = int(raw.get("tier", 1))
    except (KeyError, TypeError, ValueError) as e:
        raise WordBankError(f"{where}: malformed pair {raw!r}") from e
    if not (isinstance(english, str) and isinstance(answer, str) and english and answer):
        raise WordBankError(f"{where}: pair needs non-empty english and answer: {raw!r}")
    if not all(isinstance(a, str) and a for a in alternatives):
        raise WordBankError(f"{where}: alternatives must be non-empty strings: {raw!r}")
    return WordPair(english=english, answer=answer, alternatives=alternatives, tier=tier)


def load_language(path: Path) -> Language:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        language_id, name, pairs = raw["id"], raw["name"], raw["pairs"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise WordBankError(f"{path}: not a word bank file ({e})") from e
    return Language(
        id=str(language_id),
        name=str(name),
        pairs=tuple(_pair(p, f"{path.name}[{i}]") for i, p in enumerate(pairs)),
    )


def load_languages(directory: Path = DATA_DIR) -> dict[str, Language]:
    languages = {}
    for path in sorted(directory.glob("*.json")):
        language = load_language(path)
        if language.id in languages:
            raise WordBankError(f"{path}: language {language.id!r} is defined twice")
        languages[language.id] = language
    if not languages:
        raise WordBankError(f"no word bank files in {directory}")
    return languages
