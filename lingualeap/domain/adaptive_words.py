"""Adaptive words: each match's words chosen for the players in it.

The policy (also in ``docs/ADAPTIVE_WORDS.md``) has two parts.

*What a player knows* is tracked per word (:class:`WordProgress`), spaced-repetition style. Each
round is one of three outcomes for each player in it:

- SOLVED: they found the word. Their run of solves grows; the word comes back after an interval
  that starts at ``first_interval`` (1 h) and is multiplied by the word's *ease* (2.5 to start,
  +0.1 per solve, at most 3.0) with every further solve: 1 h, 2.6 h, 7 h, 19 h, ...
- MISSED: nobody found it. The run resets, the ease drops by 0.2 (never below 1.3, so hard words
  grow their intervals more slowly), and the word is due again after ``relearn_after`` (10 min):
  soon, but not in the very next match;
- BEATEN: someone else found it first. That says little about this player, so nothing but the
  date changes: the word is due again after its current interval (at least ``relearn_after``).

A word solved ``MASTERY_STREAK`` (3) times in a row is *mastered*; a miss unmasters it.

*Which words a match gets* (:func:`choose_words`):

1. Reviews first: up to ``review_share`` (half) of the match are words that are due for one of
   the players, taken round-robin over the players so everybody gets theirs, missed words before
   solved ones, the longest overdue first. This is how missed words return, spaced out. Half is
   deliberate: with fewer review slots a player who misses many words builds a backlog, and a
   word that comes back hours late has been forgotten again (the simulation in
   ``tests/domain/test_adaptive_words.py`` showed a 30 % share leaving missed words waiting
   ~25 matches, a 50 % share 2).
2. The rest is drawn by tier. A player's rating sets a centre tier,
   ``1 + (rating − tier1_rating) / points_per_tier`` clamped to 1..5, and tier weights fall off
   as a normal curve around it (spread ``tier_spread``). A group uses the average of its
   players' curves. Pass the conservative display rating (r − 2·RD): a newcomer (800) starts on
   tier 1, and words get harder as the rating becomes both higher and surer.
3. Within a tier a word's weight is the average over the players of: 1 if they never saw it (or
   it is due), ``recent_weight`` (0.2) if it is scheduled for later, ``mastered_weight`` (0.05)
   if they mastered it. Mastered words recede but never vanish entirely.
4. The chosen words are shuffled, so reviews are not always the first rounds.

Everything is deterministic given the inputs and the ``random.Random`` passed in.
"""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from lingualeap.domain.model import WordPair
from lingualeap.domain.records import replace
from lingualeap.domain.results import MatchResult

TIERS = (1, 2, 3, 4, 5)
MASTERY_STREAK = 3
#: Rejection sampling tries this many words of a tier before weighing the whole tier exactly.
_SAMPLING_ATTEMPTS = 64


class Outcome(enum.Enum):
    SOLVED = "solved"
    BEATEN = "beaten"
    MISSED = "missed"


@dataclass(frozen=True, slots=True)
class AdaptiveConfig:
    relearn_after: float = 600.0
    first_interval: float = 3600.0
    initial_ease: float = 2.5
    min_ease: float = 1.3
    max_ease: float = 3.0
    ease_up: float = 0.1
    ease_down: float = 0.2
    review_share: float = 0.5
    tier1_rating: float = 1000.0
    points_per_tier: float = 200.0
    tier_spread: float = 0.75
    recent_weight: float = 0.2
    mastered_weight: float = 0.05

    def __post_init__(self) -> None:
        if not (0 < self.min_ease <= self.initial_ease <= self.max_ease):
            raise ValueError("eases need 0 < min_ease <= initial_ease <= max_ease")
        if not (0 <= self.review_share <= 1 and self.points_per_tier > 0 and self.tier_spread > 0):
            raise ValueError("review_share must be in 0..1, points_per_tier and tier_spread > 0")
        if not (0 < self.mastered_weight <= 1 and 0 < self.recent_weight <= 1):
            raise ValueError("word weights must be in (0, 1]")


