"""Word pairs cached in Redis sets per language and tier, drawn with SRANDMEMBER.

Every instance seeds the sets from its bundled banks at start-up when the stored version differs,
so instances of one release agree on the words without sharing files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from twisted.internet.defer import Deferred, DeferredLock

from lingualeap.backends.redis import keys
from lingualeap.backends.redis.client import RedisClient
from lingualeap.domain.errors import GameError
from lingualeap.domain.model import Language, WordPair


def _encode(pair: WordPair) -> str:
    return json.dumps(
        {"english": pair.english, "answer": pair.answer, "alternatives": list(pair.alternatives), "tier": pair.tier},
        separators=(",", ":"), ensure_ascii=False, sort_keys=True,
    )


def _decode(raw: str) -> WordPair:
    data = json.loads(raw)
    return WordPair(data["english"], data["answer"], tuple(data.get("alternatives", ())), int(data.get("tier", 1)))


def _version(language: Language) -> str:
    digest = hashlib.sha256()
    for pair in language.pairs:
        digest.update(_encode(pair).encode())
    return digest.hexdigest()[:16]


class RedisWordSource:
    def __init__(self, client: RedisClient, languages: Mapping[str, Language]) -> None:
        self._client = client
        self._languages = languages
        # One seeding at a time: draws that find the cache empty all seed, and each seeding
        # starts by deleting the sets, so concurrent ones undid each other for seconds.
        self._seeding = DeferredLock()

    async def seed(self) -> None:
        await self._seeding.run(lambda: Deferred.fromCoroutine(self._seed()))

    async def _seed(self) -> None:
        for language in self._languages.values():
            version = _version(language)
            if await self._client.execute("GET", keys.words_version(language.id)) == version:
                continue
            tiers = sorted({p.tier for p in language.pairs})
            await self._client.execute("DEL", keys.words(language.id), *[keys.words_tier(language.id, t) for t in tiers])
            encoded = [_encode(p) for p in language.pairs]
            for start in range(0, len(encoded), 500):
                await self._client.execute("SADD", keys.words(language.id), *encoded[start:start + 500])
            for tier in tiers:
                members = [_encode(p) for p in language.pairs if p.tier == tier]
                await self._client.execute("SADD", keys.words_tier(language.id, tier), *members)
            await self._client.execute("SET", keys.words_version(language.id), version)

    async def draw(self, language: str, count: int) -> list[WordPair]:
        if language not in self._languages:
            raise GameError("unknown_language", f"unknown language {language!r}")
        raw = await self._client.execute("SRANDMEMBER", keys.words(language), count)
        pairs = [_decode(r) for r in raw or ()]
        if len(pairs) < count:
            # The cache is gone (Redis restarted empty): seed it again and retry once.
            await self.seed()
            raw = await self._client.execute("SRANDMEMBER", keys.words(language), count)
            pairs = [_decode(r) for r in raw or ()]
        return pairs
