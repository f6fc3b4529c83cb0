from __future__ import annotations

import pytest
import pytest_twisted
from support.ports import Ports
from support.words import FRENCH_WORDS
from twisted.internet.defer import Deferred, gatherResults

from lingualeap.domain.errors import GameError


@pytest_twisted.ensureDeferred
async def test_draws_distinct_pairs_of_the_language(ports: Ports) -> None:
    if hasattr(ports.words, "seed"):
        await ports.words.seed()
    drawn = await ports.words.draw("french", 10)
    assert len(drawn) == 10 and len(set(drawn)) == 10
    assert set(drawn) <= set(FRENCH_WORDS)
    with pytest.raises(GameError):
        await ports.words.draw("klingon", 1)


@pytest_twisted.ensureDeferred
async def test_redis_reseeds_an_emptied_cache(redis_ports: Ports) -> None:
    assert redis_ports.client is not None
    await redis_ports.client.execute("FLUSHALL")  # Redis restarted empty
    drawn = await redis_ports.words.draw("spanish", 5)
    assert len(set(drawn)) == 5


@pytest_twisted.ensureDeferred
async def test_many_draws_on_an_empty_cache_seed_it_once(redis_ports: Ports, monkeypatch: pytest.MonkeyPatch) -> None:
    # A burst of matches right after start-up (or a Redis restart): every draw finds the cache
    # empty. Seedings side by side each deleted the sets the others were filling, for seconds.
    client = redis_ports.client
    assert client is not None
    await client.execute("FLUSHALL")
    deletions: list[tuple[object, ...]] = []
    execute = client.execute

    async def counting(*args: object, **kwargs: object) -> object:
        if args[0] == "DEL":
            deletions.append(args)
        return await execute(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(client, "execute", counting)
    size = len(FRENCH_WORDS)
    drawn = await gatherResults([Deferred.fromCoroutine(redis_ports.words.draw("french", size)) for _ in range(20)])
    assert all(len(set(pairs)) == size for pairs in drawn)
    # One seeding (each language's sets deleted once, then filled); the others found it done.
    assert sorted(str(d[1]) for d in deletions) == ["ll:words:french", "ll:words:spanish"]
