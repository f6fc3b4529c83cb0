"""lingualeap.domain.records.replace against dataclasses.replace, on the domain's records."""

from __future__ import annotations

import dataclasses
from dataclasses import InitVar, dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lingualeap.domain.model import Player, WordPair
from lingualeap.domain.records import replace
from lingualeap.domain.room import Phase, RoomState, Rules

BASE = RoomState(
    room_id="r1", language="french", private=False, rules=Rules(),
    words=(WordPair("house", "maison"), WordPair("cat", "chat")), created_at=10.0,
    players=(Player("u1", "ann"), Player("u2", "bob")), scores={"u1": 3},
)
NAMES = [f.name for f in dataclasses.fields(RoomState)]
VALUES = st.one_of(st.none(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5),
                   st.dictionaries(st.text(max_size=3), st.integers(), max_size=3), st.sampled_from(list(Phase)))


@given(st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=len(NAMES)))
def test_same_record_as_dataclasses_replace(changes: dict[str, Any]) -> None:
    ours = replace(BASE, **changes)
    theirs = dataclasses.replace(BASE, **changes)
    assert type(ours) is RoomState
    assert ours == theirs
    for name in NAMES:  # the very objects, not equal copies
        assert getattr(ours, name) is getattr(theirs, name)
    assert BASE.scores == {"u1": 3} and BASE.round == 0  # the original is untouched


def test_unknown_fields_and_non_records_fail_as_dataclasses_does() -> None:
    with pytest.raises(TypeError):
        replace(BASE, colour="red")
    with pytest.raises(TypeError):
        replace(object(), x=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        replace(BASE).seq = 3  # type: ignore[misc]


@dataclass(frozen=True)
class _Scaled:
    base: int
    factor: InitVar[int] = 1
    total: int = field(init=False, default=0)

    def __post_init__(self, factor: int) -> None:
        object.__setattr__(self, "total", self.base * factor)


def test_records_with_init_rules_are_left_to_dataclasses() -> None:
    record = _Scaled(2, factor=3)
    assert replace(record, base=5, factor=2).total == 10
    with pytest.raises(ValueError):  # InitVar without a default must be given: dataclasses' rule
        replace(record, total=1)
