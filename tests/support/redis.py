"""A real redis-server on a free loopback port, without persistence, in its own directory."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from support.processes import free_port, wait_until


def redis_binary() -> str:
    path = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(path).exists():
        raise RuntimeError("redis-server is not installed: run scripts/test (it installs it) or apt-get install redis-server")
    return path


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    def __init__(self, port: int | None = None, password: str | None = None, persistent: bool = False) -> None:
        self.port = port or free_port()
        self.password = password
        self.persistent = persistent
        self.directory = Path(tempfile.mkdtemp(prefix="ll-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _listen(self) -> list[str]:
        return ["--port", str(self.port)]

    def _args(self) -> list[str]:
        durability = ["--appendonly", "yes", "--appendfsync", "always"] if self.persistent else ["--appendonly", "no"]
        password = ["--requirepass", self.password] if self.password else []
        return [redis_binary(), *self._listen(), "--bind", "127.0.0.1", "--save", "", *durability,
                "--dir", str(self.directory), "--daemonize", "no", "--loglevel", "warning",
                "--logfile", str(self.directory / "redis.log"), *password]

    def start(self, timeout: float = 15.0) -> RedisServer:
        self.process = subprocess.Popen(self._args(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._answers, timeout, f"redis on {self.port}")
        return self

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"redis-server exited: {(self.directory / 'redis.log').read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                return self._ping(s)
        except OSError:
            return False

    def _ping(self, s: socket.socket) -> bool:
        s.sendall((f"AUTH {self.password}\r\n" if self.password else "").encode() + b"PING\r\n")
        return b"+PONG" in s.recv(64)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def kill(self) -> None:
        """kill -9: no goodbye to clients, replicas or Sentinels."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


class RedisReplica(RedisServer):
    """A replica of ``master`` (a real replication link, for Sentinel failovers)."""

    def __init__(self, master: RedisServer) -> None:
        super().__init__()
        self.master = master

    def _args(self) -> list[str]:
        return [*super()._args(), "--replicaof", "127.0.0.1", str(self.master.port)]


class SentinelServer:
    """``redis-server FILE --sentinel`` (Debian ships no separate binary) watching ``master``."""

    def __init__(self, master: RedisServer, name: str = "ll", down_after_ms: int = 1000) -> None:
        self.port = free_port()
        self.master = master
        self.name = name
        self.down_after_ms = down_after_ms
        self.directory = Path(tempfile.mkdtemp(prefix="ll-sentinel-"))
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 15.0) -> SentinelServer:
        config = self.directory / "sentinel.conf"
        config.write_text(
            f"port {self.port}\nbind 127.0.0.1\ndir {self.directory}\n"
            f"sentinel monitor {self.name} 127.0.0.1 {self.master.port} 2\n"
            f"sentinel down-after-milliseconds {self.name} {self.down_after_ms}\n"
            f"sentinel failover-timeout {self.name} 5000\n"
            f"sentinel parallel-syncs {self.name} 1\n"
            f"logfile {self.directory / 'sentinel.log'}\n"
        )
        self.process = subprocess.Popen([redis_binary(), str(config), "--sentinel"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: _ping(self.port), timeout, f"sentinel on {self.port}")
        return self

    def master_port(self) -> int | None:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(f"SENTINEL get-master-addr-by-name {self.name}\r\n".encode())
                reply = s.recv(256).decode()
        except OSError:
            return None
        lines = reply.split("\r\n")
        return int(lines[4]) if len(lines) > 4 and lines[4].isdigit() else None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        shutil.rmtree(self.directory, ignore_errors=True)
