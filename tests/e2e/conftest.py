"""End-to-end fixtures: a real ``twistd lingualeap`` process and Debian's Chromium driven by Playwright.

* ``server`` (session): ``twistd -n --pidfile= lingualeap --port FREE --rounds 2 --round-seconds 5``
  started from the twistd next to ``sys.executable``; ready once ``GET /health`` answers 200.
* ``browser`` (session): ``/usr/bin/chromium`` headless (never a downloaded browser).
* ``open_player`` (per test): a new browser context + page wrapped in :class:`e2e_ui.Player`.

On failure every open page is photographed into ``tests/e2e/artifacts/<test name>/`` together with its
console log, and the server log is attached to the report.

Environment knobs (all optional):
``LINGUALEAP_E2E_BASE_URL`` use an already running server instead of starting one;
``LINGUALEAP_E2E_SERVER_ARGS`` extra ``twistd lingualeap`` options (shell syntax);
``LINGUALEAP_E2E_WORDS_DIR`` a word bank directory for the server (``--words``) and the tests.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))  # the page helpers (e2e_ui) live next to this file

playwright_sync = pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, expect, sync_playwright  # noqa: E402

from e2e_ui import Player  # noqa: E402
from support.processes import free_port  # noqa: E402

ROOT = HERE.parent.parent
ARTIFACTS = HERE / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ROUNDS = 2
ROUND_SECONDS = 5
START_DEADLINE = 40.0

expect.set_options(timeout=15_000)


# ------------------------------------------------------------------------------------------------
# The server process
# ------------------------------------------------------------------------------------------------
def twistd_command() -> list[str]:
    local = Path(sys.executable).parent / "twistd"
    if local.exists():
        return [str(local)]
    found = shutil.which("twistd")
    if found:
        return [found]
    return [sys.executable, "-c", "from twisted.scripts.twistd import run; run()"]


@dataclass
class ServerProcess:
    port: int
    log_path: Path
    extra_args: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            *twistd_command(), "-n", "--pidfile=", "lingualeap",
            "--port", str(self.port), "--rounds", str(ROUNDS), "--round-seconds", str(ROUND_SECONDS),
            "--bcrypt-rounds", "4",
            *self.extra_args,
        ]

    def start(self) -> ServerProcess:
        env = dict(os.environ)
        # Importable and discoverable as a twistd plugin even before `pip install -e`.
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
        env.setdefault("LINGUALEAP_JWT_SECRET", "e2e-test-secret-that-is-long-enough-for-hs256")
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command(), cwd=str(ROOT), env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        self.wait_healthy()
        return self

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + START_DEADLINE
        last_error: object = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"twistd exited with {self.process.returncode} before answering /health:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.base_url}/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError) as e:
                last_error = e
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server not healthy after {START_DEADLINE}s ({last_error}):\n{self.log_tail()}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])


def extra_server_args() -> list[str]:
    args = shlex.split(os.environ.get("LINGUALEAP_E2E_SERVER_ARGS", ""))
    words = os.environ.get("LINGUALEAP_E2E_WORDS_DIR")
    if words:
        args += ["--words", words]
    return args


def _running(log_dir: Path) -> Iterator[ServerProcess]:
    """A started server for a fixture to yield; a server that does not start fails the test."""
    proc = ServerProcess(free_port(), log_dir / "twistd.log", extra_server_args())
    try:
        proc.start()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess | str]:
    external = os.environ.get("LINGUALEAP_E2E_BASE_URL")
    if external:
        yield external.rstrip("/")
        return
    yield from _running(tmp_path_factory.mktemp("server"))


@pytest.fixture(scope="session")
def base_url(server: ServerProcess | str) -> str:
    return server if isinstance(server, str) else server.base_url


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server just for this test, for tests that stop and restart it."""
    if os.environ.get("LINGUALEAP_E2E_BASE_URL"):
        pytest.skip("needs to start its own server")
    yield from _running(tmp_path)


# ------------------------------------------------------------------------------------------------
# The browser
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}

OpenPlayer = Callable[..., Player]


@pytest.fixture
def open_player(request: pytest.FixtureRequest, browser: Browser, base_url: str) -> Iterator[OpenPlayer]:
    """Open a fresh browser context (its own cookies) and return a Player driving its page."""
    players: list[Player] = []
    request.node.e2e_players = players

    def open_(label: str, *, viewport: dict[str, int] | None = None, phone: bool = False,
              path: str = "/", base: str | None = None) -> Player:
        size = viewport or (PHONE if phone else DESKTOP)
        options: dict[str, object] = {"viewport": size}
        if phone:
            options.update(device_scale_factor=2, is_mobile=True, has_touch=True)
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        page = context.new_page()
        player = Player(label, page, base or base_url)
        players.append(player)
        if path is not None:
            player.goto(path)
        return player

    yield open_
    for player in players:
        try:
            player.page.context.close()
        except Exception:  # noqa: BLE001 - closing a broken context must not hide the test result
            pass


# ------------------------------------------------------------------------------------------------
# Artifacts on failure
# ------------------------------------------------------------------------------------------------
def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")[:120] or "test"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when not in ("setup", "call") or not report.failed:
        return
    players: list[Player] = getattr(item, "e2e_players", [])
    if players:
        folder = ARTIFACTS / _safe(item.name)
        folder.mkdir(parents=True, exist_ok=True)
        saved = [str(path) for player in players for path in player.save_artifacts(folder)]
        report.sections.append(("e2e artifacts", "\n".join(saved)))
    server = item.funcargs.get("own_server") if hasattr(item, "funcargs") else None
    if server is None and hasattr(item, "funcargs"):
        server = item.funcargs.get("server")
    if isinstance(server, ServerProcess):
        report.sections.append(("server log (tail)", server.log_tail()))
