"""Fuzzing the answer judge: any guess against any word, never an exception, never a leak."""

from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lingualeap.domain import judge
from lingualeap.domain.model import WordPair
from lingualeap.domain.validation import GUESS_MAX

WORD_CHARS = st.characters(blacklist_categories=("Cs",))  # any Unicode a JSON string can carry
ANSWERS = st.text(WORD_CHARS, min_size=1, max_size=30) | st.sampled_from(
    ["élève", "week-end", "aujourd'hui", "pomme de terre", "Straße", "ﬁn", "ǅemal", "İstanbul", "o\u0308"]
)
GUESSES = st.text(WORD_CHARS, max_size=GUESS_MAX)


@st.composite
def pairs(draw: st.DrawFn) -> WordPair:
    return WordPair(draw(st.text(max_size=20)), draw(ANSWERS), tuple(draw(st.lists(ANSWERS, max_size=3))))


@st.composite
def revealed_sets(draw: st.DrawFn, answer: str) -> frozenset[int]:
    positions = sorted(judge.letter_positions(answer))
    return frozenset(draw(st.lists(st.sampled_from(positions), unique=True)) if positions else [])


@settings(max_examples=400)
@given(st.data(), pairs(), GUESSES)
def test_judging_never_fails_and_reveals_only_hidden_letters(data: st.DataObject, pair: WordPair, guess: str) -> None:
    revealed = data.draw(revealed_sets(pair.answer))
    verdict = judge.judge(guess, pair, revealed)
    letters = judge.letter_positions(pair.answer)
    assert verdict.newly_revealed <= letters
    assert not verdict.newly_revealed & revealed
    if verdict.exact:
        assert verdict.newly_revealed == letters - revealed
    mask = judge.mask(pair.answer, revealed | verdict.newly_revealed)
    assert len(mask) == len(judge.mask(pair.answer))


@settings(max_examples=300)
@given(pairs(), st.data())
def test_a_mask_shows_only_revealed_letters(pair: WordPair, data: st.DataObject) -> None:
    revealed = data.draw(revealed_sets(pair.answer))
    mask = judge.mask(pair.answer, revealed)
    hidden = judge.letter_positions(pair.answer) - revealed
    assert all(mask[i] == judge.MASK_CHAR for i in hidden)
    if hidden:
        assert mask != judge.mask(pair.answer, judge.letter_positions(pair.answer)) or all(
            pair.answer[i] == judge.MASK_CHAR for i in hidden)


@given(pairs())
def test_the_answer_and_its_alternatives_are_exact_however_they_are_typed(pair: WordPair) -> None:
    for candidate in (pair.answer, *pair.alternatives):
        # Word banks hold trimmed words (the loader's job): only those can be typed exactly.
        assume(judge.fold(judge.clean_guess(candidate)) and judge.clean_guess(candidate) == candidate)
        for typed in (candidate, f"  {candidate} ", candidate.upper(), candidate.lower()):
            # Case mapping may change length (ß -> SS) or compose differently; the fold must
            # then still agree, or the guess is just wrong; it must never raise.
            if judge.fold(judge.clean_guess(typed)) == judge.fold(judge.clean_guess(candidate)):
                assert judge.is_exact(typed, pair)


@given(pairs(), GUESSES)
def test_an_empty_or_blank_guess_is_never_exact(pair: WordPair, guess: str) -> None:
    assert not judge.is_exact(" " * len(guess[:3]), pair)
