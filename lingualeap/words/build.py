"""Build the word banks in ``lingualeap/words/data/`` from FreeDict and wordfreq.

Run ``python -m lingualeap.words.build`` (see ``lingualeap/words/README.md``).

The inputs are the four FreeDict dictionaries Debian installs under
``/usr/share/dictd`` (French and Spanish, each in both directions) and the
``wordfreq`` package. The pipeline is:

1. parse every dictd article into a headword, a part-of-speech tag (when the
   dictionary has one) and its numbered senses;
2. keep a (foreign, English) pair only when *both* directions list it, in
   their first sense (one of them may say second), because these
   dictionaries are old machine conversions where a one-way listing is often
   a stray sense, a flattened idiom or a typo;
3. throw out function words, proper nouns, abbreviations, phrases, odd
   characters, offensive words and prompts that give the answer away;
4. keep words wordfreq considers common, whose English and foreign
   frequencies are close (a big gap means a rare sense of a common word),
   and tier them by the foreign word's Zipf frequency;
5. merge pairs that share an English prompt: the best-matching foreign word
   is the answer, the others are accepted alternatives;
6. drop the pairs a human review rejected (``review/LANGUAGE.txt``).

Only this script needs wordfreq; the game server reads the generated JSON.
Everything is sorted, so the same inputs give byte-identical files.
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import json
import re
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

DEFAULT_DICT_DIR = Path("/usr/share/dictd")
DEFAULT_OUT_DIR = Path(__file__).resolve().parent / "data"
REVIEW_DIR = Path(__file__).resolve().parent / "review"

# ---------------------------------------------------------------------------
# Tuning. Each number was chosen by reading samples of the output.
# ---------------------------------------------------------------------------

# A foreign word is common enough from this Zipf frequency (log10 of uses
# per billion words; 3.0 is one use per million words).
MIN_ZIPF = 3.0

# English prompts must be common too, or the prompt is a rare synonym
# ("accretion") that a learner cannot be expected to know.
MIN_ENGLISH_ZIPF = 3.0

# Lower Zipf bounds of tiers 1..4; anything below the last bound is tier 5.
TIER_BOUNDS: tuple[float, ...] = (5.0, 4.5, 4.0, 3.5)

# A pair must be in the first numbered sense of one article and in the first
# or second of the other (the sum of the 0-based positions is at most 1).
# Later senses are rarer, figurative, or belong to an idiom that the old
# Ergane import flattened into the headword's article; the second is allowed
# because eng-fra often lists an adjective use first ("water": "aquatique",
# then "eau").
MAX_SENSE = 1

# Translations are used about as often as each other. A larger gap means a
# rare sense of a frequent word ("fait" as "mature", "lugar" as "motive") or
# a homograph inflating the foreign count.
MAX_ZIPF_GAP = 1.5

# Longer English prompts read like definitions.
MAX_PROMPT_WORDS = 3

# Spelling similarity (difflib ratio, accents ignored) from which a foreign
# word counts as a look-alike of an English prompt; see `is_cognate_trap`.
COGNATE_SIMILARITY = 0.75

# A foreign word answers at most this many prompts (its closest synonyms);
# beyond that the dictionary's synonym lists get loose ("attendre" for
# "to abide"). It is still accepted as an alternative for the others.
MAX_PROMPTS_PER_ANSWER = 3

# ---------------------------------------------------------------------------
# dictd part-of-speech tags (only fra-eng has them) and our word classes.
# ---------------------------------------------------------------------------

VERB = "verb"
NOUN = "noun"
ADJECTIVE = "adj"
ADVERB = "adv"
FUNCTION = "function"
UNKNOWN = "?"

_POS_TAGS = {
    "v": VERB,
    "vt": VERB,
    "vi": VERB,
    "n": NOUN,
    "adj": ADJECTIVE,
    "adv": ADVERB,
    "prep": FUNCTION,
    "pron": FUNCTION,
    "conj": FUNCTION,
    "art": FUNCTION,
    "num": FUNCTION,
    "int": FUNCTION,
}

# ---------------------------------------------------------------------------
# Word lists, written for this project. Stop words are what a vocabulary game
# should not ask for: articles, pronouns, prepositions, conjunctions,
# determiners, auxiliaries, negation and degree particles, cardinal numbers.
# ---------------------------------------------------------------------------

ENGLISH_STOP_WORDS = frozenset(
    """
    a an the this that these those some any each every no none all both either
    neither much many more most less least few several such own other another
    i me my mine myself you your yours yourself yourselves he him his himself
    she her hers herself it its itself we us our ours ourselves they them their
    theirs themselves one ones oneself someone somebody something anyone anybody
    anything everyone everybody everything nobody nothing whoever whatever
    thou thee thy ye
    who whom whose which what where when why how whether wherever whenever
    of to in on at by for with from into onto upon about above below under over
    after before between through during without within against among amongst
    toward towards across along around behind beside besides beyond near off
    out up down via per since until till than as like unlike despite except
    and or but nor so yet if because although though while unless whereas
    is am are was were been being isn't aren't wasn't weren't
    has had having does did doing done can could may might must shall should
    will would ought cannot can't won't don't doesn't didn't
    not very too also just only even quite rather almost enough still already
    here there then thus hence therefore however yes ok okay oh ah hey
    zero two three four five six seven eight nine ten eleven twelve thirteen
    fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty
    fifty sixty seventy eighty ninety hundred thousand million billion
    etc mr mrs ms dr st
    """.split()
)

FRENCH_STOP_WORDS = frozenset(
    """
    le la les l' un une des du de d' au aux ce cet cette ces
    mon ma mes ton ta tes son sa ses notre nos votre vos leur leurs
    je j' tu il elle on nous vous ils elles me m' te t' se s' moi toi soi lui
    eux y en qui que qu' quoi dont où lequel laquelle lesquels lesquelles
    auquel auxquels auxquelles duquel desquels desquelles celui celle ceux
    celles ceci cela ça quiconque quelqu'un quelque quelques chaque plusieurs
    aucun aucune nul nulle tout toute tous toutes tel telle tels telles
    certains certaines rien personne autrui chacun chacune
    à dans par pour sur sous avec sans chez vers entre contre pendant depuis
    avant après devant derrière selon malgré parmi envers hors dès outre via
    jusque jusqu' voici voilà
    et ou mais donc or ni car si comme quand lorsque puisque quoique parce
    ne n' pas non oui point guère très trop plus moins aussi assez tant
    ainsi alors puis cependant pourtant toutefois néanmoins
    zéro deux trois quatre cinq six sept huit neuf dix onze douze treize
    quatorze quinze seize vingt trente quarante cinquante soixante cent cents
    mille million milliard
    etc
    """.split()
)

SPANISH_STOP_WORDS = frozenset(
    """
    el la los las lo un una unos unas uno del al
    mi mis tu tus su sus nuestro nuestra nuestros nuestras vuestro vuestra
    vuestros vuestras mío mía míos mías tuyo tuya tuyos tuyas suyo suya suyos
    suyas
    yo tú él ella ello nosotros nosotras vosotros vosotras ellos ellas usted
    ustedes me te se nos os le les mí ti sí conmigo contigo consigo
    este esta esto estos estas ese esa eso esos esas aquel aquella aquello
    aquellos aquellas
    que qué quien quién quienes quiénes cual cuál cuales cuáles cuyo cuya
    cuyos cuyas donde dónde adonde adónde cuando cuándo como cómo cuanto
    cuánto cuanta cuánta cuantos cuántos cuantas cuántas
    algo alguien alguno alguna algunos algunas algún ninguno ninguna ningún
    nadie nada todo toda todos todas cada varios varias ambos ambas
    cualquier cualquiera demás tal tales
    a ante bajo con contra de desde durante en entre hacia hasta mediante
    para por según sin so sobre tras
    y e o u ni pero sino mas aunque porque pues si conque luego
    no muy más menos tan tanto tanta tantos tantas también tampoco ya
    aún aun así
    cero dos tres cuatro cinco seis siete ocho nueve diez once doce trece
    catorce quince dieciséis diecisiete dieciocho diecinueve veinte treinta
    cuarenta cincuenta sesenta setenta ochenta noventa cien ciento mil millón
    etc
    """.split()
)

# Sexual, scatological and slur vocabulary: not what a word game for a
# general audience should ask, whichever side of the pair it is on.
OFFENSIVE_WORDS = frozenset(
    """
    whore hooker prostitute cunt pussy fuck screw arse ass bastard bitch
    negro nigger slut tits penis vagina anus shit piss crap
    putain pute con foutre baiser nègre merde salope cul bite chatte
    connard couille bordel
    puta coño joder mierda polla culo cabrón cojón cojones maricón
    gilipollas ramera
    """.split()
)

# Short infinitives whose regular forms are too short or irregular for the
# frequency evidence in `looks_like_spanish_verb`.
SPANISH_SHORT_VERBS = frozenset({"ir", "ser", "ver", "dar", "oír", "reír", "freír", "leer", "caer"})

# ---------------------------------------------------------------------------
# dictd parsing
# ---------------------------------------------------------------------------

# dictd writes offsets and lengths as base-64 numbers, most significant digit
# first, with the RFC 4648 digit alphabet.
DICTD_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_DICTD_DIGITS = {char: value for value, char in enumerate(DICTD_ALPHABET)}


def decode_dictd_number(digits: str) -> int:
    """Decode one dictd index number.

    dictd does not pad or group like RFC 4648 data: each character is just one
    base-64 digit of the offset or length ("B" is 1, "BA" is 64).
    """
    if not digits:
        raise ValueError("empty dictd number")
    value = 0
    for char in digits:
        try:
            value = value * 64 + _DICTD_DIGITS[char]
        except KeyError:
            raise ValueError(f"not a dictd base-64 digit: {char!r}") from None
    return value


@dataclass(frozen=True)
class IndexLine:
    """Where one headword's article lives in the uncompressed .dict text."""

    headword: str
    offset: int
    length: int


