"""Periodic jobs do not pile up behind a slow store."""

from __future__ import annotations

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from lingualeap.services.one_at_a_time import OneAtATime


def test_a_run_starts_only_once_the_last_one_has_finished_even_if_it_failed() -> None:
    failures: list[Failure] = []
    job = OneAtATime(failures.append)
    gate: Deferred[None] = Deferred()
    runs: list[int] = []

    async def slow() -> None:
        runs.append(1)
        await gate

    async def broken() -> None:
        raise RuntimeError("the store said no")

    assert job.run(slow) and job.running
    assert not job.run(slow) and runs == [1]  # still waiting: skipped
    gate.callback(None)
    assert not job.running
    assert job.run(broken) and not job.running
    assert [f.getErrorMessage() for f in failures] == ["the store said no"]
    assert job.run(slow) and runs == [1, 1]
