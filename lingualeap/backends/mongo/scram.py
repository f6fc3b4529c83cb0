"""SCRAM-SHA-256 logins for txmongo, which only speaks SCRAM-SHA-1.

MongoDB 4.0+ creates users for both mechanisms by default, but servers (and users) may allow
SCRAM-SHA-256 only. :func:`install` gives a txmongo pool's connections a protocol that logs in
with SCRAM-SHA-256 (RFC 5802 / RFC 7677, as MongoDB does it), falling back to txmongo's own
SCRAM-SHA-1 when the URI asks for it or the server does not know SHA-256. The key derivation
(thousands of PBKDF2 rounds) runs in a thread, off the reactor.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Any

from bson import SON
from bson.binary import Binary
from pymongo.errors import OperationFailure
from pymongo.saslprep import saslprep
from twisted.internet import threads
from twisted.internet.defer import Deferred
from twisted.logger import Logger
from txmongo.protocol import MongoAuthenticationError, MongoProtocol

MECHANISM = "SCRAM-SHA-256"
#: RFC 7677 asks clients to refuse fewer rounds than this: a server (or someone posing as one)
#: asking for less would make the proof cheap to brute-force.
MIN_ITERATIONS = 4096

log = Logger()


def _parse(payload: bytes) -> dict[bytes, bytes]:
    return dict(item.split(b"=", 1) for item in payload.split(b","))


def _hmac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


class Conversation:
    """The client side of one SCRAM-SHA-256 exchange, without I/O (so it can be tested alone)."""

    def __init__(self, username: str, password: str, nonce: bytes | None = None) -> None:
        self._password = password
        self._nonce = nonce or base64.b64encode(os.urandom(24))
        user = username.replace("=", "=3D").replace(",", "=2C")
        self._first_bare = b"n=" + user.encode("utf-8") + b",r=" + self._nonce
        self._server_signature = b""

    def first(self) -> bytes:
        return b"n,," + self._first_bare

    def final(self, server_first: bytes) -> bytes:
        """The client's proof for the server's challenge (PBKDF2: call it off the reactor)."""
        fields = _parse(server_first)
        iterations, salt, nonce = int(fields[b"i"]), base64.b64decode(fields[b"s"]), fields[b"r"]
        if not nonce.startswith(self._nonce):
            raise MongoAuthenticationError("MongoDB answered with a nonce that is not ours")
        if iterations < MIN_ITERATIONS:
            raise MongoAuthenticationError(f"MongoDB asked for only {iterations} SCRAM iterations")
        salted = hashlib.pbkdf2_hmac("sha256", saslprep(self._password).encode("utf-8"), salt, iterations)
        client_key = _hmac(salted, b"Client Key")
        without_proof = b"c=biws,r=" + nonce
        message = b",".join((self._first_bare, server_first, without_proof))
        signature = _hmac(hashlib.sha256(client_key).digest(), message)
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        self._server_signature = base64.b64encode(_hmac(_hmac(salted, b"Server Key"), message))
        return without_proof + b",p=" + base64.b64encode(proof)

    def check(self, server_final: bytes) -> None:
        """The server proves it knew the password too; a fake one cannot."""
        verifier = _parse(server_final).get(b"v", b"")
        if not hmac.compare_digest(verifier, self._server_signature):
            raise MongoAuthenticationError("MongoDB's SCRAM signature did not match")


class ScramSha256Protocol(MongoProtocol):  # type: ignore[misc]
    async def _scram_sha256(self, database: str, username: str, password: str) -> None:
        conversation = Conversation(username, password)
        reply = await self.send_op_query_command(database, SON([
            ("saslStart", 1), ("mechanism", MECHANISM), ("payload", Binary(conversation.first())),
            ("autoAuthorize", 1), ("options", {"skipEmptyExchange": True}),
        ]))
        _check_ok(reply)
        final = await threads.deferToThread(conversation.final, bytes(reply["payload"]))
        reply = await self.send_op_query_command(database, SON([
            ("saslContinue", 1), ("conversationId", reply["conversationId"]), ("payload", Binary(final)),
        ]))
        _check_ok(reply)
        conversation.check(bytes(reply["payload"]))
        while not reply.get("done"):
            reply = await self.send_op_query_command(database, SON([
                ("saslContinue", 1), ("conversationId", reply["conversationId"]), ("payload", Binary(b"")),
            ]))
            _check_ok(reply)

    def authenticate(self, database_name: Any, username: Any, password: Any, mechanism: str) -> Any:
        if mechanism not in (MECHANISM, "DEFAULT"):
            return super().authenticate(database_name, username, password, mechanism)

        async def login() -> None:
            try:
                await self._scram_sha256(str(database_name), str(username), str(password))
            except (MongoAuthenticationError, OperationFailure):
                if mechanism == MECHANISM:
                    raise
                # An older server, or a user made for SCRAM-SHA-1 only: let txmongo try that.
                await super(ScramSha256Protocol, self).authenticate(database_name, username, password, "SCRAM-SHA-1")

        d = Deferred.fromCoroutine(login())
        d.addErrback(_log_refusal, username)
        return d


def _log_refusal(failure: Any, username: str) -> Any:
    # txmongo swallows login failures of its pool connections; say it loudly once here.
    log.error("MongoDB login of {user} failed: {error}", user=username, error=failure.getErrorMessage())
    return failure


def _check_ok(reply: dict[str, Any]) -> None:
    if not reply.get("ok"):
        raise OperationFailure(str(reply.get("errmsg", "authentication failed")), reply.get("code"), reply)


def install(pool: Any) -> None:
    """Give every connection of a new txmongo ``ConnectionPool`` SCRAM-SHA-256 logins.

    Call it right after creating the pool: connections are built by the reactor afterwards.
    """
    for factory in pool._ConnectionPool__pool:
        factory.protocol = ScramSha256Protocol
