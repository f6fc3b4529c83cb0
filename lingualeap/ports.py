"""The interfaces services need from the outside world.

Each port has an in-memory implementation (``backends/memory``) that serves a single process;
other backends (Redis, MongoDB) implement the same protocols and pass the same contract tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from lingualeap.domain.events import Event
from lingualeap.domain.model import Player, WordPair
from lingualeap.domain.leaderboard_periods import ScoreEncoding
from lingualeap.domain.matchmaking_policy import WaitingEntry
from lingualeap.domain.progression import PlayerProgress
from lingualeap.domain.rating import DEFAULT_DEVIATION, DEFAULT_RATING, Rating
from lingualeap.domain.ratelimit import Backoff, Decision, Rate
from lingualeap.domain.results import MatchResult
from lingualeap.domain.room import RoomState


@dataclass(frozen=True, slots=True)
class LanguageStats:
    """A player's record in one language (see ``domain/stats.py`` for how a match adds to it)."""

    language: str
    games: int = 0
    wins: int = 0
    xp: int = 0
    #: Glicko-2 (``domain/rating.py``); show ``display_rating(rating)``.
    rating: Rating = field(default_factory=Rating)
    #: The longest run of consecutive rounds solved in one match.
    best_streak: int = 0


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: str
    name: str
    email: str
    password_hash: str
    created_at: float
    updated_at: float
    total_xp: int = 0
    games_played: int = 0
    wins: int = 0
    token_version: int = 0
    grants: tuple[str, ...] = field(default=())
    #: One entry per language played, ordered by language id.
    stats: tuple[LanguageStats, ...] = field(default=())

    def stats_for(self, language: str) -> LanguageStats:
        return next((s for s in self.stats if s.language == language), LanguageStats(language))


@dataclass(frozen=True, slots=True)
class WordProgress:
    """How often a player met one word of a language and solved it (for picking practice)."""

    word: str
    english: str
    seen: int
    solved: int
    last_seen: float


@dataclass(frozen=True, slots=True)
class ProgressionRecord:
    """A user's progression (``domain/progression.py``: streaks, achievements) as stored.

    ``version`` grows with every save (compare-and-set); ``applied`` holds the record ids of the
    most recent matches applied, so a replayed result is applied once.
    """

    progress: PlayerProgress = PlayerProgress()
    applied: tuple[str, ...] = ()
    version: int = 0


class PlayerStore(Protocol):
    """Accounts and what they earned. Names and e-mails are unique, case-insensitively."""

    async def create_user(self, user: UserRecord) -> None:
        """Store a new user; ``GameError('user_exists')`` if the name or e-mail is taken."""

    async def user_by_id(self, user_id: str) -> UserRecord | None: ...

    async def user_by_email(self, email: str) -> UserRecord | None: ...

    async def user_by_name(self, name: str) -> UserRecord | None: ...

    async def update_user(self, user_id: str, changes: Mapping[str, Any]) -> UserRecord:
        """Apply ``changes`` (field → value); ``user_exists`` on a taken name/e-mail,
        ``unknown_user`` if there is no such user."""

    async def delete_user(self, user_id: str) -> bool:
        """Remove the account and its personal data (word progress); ``False`` if unknown.

        Matches it took part in stay, with the player's entry anonymised.
        """

    async def record_match(self, result: MatchResult) -> bool:
        """Store a finished match and credit its registered players once: XP, games, wins,
        per-language stats and word progress.

        Idempotent by ``result.record_id``: a replay returns ``False`` and credits nothing
        (a store that was interrupted half-way finishes the crediting on the replay).
        """

    async def grant_xp(self, user_id: str, amount: int, grant_id: str) -> UserRecord | None:
        """Add ``amount`` XP once per ``grant_id``; ``None`` if that grant was already given."""

    async def history(self, user_id: str, limit: int) -> list[MatchResult]:
        """The user's most recent matches, newest first (other players may be anonymised)."""

    async def top_by_xp(self, limit: int) -> list[UserRecord]:
        """Users with any XP, most first, ties by id: what a global leaderboard is rebuilt from."""

    async def progress(self, user_id: str, language: str) -> list[WordProgress]:
        """Per-word practice counts of a user in a language, in no particular order."""

    async def progression(self, user_id: str) -> ProgressionRecord | None:
        """The user's progression (a new player's if never saved); ``None`` if no such user."""

    async def save_progression(self, user_id: str, record: ProgressionRecord, bonus_xp: int) -> bool:
        """Store ``record`` and add ``bonus_xp`` to the user's total XP, together, if the stored
        progression is still at version ``record.version - 1``; ``False`` (nothing done) if it
        changed meanwhile or the user is gone."""


class RatingCache(Protocol):
    """Players' current ratings per language, shared and fast (Redis) in front of the player
    store: what matchmaking reads on every ``findMatch``. The store stays the truth."""

    async def get(self, language: str, user_id: str) -> Rating | None: ...

    async def put(self, language: str, ratings: Mapping[str, Rating]) -> None: ...


