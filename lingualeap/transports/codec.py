"""The JSON envelope ``{"event": NAME, "data": {...}}``: client commands in, events out (pure)."""

from __future__ import annotations

import json
from typing import Any

from lingualeap import jsonbytes
from lingualeap.domain.commands import COMMANDS
from lingualeap.domain.errors import GameError, RateLimited
from lingualeap.domain.events import Event


def parse_command(name: object, data: object) -> Any:
    """A validated command from an event name and payload, or a ``GameError`` saying what is wrong."""
    if not isinstance(name, str):
        raise GameError("bad_json", "event must be a string")
    command = COMMANDS.get(name)
    if command is None:
        raise GameError("unknown_event", f"unknown event {name[:64]!r}")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise GameError("invalid_field", "data must be an object")
    return command.parse(data)


def decode_frame(payload: bytes | str) -> tuple[str, Any]:
    """``(event name, command)`` from one text frame."""
    try:
        message = json.loads(payload)
    except json.JSONDecodeError as e:
        # Re-encoded: for a non-ASCII character PyPy puts a malformed string in ``msg``, which
        # fails (SystemError) when formatted. The text is ``str(e)``'s.
        reason = e.msg.encode("utf-8", "replace").decode("utf-8", "replace")
        raise GameError("bad_json", f"frame is not valid JSON: {reason}: line {e.lineno} column {e.colno} "
                                    f"(char {e.pos})") from e
    except (ValueError, UnicodeDecodeError) as e:
        raise GameError("bad_json", f"frame is not valid JSON: {e}") from e
    except RecursionError:
        # A frame of nothing but brackets nests deeper than json's recursion limit.
        raise GameError("bad_json", "frame is nested too deeply") from None
    if not isinstance(message, dict) or "event" not in message:
        raise GameError("bad_json", 'frame must be an object like {"event": NAME, "data": {...}}')
    name = message["event"]
    return (name if isinstance(name, str) else "?"), parse_command(name, message.get("data"))


def encode_event(event: Event) -> bytes:
    """The UTF-8 JSON of one event, compact (``jsonbytes``). orjson, used where installed,
    writes the same bytes as ``json.dumps`` (compact, ``ensure_ascii=False``) for what events
    carry (strings, ints, booleans, ordinary floats; it writes only the exponent of a float below
    1e-4 or from 1e16 differently, the same number either way; NaN and infinities, never in
    events, become null rather than ``json``'s non-standard ``NaN``) in a fraction of the time;
    what it refuses (integers beyond 64 bits, non-string keys) goes through ``json``."""
    envelope = {"event": event.name, "data": event.data}
    try:
        return jsonbytes.dumps(envelope)
    except TypeError:  # orjson.JSONEncodeError
        return jsonbytes.std_dumps(envelope)


def error_event(error: GameError, event: str | None = None, **extra: Any) -> Event:
    data: dict[str, Any] = {"code": error.code, "message": error.message, **extra}
    if isinstance(error, RateLimited) and "retryAfter" not in data:
        data["retryAfter"] = round(error.retry_after, 3)
    if event is not None:
        data["event"] = event
    return Event("error", data)
