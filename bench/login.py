"""Wrong passwords against screens: `/healthz` latency while 16 clients loop bad sign-ins.

    uv run python -m bench.login [SECONDS]

Starts real `antrean run` processes (SQLite, the demo venue) and probes `GET /healthz` one
request after another for SECONDS (default 8) in each scenario, printing p50 and p99:
  idle          the server with no sign-ins at all: the floor
  before        16 clients looping wrong passwords against a baseline process: the same
                app with the password check put back on the event loop and no throttle,
                as sign-in was before (every attempt an argon2 hash on the loop)
  after         the same 16 clients against the real server; every attempt names another
                user from another (forwarded) address, so the throttle never steps in and
                every one is an argon2 hash, now in worker threads (or "busy" at once)
  after, one    16 clients looping wrong passwords for `manajer` from one address, as in
  user          the issue: the throttle answers without hashing after the fifth
Ratios are against `before`, measured in the same run on the same machine; sign-in answers
per second are counted by status (401 wrong, 429 throttled, 503 busy).

The probe (one plain HTTP client) and the attackers (`python -m bench.login attack ...`)
are separate processes; `python -m bench.login serve-baseline PORT DATA` is the baseline.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx

from bench.fanout_procs import free_port, wait_idle

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 16
MAX_SECONDS = 300.0  # attackers stop by themselves, whatever happens to the bench
AUDIO_CACHE = ROOT / "tests" / "artifacts" / "audio-cache"


def serve_baseline(port: int, data: str) -> int:
    """The app as sign-in was before: argon2 on the event loop, no throttle."""
    from server import cli
    from server.store.counts import Rule
    from server.web import login

    async def on_the_loop(self: login.HashSlots, work: object) -> object:
        return work()  # type: ignore[operator]

    login.HashSlots.run = on_the_loop  # type: ignore[assignment,method-assign]
    unlimited = Rule(limit=10**9, window=1.0, first=1.0, longest=1.0)
    login.USER_RULE = login.ADDRESS_RULE = unlimited
    return cli.main(["run", "--port", str(port), "--data", data])


@contextlib.contextmanager
def server(data: Path, baseline: bool = False) -> Iterator[str]:
    """A real server process on a free port; its base URL, stopped afterwards."""
    port = free_port()
    data.mkdir(parents=True, exist_ok=True)
    if baseline:
        command = [sys.executable, "-m", "bench.login", "serve-baseline", str(port), str(data)]
    else:
        command = [sys.executable, "-m", "server", "run", "--port", str(port), "--data", str(data)]
    env = {**os.environ, "ANTREAN_AUDIO_CACHE": str(AUDIO_CACHE)}
    with open(data / "server.log", "ab") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=log, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process)
        # Start-up work (demo accounts, rendering the clip vocabulary) is not what we measure.
        asyncio.run(wait_idle(process.pid))
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server at {url} exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"the server at {url} did not start")


async def attacker(
    url: str, client_no: int, one_user: bool, stop: asyncio.Event, tally: Tally
) -> None:
    """Loop wrong passwords through the form, as a script would, until told to stop."""
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        form = await client.get("/login")
        found = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert found, "the sign-in form carries its CSRF token"
        tally.arrived()
        await tally.everyone.wait()
        for n in itertools.count():
            if stop.is_set():
                return
            if one_user:
                username, headers = "manajer", {}
            else:
                # Forwarded addresses from the benchmarking range (no traffic goes there):
                # uvicorn trusts the local client's X-Forwarded-For.
                username = f"tamu{client_no}-{n}"
                headers = {"X-Forwarded-For": f"198.18.{client_no}.{n % 250 + 1}"}
            data = {"username": username, "password": "salah-sekali", "csrf": found.group(1)}
            answer = await client.post("/login", data=data, headers=headers)
            tally.answers[answer.status_code] += 1


class Tally:
    """The attackers' answers by status, and when all of them are ready to go."""

    def __init__(self, clients: int) -> None:
        self.waiting, self.everyone = clients, asyncio.Event()
        self.answers = Counter[int]()
        if not clients:
            self.everyone.set()

    def arrived(self) -> None:
        self.waiting -= 1
        if self.waiting == 0:
            self.everyone.set()