def parse_index(text: str) -> list[IndexLine]:
    """Parse a dictd ``.index`` file: ``headword<TAB>offset<TAB>length`` lines."""
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        parts = raw.split("\t")
        if len(parts) != 3:
            raise ValueError(f"index line {number}: expected 3 tab-separated fields: {raw!r}")
        headword, offset, length = parts
        lines.append(IndexLine(headword, decode_dictd_number(offset), decode_dictd_number(length)))
    return lines


@dataclass(frozen=True)
class Entry:
    """One dictionary article: the headword as printed, its class, its senses.

    The printed headword keeps its capitals (the index lowercases them), which
    is how proper nouns are recognised. ``senses`` holds the translations of
    each numbered sense, in order; an article without numbers has one sense.
    """

    headword: str
    pos: str
    senses: tuple[tuple[str, ...], ...]


_SENSE_NUMBER = re.compile(r"^\d+\.\s+")
_POS_MARK = re.compile(r"<([^>]*)>")
_PRONUNCIATION = re.compile(r"\s/[^/]*/")


def clean_text(text: str) -> str:
    """NFC, ASCII hyphens and apostrophes, single spaces.

    The dictionaries mix U+2010 hyphens and typographic apostrophes with ASCII
    ones; players type the ASCII forms.
    """
    text = unicodedata.normalize("NFC", text)
    text = text.translate({0x2010: "-", 0x2011: "-", 0x2019: "'", 0x02BC: "'"})
    return " ".join(text.split())


