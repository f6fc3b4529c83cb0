"""``python -m benchmarks.matchmaking_sim``: run the simulation for both policies and report.

    python -m benchmarks.matchmaking_sim                      # 3000 players, pairs, 6 h
    python -m benchmarks.matchmaking_sim --players 300        # a quiet server
    python -m benchmarks.matchmaking_sim --size 4 --record    # and add the table to RESULTS.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import platform
import shlex
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from lingualeap.domain.matchmaking_policy import MAX_GROUP, MIN_GROUP, MatchmakingConfig

from .simulation import POLICIES, Scenario, run, summary

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "benchmarks" / "RESULTS.md"
SECTION = "## Matchmaking simulation"
#: ``benchmarks/run.py`` appends its rows at the very end of the file, under this heading: our
#: section must stay above it.
LOAD_LOG_HEADER = "## Log (rows appended by benchmarks/run.py)"


def build_parser() -> argparse.ArgumentParser:
    defaults = Scenario()
    mm = MatchmakingConfig()
    p = argparse.ArgumentParser(prog="python -m benchmarks.matchmaking_sim", description=__doc__.split("\n\n")[0])
    p.add_argument("--players", type=int, default=defaults.players, help="population size (default %(default)s)")
    p.add_argument("--hours", type=float, default=defaults.hours, help="simulated hours (default %(default)s)")
    p.add_argument("--warmup-hours", type=float, default=defaults.warmup_hours,
                   help="hours not counted, while ratings settle (default %(default)s)")
    p.add_argument("--size", type=int, choices=range(MIN_GROUP, MAX_GROUP + 1), default=defaults.size,
                   help="players per match (default %(default)s)")
    p.add_argument("--seed", type=int, default=defaults.seed, help="random seed (default %(default)s)")
    p.add_argument("--skill-sd", type=float, default=defaults.skill_sd,
                   help="spread of true skill (default %(default)s)")
    p.add_argument("--match-seconds", type=float, default=defaults.match_seconds,
                   help="match length (default %(default)s)")
    p.add_argument("--break-mean", type=float, default=defaults.break_mean,
                   help="mean seconds between a player's matches (default %(default)s)")
    p.add_argument("--bot-accept", type=float, default=defaults.bot_accept,
                   help="share of bot offers taken (default %(default)s)")
    p.add_argument("--known-ratings", action="store_true",
                   help="ratings are the true skills (RD 50) and never change: the pairing alone")
    p.add_argument("--initial-window", type=float, default=mm.initial_window)
    p.add_argument("--widen-per-second", type=float, default=mm.widen_per_second)
    p.add_argument("--max-window", type=float, default=mm.max_window)
    p.add_argument("--deviation-share", type=float, default=mm.deviation_share)
    p.add_argument("--bot-after", type=float, default=mm.bot_after)
    p.add_argument("--record", action="store_true", help=f"append the table to {RESULTS.relative_to(REPO)}")
    p.add_argument("--results", type=Path, default=RESULTS, help="results file for --record")
    p.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    return p


def scenario_from(args: argparse.Namespace) -> Scenario:
    return Scenario(
        players=args.players, hours=args.hours, warmup_hours=args.warmup_hours, size=args.size,
        seed=args.seed, skill_sd=args.skill_sd, match_seconds=args.match_seconds,
        break_mean=args.break_mean, bot_accept=args.bot_accept, known_ratings=args.known_ratings,
        matchmaking=MatchmakingConfig(
            initial_window=args.initial_window, widen_per_second=args.widen_per_second,
            max_window=args.max_window, deviation_share=args.deviation_share, bot_after=args.bot_after,
        ),
    )


COLUMNS = [
    "policy", "matches", "rating gap mean / median / p95", "skill gap mean / median / p95",
    "wait s mean / median / p95", "favourite wins", "bot offers (taken)", "left waiting (longest s)",
    "rating error",
]


def _triple(stats: dict[str, float], digits: int = 0) -> str:
    return " / ".join(f"{stats[k]:.{digits}f}" for k in ("mean", "median", "p95"))


def table(results: dict[str, dict[str, Any]]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for policy, r in results.items():
        favourite = "n/a" if math.isnan(r["favourite_win"]) else f"{100 * r['favourite_win']:.1f} %"
        cells = [
            policy, str(r["matches"]), _triple(r["rating_gap"]), _triple(r["skill_gap"]), _triple(r["wait"], 1),
            favourite, f"{r['bot_offers']} ({r['bot_matches']})",
            f"{r['still_waiting']} ({r['longest_still_waiting']:.0f})", f"{r['rating_error']:.0f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def describe(scenario: Scenario) -> str:
    mm = scenario.matchmaking
    ratings = (
        "fixed at the true skill" if scenario.known_ratings
        else "Glicko-2, learned from the simulated results (start 1500/350)"
    )
    return (
        f"{scenario.players} players (skill N({scenario.skill_mean:.0f}, {scenario.skill_sd:.0f})), "
        f"groups of {scenario.size}, {scenario.hours:g} h simulated ({scenario.warmup_hours:g} h warm-up not counted), "
        f"matches {scenario.match_seconds:.0f} s, breaks ~Exp(mean {scenario.break_mean:.0f} s); ratings {ratings}; "
        f"window {mm.initial_window:g} + {mm.widen_per_second:g}/s + {mm.deviation_share:g}·RD, "
        f"at most {mm.max_window:g}; "
        f"bot offered after {mm.bot_after:g} s, taken {100 * scenario.bot_accept:.0f} % of the time"
    )


def _git_commit() -> str:
    try:
        def git(*args: str) -> str:
            return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()

        commit, dirty = git("rev-parse", "--short", "HEAD"), git("status", "--porcelain")
        return commit + ("+changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def record(path: Path, scenario: Scenario, results: dict[str, dict[str, Any]], command: str, seconds: float) -> None:
    """Add one run to our section of the results file, creating the section (above the load
    generator's log, which must stay last) when it is missing. Nothing else is rewritten."""
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    block = (
        f"\n### {when}, commit {_git_commit()}, {platform.python_implementation()} {platform.python_version()}\n\n"
        f"`{command}` ({seconds:.1f} s)\n\n{describe(scenario)}.\n\n{table(results)}\n"
    )
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    if SECTION not in text:
        intro = (
            f"\n{SECTION}\n\nSkill-balanced matchmaking (`lingualeap/domain/matchmaking_policy.py`) against "
            "first-come-first-served pairing, simulated by `python -m benchmarks.matchmaking_sim` "
            "(see `benchmarks/matchmaking_sim/README.md` for the model and the columns). Gaps are the "
            "rating span of a formed match (highest minus lowest), by the ratings the matchmaker saw and "
            "by the true skills.\n"
        )
        before, log, after = text.partition(LOAD_LOG_HEADER)
        text = before.rstrip("\n") + "\n" + intro + block + ("\n" + log + after if log else "")
    else:
        head, _, rest = text.partition(SECTION)
        # Our section ends where the next second-level heading begins.
        cut = rest.find("\n## ")
        body, tail = (rest, "") if cut < 0 else (rest[:cut], rest[cut:])
        text = head + SECTION + body.rstrip("\n") + "\n" + block + tail
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    scenario = scenario_from(args)
    started = time.perf_counter()
    results = {policy: summary(run(scenario, policy)) for policy in POLICIES}
    seconds = time.perf_counter() - started
    print(describe(scenario) + f"\n({seconds:.1f} s)\n")
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps({"scenario": asdict(scenario), "results": results}, indent=2, default=str))
    if args.record:
        command = "python -m benchmarks.matchmaking_sim " + shlex.join(argv if argv is not None else sys.argv[1:])
        record(args.results, scenario, results, command.strip(), seconds)
        print(f"\nrecorded in {args.results}")
    return 0
