"""Glicko-2 ratings: a skill estimate per player and language, with how sure we are of it.

A rating is three numbers (Glickman, "Example of the Glicko-2 system", 2013):

- ``rating`` (r): the skill estimate on the familiar Elo-like scale, 1500 for a newcomer;
- ``deviation`` (RD): how uncertain r is. About 95 % of the time the true skill lies within
  r ± 2·RD. It shrinks with every game and grows while a player is away;
- ``volatility`` (σ): how erratic the player's results are. It sets how fast RD grows again.

The system works on rating *periods*: every result of a period is applied at once, from the
ratings everybody had when it started. LinguaLeap makes each match one period for the players in
it, so ratings move after every match. A match of n players is n−1 duels per player: against each
opponent a player scores 1 (more points), ½ (equal points) or 0 (fewer). Those duels are not
independent, so a 4-player match moves a rating more than a duel does (as three games would):
intended, because finishing first of four says more than beating one player.

Between matches only the deviation changes (:func:`inflate`): the service decides how many
periods a pause is worth (for instance one per idle day).

Everything here is pure: no clock, no storage. Stores keep ``to_record`` mappings.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

#: Converts between the displayed scale and the internal Glicko-2 scale (400 / ln 10).
GLICKO2_SCALE = 173.7178
DEFAULT_RATING = 1500.0
DEFAULT_DEVIATION = 350.0
DEFAULT_VOLATILITY = 0.06

#: Scores of one duel.
WIN, DRAW, LOSS = 1.0, 0.5, 0.0


@dataclass(frozen=True, slots=True)
class Rating:
    """One player's Glicko-2 rating in one language (display scale)."""

    rating: float = DEFAULT_RATING
    deviation: float = DEFAULT_DEVIATION
    volatility: float = DEFAULT_VOLATILITY

    def __post_init__(self) -> None:
        if not (math.isfinite(self.rating) and self.deviation > 0 and self.volatility > 0):
            raise ValueError("a rating needs a finite rating, deviation > 0 and volatility > 0")

    @property
    def mu(self) -> float:
        return (self.rating - DEFAULT_RATING) / GLICKO2_SCALE

    @property
    def phi(self) -> float:
        return self.deviation / GLICKO2_SCALE


@dataclass(frozen=True, slots=True)
class RatingConfig:
    """The system's constants.

    ``tau`` limits how fast volatility can change: small values (0.3) suit steady games, large
    ones (1.2) games with upsets; 0.5 is the paper's example and a sensible middle.
    ``max_deviation`` caps how uncertain a rating can become again after a long absence: never
    more than a newcomer's.
    """

    tau: float = 0.5
    convergence: float = 1e-6
    max_deviation: float = DEFAULT_DEVIATION

    def __post_init__(self) -> None:
        if not (self.tau > 0 and self.convergence > 0 and self.max_deviation > 0):
            raise ValueError("tau, convergence and max_deviation must all be > 0")


DEFAULT_CONFIG = RatingConfig()


@dataclass(frozen=True, slots=True)
class Result:
    """One duel of a rating period: the opponent's rating before it, and what we scored."""

    opponent: Rating
    score: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 1.0:
            raise ValueError("a duel scores between 0 (loss) and 1 (win)")


def _g(phi: float) -> float:
    """How much an opponent's uncertainty dampens what a result against them tells us."""
    return 1.0 / math.sqrt(1.0 + 3.0 * phi * phi / (math.pi * math.pi))


def _expected(mu: float, opponent_mu: float, opponent_phi: float) -> float:
    return 1.0 / (1.0 + math.exp(-_g(opponent_phi) * (mu - opponent_mu)))


def expected_score(player: Rating, opponent: Rating) -> float:
    """The score ``player`` is expected to make against ``opponent`` (a win probability, with
    draws counted as half), allowing for the uncertainty of both ratings."""
    combined_phi = math.hypot(player.phi, opponent.phi)
    return _expected(player.mu, opponent.mu, combined_phi)


def _new_volatility(phi: float, sigma: float, v: float, delta: float, config: RatingConfig) -> float:
    """Step 5 of the paper: the volatility σ' solving f(x) = 0 for x = ln σ'².

    f is monotone, so a bracketing root finder cannot fail; the paper recommends the Illinois
    variant of regula falsi, which halves the weight of a side that stays put and so converges
    much faster than plain false position on this strongly curved function.
    """
    a = math.log(sigma * sigma)
    tau2 = config.tau * config.tau
    phi2 = phi * phi

    def f(x: float) -> float:
        ex = math.exp(x)
        return ex * (delta * delta - phi2 - v - ex) / (2.0 * (phi2 + v + ex) ** 2) - (x - a) / tau2

    low = a
    if delta * delta > phi2 + v:
        high = math.log(delta * delta - phi2 - v)
    else:
        k = 1
        while f(a - k * config.tau) < 0:
            k += 1
        high = a - k * config.tau
    f_low, f_high = f(low), f(high)
    while abs(high - low) > config.convergence:
        new = low + (low - high) * f_low / (f_high - f_low)
        f_new = f(new)
        if f_new * f_high <= 0:
            low, f_low = high, f_high
        else:
            f_low /= 2.0
        high, f_high = new, f_new
    return math.exp(low / 2.0)


