"""Fuzzing the JSON codec: whatever arrives in a frame, only a GameError comes out."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from lingualeap.domain.commands import COMMANDS
from lingualeap.domain.errors import GameError
from lingualeap.domain.events import Event
from lingualeap.transports import codec

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=80),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20,
)
NAMES = st.sampled_from(sorted(COMMANDS)) | st.text(max_size=20) | JSON
FIELDS = st.sampled_from(["roomId", "guess", "language", "lastSeq", "username"])
#: Payloads shaped like real ones, with random values: reaches the validators, not just the door.
PAYLOADS = st.dictionaries(FIELDS, JSON, max_size=4) | JSON


def _decodes_or_refuses(payload: bytes | str) -> None:
    try:
        name, command = codec.decode_frame(payload)
    except GameError as e:
        assert e.code in {"bad_json", "unknown_event", "invalid_field"}, e.code
        assert e.message
    else:
        assert name in COMMANDS and command.NAME == name


@settings(max_examples=300)
@given(st.binary(max_size=300))
def test_any_bytes(payload: bytes) -> None:
    _decodes_or_refuses(payload)


@settings(max_examples=500)
@given(NAMES, PAYLOADS)
def test_any_json_envelope(name: Any, data: Any) -> None:
    _decodes_or_refuses(json.dumps({"event": name, "data": data}))
    _decodes_or_refuses(json.dumps({"event": name, "data": data}).encode("utf-8"))


@settings(max_examples=200)
@given(JSON)
def test_any_json_value(value: Any) -> None:
    _decodes_or_refuses(json.dumps(value))


@given(st.text(max_size=200))
def test_deep_nesting_and_odd_text(text: str) -> None:
    _decodes_or_refuses('{"event": "makeGuess", "data": ' + "[" * 50 + json.dumps(text) + "]" * 50 + "}")
    _decodes_or_refuses('{"event": "makeGuess", "data": {"roomId": "r", "guess": ' + json.dumps(text) + "}}")


def test_pathological_nesting_is_refused_not_crashed() -> None:
    # json.loads raises RecursionError (not ValueError) on very deep nesting.
    deep = '{"event": "findMatch", "data": ' + "[" * 100_000 + "]" * 100_000 + "}"
    try:
        codec.decode_frame(deep)
    except GameError as e:
        assert e.code == "bad_json"


@given(st.dictionaries(st.text(max_size=10), JSON, max_size=5), st.text(max_size=20))
def test_events_always_encode(data: dict[str, Any], name: str) -> None:
    encoded = codec.encode_event(Event(name or "x", data))
    assert json.loads(encoded)["event"] == (name or "x")


#: What events carry: floats between 1e-4 and 1e16 are written alike by orjson and json.
EVENT_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text(max_size=40)
    | st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: f == 0 or 1e-4 <= abs(f) < 1e16),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


def _stdlib(name: str, data: Any) -> bytes:
    return json.dumps({"event": name, "data": data}, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@settings(max_examples=300)
@given(st.dictionaries(st.text(max_size=10), EVENT_VALUES, max_size=5), st.text(min_size=1, max_size=20))
def test_events_encode_to_the_same_bytes_as_the_standard_library(data: dict[str, Any], name: str) -> None:
    assert codec.encode_event(Event(name, data)) == _stdlib(name, data)


def test_what_orjson_refuses_is_encoded_by_the_standard_library() -> None:
    for data in ({"big": 2**70}, {"keys": {1: "one"}}):
        assert codec.encode_event(Event("x", data)) == _stdlib("x", data)
