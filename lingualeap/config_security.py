"""The abuse-resistance options: limits, trusted proxies, JWT keys, TLS trust (see SECURITY.md).

Kept apart from ``config.py`` so the list of limits can grow without crowding it; ``config``
calls :func:`security_settings` and ``app/tap.py`` adds :data:`OPTION_PARAMETERS`.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lingualeap.domain.ratelimit import Backoff, Rate
from lingualeap.errors import ConfigError
from lingualeap.services.throttle import Limits
from lingualeap.services.tokens import MIN_SECRET_BYTES, parse_key
from lingualeap.tls import MongoTLS
from lingualeap.transports.client_ip import DEFAULT_TRUSTED_PROXIES, parse_networks

JWT_SECRET_ENV = "LINGUALEAP_JWT_SECRET"
JWT_SECRETS_ENV = "LINGUALEAP_JWT_SECRETS"
DEFAULTS = Limits()
DEFAULT_MESSAGES = Rate(20, 40)

#: twistd options (name, short, default, help) for ``app/tap.py``'s ``optParameters``.
OPTION_PARAMETERS: list[list[Any]] = [
    ["limit-messages", None, str(DEFAULT_MESSAGES),
     "Frames per second:burst on one WebSocket connection ('off' to disable)."],
    ["limit-user-events", None, str(DEFAULTS.user_events),
     "Commands per second:burst of one user over all connections and instances."],
    ["limit-guesses", None, str(DEFAULTS.guesses),
     "Guesses per second:burst of one user (kept by the instance hosting their room)."],
    ["limit-connections", None, str(DEFAULTS.connections),
     "New connections (/ws and Socket.IO handshakes) per second:burst from one client address."],
    ["limit-http", None, str(DEFAULTS.http), "HTTP requests per second:burst from one client address."],
    ["limit-logins", None, str(DEFAULTS.logins),
     "Login/registration attempts per second:burst from one client address."],
    ["login-backoff", None, str(DEFAULTS.login_account),
     "Failed logins of one account: FREE:BASE:MAX - after FREE failures lock for BASE seconds, "
     "doubling up to MAX."],
    ["login-backoff-ip", None, str(DEFAULTS.login_ip),
     "Failed logins from one client address, as FREE:BASE:MAX."],
    ["max-connections-per-user", None, str(DEFAULTS.connections_per_user),
     "Open connections (/ws and Socket.IO together) per user on one instance; a new one closes the oldest."],
    ["idle-timeout", None, f"{DEFAULTS.idle_timeout:g}",
     "Seconds without a message from the client (/ws frame or Socket.IO event) before a connection "
     "is closed (0 = never)."],
    ["max-players", None, "4", "Players per room (2-16)."],
    ["max-frame-bytes", None, str(64 * 1024), "Largest WebSocket message accepted, in bytes."],
    ["max-body-bytes", None, str(64 * 1024), "Largest REST API request body accepted, in bytes."],
    ["redis-ca", None, None,
     "PEM file of the CA(s) that sign the Redis server's certificate, for rediss:// (default: the system's)."],
    ["mongo-ca", None, None,
     "PEM file of the CA(s) that sign the MongoDB server's certificate, for --mongo ...?tls=true "
     "(else the URI's tlsCAFile, else the system's)."],
]


def _option(options: Mapping[str, object], key: str, default: str) -> str:
    raw = options.get(key)
    return default if raw in (None, "") else str(raw)


def parse_rate(text: str, key: str) -> Rate | None:
    """``RATE:BURST`` (per second, at once) or ``off``."""
    if text.strip().lower() == "off":
        return None
    rate, sep, burst = text.partition(":")
    try:
        return Rate(float(rate), float(burst)) if sep else Rate(float(rate), max(1.0, float(rate)))
    except ValueError:
        raise ConfigError(key, f"must be RATE:BURST with RATE > 0 and BURST >= 1 (or 'off'), not {text!r}") from None


def parse_backoff(text: str, key: str, window: float) -> Backoff:
    """``FREE:BASE:MAX``."""
    try:
        free, base, maximum = text.split(":")
        return Backoff(int(free), float(base), float(maximum), window)
    except ValueError:
        raise ConfigError(key, f"must be FREE:BASE:MAX (e.g. 5:1:300), not {text!r}") from None


def _number(options: Mapping[str, object], key: str, default: str, low: float, high: float) -> float:
    text = _option(options, key, default)
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(key, f"must be a number, not {text!r}") from None
    if not low <= value <= high:
        raise ConfigError(key, f"must be between {low:g} and {high:g}, not {value:g}")
    return value


def _strings(raw: object, key: str) -> list[str]:
    """A repeatable option's values (one string is one value)."""
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, (list, tuple)):
        return [str(item) for item in raw]
    raise ConfigError(key, "must be text")


