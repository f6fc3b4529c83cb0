"""Server configuration: one frozen dataclass, built from twistd options and the environment."""

from __future__ import annotations

import os
import re
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from lingualeap.config_security import security_settings
from lingualeap.errors import ConfigError
from lingualeap.services.throttle import Limits
from lingualeap.transports.client_ip import DEFAULT_TRUSTED_PROXIES

REDIS_PASSWORD_ENV = "LINGUALEAP_REDIS_PASSWORD"
INSTANCE_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
WEB_DIR = Path(__file__).parent / "web"
WORDS_DIR = Path(__file__).parent / "words" / "data"
#: Pending connections the kernel queues for ``--port`` (Twisted's default of 50 made bursts of
#: handshakes wait for SYN retransmits); ``--listen`` descriptions say their own.
LISTEN_BACKLOG = 1024


@dataclass(frozen=True, slots=True)
class Config:
    listen: tuple[str, ...] = ("tcp:8080",)
    rounds: int = 10
    round_seconds: float = 30.0
    start_delay: float = 2.0
    intermission: float = 2.0
    reconnect_grace: float = 30.0
    drain_seconds: float = 2.0
    #: How late the reactor may run (seconds) before guesses are refused (0: never).
    shed_guesses_after: float = 0.5
    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    jwt_secret_source: str = "generated"
    #: ``(kid, secret)`` pairs, the first signs (empty: ``jwt_secret`` alone, its id derived).
    jwt_keys: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    #: Rate limits and connection limits (see SECURITY.md); ``message_*`` is per connection.
    limits: Limits = field(default_factory=Limits)
    #: Proxies whose ``X-Forwarded-For`` is believed (addresses or networks).
    trusted_proxies: tuple[str, ...] = DEFAULT_TRUSTED_PROXIES
    max_players: int = 4
    #: Seconds in the matchmaking queue before a practice match against a bot starts (0: never).
    bot_after: float = 30.0
    #: Matchmaking windows (rating points; see ``domain/matchmaking_policy.py``).
    match_window: float = 50.0
    match_window_widen: float = 10.0
    match_window_max: float = 400.0
    #: Seconds between ``queueStatus`` updates (and new matchmaking attempts) while waiting.
    queue_status_interval: float = 2.0
    #: CA file for verifying a ``rediss://`` server (default: the system's trust store).
    redis_ca: str | None = None
    allow_guests: bool = True
    allowed_origins: tuple[str, ...] = ()
    max_frame_bytes: int = 64 * 1024
    max_body_bytes: int = 64 * 1024
    message_rate: float = 20.0
    message_burst: float = 40.0
    bcrypt_rounds: int = 12
    word_seed: int | None = None
    redis_url: str | None = None
    redis_sentinels: tuple[tuple[str, int], ...] = ()
    redis_master: str | None = None
    redis_db: int = 0
    redis_password: str | None = field(default=None, repr=False)
    mongo_uri: str | None = field(default=None, repr=False)
    mongo_write_concern: str = "majority"
    mongo_timeout: float = 5.0
    #: CA file for verifying a MongoDB server over TLS (``tls=true``; else the URI's ``tlsCAFile``).
    mongo_ca: str | None = None
    instance_id: str = field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")
    web_dir: Path = WEB_DIR
    words_dir: Path = WORDS_DIR


