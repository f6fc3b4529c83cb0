"""Per-language period leaderboards: rollover without a gap, and archiving finished periods."""

from __future__ import annotations

import pytest_twisted
from twisted.internet.task import Clock

from lingualeap.backends.memory.period_boards import MemoryBoardArchive, MemoryPeriodLeaderboards
from lingualeap.clock import ReactorClock
from lingualeap.domain.leaderboard_periods import DAY, Period
from lingualeap.domain.results import MatchResult, PlayerResult
from lingualeap.services.leaderboards import LeaderboardService

MIDNIGHT = 1_738_195_200.0  # Thu 30 Jan 2025 00:00:00 UTC


def duel(match_id: str, ended: float, winner: str, loser: str) -> MatchResult:
    return MatchResult(match_id, "french", ended - 30, ended, (
        PlayerResult(winner, winner.title(), False, 300, 50, True),
        PlayerResult(loser, loser.title(), False, 100, 10, False),
    ), ())


def service_at(now: float) -> tuple[Clock, MemoryBoardArchive, LeaderboardService]:
    time = Clock()
    time.advance(now)
    archive = MemoryBoardArchive()
    clock = ReactorClock(time)
    return time, archive, LeaderboardService(MemoryPeriodLeaderboards(clock), clock, ["french"], archive)


@pytest_twisted.ensureDeferred
async def test_results_on_either_side_of_midnight_go_to_their_own_day_and_the_old_day_is_archived() -> None:
    time, archive, service = service_at(MIDNIGHT - 0.001)
    await service.credit_match(duel("m-1", MIDNIGHT - 0.001, "ana", "ben"), {"ana": 10})
    await service.credit_match(duel("m-2", MIDNIGHT, "ben", "ana"), {})
    before = await service.query("french", Period.DAILY, 10)
    assert before["key"] == "2025-01-29" and [(e["name"], e["xp"]) for e in before["entries"]] == [
        ("Ana", 60), ("Ben", 10)
    ]
    time.advance(0.001)
    after = await service.query("french", Period.DAILY, 10)
    assert after["key"] == "2025-01-30" and [(e["name"], e["xp"]) for e in after["entries"]] == [
        ("Ben", 50), ("Ana", 10)
    ]
    weekly = await service.query("french", Period.WEEKLY, 10)  # the same ISO week: both count
    assert [(e["name"], e["xp"]) for e in weekly["entries"]] == [("Ana", 70), ("Ben", 60)]
    assert await service.archive_finished() == ["french:daily:2025-01-29"]
    assert await service.archive_finished() == []  # once
    _, rows = archive.snapshots["french:daily:2025-01-29"]
    assert [(r.rank, r.label, r.score) for r in rows] == [(1, "Ana", 60), (2, "Ben", 10)]
    # Practice matches against a bot and guests stay off the boards.
    await service.credit_match(duel("m-3", MIDNIGHT + 5, "cat", "bot-1"), {})
    assert (await service.query("french", Period.DAILY, 10))["total"] == 2


@pytest_twisted.ensureDeferred
async def test_the_archiver_runs_on_the_clock() -> None:
    time, archive, service = service_at(MIDNIGHT - 100)
    await service.credit_match(duel("m-1", MIDNIGHT - 50, "ana", "ben"), {})
    service.start()
    time.advance(DAY / 2)
    service.stop()
    assert list(archive.snapshots) == ["french:daily:2025-01-29"]
