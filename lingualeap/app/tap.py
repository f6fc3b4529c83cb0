"""``twistd lingualeap``: command-line options and the service they make."""

from __future__ import annotations

from typing import Any

from twisted.application.service import IService
from twisted.python import usage

from lingualeap.config import from_options
from lingualeap.config_security import OPTION_PARAMETERS
from lingualeap.errors import ConfigError
from lingualeap.words.loader import WordBankError, load_languages


class Options(usage.Options):
    synopsis = "[options]"
    longdesc = (
        "Run a LinguaLeap word-battle server: HTTP API, web client and WebSocket (/ws) on one port. "
        "Without --redis and --mongo everything is kept in this process's memory."
    )
    optParameters = [
        ["port", "p", "8080", "TCP port to serve HTTP and WebSocket on (ignored when --listen is given)."],
        ["rounds", None, "10", "Rounds in a match (1-100)."],
        ["round-seconds", None, "30", "Seconds before an unsolved round ends (1-600)."],
        ["start-delay", None, "2", "Seconds between a match forming and its first round."],
        ["intermission", None, "2", "Seconds between the end of a round and the next one."],
        ["reconnect-grace", None, "30",
         "Seconds a disconnected player's seat is kept for them to reconnect and resume (0 = none)."],
        ["bot-after", None, "30",
         "Seconds a player waits for a match before a practice match against a bot starts (0 = never)."],
        ["match-window", None, "50", "Rating points a new queuer accepts opponents within (before widening)."],
        ["match-window-widen", None, "10", "Rating points the matchmaking window widens by per second waited."],
        ["match-window-max", None, "400", "Widest matchmaking window in rating points."],
        ["queue-status-interval", None, "2", "Seconds between queueStatus updates to waiting players."],
        ["drain-seconds", None, "2",
         "On shutdown, seconds to fail health checks before handing rooms over and closing."],
        ["shed-guesses-after", None, "0.5",
         "Seconds late the reactor may run (twice in a row) before guesses are refused until it catches up "
         "(0 = never)."],
        ["bcrypt-rounds", None, "12", "bcrypt cost factor for password hashes (4-16)."],
        ["word-seed", None, None, "Seed for drawing match words (reproducible games for tests/demos)."],
        ["words", None, None, "Directory of word bank files (*.json) to use instead of the bundled ones."],
        ["instance-id", None, None,
         "Name of this instance in a cluster (letters, digits, '.', '_', '-'; default HOSTNAME-PID)."],
        ["redis", None, None, "Share state with other instances through Redis: redis://HOST:PORT/DB."],
        ["redis-sentinel", None, None,
         "Find the Redis master through these Sentinels: HOST:PORT[,HOST:PORT...] (with --redis-master)."],
        ["redis-master", None, None, "Name of the Sentinel-monitored Redis master group."],
        ["redis-db", None, "0", "Redis database number when --redis-sentinel is used."],
        ["redis-password", None, None,
         "Redis password (else $LINGUALEAP_REDIS_PASSWORD; a password in the URL also works)."],
        ["mongo", None, None,
         "Keep users, matches and progress in MongoDB: mongodb://[USER:PASS@]HOST:PORT/DATABASE[?replicaSet=NAME]."],
        ["mongo-write-concern", None, "majority", "MongoDB write concern: 'majority' or '1'."],
        ["mongo-timeout", None, "5", "Seconds before a MongoDB call is given up."],
        # Limits, proxies and TLS trust (lingualeap/config_security.py, SECURITY.md).
        *OPTION_PARAMETERS,
    ]
    optFlags = [
        ["allow-guests", None, "Let connections without a token play as guests (the default)."],
        ["no-guests", None, "Refuse connections without a valid token."],
    ]

    def __init__(self) -> None:
        super().__init__()
        self["listen"] = []
        self["allowed-origin"] = []
        self["trusted-proxy"] = []
        self["jwt-secret"] = []

    def opt_listen(self, description: str) -> None:
        """Endpoint to serve on, e.g. tcp:8080:interface=127.0.0.1 (repeatable; replaces --port)."""
        self["listen"].append(description)

    def opt_allowed_origin(self, origin: str) -> None:
        """Browser origin allowed to open WebSockets besides our own (repeatable; '*' = any)."""
        self["allowed-origin"].append(origin)

    def opt_jwt_secret(self, secret: str) -> None:
        """Login token key, KID:SECRET (SECRET at least 32 bytes); repeatable, the first signs and
        all verify, so keys rotate without logging everyone out (else $LINGUALEAP_JWT_SECRETS or
        $LINGUALEAP_JWT_SECRET; else a random one per process)."""
        self["jwt-secret"].append(secret)

    def opt_trusted_proxy(self, network: str) -> None:
        """Proxy address or network whose X-Forwarded-For is believed (repeatable; default loopback; 'none')."""
        self["trusted-proxy"].append(network)

    def postOptions(self) -> None:
        if self["allow-guests"] and self["no-guests"]:
            raise usage.UsageError("--allow-guests and --no-guests contradict each other")
        self["allow-guests"] = not self["no-guests"]
        try:
            self["config"] = from_options(self)
        except ConfigError as e:
            raise usage.UsageError(f"--{e}") from None
        try:
            self["languages"] = load_languages(self["config"].words_dir)
        except WordBankError as e:
            raise usage.UsageError(f"--words: {e}") from None


def makeService(options: Options) -> IService:
    from twisted.internet import reactor

    from lingualeap.app.service import LinguaLeapService

    reactor_: Any = reactor
    return LinguaLeapService(options["config"], reactor_, languages=options["languages"], tune_runtime=True)
