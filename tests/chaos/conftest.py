"""Chaos tests record how long each interruption lasted; the figures are printed at the end."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

FIGURES: list[tuple[str, str]] = []


@pytest.fixture
def record_figure(request: pytest.FixtureRequest) -> Iterator[Any]:
    def record(what: str, seconds: float) -> None:
        FIGURES.append((request.node.name, f"{what}: {seconds:.2f} s"))
        request.node.user_properties.append((what, round(seconds, 3)))

    yield record


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.section("interruptions observed by the chaos tests")
        for test, figure in FIGURES:
            terminalreporter.write_line(f"{test}: {figure}")
