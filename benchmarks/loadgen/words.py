"""Answers by English prompt, from a directory of LinguaLeap word bank files (*.json)."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path


def load_answers(directory: Path | None) -> dict[tuple[str, str], str]:
    """``{(language, english): answer}`` (NFC); empty without a directory (no right guesses then)."""
    answers: dict[tuple[str, str], str] = {}
    if directory is None:
        return answers
    files = sorted(Path(directory).glob("*.json"))
    if not files:
        raise FileNotFoundError(f"no word bank files (*.json) in {directory}")
    for path in files:
        bank = json.loads(path.read_text(encoding="utf-8"))
        for pair in bank["pairs"]:
            answers.setdefault((bank["id"], pair["english"]), unicodedata.normalize("NFC", pair["answer"]))
    return answers
