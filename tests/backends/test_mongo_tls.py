"""MongoDB over TLS (``tls=true``) against a SecantusDB server speaking only TLS, with a
throwaway CA: the right CA and host name work, an untrusted CA or a wrong host name never
gets a single command through, and options that would skip a check are refused at start-up."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_twisted
from support.live import LiveServer
from support.mongo import MongoServer, eventually
from support.tls import ThrowawayCA
from twisted.internet import reactor
from twisted.python import usage

from lingualeap.app.tap import Options
from lingualeap.backends.mongo.connection import MongoService, MongoSettings
from lingualeap.clock import ReactorClock


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> ThrowawayCA:
    return ThrowawayCA(tmp_path_factory.mktemp("mongo-ca"))


@pytest.fixture(scope="module")
def tls_mongo(ca: ThrowawayCA) -> Iterator[MongoServer]:
    """A TLS-only server whose certificate names ``localhost`` (and no IP address)."""
    issued = ca.issue("mongo", dns=("localhost",), ips=())
    server = MongoServer(tls=(issued.cert, issued.key, ca.cert_path)).start()
    yield server
    server.cleanup()


@pytest_twisted.async_yield_fixture
async def services() -> AsyncIterator[list[MongoService]]:
    made: list[MongoService] = []
    yield made
    for service in made:
        await service.stopService()


def start(made: list[MongoService], uri: str, ca_file: Path | None = None) -> MongoService:
    service = MongoService(MongoSettings(uri, "1", 1.0, str(ca_file) if ca_file else None),
                           ReactorClock(reactor), ping_interval=0.2)
    service.startService()
    made.append(service)
    return service


@pytest_twisted.ensureDeferred
async def test_the_right_ca_and_host_name_connect_and_work(
    tls_mongo: MongoServer, ca: ThrowawayCA, services: list[MongoService]
) -> None:
    by_option = start(services, f"mongodb://localhost:{tls_mongo.port}/lltls?tls=true", ca.cert_path)
    by_uri = start(services, f"mongodb://localhost:{tls_mongo.port}/lltls?tls=true&tlsCAFile={ca.cert_path}")
    for service in (by_option, by_uri):
        await eventually(lambda s=service: s.reachable, 15, "MongoDB over TLS reachable")  # type: ignore[misc]
    await by_option.call(by_option.db.notes.insert_one({"_id": "n1", "text": "over TLS"}, timeout=5))
    found = await by_uri.call(by_uri.db.notes.find_one({"_id": "n1"}, timeout=5))
    assert found["text"] == "over TLS"


@pytest_twisted.ensureDeferred
async def test_an_untrusted_ca_or_a_wrong_host_name_never_gets_through(
    tls_mongo: MongoServer, ca: ThrowawayCA, services: list[MongoService], tmp_path: Path
) -> None:
    stranger = ThrowawayCA(tmp_path, "Somebody Else's CA")
    untrusted = start(services, f"mongodb://localhost:{tls_mongo.port}/lltls?tls=true", stranger.cert_path)
    # The certificate is good and signed by our CA, but names localhost, not 127.0.0.1.
    wrong_name = start(services, f"mongodb://127.0.0.1:{tls_mongo.port}/lltls?tls=true", ca.cert_path)
    system_roots = start(services, f"mongodb://localhost:{tls_mongo.port}/lltls?tls=true")
    right = start(services, f"mongodb://localhost:{tls_mongo.port}/lltls?tls=true", ca.cert_path)
    await eventually(lambda: right.reachable, 15, "the correctly configured client connecting")
    for refused in (untrusted, wrong_name, system_roots):
        assert not await refused.check()
        assert not refused.reachable and refused.health()["status"] == "degraded"


@pytest_twisted.ensureDeferred
async def test_a_whole_server_keeps_its_accounts_in_mongodb_over_tls(tls_mongo: MongoServer, ca: ThrowawayCA) -> None:
    live = await LiveServer(drain_seconds=0, mongo_uri=f"mongodb://localhost:{tls_mongo.port}/llserver?tls=true",
                            mongo_ca=str(ca.cert_path), mongo_timeout=2.0).start()
    try:
        mongo = next(s for s in live.service.server.backends.services if isinstance(s, MongoService))
        await eventually(lambda: mongo.reachable, 15, "the server reaching MongoDB over TLS")
        status, body, _ = await live.request(
            "POST", "/api/users", {"name": "tina", "email": "tina@example.com", "password": "password123"})
        assert status == 201, body
        stored = await mongo.call(mongo.db.users.find_one({"name": "tina"}, timeout=5))
        assert stored is not None and stored["email"] == "tina@example.com"
    finally:
        await live.stop()


def test_mongo_tls_options_are_validated(tmp_path: Path) -> None:
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text("not checked here")

    def parse(*args: str) -> Options:
        options = Options()
        options.parseOptions(list(args))
        return options

    config = parse("--mongo", "mongodb://db.example:27017/ll?tls=true", "--mongo-ca", str(ca_file))["config"]
    assert config.mongo_ca == str(ca_file)
    assert MongoSettings.from_config(config).tls.hostname == "db.example"
    refused = {
        "mongodb://h/ll?tls=true&tlsAllowInvalidCertificates=true": "--mongo: tlsallowinvalidcertificates",
        "mongodb://h/ll?tls=true&tlsAllowInvalidHostnames=true": "--mongo: tlsallowinvalidhostnames",
        "mongodb://h/ll?tls=true&tlsInsecure=true": "--mongo: tlsinsecure",
        "mongodb://h/ll?tls=true&tlsCAFile=/no/such/ca.pem": "--mongo: tlsCAFile /no/such/ca.pem",
        "mongodb://h/ll?tls=true&tlsCertificateKeyFile=/x.pem": "--mongo: tlscertificatekeyfile",
    }
    for uri, message in refused.items():
        with pytest.raises(usage.UsageError, match=message):
            parse("--mongo", uri)
    with pytest.raises(usage.UsageError, match="--mongo-ca: only applies to TLS"):
        parse("--mongo", "mongodb://h/ll", "--mongo-ca", str(ca_file))
    with pytest.raises(usage.UsageError, match="--mongo-ca: .* is not a readable file"):
        parse("--mongo", "mongodb://h/ll?tls=true", "--mongo-ca", str(tmp_path / "missing.pem"))
