"""The processes a scenario needs, on loopback: redis-server, LinguaLeap instances, HAProxy, the
echo server and the Socket.IO conformance app. Every start polls for readiness with a deadline;
every stop terminates by PID (then kills after a grace period).
"""

from __future__ import annotations

import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
#: File descriptors for servers and the generator (the hard limit here is 20000).
NOFILE = 20000


#: Ports handed out by this process: never twice, even once their first user has gone.
_handed_out: set[int] = set()
_LOWEST = 10_000


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A free loopback port for a server that a test or a scenario starts, below the kernel's
    ephemeral range.

    A port found by binding to 0 comes from the ephemeral range, where any outgoing connection
    (an instance's Redis client, say) may take it as its source port before the server it was
    meant for binds it: "address already in use", now and then. Below that range only servers
    bind, and this process hands each port out once.
    """
    high = _ephemeral_start()
    if high - _LOWEST < 1000:  # an unusual range: fall back to the kernel's choice
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])
    for _ in range(200):
        port = random.randrange(_LOWEST, high)
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError("no free port found below the ephemeral range")


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout}s")
        time.sleep(interval)


def _raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(NOFILE, hard) if hard != resource.RLIM_INFINITY else NOFILE
    if wanted > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def http_ok(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(response.status == 200)
    except OSError:
        return False


class Proc:
    """A child process started by a scenario, with its log file."""

    def __init__(self, name: str, command: Sequence[str], log: Path, cwd: Path | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.name = name
        self.command = list(command)
        self.log_path = log
        self._log = open(log, "ab")
        # ``preexec_fn`` is what ``ulimit -n`` in the server's shell would do.
        self.process = subprocess.Popen(self.command, cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, preexec_fn=_raise_nofile)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def check(self) -> None:
        if not self.alive():
            raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.tail()}")

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, timeout: float = 10.0) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        self._log.close()


def python_env(root: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), str(REPO), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def twistd_command(python: str = sys.executable, experiments: Sequence[str] = ()) -> list[str]:
    # Run twistd inside this interpreter's process (no wrapper script between us and its PID).
    if experiments:
        return [python, str(REPO / "benchmarks" / "experiments.py")]
    return [python, "-c", "import sys; sys.argv[0] = 'twistd'; from twisted.scripts.twistd import run; run()"]


def start_instance(root: Path, log_dir: Path, args: Sequence[str], port: int | None = None,
                   name: str = "app", env: dict[str, str] | None = None, python: str = sys.executable,
                   timeout: float = 60.0, wait: bool = True, experiments: Sequence[str] = ()) -> tuple[Proc, int]:
    """``twistd -n lingualeap`` from the checkout at ``root``, listening on 127.0.0.1:PORT."""
    port = port or free_port()
    command = [*twistd_command(python, experiments), "-n", "--pidfile=", f"--logfile={log_dir / f'{name}.log'}", "lingualeap",
               "--listen", f"tcp:{port}:interface=127.0.0.1:backlog=4096", *args]
    extra = dict(env or {})
    if experiments:
        extra["LINGUALEAP_EXPERIMENTS"] = ",".join(experiments)
    proc = Proc(name, command, log_dir / f"{name}.out", cwd=root, env=python_env(root, **extra))
    if wait:
        wait_healthy(proc, port, timeout)
    return proc, port


def wait_healthy(proc: Proc, port: int, timeout: float = 60.0) -> None:
    def healthy() -> bool:
        proc.check()
        return http_ok(f"http://127.0.0.1:{port}/health")

    wait_until(healthy, timeout, f"{proc.name} on port {port} becoming healthy")


def start_redis(log_dir: Path, port: int | None = None) -> tuple[Proc, int]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    port = port or free_port()
    data = log_dir / "redis"
    data.mkdir(exist_ok=True)
    proc = Proc("redis", [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                          "--dir", str(data), "--daemonize", "no", "--loglevel", "warning", "--maxclients", "10000"],
                log_dir / "redis.log")

    def pong() -> bool:
        proc.check()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    wait_until(pong, 15, f"redis on {port}")
    return proc, port


def start_haproxy(log_dir: Path, backends: Sequence[int], config: Path = REPO / "haproxy.cfg",
                  timeout: float = 30.0) -> tuple[Proc, int]:
    """HAProxy with the repository's haproxy.cfg, in front of up to three instances."""
    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(binary).exists():
        raise RuntimeError("haproxy is not installed (apt-get install haproxy)")
    front = free_port()
    env = dict(os.environ)
    env["LL_FRONT"] = f"127.0.0.1:{front}"
    env["LL_STATS"] = f"127.0.0.1:{free_port()}"
    for i, port in enumerate(backends[:3], start=1):
        env[f"LL_APP{i}"] = f"127.0.0.1:{port}"
    proc = Proc("haproxy", [binary, "-db", "-f", str(config)], log_dir / "haproxy.log", env=env)

    def routed() -> bool:
        proc.check()
        seen = set()
        for _ in range(3 * len(backends)):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{front}/health", timeout=1) as response:
                    seen.add(response.headers.get("X-LinguaLeap-Instance") or response.read()[:200])
            except OSError:
                return False
        return len(seen) >= min(3, len(backends))

    wait_until(routed, timeout, "haproxy routing to every instance", interval=0.2)
    return proc, front


def start_echo(log_dir: Path, python: str = sys.executable) -> tuple[Proc, int]:
    port = free_port()
    proc = Proc("echo", [python, "-m", "benchmarks.echo_server", "--port", str(port)], log_dir / "echo.log",
                cwd=REPO, env=python_env(REPO))
    wait_healthy(proc, port, 30)
    return proc, port


def start_conformance(root: Path, log_dir: Path, python: str = sys.executable) -> tuple[Proc, int]:
    """The Socket.IO conformance app (echo: ``message`` -> ``message-back``), generous heartbeats."""
    port = free_port()
    proc = Proc("conformance", [python, "-m", "lingualeap.transports.socketio.conformance", "--port", str(port),
                                "--interfaces", "127.0.0.1", "--ping-interval", "25000", "--ping-timeout", "20000",
                                "--connect-timeout", "10000"],
                log_dir / "conformance.log", cwd=root, env=python_env(root))

    def up() -> bool:
        proc.check()
        return http_ok(f"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling")

    wait_until(up, 30, "Socket.IO conformance app")
    return proc, port


def snapshot(ref: str, into: Path | None = None) -> tuple[Path, str]:
    """The committed tree of ``ref`` (``git archive``) in a new directory; (directory, commit)."""
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--verify", f"{ref}^{{commit}}"],
                            check=True, capture_output=True, text=True).stdout.strip()
    target = into or Path(tempfile.mkdtemp(prefix=f"ll-bench-{commit[:8]}-"))
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", commit],
                             check=True, capture_output=True).stdout
    with tempfile.TemporaryFile() as f:
        f.write(archive)
        f.seek(0)
        with tarfile.open(fileobj=f) as tar:
            tar.extractall(target, filter="data")
    return target, commit


def describe(root: Path) -> str:
    """The commit of a checkout, with ``-dirty`` when its tracked files have changes."""
    try:
        out = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty", "--abbrev=10"],
                             check=True, capture_output=True, text=True, timeout=10).stdout.strip()
        return out or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"
