"""SCRAM-SHA-256 as MongoDB speaks it, checked against RFC 7677's published exchange."""

from __future__ import annotations

import pytest
from txmongo.protocol import MongoAuthenticationError

from lingualeap.backends.mongo.scram import Conversation

NONCE = b"rOprNGfwEbeRWgbNEkqO"
SERVER_FIRST = b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"


def test_the_rfc_7677_example_exchange() -> None:
    conversation = Conversation("user", "pencil", nonce=NONCE)
    assert conversation.first() == b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
    assert conversation.final(SERVER_FIRST) == (
        b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    )
    conversation.check(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")


@pytest.mark.parametrize("server_first", [
    SERVER_FIRST.replace(b"r=rOprNG", b"r=XXXXXX"),  # not our nonce
    SERVER_FIRST.replace(b"i=4096", b"i=1"),  # too few rounds to be safe
])
def test_a_server_that_breaks_the_rules_is_refused(server_first: bytes) -> None:
    with pytest.raises(MongoAuthenticationError):
        Conversation("user", "pencil", nonce=NONCE).final(server_first)


def test_a_server_that_does_not_know_the_password_is_found_out() -> None:
    conversation = Conversation("user", "pencil", nonce=NONCE)
    conversation.final(SERVER_FIRST)
    with pytest.raises(MongoAuthenticationError):
        conversation.check(b"v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
