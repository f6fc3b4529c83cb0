"""bcrypt password hashing, always off the reactor thread."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import bcrypt

RunInThread = Callable[[Callable[[], Any]], Awaitable[Any]]

# bcrypt only reads 72 bytes; longer passwords are pre-hashed so their tails still count.
_BCRYPT_LIMIT = 72


def _material(password: str) -> bytes:
    raw = password.encode("utf-8")
    if len(raw) <= _BCRYPT_LIMIT:
        return raw
    return base64.b64encode(hashlib.sha256(raw).digest())


class PasswordHasher:
    def __init__(self, run_in_thread: RunInThread, rounds: int = 12) -> None:
        self._run = run_in_thread
        self._rounds = rounds
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        def work() -> str:
            return bcrypt.hashpw(_material(password), bcrypt.gensalt(self._rounds)).decode("ascii")

        return str(await self._run(work))

    async def verify(self, password: str, hashed: str) -> bool:
        def work() -> bool:
            try:
                return bcrypt.checkpw(_material(password), hashed.encode("ascii"))
            except ValueError:
                return False

        return bool(await self._run(work))

    async def burn(self, password: str) -> None:
        """Spend a verification's time on nothing, so unknown accounts answer as slowly as known."""
        if self._dummy is None:
            self._dummy = await self.hash("not a real password")
        await self.verify(password, self._dummy)
