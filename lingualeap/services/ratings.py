"""Players' current ratings for matchmaking: from the shared cache (Redis) when it has them,
else from the player store (then cached); refreshed after every stored match."""

from __future__ import annotations

from twisted.logger import Logger

from lingualeap.domain.model import Player
from lingualeap.domain.rating import Rating
from lingualeap.domain.results import MatchResult
from lingualeap.ports import PlayerStore, RatingCache


class Ratings:
    log = Logger()

    def __init__(self, players: PlayerStore, cache: RatingCache | None = None) -> None:
        self._players = players
        self._cache = cache

    async def current(self, player: Player, language: str) -> Rating:
        """The player's rating in the language (guests, unknown or unreachable: a newcomer's)."""
        if player.guest:
            return Rating()
        if self._cache is not None:
            try:
                cached = await self._cache.get(language, player.id)
            except Exception as e:
                self.log.warn("the rating cache did not answer ({why}); asking the store", why=e)
                cached = None
            if cached is not None:
                return cached
        try:
            user = await self._players.user_by_id(player.id)
        except Exception:
            self.log.failure("no rating for {player}; matched as a newcomer", player=player.id)
            return Rating()
        rating = user.stats_for(language).rating if user is not None else Rating()
        await self._remember(language, {player.id: rating})
        return rating

    async def refresh(self, result: MatchResult) -> None:
        """Cache the stored ratings of a match's registered players (after it was recorded)."""
        if self._cache is None:
            return
        fresh: dict[str, Rating] = {}
        for player in result.players:
            if player.guest:
                continue
            user = await self._players.user_by_id(player.id)
            if user is not None:
                fresh[player.id] = user.stats_for(result.language).rating
        await self._remember(result.language, fresh)

    async def _remember(self, language: str, ratings: dict[str, Rating]) -> None:
        if self._cache is None or not ratings:
            return
        try:
            await self._cache.put(language, ratings)
        except Exception as e:
            self.log.warn("ratings not cached ({why}); the store still has them", why=e)
