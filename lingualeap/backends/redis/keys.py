"""Every Redis key and channel name LinguaLeap uses, in one place (prefix ``ll:``).

Pub/sub channels are not scoped by database number, so channel names carry it: two deployments
on different databases of one Redis never hear each other.
"""

from __future__ import annotations

PREFIX = "ll"


def instance(instance_id: str) -> str:
    return f"{PREFIX}:instance:{instance_id}"


INSTANCES = f"{PREFIX}:instances"


def lease(room_id: str) -> str:
    return f"{PREFIX}:lease:{room_id}"


def fence(room_id: str) -> str:
    return f"{PREFIX}:fence:{room_id}"


def room(room_id: str) -> str:
    return f"{PREFIX}:room:{room_id}"


def room_events(room_id: str) -> str:
    return f"{PREFIX}:room:{room_id}:events"


def queue(language: str) -> str:
    return f"{PREFIX}:queue:{language}"


QUEUED = f"{PREFIX}:queued"


def board(name: str) -> str:
    return f"{PREFIX}:lb:{name}"


def board_labels(name: str) -> str:
    return f"{PREFIX}:lb:{name}:labels"


def ratings(language: str) -> str:
    """The hash of cached ratings in one language (user id → rating record)."""
    return f"{PREFIX}:ratings:{language}"


def period_board(name: str, part: str = "") -> str:
    """A period leaderboard's sorted set, or (``part="data"``) its hash of scores and labels."""
    return f"{PREFIX}:plb:{name}" + (f":{part}" if part else "")


def revoked(token_id: str) -> str:
    return f"{PREFIX}:revoked:{token_id}"


def words(language: str) -> str:
    return f"{PREFIX}:words:{language}"


def words_tier(language: str, tier: int) -> str:
    return f"{PREFIX}:words:{language}:tier:{tier}"


def words_version(language: str) -> str:
    return f"{PREFIX}:words:{language}:version"


def user(user_id: str) -> str:
    return f"{PREFIX}:user:{user_id}"


def user_grants(user_id: str) -> str:
    return f"{PREFIX}:user:{user_id}:grants"


def user_by_email(email: str) -> str:
    return f"{PREFIX}:user-email:{email}"


def user_by_name(name_key: str) -> str:
    return f"{PREFIX}:user-name:{name_key}"


def match(record_id: str) -> str:
    """A recorded match, by its record id (a private room's id is reused by later matches)."""
    return f"{PREFIX}:match:{record_id}"


class Channels:
    def __init__(self, db: int) -> None:
        self._base = f"{PREFIX}:{db}:ch"
        self.broadcast = f"{self._base}:broadcast"

    def room(self, room_id: str) -> str:
        return f"{self._base}:room:{room_id}"

    def inbox(self, instance_id: str) -> str:
        return f"{self._base}:inst:{instance_id}"

    def room_of(self, channel: str) -> str | None:
        prefix = f"{self._base}:room:"
        return channel[len(prefix):] if channel.startswith(prefix) else None


def rate(key: str) -> str:
    """A token bucket (hash: tokens, updated)."""
    return f"{PREFIX}:rl:{key}"


def failures(key: str) -> str:
    """Failure count and lock of a key (hash: n, until)."""
    return f"{PREFIX}:fail:{key}"
