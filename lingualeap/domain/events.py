"""Events the rules emit. Transports turn them into frames; the rules never see a wire."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Event:
    """A named event with a JSON-compatible payload.

    ``to`` names the player ids that receive it; ``None`` means every member of the room as it is
    after the change that produced the event.
    """

    name: str
    data: Mapping[str, Any]
    to: tuple[str, ...] | None = field(default=None)


def to_millis(seconds: float) -> int:
    """Epoch seconds (our clocks) to epoch milliseconds (the wire, and JavaScript's Date)."""
    return int(round(seconds * 1000))
