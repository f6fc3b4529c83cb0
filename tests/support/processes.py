"""Real server processes for tests: free ports, start, wait for health, stop, with deadlines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

# One implementation of both for the tests and the benchmarks, which start the same servers.
from benchmarks.services import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def twistd() -> list[str]:
    script = BIN / "twistd"
    return [str(script)] if script.exists() else [sys.executable, "-m", "twisted"]


def env(**extra: str) -> dict[str, str]:
    environment = dict(os.environ)
    # The checkout comes first, so the plugin and package under test are the ones found.
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), environment.get("PYTHONPATH")]))
    environment.update(extra)
    return environment


def http_json(url: str, method: str = "GET", body: Any = None, timeout: float = 5.0,
              token: str | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"content-type": "application/json", **({"authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def register(base: str, name: str) -> str:
    """A new account ``name`` (``name@example.com``, password ``password123``) at ``base``; its token."""
    status, body = http_json(base + "/api/users", "POST",
                             {"name": name, "email": f"{name}@example.com", "password": "password123"})
    assert status == 201, body
    return str(body["token"])


def login(base: str, name: str, password: str = "password123") -> str:
    """A new token of the account :func:`register` made."""
    status, body = http_json(base + "/api/users/auth", "POST", {"email": f"{name}@example.com", "password": password})
    assert status == 200, body
    return str(body["token"])


class ServerProcess:
    """``twistd -n lingualeap ...`` as a child process, logging to a file."""

    def __init__(self, args: list[str], log_dir: Path, port: int | None = None, **environment: str) -> None:
        self.port = port or free_port()
        self.log_path = log_dir / f"twistd-{self.port}.log"
        self.command = [*twistd(), "-n", "--pidfile=", f"--logfile={self.log_path}", "lingualeap",
                        "--port", str(self.port), *args]
        self.environment = env(**environment)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> ServerProcess:
        self.spawn()

        def healthy() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {self.log()}")
            try:
                return http_json(self.base + "/health", timeout=1)[0] == 200
            except OSError:
                return False

        wait_until(healthy, timeout, f"server on port {self.port} becoming healthy")
        return self

    def log(self) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        if self.process is not None and self.process.stderr is not None and self.process.poll() is not None:
            text += self.process.stderr.read().decode(errors="replace")
        return text[-5000:]

    def kill(self) -> None:
        """kill -9: no shutdown, no goodbyes."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def terminate(self) -> None:
        """SIGTERM, without waiting: the graceful shutdown runs while the test watches."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def spawn(self) -> None:
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.environment,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def stop(self, timeout: float = 15.0) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.terminate()
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout)