async def attack(url: str, clients: int, one_user: bool) -> dict[int, float]:
    """`clients` attackers from "ready" on stdout until stdin closes (MAX_SECONDS at most)."""
    stop, tally = asyncio.Event(), Tally(clients)
    load = [asyncio.create_task(attacker(url, i, one_user, stop, tally)) for i in range(clients)]
    await tally.everyone.wait()
    started = time.perf_counter()
    print("ready", flush=True)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.to_thread(sys.stdin.read), MAX_SECONDS)
    elapsed = time.perf_counter() - started
    stop.set()
    await asyncio.gather(*load)
    return {code: count / elapsed for code, count in tally.answers.items()}


def probe(url: str, seconds: float, clients: int, one_user: bool = False) -> Measure:
    """`/healthz` one after another for `seconds` while `clients` loop wrong passwords.

    The attackers are a process of their own (their busy loop must not slow the probe),
    under way before the first probe and until the last.
    """
    command = [sys.executable, "-m", "bench.login", "attack", url, str(clients)]
    command.append("one-user" if one_user else "many")
    attackers = subprocess.Popen(
        command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert attackers.stdout is not None and attackers.stdin is not None
    assert attackers.stdout.readline() == "ready\n"
    latencies: list[float] = []
    with httpx.Client(base_url=url, timeout=60) as client:
        time.sleep(0.5)  # the first wrong passwords are in
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            sent = time.perf_counter()
            assert client.get("/healthz").status_code == 200
            latencies.append(time.perf_counter() - sent)
            time.sleep(0.01)
    output, _ = attackers.communicate("", timeout=120)
    rates = {int(code): rate for code, rate in json.loads(output).items()}
    return Measure(latencies, rates)


class Measure:
    def __init__(self, latencies: list[float], per_second: dict[int, float]) -> None:
        cuts = statistics.quantiles(latencies, n=100)
        self.p50, self.p99, self.count = cuts[49] * 1000, cuts[98] * 1000, len(latencies)
        self.per_second = per_second

    def row(self, name: str, baseline: Measure | None) -> str:
        ratio = f"{self.p50 / baseline.p50:7.3f} {self.p99 / baseline.p99:7.3f}" if baseline else ""
        rates = sorted(self.per_second.items())
        answers = "  ".join(f"{code}: {rate:5.1f}/s" for code, rate in rates)
        return f"{name:<16} {self.p50:9.1f} {self.p99:9.1f} {self.count:7d} {ratio:>15}   {answers}"


def main(argv: list[str]) -> int:
    if argv[:1] == ["serve-baseline"]:
        return serve_baseline(int(argv[1]), argv[2])
    if argv[:1] == ["attack"]:
        url, clients, mode = argv[1], int(argv[2]), argv[3]
        print(json.dumps(asyncio.run(attack(url, clients, mode == "one-user"))))
        return 0
    seconds = float(argv[0]) if argv else 8.0
    print(f"antrean sign-in bench: /healthz while {CLIENTS} clients loop wrong passwords")
    print(f"  {os.cpu_count()} cores; each scenario {seconds:.0f} s of probes, one at a time\n")
    with tempfile.TemporaryDirectory(prefix="antrean-bench-login-") as folder:
        with server(Path(folder) / "before", baseline=True) as url:
            before = probe(url, seconds, CLIENTS)
        with server(Path(folder) / "after") as url:
            idle = probe(url, seconds, 0)
            after = probe(url, seconds, CLIENTS)
        with server(Path(folder) / "one-user") as url:
            one_user = probe(url, seconds, CLIENTS, one_user=True)
    head = (
        f"{'scenario':<16} {'p50 ms':>9} {'p99 ms':>9} {'probes':>7} {'p50/bef':>7} {'p99/bef':>7}"
    )
    print(f"{head}   sign-in answers")
    print(idle.row("idle", before))
    print(before.row("before (loop)", None))
    print(after.row("after", before))
    print(one_user.row("after, one user", before))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
