"""The fastest JSON available: orjson when installed, else the standard library."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

loads: Callable[[bytes | str], Any]
dumps: Callable[[Any], bytes]

try:
    if os.environ.get("LOADGEN_JSON") == "json":
        raise ImportError("the standard library's json was asked for")
    import orjson

    loads = orjson.loads
    dumps = orjson.dumps
    NAME = "orjson"
except ImportError:  # pragma: no cover - depends on the environment
    loads = json.loads

    def dumps(value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    NAME = "json"