def split_translations(line: str) -> tuple[str, ...]:
    """Split a sense line on the commas that are not inside brackets."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in line:
        if char in "([":
            depth += 1
        elif char in ")]" and depth:
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return tuple(cleaned for part in parts if (cleaned := clean_text(part)))


def parse_entry(text: str) -> Entry | None:
    """Parse one article: ``headword /pronunciation/ <pos>`` then sense lines.

    Returns None for an article without translations. Quoted usage examples
    are not senses and are skipped.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        return None
    head = lines[0]
    pos_match = _POS_MARK.search(head)
    pos_tag = pos_match.group(1).split(",")[0].strip() if pos_match else ""
    head = _PRONUNCIATION.sub(" ", f" {_POS_MARK.sub('', head)} ")
    senses = []
    for line in lines[1:]:
        if line.startswith('"'):
            continue
        translations = split_translations(_SENSE_NUMBER.sub("", line))
        if translations:
            senses.append(translations)
    if not senses:
        return None
    return Entry(clean_text(head), _POS_TAGS.get(pos_tag, UNKNOWN), tuple(senses))


def _read_raw(dict_dir: Path, name: str) -> tuple[list[IndexLine], bytes]:
    """The index and the uncompressed text of ``freedict-<name>``.

    A .dict.dz file is dictzip: gzip with an extra header field, so the
    standard gzip module reads it.
    """
    index = parse_index((dict_dir / f"freedict-{name}.index").read_text(encoding="utf-8"))
    with gzip.open(dict_dir / f"freedict-{name}.dict.dz") as handle:
        return index, handle.read()


def read_dictionary(dict_dir: Path, name: str) -> list[Entry]:
    """Every article of ``freedict-<name>``, metadata articles excluded."""
    index, data = _read_raw(dict_dir, name)
    entries = []
    for line in index:
        if line.headword.startswith("00database"):
            continue
        entry = parse_entry(data[line.offset : line.offset + line.length].decode("utf-8"))
        if entry is not None:
            entries.append(entry)
    return entries


def dictionary_edition(dict_dir: Path, name: str) -> str:
    """The "Edition:" of the dictionary, from its 00-database-info article."""
    index, data = _read_raw(dict_dir, name)
    for line in index:
        if line.headword == "00databaseinfo":
            info = data[line.offset : line.offset + line.length].decode("utf-8")
            match = re.search(r"^Edition:\s*(\S+)", info, re.MULTILINE)
            if match:
                return match.group(1)
    return "unknown"


# ---------------------------------------------------------------------------
# Both-direction confirmation
# ---------------------------------------------------------------------------


def strip_to(english: str) -> str:
    """English without a leading infinitive marker: "to eat" → "eat"."""
    return english[3:] if english.lower().startswith("to ") else english


def english_key(text: str) -> str:
    """Lookup form of an English word: clean, lowercase, no leading "to "."""
    return strip_to(clean_text(text)).lower()


def foreign_key(text: str) -> str:
    """Lookup form of a French or Spanish word: clean and lowercase."""
    return clean_text(text).lower()


@dataclass(frozen=True)
class Candidate:
    """A (foreign, English) pair that both dictionaries list.

    ``sense`` adds up the two sense positions (0-based) at which the pair
    appears: 0 means both articles give it in their first sense, 1 that one
    of them gives it second. ``pos`` is the forward article's class
    (UNKNOWN when it has no tag).
    """

    foreign: str
    english: str
    pos: str
    sense: int