def _int(options: Mapping[str, object], key: str, low: int, high: int) -> int:
    raw = options[key]
    try:
        value = int(str(raw))
    except ValueError:
        raise ConfigError(key, f"must be a whole number, not {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(key, f"must be between {low} and {high}, not {value}")
    return value


def _float(options: Mapping[str, object], key: str, low: float, high: float) -> float:
    raw = options[key]
    try:
        value = float(str(raw))
    except ValueError:
        raise ConfigError(key, f"must be a number, not {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(key, f"must be between {low:g} and {high:g}, not {value:g}")
    return value


def _strings(options: Mapping[str, object], key: str) -> tuple[str, ...]:
    raw = options.get(key) or ()
    if not isinstance(raw, (list, tuple)):
        raise ConfigError(key, "must be a list of strings")
    return tuple(str(item) for item in raw)


def from_options(options: Mapping[str, object], environ: Mapping[str, str] = os.environ) -> Config:
    """A Config from ``lingualeap.app.tap.Options`` values (keys as the options are named)."""
    listen = _strings(options, "listen") or (f"tcp:{_int(options, 'port', 1, 65535)}:backlog={LISTEN_BACKLOG}",)
    seed = options.get("word-seed")
    extra: dict[str, object] = {}
    if bool(options.get("redis-sentinel")) != bool(options.get("redis-master")):
        raise ConfigError("redis-sentinel", "needs --redis-master NAME (and the other way round)")
    if options.get("redis-sentinel") and options.get("redis"):
        raise ConfigError("redis", "give either --redis or --redis-sentinel, not both")
    words = _optional(options.get("words"))
    if words is not None:
        if not Path(words).is_dir():
            raise ConfigError("words", f"{words} is not a directory")
        extra["words_dir"] = Path(words)
    instance = _optional(options.get("instance-id"))
    if instance is not None:
        if not INSTANCE_ID_RE.match(instance):
            raise ConfigError("instance-id", "must be 1-64 letters, digits, '.', '_' or '-'")
        extra["instance_id"] = instance
    extra.update(_matchmaking(options))
    return Config(
        listen=listen,
        rounds=_int(options, "rounds", 1, 100),
        round_seconds=_float(options, "round-seconds", 1.0, 600.0),
        start_delay=_float(options, "start-delay", 0.0, 60.0),
        intermission=_float(options, "intermission", 0.0, 60.0),
        reconnect_grace=_float(options, "reconnect-grace", 0.0, 3600.0),
        drain_seconds=_float(options, "drain-seconds", 0.0, 300.0),
        shed_guesses_after=_float(options, "shed-guesses-after", 0.0, 60.0),
        allow_guests=bool(options.get("allow-guests", True)),
        allowed_origins=tuple(o.rstrip("/") for o in _strings(options, "allowed-origin")),
        bcrypt_rounds=_int(options, "bcrypt-rounds", 4, 16),
        word_seed=None if seed is None else _int(options, "word-seed", 0, 2**63 - 1),
        redis_url=_redis_url(options.get("redis")),
        redis_sentinels=_sentinels(options.get("redis-sentinel")),
        redis_master=_optional(options.get("redis-master")),
        redis_db=_int(options, "redis-db", 0, 1023) if options.get("redis-db") is not None else 0,
        redis_password=_optional(options.get("redis-password")) or environ.get(REDIS_PASSWORD_ENV) or None,
        mongo_uri=_mongo_uri(options.get("mongo")),
        mongo_write_concern=_write_concern(options.get("mongo-write-concern", "majority")),
        mongo_timeout=_float(options, "mongo-timeout", 0.1, 120.0) if options.get("mongo-timeout") else 5.0,
        **extra,  # type: ignore[arg-type]
        **security_settings(options, environ),
    )


def _matchmaking(options: Mapping[str, object]) -> dict[str, float]:
    """Matchmaking settings that were given (the others keep their defaults)."""
    given: dict[str, float] = {}
    for key, field_name, high in (("bot-after", "bot_after", 3600.0), ("match-window", "match_window", 5000.0),
                                  ("match-window-widen", "match_window_widen", 1000.0),
                                  ("match-window-max", "match_window_max", 5000.0),
                                  ("queue-status-interval", "queue_status_interval", 60.0)):
        if options.get(key) is not None:
            given[field_name] = _float(options, key, 0.0 if key != "queue-status-interval" else 0.1, high)
    if given.get("match_window", 50.0) > given.get("match_window_max", 400.0):
        raise ConfigError("match-window", "must not be larger than --match-window-max")
    return given


def _optional(raw: object) -> str | None:
    return str(raw) if raw not in (None, "") else None


def _redis_url(raw: object) -> str | None:
    url = _optional(raw)
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ConfigError("redis", f"must look like redis://HOST:PORT/DB, not {url!r}")
    try:
        parts.port
    except ValueError:
        raise ConfigError("redis", f"has a bad port: {url!r}") from None
    db = parts.path.strip("/")
    if db and not db.isdigit():
        raise ConfigError("redis", f"database must be a number: {url!r}")
    return url


def _sentinels(raw: object) -> tuple[tuple[str, int], ...]:
    text = _optional(raw)
    if text is None:
        return ()
    found = []
    for item in text.split(","):
        host, _, port = item.strip().rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError("redis-sentinel", f"must be HOST:PORT[,HOST:PORT...], not {text!r}")
        found.append((host, int(port)))
    return tuple(found)


def _mongo_uri(raw: object) -> str | None:
    uri = _optional(raw)
    if uri is None:
        return None
    parts = urlsplit(uri)
    if parts.scheme == "mongodb+srv":
        # txmongo resolves SRV records with blocking DNS calls, which would stall the reactor.
        raise ConfigError("mongo", "mongodb+srv:// is not supported: list the hosts, mongodb://H1:P1,H2:P2/DATABASE")
    if parts.scheme != "mongodb" or not parts.netloc:
        raise ConfigError("mongo", "must look like mongodb://HOST:PORT/DATABASE")
    if not parts.path.strip("/"):
        raise ConfigError("mongo", "must name the database, e.g. mongodb://localhost:27017/lingualeap")
    return uri


def _write_concern(raw: object) -> str:
    value = str(raw)
    if value not in ("majority", "1"):
        raise ConfigError("mongo-write-concern", f"must be 'majority' or '1', not {value!r}")
    return value

