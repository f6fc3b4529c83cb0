from hypothesis import given
from hypothesis import strategies as st

from lingualeap.domain import judge
from lingualeap.domain.model import WordPair

ELEVE = WordPair("student", "élève", ("étudiant",))


def test_exact_ignores_case_accents_and_surrounding_space() -> None:
    for typed in ("élève", "ELEVE", "  eleve ", "Élève", "e\u0301le\u0300ve"):
        assert judge.is_exact(typed, ELEVE), typed


def test_alternatives_count_as_exact() -> None:
    assert judge.is_exact("Etudiant", ELEVE)


def test_wrong_word_is_not_exact() -> None:
    assert not judge.is_exact("eleves", ELEVE)
    assert not judge.is_exact("   ", ELEVE)


def test_partial_reveals_matching_positions_only() -> None:
    verdict = judge.judge("elXvX", ELEVE, frozenset())
    assert not verdict.exact
    assert verdict.newly_revealed == {0, 1, 3}


def test_already_revealed_letters_are_not_new() -> None:
    verdict = judge.judge("elXvX", ELEVE, frozenset({0, 1}))
    assert verdict.newly_revealed == {3}


def test_mask_shows_spaces_and_hyphens_and_revealed_letters() -> None:
    assert judge.mask("week-end") == "____-___"
    assert judge.mask("pomme de terre") == "_____ __ _____"
    assert judge.mask("élève", frozenset({0, 4})) == "é___e"


def test_mask_never_contains_hidden_letters() -> None:
    assert "maison" not in judge.mask("maison")
    assert set(judge.mask("maison")) == {"_"}


def test_hyphen_positions_are_not_letters_to_find() -> None:
    assert judge.letter_positions("week-end") == frozenset({0, 1, 2, 3, 5, 6, 7})
    assert judge.judge("xxxx-xxx", WordPair("weekend", "week-end"), frozenset()).newly_revealed == set()


@given(st.text(max_size=80))
def test_judging_any_text_never_fails(text: str) -> None:
    verdict = judge.judge(text, ELEVE, frozenset())
    assert verdict.newly_revealed <= judge.letter_positions(ELEVE.answer)


@given(st.sampled_from(["maison", "élève", "mañana", "week-end", "árbol"]))
def test_the_answer_itself_is_always_exact(answer: str) -> None:
    assert judge.is_exact(answer.upper(), WordPair("x", answer))