def confirmed_pairs(forward: Iterable[Entry], backward: Iterable[Entry]) -> list[Candidate]:
    """Pairs listed by the foreign→English AND the English→foreign dictionary.

    ``forward`` is e.g. fra-eng and ``backward`` eng-fra. A headword may have
    several articles (one per class); each candidate keeps the class of the
    forward article it came from and the best sense positions found.
    """
    backward_sense: dict[tuple[str, str], int] = {}
    for entry in backward:
        head = english_key(entry.headword)
        for number, sense in enumerate(entry.senses):
            for translation in sense:
                key = (head, foreign_key(translation))
                backward_sense[key] = min(backward_sense.get(key, number), number)
    best: dict[tuple[str, str, str], Candidate] = {}
    for entry in forward:
        for number, sense in enumerate(entry.senses):
            for translation in sense:
                english = strip_to(clean_text(translation))
                found = backward_sense.get((english.lower(), foreign_key(entry.headword)))
                if found is None:
                    continue
                candidate = Candidate(entry.headword, english, entry.pos, number + found)
                slot = (candidate.foreign, candidate.english, candidate.pos)
                if slot not in best or candidate.sense < best[slot].sense:
                    best[slot] = candidate
    return [best[slot] for slot in sorted(best)]


# ---------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------


def strip_accents(text: str) -> str:
    """Lowercase text without combining marks: "Élève" → "eleve"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def gives_answer_away(english: str, foreign: str) -> bool:
    """True when prompt and answer are spelled alike but for case, accents,
    hyphens, apostrophes or spaces ("radio"/"radio", "cafe"/"café").

    The game accepts answers without accents, so such a prompt is its own
    answer."""

    def squash(text: str) -> str:
        return re.sub(r"[\s\-']", "", strip_accents(text))

    return squash(strip_to(english)) == squash(foreign)


_LETTERS = "a-zàâäæçéèêëîïôœùûüÿáíñóú"
_FOREIGN_WORD = re.compile(rf"^[{_LETTERS}]+(?:-[{_LETTERS}]+)?$")
_FRENCH_REFLEXIVE = re.compile(rf"^(?:se |s')(?P<verb>[{_LETTERS}]+)$")
_ENGLISH_PROMPT = re.compile(r"^[A-Za-z]+(?:[ '-][A-Za-z]+)*$")


def answer_shape_ok(word: str) -> bool:
    """A typable answer: one lowercase word (one inner hyphen allowed), or a
    French reflexive verb ("se lever", "s'asseoir").

    Capitals mean proper nouns, dots abbreviations, digits and brackets
    dictionary notes; longer phrases are idioms rather than vocabulary and
    awkward to type against the clock.
    """
    return bool(_FOREIGN_WORD.match(word) or _FRENCH_REFLEXIVE.match(word))


def prompt_shape_ok(english: str) -> bool:
    """A short plain English prompt: letters with single spaces, hyphens or
    apostrophes between them, at most MAX_PROMPT_WORDS words, not in capitals
    (abbreviations). Capitalised words stay: "Monday", "German"."""
    if not _ENGLISH_PROMPT.match(english):
        return False
    if len(english.split()) > MAX_PROMPT_WORDS:
        return False
    return not (len(english) > 1 and english.isupper())


def _words(text: str) -> list[str]:
    return [part for part in re.split(r"[\s']+", text.lower()) if part]


def is_function_word(word: str, stop_words: frozenset[str]) -> bool:
    """True for a grammatical word, or a phrase made only of them."""
    lowered = word.lower()
    return lowered in stop_words or all(part in stop_words for part in _words(lowered))


def prompt_is_function_word(english: str) -> bool:
    """True when an English prompt is grammatical ("the", "in front")."""
    words = english.lower().split()
    return words[0] in ENGLISH_STOP_WORDS or all(w in ENGLISH_STOP_WORDS for w in words)


def is_gloss(english: str) -> bool:
    """True for a phrase with a grammatical word after its first word.

    That is a gloss or an idiom ("house of worship", "sons and daughters",
    "reduce the price", "lay hold of"), not a word to learn. Phrasal verbs
    go too ("look for"): in these dictionaries most are loose paraphrases.
    """
    return any(w in ENGLISH_STOP_WORDS for w in english.lower().split()[1:])


def is_offensive(english: str, foreign: str) -> bool:
    """True when either side is on the OFFENSIVE_WORDS list."""
    return any(w in OFFENSIVE_WORDS for w in _words(english) + _words(foreign))


def adverb_mismatch(english: str, foreign: str) -> bool:
    """Spanish "-mente" words are adverbs; an English prompt without "-ly"
    is then the adjective ("anualmente" listed for "annual")."""
    return foreign.endswith("mente") and not english.endswith("ly")


# ---------------------------------------------------------------------------
# Frequencies, tiers and verbs
# ---------------------------------------------------------------------------

Frequency = Callable[[str], float]


@dataclass(frozen=True)
class Frequencies:
    """Zipf frequency lookups for the foreign language and for English."""

    foreign: Frequency
    english: Frequency


def frequency_key(word: str) -> str:
    """The form to look up: a reflexive French verb counts as its verb."""
    match = _FRENCH_REFLEXIVE.match(word)
    return match.group("verb") if match else word


def tier_for(zipf: float, bounds: Sequence[float] = TIER_BOUNDS) -> int:
    """Tier 1 for the most frequent words, up to len(bounds) + 1 for the rarest."""
    for tier, bound in enumerate(bounds, start=1):
        if zipf >= bound:
            return tier
    return len(bounds) + 1


def looks_like_spanish_verb(word: str, frequency: Frequency) -> bool:
    """Guess whether a Spanish word is an infinitive (spa-eng has no tags).

    Many nouns end like infinitives ("lugar", "mujer", "collar"). An
    infinitive is trusted when wordfreq knows at least two of five regular
    forms built from it (gerund, participle, "we" present, "he" preterite,
    "he" imperfect: "hablando", "hablado", "hablamos", "habló", "hablaba").
    Nouns make at most one real word by accident, and irregular verbs keep
    two regular forms. Very short stems are too ambiguous ("mar" → "mando"),
    so short verbs come from SPANISH_SHORT_VERBS.
    """
    base = word[:-2] if word.endswith("se") and len(word) >= 4 else word
    if base in SPANISH_SHORT_VERBS:
        return True
    ending = strip_accents(base[-2:])
    stem = base[:-2]
    if ending not in ("ar", "er", "ir") or len(stem) < 2:
        return False
    if ending == "ar":
        suffixes: tuple[str, ...] = ("ando", "ado", "amos", "ó", "aba")
    else:
        suffixes = ("iendo", "ido", ending[0] + "mos", "ió", "ía")
    return sum(1 for suffix in suffixes if frequency(stem + suffix) >= 1.5) >= 2


def spanish_infinitive_shape(word: str) -> bool:
    """Ends like a Spanish infinitive, reflexive or not ("hablar", "irse")."""
    return re.search(r"(?:ar|er|ir|ír)(?:se)?$", word) is not None


def french_infinitive_shape(word: str) -> bool:
    """Ends like a French infinitive, or is a reflexive verb."""
    return _FRENCH_REFLEXIVE.match(word) is not None or re.search(r"(?:er|ir|re)$", word) is not None


def looks_like_french_verb(word: str, frequency: Frequency) -> bool:
    """Guess whether an untagged French word is a verb.

    Most fra-eng articles carry a tag; the untagged rest are mostly phrases.
    Reflexive forms are verbs; otherwise an infinitive needs its present and
    past participles in use ("parlant", "parlé"), as for Spanish.
    """
    if _FRENCH_REFLEXIVE.match(word):
        return True
    if len(word) <= 4:
        return False
    if word.endswith("er"):
        forms = (word[:-2] + "ant", word[:-2] + "é")
    elif word.endswith("ir"):
        forms = (word[:-1] + "ssant", word[:-1])
    elif word.endswith("re"):
        forms = (word[:-2] + "ant", word[:-2] + "u")
    else:
        return False
    return all(frequency(form) >= 1.5 for form in forms)


def english_classes(entries: Iterable[Entry]) -> dict[str, frozenset[str]]:
    """The classes of the articles each English word translates, in a tagged
    foreign→English dictionary (fra-eng).

    Used as a hint for untagged dictionaries: an infinitive-looking Spanish
    word paired with an English word that fra-eng never uses for a verb
    ("poder"/"power") is a noun sense; such pairs are too unsure to keep.
    """
    classes: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        if entry.pos == UNKNOWN:
            continue
        for sense in entry.senses:
            for translation in sense:
                classes[english_key(translation)].add(entry.pos)
    return {word: frozenset(found) for word, found in sorted(classes.items())}


# ---------------------------------------------------------------------------
# Languages
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LanguageSpec:
    """Everything language-specific the build needs."""

    id: str
    name: str
    wordfreq_code: str
    forward: str
    backward: str
    stop_words: frozenset[str]
    verb_guess: Callable[[str, Frequency], bool]
    verb_shape: Callable[[str], bool]


FRENCH = LanguageSpec(
    id="french",
    name="French",
    wordfreq_code="fr",
    forward="fra-eng",
    backward="eng-fra",
    stop_words=FRENCH_STOP_WORDS,
    verb_guess=looks_like_french_verb,
    verb_shape=french_infinitive_shape,
)
SPANISH = LanguageSpec(
    id="spanish",
    name="Spanish",
    wordfreq_code="es",
    forward="spa-eng",
    backward="eng-spa",
    stop_words=SPANISH_STOP_WORDS,
    verb_guess=looks_like_spanish_verb,
    verb_shape=spanish_infinitive_shape,
)
LANGUAGES: tuple[LanguageSpec, ...] = (FRENCH, SPANISH)

# ---------------------------------------------------------------------------
# Selection
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scored:
    """A candidate that passed the filters: its final prompt, class and
    frequencies."""

    prompt: str
    foreign: str
    word_class: str
    zipf: float
    english_zipf: float
    sense: int

    @property
    def gap(self) -> float:
        """How far apart the two frequencies are (see MAX_ZIPF_GAP)."""
        return round(abs(self.zipf - self.english_zipf), 2)


@dataclass(frozen=True)
class Pair:
    """One row of a word bank."""

    english: str
    answer: str
    alternatives: tuple[str, ...]
    tier: int

    def as_json(self) -> dict[str, object]:
        return {
            "english": self.english,
            "answer": self.answer,
            "alternatives": list(self.alternatives),
            "tier": self.tier,
        }


def word_class(
    candidate: Candidate,
    spec: LanguageSpec,
    frequency: Frequency,
    hints: Mapping[str, frozenset[str]],
) -> str | None:
    """The candidate's class: the dictionary's tag, else a verb guess.

    French reflexives are verbs whatever their tag. An infinitive-shaped
    word the frequency evidence misses is still a verb when fra-eng only
    ever uses its English word for verbs ("contradecir"/"contradict").
    None when a verb guess contradicts the English hints ("poder"/"power"):
    the pair is then too unsure to phrase as a prompt.
    """
    if _FRENCH_REFLEXIVE.match(candidate.foreign):
        return VERB
    if candidate.pos != UNKNOWN:
        return candidate.pos
    known = hints.get(english_key(candidate.english))
    if not spec.verb_guess(candidate.foreign, frequency):
        only_a_verb = known == frozenset({VERB}) and spec.verb_shape(candidate.foreign)
        return VERB if only_a_verb else UNKNOWN
    if known is not None and VERB not in known:
        return None
    return VERB


def make_prompt(english: str, cls: str) -> str:
    """Verbs are prompted "to eat"; everything else bare."""
    return f"to {english}" if cls == VERB else english


def pair_is_clean(candidate: Candidate, spec: LanguageSpec) -> bool:
    """Shape, stop-word and taste filters on both sides of a pair."""
    foreign, english = candidate.foreign, candidate.english
    if candidate.pos == FUNCTION:
        return False
    if not answer_shape_ok(foreign) or is_function_word(foreign, spec.stop_words):
        return False
    if not prompt_shape_ok(english) or prompt_is_function_word(english) or is_gloss(english):
        return False
    return not (is_offensive(english, foreign) or adverb_mismatch(english, foreign))


def giveaway_prompts(candidates: Iterable[Candidate]) -> frozenset[str]:
    """English words that are also one of their own translations.

    "action" is French for "action": asking for it with another answer
    ("activité") would mark the obvious answer wrong, so such a prompt is
    dropped entirely rather than just losing the cognate.
    """
    return frozenset(
        english_key(c.english) for c in candidates if gives_answer_away(c.english, c.foreign)
    )


def similarity(english: str, foreign: str) -> float:
    """Spelling similarity of two words, accents and case ignored (0..1)."""
    return difflib.SequenceMatcher(None, strip_accents(english), strip_accents(foreign)).ratio()


def dictionary_links(forward: Iterable[Entry], backward: Iterable[Entry]) -> dict[str, frozenset[str]]:
    """Every foreign word either dictionary gives for each English word, in
    any sense and in either direction (no confirmation: this is for traps)."""
    links: dict[str, set[str]] = defaultdict(set)
    for entry in forward:
        for sense in entry.senses:
            for translation in sense:
                links[english_key(translation)].add(entry.headword)
    for entry in backward:
        for sense in entry.senses:
            for translation in sense:
                links[english_key(entry.headword)].add(clean_text(translation))
    return {word: frozenset(found) for word, found in sorted(links.items())}


def is_cognate_trap(
    pair: Pair, links: Mapping[str, frozenset[str]], headwords: frozenset[str]
) -> bool:
    """True when a player would reasonably type a look-alike word that the
    pair does not accept.

    Two cases. The prompt is spelled like a foreign word ("pain", "large",
    "chair"): a false friend, or a cognate the dictionaries only list one
    way. Or the dictionaries link the prompt to a look-alike ("access" →
    "accès") that did not survive the filters while no accepted word looks
    like the prompt: then the surviving answer is usually a side sense
    ("access" → "attaque"). Capitalised prompts are exempt ("German" is not
    "Germain").
    """
    english = strip_to(pair.english)
    if english[:1].isupper():
        return False
    if re.sub(r"[\s\-']", "", strip_accents(english)) in headwords:
        return True
    accepted = (pair.answer, *pair.alternatives)
    if any(similarity(english, word) >= COGNATE_SIMILARITY for word in accepted):
        return False
    return any(
        similarity(english, word) >= COGNATE_SIMILARITY
        for word in links.get(english.lower(), frozenset())
        if word[:1].islower()
    )


def squashed_headwords(entries: Iterable[Entry], stop_words: frozenset[str]) -> frozenset[str]:
    """The forward dictionary's lowercase content headwords, as `is_cognate_trap`
    compares them: no accents, spaces, hyphens or apostrophes."""
    return frozenset(
        re.sub(r"[\s\-']", "", strip_accents(entry.headword))
        for entry in entries
        if entry.headword[:1].islower() and not is_function_word(entry.headword, stop_words)
    )


def score_candidates(
    candidates: Sequence[Candidate],
    spec: LanguageSpec,
    frequencies: Frequencies,
    hints: Mapping[str, frozenset[str]],
) -> list[Scored]:
    """Apply every per-pair filter; attach the prompt and the frequencies."""
    giveaways = giveaway_prompts(candidates)
    kept = []
    for candidate in candidates:
        if candidate.sense > MAX_SENSE or not pair_is_clean(candidate, spec):
            continue
        if english_key(candidate.english) in giveaways:
            continue
        zipf = frequencies.foreign(frequency_key(candidate.foreign))
        english_zipf = frequencies.english(candidate.english)
        if zipf < MIN_ZIPF or english_zipf < MIN_ENGLISH_ZIPF:
            continue
        if abs(zipf - english_zipf) > MAX_ZIPF_GAP:
            continue
        cls = word_class(candidate, spec, frequencies.foreign, hints)
        if cls is None:
            continue
        prompt = make_prompt(candidate.english, cls)
        kept.append(Scored(prompt, candidate.foreign, cls, zipf, english_zipf, candidate.sense))
    return kept


def without_rejected(scored: Iterable[Scored], rejected: frozenset[tuple[str, str]]) -> list[Scored]:
    """Drop the (prompt, foreign word) pairs a human review rejected; a
    foreign word of ANY rejects every pair with that prompt."""
    return [
        s for s in scored if (s.prompt, s.foreign) not in rejected and (s.prompt, ANY) not in rejected
    ]


def closest_prompts(
    scored: Iterable[Scored], limit: int = MAX_PROMPTS_PER_ANSWER
) -> frozenset[tuple[str, str]]:
    """For each foreign word, the ``limit`` prompts it may answer: those whose
    frequency is closest to its own (the dictionary lists synonyms in
    alphabetical order, so list position says nothing)."""
    by_word: dict[str, list[Scored]] = defaultdict(list)
    for item in scored:
        by_word[item.foreign].append(item)
    allowed: set[tuple[str, str]] = set()
    for items in by_word.values():
        ranked = sorted(items, key=lambda s: (s.sense, s.gap, s.prompt.lower(), s.prompt))
        allowed.update((s.prompt.lower(), s.foreign) for s in ranked[:limit])
    return frozenset(allowed)


def choose_prompt_text(group: Sequence[Scored]) -> str:
    """Lowercase spelling wins when a prompt occurs in two cases ("East"/"east")."""
    return min((item.prompt for item in group), key=lambda p: (p != p.lower(), p))


def merge_prompts(scored: Sequence[Scored]) -> list[Pair]:
    """One pair per English prompt (case-insensitive).

    The answer is the foreign word whose frequency is closest to the English
    word's: translations are used about as often as each other, so this picks
    "maison" over "demeure" for "house" and "mûr" over the homograph-inflated
    "fait" for "mature". Every other foreign word for the prompt is an
    accepted alternative. A prompt no foreign word may answer (see
    `closest_prompts`) is dropped.
    """
    allowed = closest_prompts(scored)
    groups: dict[str, list[Scored]] = defaultdict(list)
    for item in scored:
        groups[item.prompt.lower()].append(item)
    pairs = []
    for key, group in groups.items():
        ranked = sorted(group, key=lambda s: (s.sense, s.gap, -s.zipf, s.foreign))
        answers = [s for s in ranked if (key, s.foreign) in allowed]
        if not answers:
            continue
        best = answers[0]
        alternatives = tuple(sorted({s.foreign for s in group} - {best.foreign}))
        pairs.append(Pair(choose_prompt_text(group), best.foreign, alternatives, tier_for(best.zipf)))
    return sort_pairs(drop_redundant_phrases(pairs))


def drop_redundant_phrases(pairs: Sequence[Pair]) -> list[Pair]:
    """Drop "English language" → "anglais" when "English" → "anglais" exists:
    a multi-word prompt adds nothing when one of its words has its answer."""
    answered = {(strip_to(p.english).lower(), p.answer) for p in pairs if " " not in strip_to(p.english)}
    kept = []
    for pair in pairs:
        words = strip_to(pair.english).lower().split()
        if len(words) > 1 and any((word, pair.answer) in answered for word in words):
            continue
        kept.append(pair)
    return kept


def sort_pairs(pairs: Iterable[Pair]) -> list[Pair]:
    """The file order: by tier, then prompt (case-insensitively), then answer."""
    return sorted(pairs, key=lambda p: (p.tier, p.english.lower(), p.english, p.answer))


def build_pairs(
    forward: Sequence[Entry],
    backward: Sequence[Entry],
    spec: LanguageSpec,
    frequencies: Frequencies,
    hints: Mapping[str, frozenset[str]],
    rejected: frozenset[tuple[str, str]] = frozenset(),
) -> list[Pair]:
    """The whole pure pipeline for one language."""
    scored = score_candidates(confirmed_pairs(forward, backward), spec, frequencies, hints)
    pairs = merge_prompts(without_rejected(scored, rejected))
    links = dictionary_links(forward, backward)
    headwords = squashed_headwords(forward, spec.stop_words)
    return [pair for pair in pairs if not is_cognate_trap(pair, links, headwords)]


# ---------------------------------------------------------------------------
# Review rejections and spelling fixes (the data is at the end of the file)
# ---------------------------------------------------------------------------

ANY = "*"


def review_rejects(language_id: str) -> frozenset[tuple[str, str]]:
    """The pairs the human review rejected for a language (``review/LANGUAGE.txt``)."""
    path = REVIEW_DIR / f"{language_id}.txt"
    return parse_rejects(path.read_text(encoding="utf-8")) if path.exists() else frozenset()


def parse_rejects(text: str) -> frozenset[tuple[str, str]]:
    """Parse review lines (``prompt = word, ...``; ``#`` comments) into (prompt, word or ANY) pairs."""
    rejected: set[tuple[str, str]] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        prompt, separator, words = line.partition(" = ")
        if not separator or not words.strip():
            raise ValueError(f"review line {number}: expected 'prompt = word, ...': {line!r}")
        rejected.update((prompt.strip(), word.strip()) for word in words.split(","))
    return frozenset(rejected)


def fix_spelling(entries: Iterable[Entry], fixes: Mapping[str, str]) -> list[Entry]:
    """Entries with misspelt foreign words corrected, both as headwords and
    as translations (so both directions still match)."""

    def fix(word: str) -> str:
        return fixes.get(word, word)

    return [
        Entry(fix(e.headword), e.pos, tuple(tuple(fix(t) for t in sense) for sense in e.senses))
        for e in entries
    ]


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------

LICENSE_TEXT = (
    "GPL-2.0-or-later (derived from the FreeDict dictionaries); tiers derived from "
    "wordfreq data under CC-BY-SA-4.0. See LICENSE.md in this directory."
)


def render_bank(spec: LanguageSpec, source: str, license_text: str, pairs: Sequence[Pair]) -> str:
    """Serialise a bank as JSON with one pair per line, for readable diffs."""
    header = {"id": spec.id, "name": spec.name, "source": source, "license": license_text}
    lines = ["{"]
    for key, value in header.items():
        lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},")
    lines.append('  "pairs": [')
    rows = [json.dumps(pair.as_json(), ensure_ascii=False) for pair in pairs]
    lines.extend(f"    {row}," for row in rows[:-1])
    lines.extend(f"    {row}" for row in rows[-1:])
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def wordfreq_frequencies(language: str) -> Frequencies:
    """Zipf lookups backed by wordfreq, imported here so that nothing but
    this build script ever needs the package."""
    import wordfreq

    def foreign(word: str) -> float:
        return float(wordfreq.zipf_frequency(word, language))

    def english(word: str) -> float:
        return float(wordfreq.zipf_frequency(word, "en"))

    return Frequencies(foreign, english)


