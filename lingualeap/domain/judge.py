"""Answer judging: how a typed guess compares with the word to find.

Judging ignores case, accents and surrounding whitespace, so a player on a keyboard without
accents can still win; letters are compared position by position for partial credit.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from lingualeap.domain.memo import remembered
from lingualeap.domain.model import WordPair

#: Characters shown in the mask from the start: they are not letters to find.
SHOWN_IN_MASK = frozenset(" -'’.")
MASK_CHAR = "_"


def fold(text: str) -> str:
    """Case- and accent-insensitive form of ``text`` (NFKD, combining marks dropped, casefolded)."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.casefold()


# Every guess is judged against the same few answers and letters, so their folded forms are
# kept rather than normalised again (judging was a tenth of a guess's time).
def _composed(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _all_folded(pair: WordPair) -> frozenset[str]:
    return frozenset(fold(candidate) for candidate in (pair.answer, *pair.alternatives))


fold_char = remembered(fold)
_nfc = remembered(_composed)
_folded_answers = remembered(_all_folded)


def clean_guess(guess: str) -> str:
    """The guess as typed, composed (NFC) and trimmed; inner whitespace collapsed to one space."""
    return " ".join(unicodedata.normalize("NFC", guess).split())


def is_exact(guess: str, pair: WordPair) -> bool:
    folded = fold(clean_guess(guess))
    return bool(folded) and folded in _folded_answers(pair)


def matching_positions(guess: str, answer: str) -> frozenset[int]:
    """Positions of ``answer`` whose letter the guess has at the same position."""
    typed = unicodedata.normalize("NFC", guess.strip())
    target = _nfc(answer)
    return frozenset(
        index
        for index, (mine, theirs) in enumerate(zip(typed, target))
        if theirs not in SHOWN_IN_MASK and fold_char(mine) == fold_char(theirs)
    )


def letter_positions(answer: str) -> frozenset[int]:
    """Positions that hold letters to find (everything not shown in the mask)."""
    target = _nfc(answer)
    return frozenset(i for i, c in enumerate(target) if c not in SHOWN_IN_MASK)


def mask(answer: str, revealed: frozenset[int] = frozenset()) -> str:
    """The letter mask: ``_`` per hidden letter; revealed letters, spaces and hyphens as they are."""
    target = _nfc(answer)
    return "".join(
        c if (c in SHOWN_IN_MASK or i in revealed) else MASK_CHAR for i, c in enumerate(target)
    )


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a guess achieved: an exact hit, or the letters it newly reveals (maybe none)."""

    exact: bool
    newly_revealed: frozenset[int]


def judge(guess: str, pair: WordPair, revealed: frozenset[int]) -> Verdict:
    if is_exact(guess, pair):
        return Verdict(exact=True, newly_revealed=letter_positions(pair.answer) - revealed)
    hits = matching_positions(guess, pair.answer)
    return Verdict(exact=False, newly_revealed=hits - revealed)