def inflate(rating: Rating, periods: float = 1.0, config: RatingConfig = DEFAULT_CONFIG) -> Rating:
    """The rating after ``periods`` rating periods without a game: only the deviation grows
    (step 6 of the paper, applied ``periods`` times; fractions allowed), capped at
    ``config.max_deviation``."""
    if periods <= 0:
        return rating
    phi = math.sqrt(rating.phi**2 + periods * rating.volatility**2)
    deviation = min(config.max_deviation, phi * GLICKO2_SCALE)
    return Rating(rating.rating, max(deviation, rating.deviation), rating.volatility)


def update(
    rating: Rating, results: Iterable[Result], config: RatingConfig = DEFAULT_CONFIG
) -> Rating:
    """The rating at the end of a rating period in which the player had ``results``.

    No results: the period only adds uncertainty (:func:`inflate` by one period).
    """
    games = list(results)
    if not games:
        return inflate(rating, 1.0, config)
    mu, phi, sigma = rating.mu, rating.phi, rating.volatility
    information = 0.0  # 1/v: how much the period's games tell us
    surprise = 0.0  # Σ g·(s − E): how far the results were from what the ratings predicted
    for game in games:
        g = _g(game.opponent.phi)
        expected = _expected(mu, game.opponent.mu, game.opponent.phi)
        information += g * g * expected * (1.0 - expected)
        surprise += g * (game.score - expected)
    v = 1.0 / information
    delta = v * surprise
    new_sigma = _new_volatility(phi, sigma, v, delta, config)
    phi_star = math.sqrt(phi * phi + new_sigma * new_sigma)
    new_phi = 1.0 / math.sqrt(1.0 / (phi_star * phi_star) + 1.0 / v)
    new_mu = mu + new_phi * new_phi * surprise
    return Rating(
        rating=GLICKO2_SCALE * new_mu + DEFAULT_RATING,
        deviation=min(config.max_deviation, GLICKO2_SCALE * new_phi),
        volatility=new_sigma,
    )


def pairwise_scores(standings: Sequence[tuple[str, float]]) -> dict[str, tuple[tuple[str, float], ...]]:
    """Every player's duels in a match: ``standings`` lists ``(player id, points)``; against
    each other player one scores 1 for more points, ½ for as many, 0 for fewer."""
    ids = [player for player, _ in standings]
    if len(set(ids)) != len(ids):
        raise ValueError("a player appears twice in the standings")
    return {
        me: tuple(
            (other, WIN if mine > theirs else DRAW if mine == theirs else LOSS)
            for other, theirs in standings
            if other != me
        )
        for me, mine in standings
    }


def rate_match(
    ratings: Mapping[str, Rating],
    standings: Sequence[tuple[str, float]],
    config: RatingConfig = DEFAULT_CONFIG,
) -> dict[str, Rating]:
    """New ratings of everybody in a finished match, all computed from the ratings before it.

    ``ratings`` holds the current ratings (a player missing from it is a newcomer); the caller
    decides what to keep (guests, for instance, are rated as newcomers and then forgotten).
    """
    before = {player: ratings.get(player, Rating()) for player, _ in standings}
    return {
        player: update(before[player], (Result(before[other], score) for other, score in duels), config)
        for player, duels in pairwise_scores(standings).items()
    }


def display_rating(rating: Rating, deviations: float = 2.0) -> int:
    """A conservative number to show and rank by: the skill we are ~97.5 % sure the player has
    at least (r − 2·RD), never below 0. A newcomer shows 800 and climbs as games make the
    rating certain, so one lucky win cannot put anybody at the top."""
    return max(0, round(rating.rating - deviations * rating.deviation))


def to_record(rating: Rating) -> dict[str, float]:
    """A flat mapping for stores (MongoDB documents, Redis hashes)."""
    return {"rating": rating.rating, "deviation": rating.deviation, "volatility": rating.volatility}


def from_record(record: Mapping[str, object]) -> Rating:
    """The inverse of :func:`to_record`; fields a store lacks take newcomer values.

    Numbers may arrive as strings (Redis hashes); anything else raises ``ValueError``.
    """

    def number(name: str, default: float) -> float:
        value = record.get(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float, str, bytes)):
            raise ValueError(f"rating field {name!r} is not a number")
        return float(value)

    return Rating(
        rating=number("rating", DEFAULT_RATING),
        deviation=number("deviation", DEFAULT_DEVIATION),
        volatility=number("volatility", DEFAULT_VOLATILITY),
    )