def source_line(spec: LanguageSpec, dict_dir: Path) -> str:
    """The "source" field: dictionary editions and the wordfreq version."""
    return (
        f"FreeDict {spec.forward} {dictionary_edition(dict_dir, spec.forward)} and "
        f"{spec.backward} {dictionary_edition(dict_dir, spec.backward)} "
        f"(https://freedict.org/, Debian packages dict-freedict-{spec.forward} and "
        f"dict-freedict-{spec.backward}); word frequencies from wordfreq "
        f"{metadata.version('wordfreq')} (https://github.com/rspeer/wordfreq)"
    )


def build_all(dict_dir: Path, out_dir: Path) -> dict[str, list[Pair]]:
    """Build and write every language's bank; return the pairs by language id."""
    dictionaries = {
        spec.id: (read_dictionary(dict_dir, spec.forward), read_dictionary(dict_dir, spec.backward))
        for spec in LANGUAGES
    }
    hints = english_classes(entry for forward, _ in dictionaries.values() for entry in forward)
    out_dir.mkdir(parents=True, exist_ok=True)
    built = {}
    for spec in LANGUAGES:
        fixes = SPELLING_FIXES.get(spec.id, {})
        forward, backward = (fix_spelling(entries, fixes) for entries in dictionaries[spec.id])
        frequencies = wordfreq_frequencies(spec.wordfreq_code)
        rejected = review_rejects(spec.id)
        pairs = build_pairs(forward, backward, spec, frequencies, hints, rejected)
        text = render_bank(spec, source_line(spec, dict_dir), LICENSE_TEXT, pairs)
        (out_dir / f"{spec.id}.json").write_text(text, encoding="utf-8")
        built[spec.id] = pairs
    return built


