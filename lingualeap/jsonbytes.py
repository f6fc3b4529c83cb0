"""Compact UTF-8 JSON as bytes, written the one way the whole server writes it.

orjson where it is installed (a dependency on CPython, where it is many times faster than
``json``). orjson does not build on PyPy, whose ``json`` encoder is slow (13 µs for an event,
a quarter of the server's time under load), so there a plain recursive writer for the types
events hold does it in a tenth of that and hands anything else to ``json``. All three write the
same bytes for what the server encodes (strings, integers, booleans, ordinary floats;
``transports/codec.py`` says where orjson differs), so instances on either interpreter
understand each other.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json.encoder import encode_basestring
from typing import Any

from lingualeap.domain.memo import remembered

__all__ = ["USES_ORJSON", "dumps", "loads", "plain_dumps", "std_dumps"]


def std_dumps(value: Any) -> bytes:
    """The standard library's compact form, which the others match."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class _Unusual(Exception):
    """A value the plain writer leaves to ``json`` (non-string keys, NaN, subclasses, ...)."""


def _string(s: str) -> str:
    # Most strings need no escaping: three scans in C beat the escaper's regex on PyPy.
    if '"' in s or "\\" in s or not s.isprintable():
        return encode_basestring(s)
    return '"' + s + '"'


def _encoded_key(key: str) -> str:
    return _string(key) + ":"


#: Encoded object keys with their colon: events use a few dozen names (plus player ids as the
#: keys of scores), so the first thousand seen are kept.
_key = remembered(_encoded_key, keep=1000)


def _write(value: Any, out: list[str]) -> None:
    kind = type(value)
    if kind is str:
        out.append(_string(value))
    elif kind is int:
        out.append(int.__repr__(value))
    elif kind is dict:
        opening = "{"
        for key, item in value.items():
            if type(key) is not str:
                raise _Unusual
            out.append(opening)
            opening = ","
            out.append(_key(key))
            _write(item, out)
        out.append("{}" if opening == "{" else "}")
    elif kind is list or kind is tuple:
        opening = "["
        for item in value:
            out.append(opening)
            opening = ","
            _write(item, out)
        out.append("[]" if opening == "[" else "]")
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif kind is float and value - value == 0.0:  # finite: json writes NaN and infinities its own way
        out.append(float.__repr__(value))
    else:
        raise _Unusual


def plain_dumps(value: Any) -> bytes:
    """``std_dumps`` without the standard library's encoder, for the JIT to compile."""
    out: list[str] = []
    try:
        _write(value, out)
    except _Unusual:
        return std_dumps(value)
    return "".join(out).encode("utf-8")


dumps: Callable[[Any], bytes]
loads: Callable[[bytes | str], Any]
try:
    import orjson
except ImportError:  # PyPy: orjson neither ships a wheel for it nor builds on it
    USES_ORJSON = False
    dumps, loads = plain_dumps, json.loads
else:
    USES_ORJSON = True
    dumps, loads = orjson.dumps, orjson.loads
