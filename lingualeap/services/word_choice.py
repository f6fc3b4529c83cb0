"""Each matchmaking room's words, chosen for its players (``domain/adaptive_words.py``,
``docs/ADAPTIVE_WORDS.md``): tiers from their ratings, missed words back for review, mastered
words receding.

The stores keep per word only how often a player met it and solved it, and when last; the
spaced-repetition state the policy reads is rebuilt from those counts (:func:`learned`): the
*net* run of solves (solves minus misses) stands for the run, so a word solved more often than
missed comes back after ever longer intervals and one missed as often as solved is due again
after ``relearn_after``. Guests and bots bring a newcomer's rating and no history. When the store
cannot answer, the room falls back to a uniform draw.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from twisted.logger import Logger

from lingualeap.clock import Clock
from lingualeap.domain import adaptive_words as adaptive
from lingualeap.domain.model import Language, Player, WordPair
from lingualeap.domain.rating import Rating, display_rating
from lingualeap.ports import PlayerStore, WordProgress


def learned(stored: WordProgress, config: adaptive.AdaptiveConfig = adaptive.DEFAULT_CONFIG) -> adaptive.WordProgress:
    """The adaptive state of a word rebuilt from its stored counts (see the module docstring)."""
    run = stored.solved - (stored.seen - stored.solved)
    if run <= 0:
        interval = config.relearn_after
        return adaptive.WordProgress(seen=stored.seen, solved=stored.solved, streak=0, interval=interval,
                                     last_seen=stored.last_seen, due_at=stored.last_seen + interval)
    interval = config.first_interval * config.initial_ease ** (run - 1)
    return adaptive.WordProgress(seen=stored.seen, solved=stored.solved, streak=run, interval=interval,
                                 last_seen=stored.last_seen, due_at=stored.last_seen + interval)


def learner(rating: Rating, words: Sequence[WordProgress]) -> adaptive.Learner:
    return adaptive.Learner(
        rating=float(display_rating(rating)),
        progress={adaptive.word_key(w.english, w.word): learned(w) for w in words},
    )


class WordChooser:
    log = Logger()

    def __init__(self, players: PlayerStore, languages: Mapping[str, Language], clock: Clock,
                 rng: random.Random | None = None) -> None:
        self._players = players
        self._banks = {lang.id: adaptive.TieredBank.from_pairs(lang.pairs) for lang in languages.values()}
        self._clock = clock
        self._rng = rng or random.Random()

    async def choose(self, language: str, players: Sequence[Player], count: int) -> list[WordPair] | None:
        """``count`` words for these players, or ``None`` (draw uniformly instead)."""
        bank = self._banks.get(language)
        if bank is None or count > bank.size:
            return None
        try:
            learners = [await self._learner(p, language) for p in players if not p.bot]
        except Exception:
            self.log.failure("no word progress for a {language} match; drawing its words at random",
                             language=language)
            return None
        if not learners:
            return None
        return adaptive.choose_words(bank, learners, count, self._clock.now(), self._rng)

    async def _learner(self, player: Player, language: str) -> adaptive.Learner:
        if player.guest:
            return learner(Rating(), ())
        user = await self._players.user_by_id(player.id)
        if user is None:
            return learner(Rating(), ())
        return learner(user.stats_for(language).rating, await self._players.progress(player.id, language))
