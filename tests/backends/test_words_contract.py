from __future__ import annotations

import pytest
import pytest_twisted
from support.ports import Ports
from support.words import FRENCH_WORDS

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
