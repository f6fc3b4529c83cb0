"""The matchmaking simulation: a population with known skill queueing, playing and queueing again.

Time advances in ticks (1 s by default), as a server's matchmaking timer would. Each tick:

1. players whose break is over join the queue (at their exact arrival time);
2. players who have waited ``bot_after`` seconds are offered a bot; the offer stands, and every
   ``bot_after`` seconds each of them takes it with probability ``bot_accept`` (leaving the queue
   for a practice match, which is neither rated nor counted as a match);
3. the policy forms groups from the queue;
4. every group plays: each player performs at ``skill · ln10/400`` plus Gumbel noise, which makes
   the probability that A finishes ahead of B exactly Elo's ``1 / (1 + 10^((s_B − s_A)/400))``
   for any number of players; ratings are updated with Glicko-2 from the finishing order
   (unless ratings are fixed at the known skill);
5. after the match and a break (exponential, mean ``break_mean``) each player queues again.

Both policies see the same population: the same skills and, per player, the same sequence of
break lengths (one random stream per player), so differences come from the pairing alone.
"""

from __future__ import annotations

import heapq
import math
import random
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lingualeap.domain import matchmaking_policy as mm
from lingualeap.domain import rating as glicko
from lingualeap.domain.matchmaking_policy import MatchmakingConfig, WaitingEntry

Former = Callable[[list[WaitingEntry], float], list[tuple[WaitingEntry, ...]]]


@dataclass(frozen=True, slots=True)
class Scenario:
    players: int = 3000
    hours: float = 6.0
    warmup_hours: float = 2.0
    size: int = 2
    seed: int = 1
    skill_mean: float = 1500.0
    skill_sd: float = 300.0
    match_seconds: float = 240.0
    break_mean: float = 600.0
    tick: float = 1.0
    bot_accept: float = 0.5
    known_ratings: bool = False
    matchmaking: MatchmakingConfig = field(default_factory=MatchmakingConfig)


@dataclass(slots=True)
class SimPlayer:
    id: str
    skill: float
    rating: glicko.Rating
    breaks: random.Random
    bot_offered: bool = False
    next_bot_decision: float = 0.0


@dataclass(slots=True)
class Tally:
    """What one policy produced, counted after the warm-up."""

    rating_gaps: list[float] = field(default_factory=list)
    skill_gaps: list[float] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)
    favourite_win: list[float] = field(default_factory=list)
    matches: int = 0
    bot_offers: int = 0
    bot_matches: int = 0
    still_waiting: int = 0
    longest_still_waiting: float = 0.0
    rating_error: float = 0.0


def skill_former(scenario: Scenario) -> Former:
    """The policy under test: closest compatible groups within widening windows."""

    def form(queue: list[WaitingEntry], now: float) -> list[tuple[WaitingEntry, ...]]:
        return mm.pick_groups(queue, now, scenario.size, scenario.matchmaking)

    return form


def fifo_former(scenario: Scenario) -> Former:
    """First come, first served: the earliest ``size`` players, whatever their ratings (what the
    server does today)."""

    def form(queue: list[WaitingEntry], now: float) -> list[tuple[WaitingEntry, ...]]:
        ordered = sorted(queue, key=lambda e: (e.enqueued_at, e.player_id))
        whole = len(ordered) - len(ordered) % scenario.size
        return [tuple(ordered[i : i + scenario.size]) for i in range(0, whole, scenario.size)]

    return form


POLICIES: dict[str, Callable[[Scenario], Former]] = {
    "skill window": skill_former,
    "first come first served": fifo_former,
}


def _population(scenario: Scenario) -> list[SimPlayer]:
    skills = random.Random(f"{scenario.seed}:skills")
    players = []
    for i in range(scenario.players):
        skill = skills.gauss(scenario.skill_mean, scenario.skill_sd)
        start = glicko.Rating(skill, 50.0) if scenario.known_ratings else glicko.Rating()
        players.append(SimPlayer(f"p{i:05d}", skill, start, random.Random(f"{scenario.seed}:breaks:{i}")))
    return players


def _win_probability(a: float, b: float) -> float:
    return 1.0 / (1.0 + 10 ** ((b - a) / 400.0))