DEFAULT_CONFIG = AdaptiveConfig()


@dataclass(frozen=True, slots=True)
class WordProgress:
    """One player's history with one word."""

    seen: int = 0
    solved: int = 0
    streak: int = 0
    ease: float = DEFAULT_CONFIG.initial_ease
    interval: float = 0.0
    last_seen: float | None = None
    due_at: float | None = None

    @property
    def mastered(self) -> bool:
        return self.streak >= MASTERY_STREAK

    def is_due(self, now: float) -> bool:
        return self.due_at is not None and self.due_at <= now


def word_key(english: str, answer: str) -> str:
    """The key progress is stored under: the prompt and the answer (an answer alone can stand
    for several prompts)."""
    return f"{english}|{answer}"


def key_of(pair: WordPair) -> str:
    return word_key(pair.english, pair.answer)


def review(
    progress: WordProgress | None, outcome: Outcome, now: float, config: AdaptiveConfig = DEFAULT_CONFIG
) -> WordProgress:
    """The word's progress after the player met it at ``now`` with ``outcome``."""
    p = progress if progress is not None else WordProgress(ease=config.initial_ease)
    if outcome is Outcome.SOLVED:
        streak = p.streak + 1
        interval = config.first_interval if streak == 1 else p.interval * p.ease
        p = replace(p, solved=p.solved + 1, streak=streak, interval=interval,
                    ease=min(config.max_ease, p.ease + config.ease_up))
    elif outcome is Outcome.MISSED:
        p = replace(p, streak=0, interval=config.relearn_after,
                    ease=max(config.min_ease, p.ease - config.ease_down))
    return replace(p, seen=p.seen + 1, last_seen=now, due_at=now + max(p.interval, config.relearn_after))


def outcomes_for(result: MatchResult, player_id: str) -> dict[str, Outcome]:
    """Each word of a finished match (by :func:`word_key`) and how it went for the player."""
    outcomes: dict[str, Outcome] = {}
    for record in sorted(result.rounds, key=lambda r: r.number):
        if record.winner == player_id:
            outcome = Outcome.SOLVED
        elif record.winner is None:
            outcome = Outcome.MISSED
        else:
            outcome = Outcome.BEATEN
        outcomes[word_key(record.english, record.answer)] = outcome
    return outcomes


def mastered_count(progress: Mapping[str, WordProgress]) -> int:
    return sum(1 for p in progress.values() if p.mastered)


@dataclass(frozen=True, slots=True)
class Learner:
    """A player as word choice sees them: a rating (the conservative display rating) and their
    progress per word key (only words they met)."""

    rating: float
    progress: Mapping[str, WordProgress]


@dataclass(frozen=True, slots=True)
class TieredBank:
    """A language's pairs grouped by tier (build once per language and keep)."""

    tiers: tuple[tuple[WordPair, ...], ...]
    #: Every pair by its key, built once with the bank (each match's choice looks words up).
    keyed: Mapping[str, WordPair] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.keyed:
            object.__setattr__(self, "keyed", MappingProxyType({key_of(p): p for tier in self.tiers for p in tier}))

    @classmethod
    def from_pairs(cls, pairs: Iterable[WordPair]) -> TieredBank:
        grouped: dict[int, list[WordPair]] = {t: [] for t in TIERS}
        for pair in pairs:
            grouped[min(max(pair.tier, TIERS[0]), TIERS[-1])].append(pair)
        return cls(tuple(tuple(grouped[t]) for t in TIERS))

    @property
    def size(self) -> int:
        return sum(len(t) for t in self.tiers)

    def by_key(self) -> Mapping[str, WordPair]:
        return self.keyed


def centre_tier(rating: float, config: AdaptiveConfig = DEFAULT_CONFIG) -> float:
    tier = 1.0 + (rating - config.tier1_rating) / config.points_per_tier
    return min(float(TIERS[-1]), max(float(TIERS[0]), tier))


