"""A real cluster for tests: redis-server, N ``twistd lingualeap`` processes, optionally HAProxy."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from support.mongo import MongoServer, drop_database, new_database
from support.processes import ROOT, ServerProcess, free_port, http_json, wait_until
from support.redis import RedisReplica, RedisServer, SentinelServer
from support.words import FIXTURE_WORDS

SECRET = "cluster-test-secret-shared-by-all-instances-0123456789"


class LocalCluster:
    def __init__(
        self, directory: Path, size: int, args: list[str] | None = None, haproxy: bool = False,
        sentinel: bool = False, persistent_redis: bool = False, mongo: bool = False,
    ) -> None:
        self.directory = directory
        #: The Mongo-wire server every instance keeps users and results in, when asked for.
        self.mongo = MongoServer() if mongo else None
        self.database = new_database()
        self.redis = RedisServer(persistent=persistent_redis)
        self.replica: RedisReplica | None = None
        self.sentinels: list[SentinelServer] = []
        if sentinel:
            self.replica = RedisReplica(self.redis)
            self.sentinels = [SentinelServer(self.redis) for _ in range(3)]
            hosts = ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels)
            redis_args = ["--redis-sentinel", hosts, "--redis-master", "ll"]
        else:
            redis_args = ["--redis", self.redis.url]
        if self.mongo is not None:
            redis_args += ["--mongo", self.mongo.uri(self.database)]
        self.instances = [
            ServerProcess(
                ["--instance-id", f"app{i}", *redis_args, "--words", str(FIXTURE_WORDS),
                 "--bcrypt-rounds", "4", *(args or [])],
                directory,
                LINGUALEAP_JWT_SECRET=SECRET,
            )
            for i in range(1, size + 1)
        ]
        self.haproxy_port = free_port() if haproxy else None
        self._haproxy: subprocess.Popen[bytes] | None = None

    def start(self) -> LocalCluster:
        try:
            return self._start()
        except BaseException:
            self.stop()  # a cluster that failed to start leaves no process behind
            raise

    def _start(self) -> LocalCluster:
        if self.mongo is not None:
            self.mongo.start()
        self.redis.start()
        if self.replica is not None:
            self.replica.start()
            for sentinel in self.sentinels:
                sentinel.start()
            wait_until(lambda: all(s.master_port() == self.redis.port for s in self.sentinels), 30,
                       "sentinels agreeing on the master")
        for instance in self.instances:  # start them all, then wait: they boot in parallel
            instance.spawn()
        for instance in self.instances:
            self.wait_healthy(instance)
        if self.haproxy_port is not None:
            self._start_haproxy()
        return self

    def _start_haproxy(self) -> None:
        binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
        env = dict(os.environ)
        env["LL_FRONT"] = f"127.0.0.1:{self.haproxy_port}"
        env["LL_STATS"] = f"127.0.0.1:{free_port()}"
        for i, instance in enumerate(self.instances[:3], start=1):
            env[f"LL_APP{i}"] = f"127.0.0.1:{instance.port}"
        self._haproxy = subprocess.Popen([binary, "-db", "-f", str(ROOT / "haproxy.cfg")], env=env,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        def all_up() -> bool:
            assert self._haproxy is not None
            if self._haproxy.poll() is not None:
                raise RuntimeError(f"haproxy exited: {self._haproxy.stderr.read().decode() if self._haproxy.stderr else ''}")
            try:
                seen = {http_json(f"{self.front}/health", timeout=1)[1]["instance"] for _ in range(6)}
            except OSError:
                return False
            return len(seen) == min(3, len(self.instances))

        wait_until(all_up, 30, "haproxy routing to every instance")

    @property
    def front(self) -> str:
        return f"http://127.0.0.1:{self.haproxy_port}"

    def ws(self, index: int) -> str:
        return f"ws://127.0.0.1:{self.instances[index].port}/ws"

    def wait_healthy(self, instance: ServerProcess, timeout: float = 60) -> None:
        wait_until(lambda: _healthy(instance), timeout, f"instance on {instance.port}")

    def restart(self, index: int) -> None:
        instance = self.instances[index]
        instance.stop()
        instance.spawn()
        self.wait_healthy(instance)

    def stop(self) -> None:
        if self._haproxy is not None and self._haproxy.poll() is None:
            self._haproxy.terminate()
            self._haproxy.wait(10)
        for instance in self.instances:
            instance.stop()
        for sentinel in self.sentinels:
            sentinel.stop()
        if self.replica is not None:
            self.replica.cleanup()
        self.redis.cleanup()
        if self.mongo is not None:
            drop_database(self.mongo, self.database)
            self.mongo.cleanup()

    def matches(self, room: str) -> list[dict[str, object]]:
        """The match records MongoDB holds for ``room``."""
        assert self.mongo is not None, "this cluster keeps no MongoDB"
        with self.mongo.client() as client:
            return list(client[self.database].matches.find({"room": room}))

    def logs(self) -> str:
        return "\n".join(f"--- {i.log_path.name}\n{i.log()}" for i in self.instances)


def _healthy(instance: ServerProcess) -> bool:
    assert instance.process is not None
    if instance.process.poll() is not None:
        raise RuntimeError(f"instance exited: {instance.log()}")
    try:
        status, body = http_json(instance.base + "/health", timeout=1)
    except OSError:
        return False
    return status == 200 and body.get("status") == "ok"