class ResultSpool(Protocol):
    """A shared, durable place for match results the player store could not take yet: they
    outlive the instance that finished the match, and any instance may store them later."""

    async def save(self, record_id: str, document: str) -> bool:
        """Keep ``document`` (JSON) under ``record_id``; ``False`` if the spool is full."""

    async def remove(self, record_id: str) -> None: ...

    async def load(self, limit: int) -> dict[str, str]:
        """About ``limit`` kept documents by record id (any of them, in no particular order)."""


@dataclass(frozen=True, slots=True)
class LeaderboardEntry:
    member: str
    label: str
    score: float


class Leaderboards(Protocol):
    """Named sorted boards: highest score first, ties broken by member id (ascending)."""

    async def increment(self, board: str, member: str, amount: float, label: str) -> float: ...

    async def set_scores(
        self, board: str, entries: Mapping[str, tuple[str, float]], ttl: float | None = None
    ) -> None:
        """Replace the board with ``member → (label, score)``; it expires after ``ttl`` seconds."""

    async def top(self, board: str, limit: int) -> list[LeaderboardEntry]: ...

    async def remove(self, board: str, member: str) -> None: ...

    async def exists(self, board: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class RankedRow:
    """One row of a period leaderboard: the 1-based rank (unique: ties are broken)."""

    rank: int
    member: str
    label: str
    score: int


class PeriodLeaderboards(Protocol):
    """Leaderboards of one language and period (``domain/leaderboard_periods.py``): highest
    score first, then whoever reached it first (to ``encoding``'s resolution), then member id."""

    async def credit(
        self, board: str, member: str, label: str, points: int, at: float, encoding: ScoreEncoding,
        expires_at: float | None,
    ) -> int:
        """Add ``points`` earned at ``at`` to the member's score, atomically; the new score.
        The time reached moves only when the score does. The board is dropped at ``expires_at``."""

    async def rows(self, board: str, start: int, stop: int) -> list[RankedRow]:
        """Rows ``start`` to ``stop`` (0-based, inclusive, ``-1``: the last) in rank order."""

    async def rank(self, board: str, member: str) -> int | None:
        """The member's 0-based place, or ``None`` if not on the board."""

    async def size(self, board: str) -> int: ...


class BoardArchive(Protocol):
    """Snapshots of leaderboards whose period has ended (MongoDB, when configured)."""

    async def archived(self, board: str) -> bool: ...

    async def archive(self, board: str, rows: Sequence[RankedRow], at: float) -> None:
        """Keep the board's final rows (replacing an earlier snapshot of the same board)."""


@dataclass(frozen=True, slots=True)
class QueueTicket:
    """What a waiting player asked for and brings: the room size wanted, the rating matched on
    (``domain/matchmaking_policy.py``), and when they joined the queue."""

    size: int = 2
    rating: float = DEFAULT_RATING
    deviation: float = DEFAULT_DEVIATION
    since: float = 0.0


@dataclass(frozen=True, slots=True)
class QueuedPlayer:
    """A waiting player and the instance their connection is on."""

    player: Player
    instance: str
    ticket: QueueTicket = QueueTicket()

    def entry(self) -> WaitingEntry:
        """The player as the matchmaking policy sees them."""
        return WaitingEntry(self.player.id, self.ticket.rating, self.ticket.deviation, self.ticket.since)


class MatchQueue(Protocol):
    """Players waiting for a match, one queue per language and room size, kept in rating order.

    Which group to form is the matchmaking policy's choice (the service picks it from
    :meth:`waiting`); :meth:`claim` then takes exactly that group, atomically, or nobody, so
    instances racing for the same players never match one twice.
    """

    async def enqueue(self, language: str, player: Player, instance: str, ticket: QueueTicket = QueueTicket()) -> int:
        """Queue the player; return their 1-based position by arrival in their queue.
        ``already_queued`` if queued anywhere."""

    async def remove(self, player_id: str) -> str | None:
        """Take the player out of whatever queue holds them; the language, or ``None``."""

    async def waiting(self, language: str, size: int) -> list[QueuedPlayer]:
        """Everybody waiting for a room of ``size`` in the language, in order of arrival.

        Players whose instance is no longer alive are dropped from the queue, not listed.
        """

    async def claim(self, language: str, size: int, player_ids: Sequence[str]) -> list[QueuedPlayer]:
        """Take these players out of the queue if every one of them still waits in it (in the
        order given), otherwise take nobody and return ``[]``."""

    async def queued_language(self, player_id: str) -> str | None: ...

    async def sizes(self) -> dict[str, int]:
        """How many wait per language (all room sizes together)."""


class TokenRevocations(Protocol):
    """Tokens that stopped working before they expired (logout)."""

    async def revoke(self, token_id: str, until: float) -> None: ...

    async def is_revoked(self, token_id: str) -> bool: ...


class RateLimiter(Protocol):
    """Token buckets and failure back-off by key. Instances that share a store share the limits,
    so a client spreading its requests over every instance still gets one allowance."""

    async def take(self, key: str, rate: Rate, cost: float = 1.0) -> Decision:
        """Take ``cost`` from the bucket ``key`` (full when first seen), if it holds that much."""

    async def take_each(self, buckets: Sequence[tuple[str, Rate]]) -> list[Decision]:
        """Take one token from each bucket in turn, in one step, stopping at the first that
        refuses: the decisions up to it (all allowed if the list is as long as ``buckets``)."""

    async def penalty(self, key: str) -> float:
        """Seconds ``key`` must still wait because of its failures (0: go ahead)."""

    async def fail(self, key: str, backoff: Backoff) -> float:
        """Count a failure of ``key``; the wait it imposes from now on (0 while failures are free)."""

    async def forgive(self, key: str) -> None:
        """Forget the failures of ``key`` (a login succeeded)."""


@dataclass(frozen=True, slots=True)
class Lease:
    """Ownership of a room by one instance; ``token`` grows with every new owner (fencing)."""

    room_id: str
    instance: str
    token: int


class RoomLeases(Protocol):
    """Which instance owns (hosts) each room. Leases expire unless renewed."""

    async def acquire(self, room_id: str, instance: str) -> Lease | None:
        """Take the room if nobody holds it; ``None`` if another instance does."""

    async def renew(self, lease: Lease) -> bool:
        """Extend a lease; ``False`` if it was lost (expired and taken, or released)."""

    async def renew_all(self, leases: Sequence[Lease]) -> list[bool]:
        """:meth:`renew` each lease, in few round trips; one answer per lease, in order."""

    async def release(self, lease: Lease) -> None: ...

    async def owner(self, room_id: str) -> str | None: ...

    async def owners(self, room_ids: Sequence[str]) -> dict[str, str | None]:
        """:meth:`owner` of many rooms in one round trip (the orphan check asks every second)."""


class RoomStore(Protocol):
    """The durable side of live rooms: snapshots, a bounded event log, and event delivery."""

    async def commit(self, state: RoomState, lease: Lease, batch: dict[str, Any] | None) -> bool:
        """Store the snapshot, append ``batch`` to the room's log and publish it to the instances
        watching the room, all or nothing; ``False`` (and nothing done) if ``lease`` has been
        superseded: a fenced-off owner can neither write nor speak."""

    async def load(self, room_id: str) -> RoomState | None: ...

    async def events_since(self, room_id: str, seq: int) -> list[dict[str, Any]] | None:
        """Logged events with a sequence number above ``seq``, oldest first; ``None`` if the log
        no longer reaches back that far (the caller sends a snapshot instead)."""

    async def delete(self, room_id: str) -> None: ...


class WordSource(Protocol):
    """The word pairs matches are drawn from."""

    async def draw(self, language: str, count: int) -> list[WordPair]:
        """``count`` distinct pairs of the language."""


class BackplaneHandler(Protocol):
    """What an instance does with messages from the backplane."""

    def room_batch(self, room_id: str, batch: dict[str, Any]) -> None:
        """Events of a room this instance watches."""

    def direct(self, message: dict[str, Any]) -> None:
        """A message addressed to this instance (commands, replies)."""

    def broadcasted(self, message: dict[str, Any]) -> None:
        """A message to every instance."""

    def resubscribed(self) -> None:
        """The subscription was (re)established: messages may have been missed."""


class Backplane(Protocol):
    """Messaging between instances: room channels, per-instance inboxes, and a broadcast."""

    instance_id: str

    def attach(self, handler: BackplaneHandler) -> None: ...

    async def watch(self, room_id: str) -> None:
        """Receive the room's events from now on (returns once subscribed)."""

    async def unwatch(self, room_id: str) -> None: ...

    async def publish(self, room_id: str, batch: dict[str, Any]) -> None:
        """To the other instances watching the room; never back to this one (the owner delivers
        its own batches to its players directly)."""

    async def send(self, instance_id: str, message: dict[str, Any]) -> None:
        """To that instance's inbox; ``GameError("unavailable")`` if it cannot get there (the
        instance is not listening, or the backplane is away)."""

    async def broadcast(self, message: dict[str, Any]) -> None: ...


class InstanceRegistry(Protocol):
    """The server instances that are alive (a heartbeat each)."""

    async def live(self) -> list[dict[str, Any]]: ...


class EventSink(Protocol):
    """Where room events go: to the named players' connections, wherever they are."""

    def deliver(self, player_ids: Sequence[str], event: Event) -> None: ...

    def broadcast(self, event: Event) -> None:
        """To every connected player."""
