"""The twistd plugin is discoverable and its options validate."""

from __future__ import annotations

import re
import subprocess

import pytest
from support.processes import ROOT, env, twistd
from twisted.plugin import getPlugins
from twisted.python import usage

from lingualeap.app.tap import Options


def test_the_plugin_is_discoverable() -> None:
    from twisted.application.service import IServiceMaker

    makers = {p.tapname: p for p in getPlugins(IServiceMaker)}
    assert "lingualeap" in makers
    assert makers["lingualeap"].options is Options


def test_defaults() -> None:
    options = Options()
    options.parseOptions([])
    config = options["config"]
    assert config.listen == ("tcp:8080:backlog=1024",)
    assert (config.rounds, config.round_seconds, config.allow_guests) == (10, 30.0, True)
    assert config.jwt_secret_source == "generated" and len(config.jwt_secret) >= 32


def test_repeatable_listen_replaces_port_and_guests_can_be_refused() -> None:
    options = Options()
    options.parseOptions(["--listen", "tcp:9001", "--listen", "tcp6:9002", "--no-guests", "--port", "1"])
    assert options["config"].listen == ("tcp:9001", "tcp6:9002")
    assert options["config"].allow_guests is False


def test_jwt_secret_from_option_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINGUALEAP_JWT_SECRET", "e" * 40)
    options = Options()
    options.parseOptions([])
    assert (options["config"].jwt_secret, options["config"].jwt_secret_source) == ("e" * 40, "env")
    options = Options()
    options.parseOptions(["--jwt-secret", "o" * 40])
    assert options["config"].jwt_secret_source == "option"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "http"], "--port: must be a whole number"),
        (["--port", "70000"], "--port: must be between 1 and 65535"),
        (["--rounds", "0"], "--rounds: must be between 1 and 100"),
        (["--round-seconds", "soon"], "--round-seconds: must be a number"),
        (["--jwt-secret", "short"], "--jwt-secret: must be at least 32 bytes"),
        (["--allow-guests", "--no-guests"], "contradict"),
    ],
)
def test_bad_options_are_refused_with_the_option_named(args: list[str], message: str) -> None:
    with pytest.raises(usage.UsageError) as e:
        Options().parseOptions(args)
    assert message in str(e.value)


def test_every_option_has_a_help_line() -> None:
    result = subprocess.run([*twistd(), "lingualeap", "--help"], cwd=ROOT, env=env(),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    for option in ("--port", "--listen", "--rounds", "--round-seconds", "--jwt-secret",
                   "--allow-guests", "--no-guests", "--allowed-origin"):
        line = next((ln for ln in result.stdout.splitlines() if re.match(rf"^\s+(-\w, )?{option}(=|\s)", ln)), "")
        assert len(line.split(option, 1)[1].strip(" =")) > 10, f"{option} has no help: {line!r}"