def tier_weights(ratings: Sequence[float], config: AdaptiveConfig = DEFAULT_CONFIG) -> tuple[float, ...]:
    """How likely each tier (1..5) is for a group: the average of its players' normal curves,
    each around the player's centre tier (sums to 1)."""
    if not ratings:
        raise ValueError("a match needs at least one player")
    total = [0.0] * len(TIERS)
    for rating in ratings:
        centre = centre_tier(rating, config)
        curve = [math.exp(-((t - centre) ** 2) / (2 * config.tier_spread**2)) for t in TIERS]
        norm = sum(curve)
        for i, weight in enumerate(curve):
            total[i] += weight / norm / len(ratings)
    return tuple(total)


def _freshness(progress: WordProgress | None, now: float, config: AdaptiveConfig) -> float:
    if progress is None or progress.is_due(now):
        return 1.0
    if progress.mastered:
        return config.mastered_weight
    return config.recent_weight


def _reviews(
    learners: Sequence[Learner], bank: Mapping[str, WordPair], limit: int, now: float
) -> list[WordPair]:
    """Up to ``limit`` due words, round-robin over the learners; per learner missed words
    first, then the longest overdue, then by key."""
    queues: list[list[str]] = []
    for learner in learners:
        due = [(p.streak > 0, p.due_at or 0.0, key) for key, p in learner.progress.items()
               if key in bank and p.is_due(now)]
        queues.append([key for *_, key in sorted(due)])
    chosen: list[str] = []
    while len(chosen) < limit and any(queues):
        for queue in queues:
            while queue and queue[0] in chosen:
                queue.pop(0)
            if queue and len(chosen) < limit:
                chosen.append(queue.pop(0))
    return [bank[key] for key in chosen]


def _draw_from_tier(
    tier: Sequence[WordPair], taken: set[str], learners: Sequence[Learner], now: float,
    rng: random.Random, config: AdaptiveConfig,
) -> WordPair | None:
    """One word of ``tier`` not yet taken, with probability proportional to its group weight.

    Most words are fresh (weight 1), so rejection sampling (draw uniformly, keep with
    probability = weight) usually succeeds at once; a tier that is mostly known falls back to an
    exact weighted choice over its remaining words."""

    def weight(pair: WordPair) -> float:
        key = key_of(pair)
        return sum(_freshness(l.progress.get(key), now, config) for l in learners) / len(learners)

    for _ in range(_SAMPLING_ATTEMPTS):
        pair = tier[rng.randrange(len(tier))]
        if key_of(pair) not in taken and rng.random() < weight(pair):
            return pair
    remaining = [p for p in tier if key_of(p) not in taken]
    if not remaining:
        return None
    return rng.choices(remaining, weights=[weight(p) for p in remaining])[0]


def choose_words(
    bank: TieredBank,
    learners: Sequence[Learner],
    count: int,
    now: float,
    rng: random.Random,
    config: AdaptiveConfig = DEFAULT_CONFIG,
) -> list[WordPair]:
    """``count`` distinct pairs for a match of ``learners`` (see the module docstring)."""
    if count > bank.size:
        raise ValueError(f"the bank has only {bank.size} words, {count} requested")
    by_key = bank.by_key()
    words = _reviews(learners, by_key, math.floor(count * config.review_share), now)
    taken = {key_of(p) for p in words}
    weights = list(tier_weights([l.rating for l in learners], config))
    while len(words) < count:
        usable = [i for i, tier in enumerate(bank.tiers) if tier and weights[i] > 0]
        if not usable:
            # Every tier the group's curve reaches is used up: take the rest from any tier.
            weights = [1.0 if tier else 0.0 for tier in bank.tiers]
            continue
        index = rng.choices(usable, weights=[weights[i] for i in usable])[0]
        pair = _draw_from_tier(bank.tiers[index], taken, learners, now, rng, config)
        if pair is None:
            weights[index] = 0.0
            continue
        words.append(pair)
        taken.add(key_of(pair))
    rng.shuffle(words)
    return words
