"""Adaptive words in matchmaking rooms: tiers by rating, missed words back for review."""

from __future__ import annotations

import random

import pytest_twisted
from support.harness import Harness
from twisted.internet.task import Clock

from lingualeap.backends.memory.players import MemoryPlayerStore
from lingualeap.clock import ReactorClock
from lingualeap.domain import adaptive_words as adaptive
from lingualeap.domain.commands import FindMatch
from lingualeap.domain.model import Player
from lingualeap.domain.rating import Rating
from lingualeap.ports import LanguageStats, UserRecord, WordProgress
from lingualeap.services.word_choice import WordChooser, learned
from lingualeap.words.loader import load_languages


def test_the_adaptive_state_is_rebuilt_from_stored_counts() -> None:
    config = adaptive.DEFAULT_CONFIG
    missed = learned(WordProgress("maison", "house", seen=3, solved=1, last_seen=100.0))
    assert (missed.streak, missed.due_at, missed.mastered) == (0, 100.0 + config.relearn_after, False)
    known = learned(WordProgress("maison", "house", seen=4, solved=4, last_seen=100.0))
    assert known.mastered and known.due_at == 100.0 + config.first_interval * config.initial_ease**3
    assert not learned(WordProgress("maison", "house", seen=5, solved=3, last_seen=0.0)).mastered


@pytest_twisted.ensureDeferred
async def test_stronger_players_get_harder_tiers() -> None:
    time = Clock()
    time.advance(1_700_000_000)
    clock = ReactorClock(time)
    store = MemoryPlayerStore(clock)
    await store.create_user(UserRecord("u-pro", "Pro", "pro@example.com", "x", 1.0, 1.0, stats=(
        LanguageStats("french", games=200, rating=Rating(2200, 40)),)))
    chooser = WordChooser(store, load_languages(), clock, random.Random(3))
    newcomer = await chooser.choose("french", [Player("g-1", "New", guest=True)], 40)
    strong = await chooser.choose("french", [Player("u-pro", "Pro")], 40)
    assert newcomer is not None and strong is not None
    mean = lambda words: sum(w.tier for w in words) / len(words)  # noqa: E731
    assert mean(newcomer) < 2.0 < 4.0 < mean(strong)
    assert len({(w.english, w.answer) for w in strong}) == 40  # distinct pairs


@pytest_twisted.ensureDeferred
async def test_words_nobody_solved_come_back_in_the_next_match_once_due() -> None:
    h = Harness(rounds=4, round_seconds=5, start_delay=1, intermission=1, bot_after=0, match_window=1000,
                match_window_max=1000)
    players = []
    for name in ("Ana", "Ben"):
        session = await h.server.accounts.register(name, f"{name.lower()}@example.com", "password123")
        players.append(Player(session.user.id, session.user.name))

    async def match() -> set[str]:
        conns = [h.connect(p) for p in players]
        for p in players:
            await h.server.play.handle(p, FindMatch("french"))
        room_id = conns[0].last("matchFound")["roomId"]
        h.advance(30)  # every round times out: nobody solves anything
        await h.settle()
        assert conns[0].last("matchEnded")["roomId"] == room_id
        return {e["translation"] for e in conns[0].named("newRound")}

    first = await match()
    h.advance(adaptive.DEFAULT_CONFIG.relearn_after)
    second = await match()
    # Half of a match is reviews: two of the four missed words are back.
    assert len(first & second) >= 2
