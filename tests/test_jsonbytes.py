"""The plain JSON writer (PyPy's encoder) writes exactly what the standard library writes."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from lingualeap import jsonbytes

#: Anything JSON-shaped, including what the plain writer hands over to ``json``: NaN,
#: infinities, non-string keys, tuples, big integers, control characters and quotes in strings.
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
    | st.sampled_from(['"', "\\", "\n", "\x00", "\x1f", "\x7f", "é", "\u2028", "😀"]),
    lambda children: st.lists(children, max_size=4) | st.lists(children, max_size=3).map(tuple)
    | st.dictionaries(st.text(max_size=12) | st.integers() | st.booleans(), children, max_size=4),
    max_leaves=25,
)


@settings(max_examples=500)
@given(VALUES)
def test_plain_writer_matches_the_standard_library(value: Any) -> None:
    assert jsonbytes.plain_dumps(value) == jsonbytes.std_dumps(value)


def test_std_dumps_is_compact_utf8() -> None:
    assert jsonbytes.std_dumps({"a": [1, "é"]}) == '{"a":[1,"é"]}'.encode()


def test_what_json_cannot_write_fails_the_same_way() -> None:
    for bad in ({"x": object()}, [{1, 2}]):
        try:
            jsonbytes.plain_dumps(bad)
        except TypeError:
            pass
        else:
            raise AssertionError(f"{bad!r} was written")


def test_round_trip_through_loads() -> None:
    value = {"event": "wrongGuess", "data": {"roomId": "r-1", "scores": {"u-1": 0}, "points": -20, "ok": False}}
    assert jsonbytes.loads(jsonbytes.dumps(value)) == value
    assert json.loads(jsonbytes.plain_dumps(value)) == value


def test_without_orjson_the_server_encodes_with_the_plain_writer() -> None:
    # As on PyPy, where orjson is not installed: a fresh interpreter that cannot import it.
    script = (
        "import sys; sys.modules['orjson'] = None\n"
        "from lingualeap import jsonbytes\n"
        "from lingualeap.domain.events import Event\n"
        "from lingualeap.transports import codec\n"
        "assert not jsonbytes.USES_ORJSON and jsonbytes.dumps is jsonbytes.plain_dumps\n"
        "sys.stdout.buffer.write(codec.encode_event(Event('wrongGuess', {'points': -20, 'who': '\\xe9'})))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert done.stdout == '{"event":"wrongGuess","data":{"points":-20,"who":"é"}}'.encode()
