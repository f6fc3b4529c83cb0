"""No secrets in the twistd log: tokens in URLs and Referers are redacted, passwords never logged."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

from support.processes import ServerProcess, http_json
from support.syncws import SyncClient
from support.words import FIXTURE_WORDS

SECRET = "log-test-secret-0123456789-0123456789-abcdef"
PASSWORD = "PASSWORD-MARKER-0123"
WRONG = "WRONG-PASSWORD-MARKER"


def test_tokens_passwords_and_keys_stay_out_of_the_log(tmp_path: Path) -> None:
    server = ServerProcess(["--words", str(FIXTURE_WORDS), "--bcrypt-rounds", "4", "--jwt-secret", f"v1:{SECRET}",
                            "--drain-seconds", "0"], tmp_path).start()
    try:
        status, user = http_json(server.base + "/api/users", "POST",
                                 {"name": "Ana", "email": "ana@example.com", "password": PASSWORD})
        assert status == 201
        token = user["token"]
        ws = server.base.replace("http", "ws")
        client = SyncClient(f"{ws}/ws?token={token}&username=Ana")
        client.next("welcome")
        client.close()
        for path in (f"/api/users/profile?token={token}", f"/?jwt={token}&x=1", f"/nothing?access_token={token}"):
            request = urllib.request.Request(server.base + path, headers={"Referer": f"http://x/?token={token}"})
            try:
                urllib.request.urlopen(request, timeout=5).read()
            except urllib.error.HTTPError:
                pass
        assert http_json(server.base + "/api/users/auth", "POST",
                         {"email": "ana@example.com", "password": WRONG})[0] == 401
        assert http_json(server.base + "/api/users/auth", "POST",
                         {"email": "ana@example.com", "password": PASSWORD})[0] == 200
        status, _ = http_json(server.base + "/api/users/profile", "PUT")  # unauthenticated: logged 401
        assert status == 401
    finally:
        server.stop()
    log = server.log_path.read_text(errors="replace")
    assert "GET /api/users/profile?token=[redacted]" in log, log[-3000:]
    assert "/?jwt=[redacted]&x=1" in log and "access_token=[redacted]" in log
    assert '"http://x/?token=[redacted]"' in log  # the Referer too
    head, payload, signature = token.split(".")
    for secret in (token, payload, signature, PASSWORD, WRONG, SECRET):
        assert secret not in log, f"{secret[:12]}... leaked into the twistd log"