def _play(group: Sequence[SimPlayer], rng: random.Random, update: bool) -> None:
    scale = math.log(10) / 400.0
    # Gumbel noise: -ln(-ln U), with U kept away from 0 and 1.
    performance = [(p.id, p.skill * scale - math.log(-math.log(rng.uniform(1e-12, 1 - 1e-12)))) for p in group]
    if not update:
        return
    by_id = {p.id: p for p in group}
    new = glicko.rate_match({p.id: p.rating for p in group}, performance)
    for player_id, rating in new.items():
        by_id[player_id].rating = rating


def run(scenario: Scenario, policy: str) -> Tally:
    former = POLICIES[policy](scenario)
    players = _population(scenario)
    by_id = {p.id: p for p in players}
    outcomes = random.Random(f"{scenario.seed}:outcomes")
    bots = random.Random(f"{scenario.seed}:bots")
    # (time the player joins the queue, id): a heap of players on a break.
    arrivals = [(p.breaks.expovariate(1.0 / scenario.break_mean), p.id) for p in players]
    heapq.heapify(arrivals)
    queue: dict[str, WaitingEntry] = {}
    tally = Tally()
    warmup = scenario.warmup_hours * 3600.0
    end = scenario.hours * 3600.0
    now = 0.0
    while now < end:
        now += scenario.tick
        while arrivals and arrivals[0][0] <= now:
            at, player_id = heapq.heappop(arrivals)
            player = by_id[player_id]
            player.bot_offered = False
            player.next_bot_decision = 0.0
            queue[player_id] = WaitingEntry(player_id, player.rating.rating, player.rating.deviation, at)

        for entry in list(queue.values()):
            player = by_id[entry.player_id]
            if not mm.bot_offer_due(entry, now, scenario.matchmaking) or now < player.next_bot_decision:
                continue
            # The offer stands once made; the player reconsiders it every ``bot_after`` seconds.
            counted = now >= warmup
            if not player.bot_offered:
                player.bot_offered = True
                tally.bot_offers += counted
            player.next_bot_decision = now + scenario.matchmaking.bot_after
            if bots.random() < scenario.bot_accept:
                del queue[entry.player_id]
                tally.bot_matches += counted
                if counted:
                    tally.waits.append(now - entry.enqueued_at)
                back = now + scenario.match_seconds + player.breaks.expovariate(1.0 / scenario.break_mean)
                heapq.heappush(arrivals, (back, player.id))

        if len(queue) < scenario.size:
            continue
        for group in former(list(queue.values()), now):
            members = [by_id[e.player_id] for e in group]
            if now >= warmup:
                tally.matches += 1
                tally.rating_gaps.append(mm.span(group))
                skills = [m.skill for m in members]
                tally.skill_gaps.append(max(skills) - min(skills))
                tally.waits.extend(now - e.enqueued_at for e in group)
                if len(members) == 2:
                    p = _win_probability(members[0].skill, members[1].skill)
                    tally.favourite_win.append(max(p, 1.0 - p))
            _play(members, outcomes, update=not scenario.known_ratings)
            for member in members:
                del queue[member.id]
                back = now + scenario.match_seconds + member.breaks.expovariate(1.0 / scenario.break_mean)
                heapq.heappush(arrivals, (back, member.id))

    tally.still_waiting = len(queue)
    tally.longest_still_waiting = max((now - e.enqueued_at for e in queue.values()), default=0.0)
    tally.rating_error = statistics.fmean(abs(p.rating.rating - p.skill) for p in players)
    return tally


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (nearest rank): what the worst (100 − q) % start at."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100.0 * len(ordered)) - 1))]


def summary(tally: Tally) -> dict[str, Any]:
    def stats(values: list[float]) -> dict[str, float]:
        if not values:
            return {"mean": math.nan, "median": math.nan, "p95": math.nan}
        return {"mean": statistics.fmean(values), "median": statistics.median(values), "p95": percentile(values, 95)}

    return {
        "matches": tally.matches,
        "rating_gap": stats(tally.rating_gaps),
        "skill_gap": stats(tally.skill_gaps),
        "wait": stats(tally.waits),
        "favourite_win": statistics.fmean(tally.favourite_win) if tally.favourite_win else math.nan,
        "bot_offers": tally.bot_offers,
        "bot_matches": tally.bot_matches,
        "still_waiting": tally.still_waiting,
        "longest_still_waiting": tally.longest_still_waiting,
        "rating_error": tally.rating_error,
    }