def jwt_keys(options: Mapping[str, object], environ: Mapping[str, str]) -> tuple[tuple[tuple[str, str], ...], str]:
    """``((kid, secret), ...)`` and where they came from: options, then ``$LINGUALEAP_JWT_SECRETS``
    (``KID:SECRET`` entries separated by spaces or commas), then ``$LINGUALEAP_JWT_SECRET``."""
    entries, source = _strings(options.get("jwt-secret"), "jwt-secret"), "option"
    if not entries and environ.get(JWT_SECRETS_ENV):
        entries, source = [e for e in re.split(r"[\s,]+", environ[JWT_SECRETS_ENV]) if e], "env"
    if not entries and environ.get(JWT_SECRET_ENV):
        entries, source = [environ[JWT_SECRET_ENV]], "env"
    if not entries:
        secret = secrets.token_urlsafe(32)
        return ((parse_key(secret).kid, secret),), "generated"
    keys = [parse_key(entry) for entry in entries]
    for key in keys:
        if len(key.secret.encode()) < MIN_SECRET_BYTES:
            raise ConfigError("jwt-secret", f"must be at least {MIN_SECRET_BYTES} bytes of random text "
                                            f"(key {key.kid!r} is shorter)")
    kids = [k.kid for k in keys]
    if len(set(kids)) != len(kids):
        raise ConfigError("jwt-secret", "key ids must be unique (give KID:SECRET)")
    return tuple((k.kid, k.secret) for k in keys), source


def security_settings(options: Mapping[str, object], environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """Config fields (by name) for the options above, validated; ``ConfigError`` names the bad one."""
    messages = parse_rate(_option(options, "limit-messages", str(DEFAULT_MESSAGES)), "limit-messages")
    limits = Limits(
        user_events=parse_rate(_option(options, "limit-user-events", str(DEFAULTS.user_events)), "limit-user-events"),
        guesses=parse_rate(_option(options, "limit-guesses", str(DEFAULTS.guesses)), "limit-guesses"),
        connections=parse_rate(_option(options, "limit-connections", str(DEFAULTS.connections)), "limit-connections"),
        http=parse_rate(_option(options, "limit-http", str(DEFAULTS.http)), "limit-http"),
        logins=parse_rate(_option(options, "limit-logins", str(DEFAULTS.logins)), "limit-logins"),
        login_account=parse_backoff(_option(options, "login-backoff", str(DEFAULTS.login_account)),
                                    "login-backoff", DEFAULTS.login_account.window),
        login_ip=parse_backoff(_option(options, "login-backoff-ip", str(DEFAULTS.login_ip)),
                               "login-backoff-ip", DEFAULTS.login_ip.window),
        connections_per_user=int(_number(options, "max-connections-per-user",
                                         str(DEFAULTS.connections_per_user), 1, 1000)),
        idle_timeout=_number(options, "idle-timeout", f"{DEFAULTS.idle_timeout:g}", 0, 7 * 24 * 3600),
    )
    try:
        trusted = _strings(options.get("trusted-proxy"), "trusted-proxy") or list(DEFAULT_TRUSTED_PROXIES)
        parse_networks(trusted)
    except ValueError as e:
        raise ConfigError("trusted-proxy", str(e)) from None
    keys, source = jwt_keys(options, environ)
    settings: dict[str, Any] = {
        "limits": limits,
        # The per-connection bucket predates the others; "off" means a bucket nobody empties.
        "message_rate": messages.per_second if messages else 1e9,
        "message_burst": messages.burst if messages else 1e9,
        "trusted_proxies": tuple(trusted),
        "jwt_keys": keys,
        "jwt_secret": keys[0][1],
        "jwt_secret_source": source,
        "max_players": int(_number(options, "max-players", "4", 2, 16)),
        "max_frame_bytes": int(_number(options, "max-frame-bytes", str(64 * 1024), 1024, 16 * 1024 * 1024)),
        "max_body_bytes": int(_number(options, "max-body-bytes", str(64 * 1024), 1024, 16 * 1024 * 1024)),
    }
    ca = options.get("redis-ca")
    if ca:
        if not Path(str(ca)).is_file():
            raise ConfigError("redis-ca", f"{ca} is not a readable file")
        if not str(options.get("redis") or "").startswith("rediss://"):
            raise ConfigError("redis-ca", "only applies to TLS connections: give --redis rediss://...")
        settings["redis_ca"] = str(ca)
    settings.update(_mongo_tls(options))
    return settings


def _mongo_tls(options: Mapping[str, object]) -> dict[str, Any]:
    """``--mongo ...?tls=true`` checks: no option that skips verification, CA files that exist."""
    uri = str(options.get("mongo") or "")
    try:
        tls = MongoTLS.of_uri(uri) if uri else MongoTLS(False, "")
    except ValueError as e:
        raise ConfigError("mongo", str(e)) from None
    if tls.ca_file and not Path(tls.ca_file).is_file():
        raise ConfigError("mongo", f"tlsCAFile {tls.ca_file} is not a readable file")
    ca = options.get("mongo-ca")
    if not ca:
        return {}
    if not Path(str(ca)).is_file():
        raise ConfigError("mongo-ca", f"{ca} is not a readable file")
    if not tls.enabled:
        raise ConfigError("mongo-ca", "only applies to TLS connections: give --mongo mongodb://...?tls=true")
    return {"mongo_ca": str(ca)}