def summary(spec: LanguageSpec, pairs: Sequence[Pair]) -> str:
    """One line per language: the total and the count per tier."""
    counts: dict[int, int] = defaultdict(int)
    for pair in pairs:
        counts[pair.tier] += 1
    tiers = ", ".join(f"tier {tier}: {counts[tier]}" for tier in sorted(counts))
    return f"{spec.name}: {len(pairs)} pairs ({tiers})"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m lingualeap.words.build",
        description="Build the LinguaLeap word banks from the FreeDict dictionaries and wordfreq.",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT_DIR,
        help="directory to write <language>.json into (default: lingualeap/words/data)",
    )
    parser.add_argument(
        "--dict-dir",
        type=Path,
        default=DEFAULT_DICT_DIR,
        help="directory with the freedict-*.index and freedict-*.dict.dz files "
        f"(default: {DEFAULT_DICT_DIR})",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    built = build_all(args.dict_dir, args.out)
    for spec in LANGUAGES:
        print(summary(spec, built[spec.id]))
    return 0


# ---------------------------------------------------------------------------
# Human review. Every generated pair was read; these passed every filter but
# are wrong or misleading, mostly through mistakes in the dictionaries
# themselves (false friends, synonym lists copied onto the wrong headword,
# side senses). One line per prompt: "prompt = word, word" rejects those
# foreign words for that prompt (as answer and as alternative); "prompt = *"
# rejects the prompt altogether. Prompts are spelled as in the output.
# ---------------------------------------------------------------------------


# Misspellings in the dictionaries (missing accents), fixed before matching.
SPELLING_FIXES: Mapping[str, Mapping[str, str]] = {
    "french": {},
    "spanish": {
        "dificil": "difícil",
        "petroleo": "petróleo",
        "interprete": "intérprete",
        "perdida": "pérdida",
    },
}


if __name__ == "__main__":
    sys.exit(main())
