"""The word-bank build script's pure parts, and the committed word banks.

Nothing here needs the FreeDict dictionaries or wordfreq installed: the
dictd tests use tiny files written on the fly, frequencies are a dict, and
the data tests read the JSON files committed in ``lingualeap/words/data``.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from lingualeap.words import build
from lingualeap.words.build import Candidate, Entry, Frequencies, Pair
from lingualeap.words.loader import DATA_DIR, load_languages

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def encode_dictd_number(value: int) -> str:
    """The inverse of decode_dictd_number, for writing fixture indexes."""
    digits = ""
    while True:
        value, digit = divmod(value, 64)
        digits = build.DICTD_ALPHABET[digit] + digits
        if value == 0:
            return digits


def write_dictionary(directory: Path, name: str, articles: dict[str, str]) -> None:
    """Write freedict-<name>.index and .dict.dz the way dictfmt lays them out."""
    body = b""
    index_lines = []
    for headword, text in articles.items():
        data = text.encode("utf-8")
        index_lines.append(
            f"{headword}\t{encode_dictd_number(len(body))}\t{encode_dictd_number(len(data))}"
        )
        body += data
    (directory / f"freedict-{name}.index").write_text("\n".join(index_lines) + "\n", encoding="utf-8")
    with gzip.open(directory / f"freedict-{name}.dict.dz", "wb") as handle:
        handle.write(body)


def frequencies(foreign: dict[str, float], english: dict[str, float]) -> Frequencies:
    return Frequencies(lambda w: foreign.get(w, 0.0), lambda w: english.get(w, 0.0))


# ---------------------------------------------------------------------------
# dictd parsing
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("digits", "value"),
    [
        ("A", 0),
        ("B", 1),
        ("/", 63),
        ("BA", 64),
        ("c", 28),
        ("4u", 56 * 64 + 46),
        ("BgXs", 1 * 64**3 + 32 * 64**2 + 23 * 64 + 44),
    ],
)
def test_decode_dictd_number(digits: str, value: int) -> None:
    assert build.decode_dictd_number(digits) == value


@pytest.mark.parametrize("digits", ["", "=", "a-b"])
def test_decode_dictd_number_rejects_non_digits(digits: str) -> None:
    with pytest.raises(ValueError):
        build.decode_dictd_number(digits)


def test_encode_and_decode_agree() -> None:
    for value in (0, 1, 63, 64, 4095, 4096, 374824):
        assert build.decode_dictd_number(encode_dictd_number(value)) == value


def test_parse_index() -> None:
    text = "00databaseinfo\tc\t4u\nmaison\tBA\tw\n\nélève\tBAA\tB\n"
    assert build.parse_index(text) == [
        build.IndexLine("00databaseinfo", 28, 56 * 64 + 46),
        build.IndexLine("maison", 64, 48),
        build.IndexLine("élève", 4096, 1),
    ]


def test_parse_index_rejects_malformed_lines() -> None:
    with pytest.raises(ValueError, match="line 2"):
        build.parse_index("maison\tBA\tw\nmaison BA w\n")


def test_parse_entry_with_pos_and_numbered_senses() -> None:
    text = "maison /mɛzɔ̃/ <n, fem>\n1. house, home\n2. firm (business), company\n"
    entry = build.parse_entry(text)
    assert entry == Entry("maison", build.NOUN, (("house", "home"), ("firm (business)", "company")))


def test_parse_entry_without_pos_skips_examples_and_normalises() -> None:
    text = 'Coche‐cama /kˈotʃe kˈama/\nsleeping‐car,  sleeper\n      "a quoted example"\n'
    entry = build.parse_entry(text)
    assert entry == Entry("Coche-cama", build.UNKNOWN, (("sleeping-car", "sleeper"),))


def test_parse_entry_without_translations() -> None:
    assert build.parse_entry("00-database-short\n") is None


def test_split_translations_keeps_bracketed_commas() -> None:
    assert build.split_translations("a (b, c), d [e, f], g") == ("a (b, c)", "d [e, f]", "g")


def test_read_dictionary_and_edition(tmp_path: Path) -> None:
    write_dictionary(
        tmp_path,
        "fra-eng",
        {
            "00databaseinfo": "\n00-database-info\nFrench-English\n\nEdition: 9.8.7\nSize: 2\n",
            "maison": "maison /mɛzɔ̃/ <n, fem>\nhouse, home\n",
            "manger": "manger /mɑ̃ʒe/ <v>\neat\n",
        },
    )
    entries = build.read_dictionary(tmp_path, "fra-eng")
    assert entries == [
        Entry("maison", build.NOUN, (("house", "home"),)),
        Entry("manger", build.VERB, (("eat",),)),
    ]
    assert build.dictionary_edition(tmp_path, "fra-eng") == "9.8.7"


# ---------------------------------------------------------------------------
# Both-direction confirmation
# ---------------------------------------------------------------------------


def test_confirmed_pairs_need_both_directions() -> None:
    forward = [
        Entry("maison", build.NOUN, (("house", "home"),)),
        Entry("manger", build.VERB, (("eat",), ("dine",))),
        Entry("demeure", build.NOUN, (("dwelling",),)),
    ]
    backward = [
        Entry("house", build.UNKNOWN, (("maison",),)),
        Entry("to eat", build.UNKNOWN, (("manger",),)),
        Entry("dine", build.UNKNOWN, (("dîner",), ("manger",))),
        Entry("dwelling", build.UNKNOWN, (("logis",),)),
    ]
    pairs = build.confirmed_pairs(forward, backward)
    assert pairs == [
        Candidate("maison", "house", build.NOUN, 0),
        Candidate("manger", "dine", build.VERB, 2),
        Candidate("manger", "eat", build.VERB, 0),
    ]


def test_confirmed_pairs_keep_the_best_sense() -> None:
    forward = [Entry("livre", build.NOUN, (("pound",), ("book",))), Entry("livre", build.NOUN, (("book",),))]
    backward = [Entry("book", build.UNKNOWN, (("livre",),))]
    assert build.confirmed_pairs(forward, backward) == [Candidate("livre", "book", build.NOUN, 0)]


# ---------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["le", "de", "qu'", "parce", "jusqu'", "que", "tous"])
def test_french_function_words(word: str) -> None:
    assert build.is_function_word(word, build.FRENCH_STOP_WORDS)


@pytest.mark.parametrize("word", ["maison", "personnel", "avion", "manger"])
def test_french_content_words(word: str) -> None:
    assert not build.is_function_word(word, build.FRENCH_STOP_WORDS)


def test_spanish_function_words() -> None:
    for word in ("el", "los", "para", "nosotros", "porque", "aquella"):
        assert build.is_function_word(word, build.SPANISH_STOP_WORDS)
    assert not build.is_function_word("mañana", build.SPANISH_STOP_WORDS)


@pytest.mark.parametrize(
    ("prompt", "grammatical", "gloss"),
    [
        ("the", True, False),
        ("in front", True, False),
        ("house of worship", False, True),
        ("lay hold of", False, True),
        ("house", False, False),
        ("fairy tale", False, False),
    ],
)
def test_grammatical_prompts_and_glosses(prompt: str, grammatical: bool, gloss: bool) -> None:
    assert build.prompt_is_function_word(prompt) is grammatical
    assert build.is_gloss(prompt) is gloss


def test_pair_is_clean() -> None:
    spec = build.FRENCH
    assert build.pair_is_clean(Candidate("maison", "house", build.NOUN, 0), spec)
    assert not build.pair_is_clean(Candidate("à", "to", build.FUNCTION, 0), spec)
    assert not build.pair_is_clean(Candidate("avec", "with", build.UNKNOWN, 0), spec)
    assert not build.pair_is_clean(Candidate("Paris", "Paris", build.NOUN, 0), spec)
    assert not build.pair_is_clean(Candidate("etc.", "etc", build.UNKNOWN, 0), spec)
    assert not build.pair_is_clean(Candidate("pomme de terre", "potato", build.NOUN, 0), spec)
    assert not build.pair_is_clean(Candidate("âne", "ass", build.NOUN, 0), spec)
    assert not build.pair_is_clean(Candidate("maison", "house (building)", build.NOUN, 0), spec)
    assert not build.pair_is_clean(Candidate("ONU", "UN", build.NOUN, 0), spec)
    assert not build.pair_is_clean(Candidate("maison", "house of worship", build.NOUN, 0), spec)
    assert build.pair_is_clean(Candidate("se lever", "rise", build.VERB, 0), spec)


@pytest.mark.parametrize(
    ("english", "foreign", "given_away"),
    [
        ("radio", "radio", True),
        ("cafe", "café", True),
        ("to note", "noter", False),
        ("Week-end", "weekend", True),
        ("house", "maison", False),
    ],
)
def test_gives_answer_away(english: str, foreign: str, given_away: bool) -> None:
    assert build.gives_answer_away(english, foreign) is given_away


def test_giveaway_prompt_is_dropped_entirely() -> None:
    candidates = [
        Candidate("action", "action", build.NOUN, 0),
        Candidate("activité", "action", build.NOUN, 0),
    ]
    assert build.giveaway_prompts(candidates) == frozenset({"action"})


def test_cognate_traps() -> None:
    links = {"access": frozenset({"attaque", "accès"}), "house": frozenset({"maison", "Housse"})}
    headwords = frozenset({"pain", "maison"})
    assert build.is_cognate_trap(Pair("access", "attaque", (), 1), links, headwords)
    assert not build.is_cognate_trap(Pair("access", "attaque", ("accès",), 1), links, headwords)
    assert build.is_cognate_trap(Pair("pain", "douleur", (), 1), links, headwords)
    assert not build.is_cognate_trap(Pair("house", "maison", (), 1), links, headwords)
    german = Pair("German", "allemand", (), 1)
    assert not build.is_cognate_trap(german, {"german": frozenset({"germain"})}, headwords)


# ---------------------------------------------------------------------------
# Tiers and verbs
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zipf", "tier"),
    [(7.2, 1), (5.0, 1), (4.99, 2), (4.5, 2), (4.2, 3), (4.0, 3), (3.7, 4), (3.5, 4), (3.49, 5), (3.0, 5)],
)
def test_tier_for(zipf: float, tier: int) -> None:
    assert build.tier_for(zipf) == tier


def test_tier_for_custom_bounds() -> None:
    assert [build.tier_for(z, (2.0, 1.0)) for z in (2.5, 1.5, 0.5)] == [1, 2, 3]


def test_spanish_verb_guess_uses_conjugated_forms() -> None:
    known = {
        "hablando": 4.0,
        "hablado": 3.5,
        "hablamos": 3.0,
        "collado": 2.5,
        "envolviendo": 2.0,
        "envolvió": 2.0,
    }
    frequency = lambda word: known.get(word, 0.0)  # noqa: E731
    assert build.looks_like_spanish_verb("hablar", frequency)
    assert build.looks_like_spanish_verb("envolver", frequency)
    assert not build.looks_like_spanish_verb("collar", frequency)  # one form by accident
    assert not build.looks_like_spanish_verb("mar", frequency)  # stem too short
    assert not build.looks_like_spanish_verb("casa", frequency)
    assert build.looks_like_spanish_verb("ir", frequency)
    assert build.looks_like_spanish_verb("irse", frequency)


def test_word_class_and_prompt() -> None:
    spec = build.SPANISH
    freq = {"comiendo": 3.0, "comido": 3.0, "podiendo": 2.0, "podido": 4.0}.get

    def frequency(word: str) -> float:
        return freq(word, 0.0)

    hints = {"power": frozenset({build.NOUN}), "smile": frozenset({build.VERB})}
    eat = Candidate("comer", "eat", build.UNKNOWN, 0)
    assert build.word_class(eat, spec, frequency, hints) == build.VERB
    assert build.make_prompt("eat", build.VERB) == "to eat"
    assert build.word_class(Candidate("poder", "power", build.UNKNOWN, 0), spec, frequency, hints) is None
    smile = Candidate("sonreír", "smile", build.UNKNOWN, 0)
    assert build.word_class(smile, spec, frequency, hints) == build.VERB
    house = Candidate("casa", "house", build.UNKNOWN, 0)
    assert build.word_class(house, spec, frequency, hints) == build.UNKNOWN
    assert build.make_prompt("house", build.UNKNOWN) == "house"
    reflexive = Candidate("se lever", "rise", build.NOUN, 0)
    assert build.word_class(reflexive, build.FRENCH, frequency, {}) == build.VERB


# ---------------------------------------------------------------------------
# The whole pipeline on a small fixture
# ---------------------------------------------------------------------------

FORWARD = [
    Entry("maison", build.NOUN, (("house", "home"),)),
    Entry("demeure", build.NOUN, (("house", "dwelling"),)),
    Entry("manger", build.VERB, (("eat",),)),
    Entry("radio", build.NOUN, (("radio",),)),
    Entry("poste", build.NOUN, (("radio", "post office"),)),
    Entry("à", build.FUNCTION, (("to", "at"),)),
    Entry("Paris", build.NOUN, (("Paris",),)),
    Entry("fait", build.ADJECTIVE, (("mature",),)),
    Entry("mûr", build.ADJECTIVE, (("mature", "ripe"),)),
]
BACKWARD = [
    Entry("house", build.UNKNOWN, (("maison", "demeure"),)),
    Entry("home", build.UNKNOWN, (("maison",),)),
    Entry("to eat", build.UNKNOWN, (("manger",),)),
    Entry("radio", build.UNKNOWN, (("radio", "poste"),)),
    Entry("to", build.UNKNOWN, (("à",),)),
    Entry("Paris", build.UNKNOWN, (("Paris",),)),
    Entry("mature", build.UNKNOWN, (("mûr", "fait"),)),
    Entry("ripe", build.UNKNOWN, (("mûr",),)),
]
FREQUENCIES = frequencies(
    {
        "maison": 5.5,
        "demeure": 4.3,
        "manger": 4.9,
        "radio": 5.0,
        "poste": 5.0,
        "à": 7.3,
        "fait": 6.4,
        "mûr": 3.6,
    },
    {"house": 5.6, "home": 5.9, "eat": 5.4, "radio": 5.1, "to": 7.4, "mature": 4.3, "ripe": 3.7},
)


def test_build_pairs() -> None:
    pairs = build.build_pairs(FORWARD, BACKWARD, build.FRENCH, FREQUENCIES, {})
    assert pairs == [
        Pair("home", "maison", (), 1),
        Pair("house", "maison", ("demeure",), 1),
        Pair("to eat", "manger", (), 2),
        Pair("mature", "mûr", (), 4),
        Pair("ripe", "mûr", (), 4),
    ]


def test_build_pairs_applies_review_rejections() -> None:
    rejected = build.parse_rejects("    house = demeure\n    ripe = *\n")
    pairs = build.build_pairs(FORWARD, BACKWARD, build.FRENCH, FREQUENCIES, {}, rejected)
    assert Pair("house", "maison", (), 1) in pairs
    assert all(pair.english != "ripe" for pair in pairs)


def test_the_review_lists_parse_and_name_both_languages() -> None:
    for language in ("french", "spanish"):
        rejected = build.review_rejects(language)
        assert len(rejected) > 400
        assert all(prompt and word for prompt, word in rejected)
    assert build.parse_rejects("# a comment\nbed = *\n") == frozenset({("bed", build.ANY)})


def test_parse_rejects() -> None:
    assert build.parse_rejects("\n    bed = *\n    bit = pan, morceau\n") == frozenset(
        {("bed", "*"), ("bit", "pan"), ("bit", "morceau")}
    )
    with pytest.raises(ValueError):
        build.parse_rejects("bed\n")


def test_fix_spelling() -> None:
    entries = [
        Entry("dificil", build.UNKNOWN, (("difficult",),)),
        Entry("hard", build.UNKNOWN, (("dificil", "duro"),)),
    ]
    fixed = build.fix_spelling(entries, {"dificil": "difícil"})
    assert fixed == [
        Entry("difícil", build.UNKNOWN, (("difficult",),)),
        Entry("hard", build.UNKNOWN, (("difícil", "duro"),)),
    ]


def test_render_bank_is_json_with_a_pair_per_line() -> None:
    pairs = build.build_pairs(FORWARD, BACKWARD, build.FRENCH, FREQUENCIES, {})
    text = build.render_bank(build.FRENCH, "a source", "a licence", pairs)
    assert text == build.render_bank(build.FRENCH, "a source", "a licence", list(pairs))
    data = json.loads(text)
    assert data["id"] == "french" and data["name"] == "French"
    house = {"english": "house", "answer": "maison", "alternatives": ["demeure"], "tier": 1}
    assert data["pairs"][1] == house
    pair_lines = [line for line in text.splitlines() if line.strip().startswith('{"english"')]
    assert len(pair_lines) == len(pairs)
    assert "mûr" in text  # not escaped


def test_summary() -> None:
    pairs = [Pair("a", "b", (), 1), Pair("c", "d", (), 1), Pair("e", "f", (), 3)]
    assert build.summary(build.FRENCH, pairs) == "French: 3 pairs (tier 1: 2, tier 3: 1)"


# ---------------------------------------------------------------------------
# The committed word banks
# ---------------------------------------------------------------------------

BANK_FILES = sorted(DATA_DIR.glob("*.json"))
STOP_WORDS = {spec.id: spec.stop_words for spec in build.LANGUAGES}


def test_french_and_spanish_banks_exist() -> None:
    assert {path.stem for path in BANK_FILES} >= {"french", "spanish"}


@pytest.fixture(params=BANK_FILES, ids=lambda path: path.stem)
def bank(request: pytest.FixtureRequest) -> dict[str, object]:
    path: Path = request.param
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_bank_header(bank: dict[str, object]) -> None:
    assert isinstance(bank["id"], str) and bank["id"] == bank["id"].lower() and bank["id"]
    for key in ("name", "source", "license"):
        assert isinstance(bank[key], str) and bank[key]


def test_bank_pairs(bank: dict[str, object]) -> None:
    pairs = bank["pairs"]
    assert isinstance(pairs, list)
    assert len(pairs) >= 1000
    stop_words = STOP_WORDS.get(str(bank["id"]), frozenset())
    seen: set[str] = set()
    for pair in pairs:
        assert set(pair) == {"english", "answer", "alternatives", "tier"}, pair
        english, answer = pair["english"], pair["answer"]
        alternatives, tier = pair["alternatives"], pair["tier"]
        assert isinstance(english, str) and english.strip() == english and english, pair
        assert isinstance(answer, str) and answer.strip() == answer and answer, pair
        assert isinstance(alternatives, list) and all(isinstance(a, str) and a for a in alternatives), pair
        assert answer not in alternatives and len(set(alternatives)) == len(alternatives), pair
        assert isinstance(tier, int) and 1 <= tier <= 5, pair
        assert english.lower() not in seen, f"duplicate prompt {english!r}"
        seen.add(english.lower())
        for word in (answer, *alternatives):
            assert word.lower() not in stop_words, pair
            assert not build.gives_answer_away(english, word), pair
            assert build.strip_accents(word) != build.strip_accents(build.strip_to(english)), pair


def test_bank_is_sorted_by_tier_then_prompt(bank: dict[str, object]) -> None:
    pairs = bank["pairs"]
    assert isinstance(pairs, list)
    keys = [(p["tier"], p["english"].lower(), p["english"]) for p in pairs]
    assert keys == sorted(keys)


def test_bank_has_every_tier(bank: dict[str, object]) -> None:
    pairs = bank["pairs"]
    assert isinstance(pairs, list)
    assert {p["tier"] for p in pairs} == {1, 2, 3, 4, 5}


def test_banks_load() -> None:
    languages = load_languages()
    assert languages["french"].name == "French"
    assert languages["spanish"].name == "Spanish"
    assert all(len(language.pairs) >= 1000 for language in languages.values())
