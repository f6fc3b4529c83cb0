"""The abuse-resistance options: parsed, validated with the option named, and listed in --help."""

from __future__ import annotations

import pytest
from twisted.python import usage

from lingualeap.app.tap import Options
from lingualeap.domain.ratelimit import Backoff, Rate

KEY_A = "a" * 40
KEY_B = "b" * 40


@pytest.fixture(autouse=True)
def no_secrets_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINGUALEAP_JWT_SECRET", raising=False)
    monkeypatch.delenv("LINGUALEAP_JWT_SECRETS", raising=False)


def parse(*args: str) -> Options:
    options = Options()
    options.parseOptions(list(args))
    return options


def test_defaults_are_on() -> None:
    config = parse()["config"]
    assert config.limits.guesses == Rate(5, 10) and config.limits.http == Rate(50, 500)
    assert config.limits.login_account == Backoff(5, 1, 300, 900)
    assert (config.message_rate, config.message_burst) == (20, 40)
    assert config.trusted_proxies == ("127.0.0.0/8", "::1/128")
    assert config.limits.connections_per_user == 5 and config.limits.idle_timeout == 900
    assert config.jwt_secret_source == "generated" and len(config.jwt_keys) == 1


def test_limits_can_be_tuned_or_switched_off() -> None:
    config = parse("--limit-guesses", "2:4", "--limit-http", "off", "--limit-messages", "off",
                   "--login-backoff", "3:2:60", "--max-connections-per-user", "2", "--idle-timeout", "0",
                   "--max-players", "6", "--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "192.0.2.1")["config"]
    assert config.limits.guesses == Rate(2, 4) and config.limits.http is None
    assert config.message_rate > 1e6
    assert config.limits.login_account == Backoff(3, 2, 60, 900)
    assert config.limits.connections_per_user == 2 and config.limits.idle_timeout == 0
    assert config.max_players == 6
    assert config.trusted_proxies == ("10.0.0.0/8", "192.0.2.1")


@pytest.mark.parametrize("args, named", [
    (["--limit-guesses", "fast"], "limit-guesses"),
    (["--limit-http", "0:10"], "limit-http"),
    (["--login-backoff", "5:1"], "login-backoff"),
    (["--login-backoff-ip", "1:10:5"], "login-backoff-ip"),
    (["--trusted-proxy", "the-proxy"], "trusted-proxy"),
    (["--max-players", "40"], "max-players"),
    (["--jwt-secret", "short"], "jwt-secret"),
    (["--jwt-secret", f"v1:{KEY_A}", "--jwt-secret", f"v1:{KEY_B}"], "jwt-secret"),
    (["--redis-ca", "/nonexistent/ca.pem"], "redis-ca"),
])
def test_bad_values_name_their_option(args: list[str], named: str) -> None:
    with pytest.raises(usage.UsageError, match=named):
        parse(*args)


def test_redis_ca_needs_a_tls_url(tmp_path: pytest.TempPathFactory) -> None:
    ca = tmp_path / "ca.pem"  # type: ignore[operator]
    ca.write_text("not checked until connecting")
    with pytest.raises(usage.UsageError, match="rediss://"):
        parse("--redis", "redis://localhost:6379/0", "--redis-ca", str(ca))
    assert parse("--redis", "rediss://localhost:6379/0", "--redis-ca", str(ca))["config"].redis_ca == str(ca)


def test_jwt_keys_from_options_and_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    config = parse("--jwt-secret", f"new:{KEY_B}", "--jwt-secret", f"old:{KEY_A}")["config"]
    assert config.jwt_keys == (("new", KEY_B), ("old", KEY_A)) and config.jwt_secret == KEY_B
    assert config.jwt_secret_source == "option"
    assert "a" * 40 not in repr(config)
    monkeypatch.setenv("LINGUALEAP_JWT_SECRETS", f"new:{KEY_B}, old:{KEY_A}")
    assert parse()["config"].jwt_keys == (("new", KEY_B), ("old", KEY_A))
    monkeypatch.delenv("LINGUALEAP_JWT_SECRETS")
    monkeypatch.setenv("LINGUALEAP_JWT_SECRET", KEY_A)
    (kid, secret), = parse()["config"].jwt_keys
    assert secret == KEY_A and kid.startswith("k")


def test_every_option_is_in_the_help() -> None:
    text = str(Options())
    for option in ("--limit-messages", "--limit-user-events", "--limit-guesses", "--limit-connections",
                   "--limit-http", "--limit-logins", "--login-backoff", "--login-backoff-ip",
                   "--max-connections-per-user", "--idle-timeout", "--max-players", "--max-frame-bytes",
                   "--max-body-bytes", "--redis-ca", "--trusted-proxy", "--jwt-secret", "--allowed-origin"):
        assert option in text, option
