"""Fixtures shared by every room's tests: real services, started here and stopped after."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import redis
from redis.asyncio import Redis as AsyncRedis

from server.cluster import Cluster, ClusterError
from server.store import EventLog, open_log

_REDIS_START_TIMEOUT = 10.0

ROOT = Path(__file__).resolve().parent.parent
AUDIO_CACHE = ROOT / "tests" / "artifacts" / "audio-cache"
# Test servers live on a Tuesday morning in Malang, whenever CI happens to run.
OPEN_HOURS = "2026-11-24T09:00:00+07:00"


class RedisServer:
    """A real redis-server on a free local port, keeping nothing on disk; restartable."""

    def __init__(self, workdir: Path) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            pytest.fail("redis-server is not installed (apt-get install redis-server)")
        self._executable = executable
        self._workdir = workdir
        self._process: subprocess.Popen[bytes] | None = None
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start on the same port as before and return once it answers PING."""
        self._process = subprocess.Popen(
            [
                self._executable,
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                # Nothing to keep: the data dies with the process.
                *("--save", "", "--appendonly", "no", "--dir", str(self._workdir)),
                *("--logfile", str(self._log)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_until_ready(self._process)

    def stop(self) -> None:
        process, self._process = self._process, None
        _terminate(process)

    def stop_keeping_data(self) -> None:
        """Stop as a restart would, the data kept on disk (production runs with AOF).

        One step, SHUTDOWN SAVE: a SAVE and then a stop would lose what was written between
        the two, and under load a test would blame the app for it.
        """
        process, self._process = self._process, None
        assert process is not None
        with redis.Redis.from_url(self.url) as client, contextlib.suppress(redis.ConnectionError):
            client.shutdown(save=True)
        process.wait(timeout=10)

    def freeze(self, frozen: bool = True) -> None:
        """Stop (SIGSTOP) or resume (SIGCONT) the process: a hung server that still accepts
        connections, as a swapping or stuck host does."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP if frozen else signal.SIGCONT)

    @property
    def _log(self) -> Path:
        return self._workdir / "redis.log"

    def _wait_until_ready(self, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + _REDIS_START_TIMEOUT
        while not _answers_ping(self.port):
            if process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                output = self._log.read_text() if self._log.exists() else "(no log)"
                pytest.fail(f"redis-server on port {self.port} did not start:\n{output}")
            time.sleep(0.02)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real, empty, throwaway redis-server for the whole session, as `redis://host:port/0`."""
    with _running(RedisServer(tmp_path_factory.mktemp("redis"))) as server:
        yield server.url


@pytest.fixture(params=["sqlite", "redis"])
async def any_log(
    request: pytest.FixtureRequest, tmp_path: Path, redis_url: str
) -> AsyncIterator[EventLog]:
    """An empty event log on each backend in turn: SQLite, then the session's Redis."""
    if request.param == "redis":
        client = AsyncRedis.from_url(redis_url)
        await client.flushdb()
        await client.aclose()
    url = redis_url if request.param == "redis" else f"sqlite://{tmp_path / 'any' / 'antrean.db'}"
    log = open_log(url)
    yield log
    await log.close()


@pytest.fixture
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A redis-server of this test's own, for tests that stop or restart it."""
    with _running(RedisServer(tmp_path_factory.mktemp("redis"))) as server:
        yield server


@contextlib.contextmanager
def _running(server: RedisServer) -> Iterator[RedisServer]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _free_port() -> int:
    # Port 0 asks the kernel for a free port; redis-server binds it a moment later.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class LiveServer:
    """`antrean run` in its own process on a free port, restartable like a real deployment."""

    def __init__(
        self,
        data_dir: Path,
        redis_url: str = "",
        port: int = 0,
        clock_start: str = OPEN_HOURS,
        env: dict[str, str] | None = None,
    ) -> None:
        self.data_dir, self.redis_url = data_dir, redis_url
        # More `ANTREAN_*` settings for this server (ANTREAN_LOG_FORMAT, ...).
        self.env = env or {}
        # Another moment of the venue's week (a break, after the last issue time) for tests
        # of closed hours; the default is a Tuesday morning.
        self.clock_start = clock_start
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> LiveServer:
        command = [
            sys.executable,
            "-m",
            "server",
            "run",
            "--port",
            str(self.port),
            "--data",
            str(self.data_dir),
        ]
        if self.redis_url:
            command += ["--redis", self.redis_url]
        log = open(self.data_dir / f"server-{self.port}.log", "ab")  # noqa: SIM115
        # One clip cache for every server of the session: rendering is the slow part.
        env = {
            **os.environ,
            "ANTREAN_AUDIO_CACHE": str(AUDIO_CACHE),
            "ANTREAN_CLOCK_START": self.clock_start,
            **self.env,
        }
        with log:
            self.process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=log, env=env)
        deadline = time.monotonic() + 30
        while not self._healthy():
            if self.process.poll() is not None or time.monotonic() > deadline:
                output = (self.data_dir / f"server-{self.port}.log").read_text()
                pytest.fail(f"antrean did not start on {self.url}:\n{output}")
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        process, self.process = self.process, None
        _terminate(process)

    @property
    def log(self) -> Path:
        """What the process wrote on stdout and stderr."""
        return self.data_dir / f"server-{self.port}.log"

    def _healthy(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                pass
            return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except (OSError, httpx.HTTPError):
            return False


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The demo venue served by a real process, on SQLite in a fresh data folder."""
    data = tmp_path / "data"
    data.mkdir()
    server = LiveServer(data).start()
    yield server
    server.stop()


@pytest.fixture
def live_on_redis(tmp_path: Path, redis_server: RedisServer) -> Iterator[LiveServer]:
    """A real server process on the test's own redis-server (which the test may restart)."""
    data = tmp_path / "data"
    data.mkdir()
    server = LiveServer(data, redis_url=redis_server.url).start()
    yield server
    server.stop()


def _terminate(process: subprocess.Popen[bytes] | None) -> None:
    """Stop a server we started: politely, then for sure."""
    if process is None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """`make run-cluster`'s cluster (the same launcher code): redis-server, two antrean
    processes and nginx in front, on free ports in a fresh folder, at open hours.
    `cluster.url` is the proxy's, `cluster.replica_urls` each process's own; each part
    (`cluster.part(name)`: redis-server, antrean-1, antrean-2, nginx) stops and starts
    again by itself (`.stop()`, `.start()`, or `cluster.restart(name)`, which waits until it
    answers)."""
    running = Cluster(
        tmp_path / "cluster",
        http_port=_free_port(),
        https_port=_free_port(),
        extra_env={"ANTREAN_AUDIO_CACHE": str(AUDIO_CACHE), "ANTREAN_CLOCK_START": OPEN_HOURS},
    )
    try:
        running.start()
    except ClusterError as error:
        pytest.fail(str(error))
    yield running
    running.stop()
