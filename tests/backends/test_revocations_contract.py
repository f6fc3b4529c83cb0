from __future__ import annotations

import pytest_twisted
from support.ports import Ports


@pytest_twisted.ensureDeferred
async def test_revoked_until_the_token_would_expire(ports: Ports) -> None:
    now = ports.clock.now()
    await ports.revocations.revoke("t1", now + 60)
    await ports.revocations.revoke("t0", now - 1)  # already expired: nothing to remember
    assert await ports.revocations.is_revoked("t1")
    assert not await ports.revocations.is_revoked("t0")
    assert not await ports.revocations.is_revoked("t2")
