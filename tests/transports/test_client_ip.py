"""Client addresses behind proxies, and what the access log may show (pure functions)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lingualeap.transports.client_ip import ClientAddresses
from lingualeap.transports.http.access_log import redact

LOOPBACK = ClientAddresses()  # the default: loopback proxies only
LB = ClientAddresses.from_specs(["10.0.0.0/8", "::1"])


def test_untrusted_peers_are_taken_at_their_word_and_their_headers_ignored() -> None:
    assert LOOPBACK.resolve("203.0.113.5", ["1.2.3.4"]) == "203.0.113.5"
    assert ClientAddresses.from_specs(["none"]).resolve("127.0.0.1", ["1.2.3.4"]) == "127.0.0.1"


def test_behind_a_trusted_proxy_the_nearest_untrusted_hop_is_the_client() -> None:
    assert LOOPBACK.resolve("127.0.0.1", ["198.51.100.7"]) == "198.51.100.7"
    # A client's own X-Forwarded-For comes first; the proxy appends what it saw: the real one.
    assert LOOPBACK.resolve("127.0.0.1", ["6.6.6.6", "198.51.100.7"]) == "198.51.100.7"
    assert LOOPBACK.resolve("127.0.0.1", ["6.6.6.6, 198.51.100.7"]) == "198.51.100.7"
    # Chains of our own proxies are walked through.
    assert LB.resolve("10.0.0.2", ["6.6.6.6, 198.51.100.7, 10.0.0.9"]) == "198.51.100.7"
    assert LB.resolve("10.0.0.2", ["[2001:db8::5]:4711"]) == "2001:db8::5"
    assert LB.resolve("10.0.0.2", ["198.51.100.7:5555"]) == "198.51.100.7"
    # Nothing forwarded, or garbage: the last address we can vouch for.
    assert LOOPBACK.resolve("127.0.0.1", []) == "127.0.0.1"
    assert LOOPBACK.resolve("127.0.0.1", ["not-an-ip"]) == "127.0.0.1"
    assert LB.resolve("10.0.0.2", ["198.51.100.7, garbage, 10.0.0.3"]) == "10.0.0.3"


def test_mapped_and_odd_peers() -> None:
    assert LOOPBACK.resolve("::ffff:127.0.0.1", ["198.51.100.7"]) == "198.51.100.7"
    assert LOOPBACK.resolve(None, ["198.51.100.7"]) == "unknown"
    assert LOOPBACK.resolve("/tmp/socket", []) == "unknown"


def test_bad_proxy_specs_are_refused() -> None:
    with pytest.raises(ValueError, match="not-a-network"):
        ClientAddresses.from_specs(["not-a-network"])


@given(st.lists(st.text(max_size=40), max_size=5), st.text(max_size=40))
def test_resolution_never_fails(forwarded: list[str], peer: str) -> None:
    assert isinstance(LB.resolve(peer, forwarded), str)


def test_credentials_in_query_strings_are_redacted() -> None:
    assert redact(b"/ws?token=eyJ.abc.def&username=Ana") == b"/ws?token=[redacted]&username=Ana"
    assert redact(b"/x?a=1&TOKEN=t;jwt=j&password=p&access_token=z") == (
        b"/x?a=1&TOKEN=[redacted];jwt=[redacted]&password=[redacted]&access_token=[redacted]"
    )
    assert redact(b"/ws?username=token=x") == b"/ws?username=token=x"
    assert redact(b"/api/users/token/totalXP") == b"/api/users/token/totalXP"
