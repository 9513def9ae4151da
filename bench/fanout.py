"""Fan-out of calls to hall displays: the real app against a plain `websockets` broadcast.

    uv run python -m bench.fanout [--subscribers 1000,5000,10000] [--calls 200] [--quick]
                                  [--screens-as display|manager] [--connect-budget 90]
                                  [--previous REV]

Method. For each size N, in one run and on this machine:
  app       `python -m server run` (SQLite in a temp folder, the demo venue open all day),
            N screens on `/ws?topics=zone:lantai1-timur&device=demo-lantai1-timur`, and the
            officer of counter 1 (`loket1`) signed in. Each phase's tickets are issued before its
            calls, untimed (`--issue-inline` issues one per call instead, as a kiosk would, which
            adds a zone frame per call); a call is `call_next`, then `done`, each a POST to
            /api/commands on one keep-alive connection. `--screens-as manager` connects the
            screens with a manager's session instead of the display token: same hub and
            views, but no per-zone speaker election (which tells every display of the zone
            its role on each join and leave).
  previous  with `--previous REV`: the same app as of git revision REV (a worktree of it,
            run by this environment's Python), measured the same way: an earlier design
            printed beside the current one for as long as the comparison is wanted.
  baseline  `bench.fanout_baseline`: `websockets.asyncio.server.serve` + `broadcast()`; a
            call is one message on its `/control` websocket, broadcast as is and acked.
            The message is the app's own last zone frame (8 recent calls) with a new call
            id and seq, so both send the same number of bytes per screen.
Screens are raw websocket clients spread over several processes (`bench.fanout_client`),
one asyncio loop each. Receive times are KERNEL times: SO_TIMESTAMPNS on every client
socket, read as SCM_TIMESTAMPNS ancillary data with `recvmsg` (CLOCK_REALTIME), so the
clients' own scheduling lag is excluded. The send time is `time.time_ns()` right before
the command's bytes are written. A frame's call is `data.calls[0].id`.

Figures per target and size:
  latency p50/p99/max  call -> receipt at every screen, over `--calls` calls, each sent
                       once the previous one reached every screen (no queueing between calls)
  p99, one stalled     the same over `STALLED_CALLS` calls while one more screen of the zone
                       has stopped reading (a raw socket with a 4 KB receive buffer); the
                       code it was closed with is reported below the figures
  command to frame,    the server's own histograms over the latency calls (app only, read
  broadcast p50/p99    from /metrics before and after, interpolated within 1.5x buckets):
                       a command's arrival to its first framed view (append, projection,
                       encoding), then handing one message to every screen
  command round trip   p50 of the sender's wait for the answer (app: decide + fsync'd SQLite
                       append + publish; baseline: `broadcast()` returning)
  CPU per delivery     server process utime+stime over a 200-call burst / frames received
  memory per idle conn server VmRSS after N idle screens connected minus before, / N
  burst drain          200 calls sent back to back (each waiting for its answer): time from
                       the first send until every screen has all 200
  time to connect      opening all N screens (`--connect-budget` seconds at most per target;
                       screens not opened by then are reported, and the rest measured)
  screens missing a    screens that never received at least one of the burst's calls
  call (burst)
The ratio column is app / baseline: above 1 means the app costs more (slower, more CPU or
memory). No thresholds: it reports. Clients and servers share the machine's cores, so
latency includes the clients' CPU competing with the server; read ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Protocol

import httpx
import msgspec
import numpy as np
from websockets.asyncio.client import ClientConnection, connect
from websockets.client import ClientProtocol
from websockets.uri import parse_uri

from bench import fanout_app as app
from bench.fanout_pool import Pool
from bench.fanout_procs import (
    ROOT,
    Children,
    children,
    cpu_seconds,
    ephemeral_ports,
    fd_ceiling,
    free_port,
    rss_bytes,
    wait_idle,
)
from bench.fanout_table import CUT_OFF, Figures, print_table
from server.demo import display_token

BURST = 200
STALLED_CALLS = 100  # x ~4 KB zone frames: well past BUFFER_BYTES and the kernel buffers
CLIENT_PROCESSES = 4
FD_MARGIN = 1024
SETTLE = 1.0
CONNECT_BUDGET = 90.0


class Sent(msgspec.Struct, frozen=True):
    at: int  # ns, CLOCK_REALTIME, right before the request is written
    seq: int
    round_trip: int  # ns


class Target(Protocol):
    name: str
    pid: int
    port: int
    path: str
    headers: str  # extra upgrade-request header lines, CRLF-terminated

    async def call(self) -> Sent: ...
    async def after_call(self) -> None: ...
    async def ready_for(self, calls: int) -> None: ...
    async def close(self) -> None: ...
    async def last_frame(self) -> bytes: ...


class AppTarget:
    """The real server and the officer of counter 1."""

    def __init__(self, name: str, pid: int, port: int, officer: app.Officer, counter: str) -> None:
        self.name = name
        self.pid, self.port, self._officer, self._counter = pid, port, officer, counter
        self.path = f"/ws?topics=zone:{app.ZONE}&device={display_token(app.ZONE)}"
        self.headers = ""
        self.issue_inline = False
        self.service = ""

    async def call(self) -> Sent:
        if self.issue_inline:
            await self.issue()
        request = self._officer.request(type="call_next", counter=self._counter)
        await self._officer.ready()
        at = time.time_ns()
        answer = await self._officer.send(request)
        return Sent(at, int(str(answer["seq"])), time.time_ns() - at)

    async def after_call(self) -> None:
        await self._officer.command(type="done", counter=self._counter)

    async def ready_for(self, calls: int) -> None:
        """Tickets for the next `calls` calls, issued before they are timed (a phase at a
        time: all at once would pass the service's predicted day cutoff)."""
        if not self.issue_inline:
            for _ in range(calls):
                await self.issue()

    async def close(self) -> None:
        await self._officer.close()

    async def issue(self) -> None:
        await self._officer.command(
            type="issue_ticket", service=self.service, visit=os.urandom(6).hex(), channel="staff"
        )

    async def last_frame(self) -> bytes:
        """The zone view as screens get it now (a snapshot on connect)."""
        url = (
            f"ws://127.0.0.1:{self.port}/ws?topics=zone:{app.ZONE}&device={display_token(app.ZONE)}"
        )
        async with connect(url, open_timeout=60) as ws:
            frame = await ws.recv()
        return frame if isinstance(frame, bytes) else frame.encode()


class BaselineTarget:
    """The plain broadcast server, fed through its control websocket."""

    name = "baseline"

    def __init__(self, pid: int, port: int, control: ClientConnection, template: bytes) -> None:
        self.pid, self.port, self.path, self.headers = pid, port, "/", ""
        self._control, self._template = control, msgspec.json.decode(template)
        self._seq = 0

    def message(self, seq: int) -> bytes:
        """The app's frame with this call's seq and a 16-hex-digit call id, as the app's."""
        self._template["seq"] = seq
        self._template["data"]["calls"][0]["id"] = f"{seq:016x}"
        return msgspec.json.encode(self._template)

    async def call(self) -> Sent:
        self._seq += 1
        message = self.message(self._seq)
        at = time.time_ns()
        await self._control.send(message)
        await self._control.recv()
        return Sent(at, self._seq, time.time_ns() - at)

    async def after_call(self) -> None:
        return None

    async def ready_for(self, calls: int) -> None:
        return None

    async def close(self) -> None:
        await self._control.close()

    async def last_frame(self) -> bytes:
        return self.message(self._seq)


class Run:
    """One bench run: options, its folder, the child processes and the client pool."""

    def __init__(self, options: argparse.Namespace, folder: Path, kids: Children, pool: Pool):
        self.options, self.folder, self.kids, self.pool = options, folder, kids, pool
        self.venue = app.write_venue(folder)
        self.seeded = folder / "seeded"
        self.previous: Path | None = None  # a worktree of --previous, once made

    async def prepare(self) -> None:
        self.seeded.mkdir()
        await app.seed(self.venue, self.seeded)

    async def size(self, screens: int) -> list[Figures]:
        apps = [("app", ROOT)] + ([("previous", self.previous)] if self.previous else [])
        measured = []
        for name, code in apps:
            app_target, app_process = await self._start_app(screens, name, code)
            try:
                measured.append(await self.measure(app_target, screens))
            finally:
                await app_target.close()
                await self.kids.stop(app_process)
        base_target, base_process = await self._start_baseline(measured[0].frame)
        try:
            measured.append(await self.measure(base_target, screens))
        finally:
            await base_target.close()
            await self.kids.stop(base_process)
        return measured

    async def _start_app(
        self, screens: int, name: str, code: Path
    ) -> tuple[AppTarget, asyncio.subprocess.Process]:
        port = free_port()
        data = app.fresh_data(self.seeded, self.folder / f"data-{name}-{screens}")
        command = app.server_command(sys.executable, port, self.venue, data)
        # Tone-only audio: no speech synthesis competing for the CPU during the bench; the
        # venue clock at an early hour, so the service's predicted day cutoff (day_full)
        # never refuses a phase's tickets, whatever the hour the bench runs.
        os.environ.update(
            ANTREAN_TTS="",
            ANTREAN_AUDIO_CACHE=str(self.folder / "audio"),
            ANTREAN_CLOCK_START=app.CLOCK_START,
        )
        process = await self.kids.start(f"{name}-{screens}", command, cwd=code)
        await _until(lambda: _healthy(port), process, self.kids.log(f"{name}-{screens}"))
        counter, service = app.zone_counter(self.venue)
        officer = app.Officer(port, *await app.sign_in(f"http://127.0.0.1:{port}", "loket1"))
        await officer.open()
        target = AppTarget(name, process.pid, port, officer, counter)
        target.service, target.issue_inline = service, self.options.issue_inline
        if self.options.screens_as == "manager":
            # A signed-in manager may watch any zone; no device, so no speaker bookkeeping.
            cookies, _ = await app.sign_in(f"http://127.0.0.1:{port}", "manajer")
            target.path, target.headers = f"/ws?topics=zone:{app.ZONE}", f"Cookie: {cookies}\r\n"
        await officer.command(type="open_counter", counter=counter)
        await wait_idle(process.pid)
        return target, process

    async def _start_baseline(
        self, template: bytes
    ) -> tuple[BaselineTarget, asyncio.subprocess.Process]:
        port = free_port()
        command = [sys.executable, "-m", "bench.fanout_baseline", str(port)]
        process = await self.kids.start(f"baseline-{port}", command)
        await _until(lambda: _listening(port), process, self.kids.log(f"baseline-{port}"))
        control = await connect(f"ws://127.0.0.1:{port}/control", max_size=2**20)
        target = BaselineTarget(process.pid, port, control, template)
        await control.send(target.message(0))
        await control.recv()
        await wait_idle(process.pid)
        return target, process

    async def measure(self, target: Target, screens: int) -> Figures:
        figures = Figures(target=target.name, wanted=screens)
        before = rss_bytes(target.pid)
        started = time.monotonic()
        figures.screens, figures.errors = await self.pool.connect(
            target.port, target.path, screens, self.options.connect_budget, target.headers
        )
        figures.connect_time = time.monotonic() - started
        await asyncio.sleep(SETTLE)
        figures.memory = (rss_bytes(target.pid) - before) / max(figures.screens, 1)
        try:
            if figures.screens:
                await self._latency(target, figures)
                await self._stalled(target, figures)
                await self._burst(target, figures)
                # Before the screens leave: the app is busy for a while once they do.
                figures.frame = await target.last_frame()
        finally:
            await self.pool.disconnect()
        return figures

    async def _latency(self, target: Target, figures: Figures) -> None:
        before = await _scrape(target.port)
        sent, receipts, counters = await self._spaced(target, figures, self.options.calls)
        after = await _scrape(target.port)
        figures.unstamped_reads = counters["unstamped"]
        figures.latencies = _latencies(receipts, sent)
        figures.round_trips = np.array([s.round_trip for s in sent])
        figures.latency_missed = int((receipts == 0).sum())
        figures.prepare = quantiles(before, after, "antrean_command_to_frame_seconds")
        figures.broadcast = quantiles(before, after, "antrean_broadcast_seconds")

    async def _spaced(
        self, target: Target, figures: Figures, calls: int
    ) -> tuple[list[Sent], np.ndarray, dict[str, int]]:
        """`calls` calls, each once the previous one reached every screen."""
        await target.ready_for(calls)
        await self.pool.reset()
        sent: list[Sent] = []
        for _ in range(calls):
            sent.append(await target.call())
            await self.pool.wait_complete(sent[-1].seq, _timeout(figures.screens))
            await target.after_call()
        receipts, counters = await self.pool.receipts(self.folder, [s.seq for s in sent])
        return sent, receipts, counters

    async def _stalled(self, target: Target, figures: Figures) -> None:
        """Spaced calls while one more screen has stopped reading: the others' p99, and
        the code the stalled one was closed with."""
        stalled = await asyncio.to_thread(StalledScreen, target.port, target.path, target.headers)
        before = await _scrape(target.port)
        try:
            sent, receipts, _ = await self._spaced(target, figures, STALLED_CALLS)
            figures.stalled_p99 = float(np.percentile(_latencies(receipts, sent), 99)) / 1e6
        finally:
            figures.stalled_code = await asyncio.to_thread(stalled.close_code)
        after = await _scrape(target.port)
        if after:  # the baseline has no /metrics
            figures.too_slow = _too_slow(after) - _too_slow(before)

    async def _burst(self, target: Target, figures: Figures) -> None:
        await target.ready_for(BURST)
        await self.pool.reset()
        cpu = cpu_seconds(target.pid)
        sent: list[Sent] = []
        for _ in range(BURST):
            sent.append(await target.call())
            await target.after_call()
        await self.pool.wait_complete(sent[-1].seq, 10 * _timeout(figures.screens))
        figures.cpu = cpu_seconds(target.pid) - cpu
        receipts, counters = await self.pool.receipts(self.folder, [s.seq for s in sent])
        figures.deliveries = counters["frames"]
        figures.drain = (receipts.max() - sent[0].at) / 1e9 if receipts.size else float("nan")
        figures.missed_screens = int((receipts == 0).any(axis=1).sum())


class StalledScreen:
    """A screen that connects, takes its handshake's answer and then reads nothing."""

    def __init__(self, port: int, path: str, headers: str) -> None:
        self.protocol = ClientProtocol(parse_uri(f"ws://127.0.0.1:{port}{path}"), max_size=None)
        request = self.protocol.connect()
        for line in filter(None, headers.split("\r\n")):
            name, _, value = line.partition(":")
            request.headers[name.strip()] = value.strip()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.connect(("127.0.0.1", port))
        self.sock.settimeout(10)
        self.protocol.send_request(request)
        self.sock.sendall(b"".join(self.protocol.data_to_send()))
        while not self.protocol.events_received():  # the handshake's answer, byte by byte
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("the server closed the stalled screen's handshake")
            self.protocol.receive_data(chunk)

    def close_code(self) -> int:
        """Read what is left until the server's close frame: its code; 0 if the connection
        is still open; CUT_OFF if it ended first (the server gives a peer that does not read
        its way to the close frame `close_timeout`, then cuts it off)."""
        self.sock.settimeout(5)
        try:
            while self.protocol.close_rcvd is None:
                data = self.sock.recv(65536)
                if not data:
                    return CUT_OFF  # ended with no close frame in what was left
                self.protocol.receive_data(data)
                self.protocol.events_received()
        except ConnectionResetError:
            return CUT_OFF
        except TimeoutError:
            return 0  # still open, nothing more came
        except OSError:
            pass
        finally:
            self.sock.close()
        closed = self.protocol.close_rcvd
        return closed.code if closed is not None else 0


def quantiles(before: str, after: str, name: str) -> tuple[float, float]:
    """p50 and p99 (ms) of histogram `name` between two scrapes, interpolated in buckets."""
    edges, counts = _buckets(after, name)
    if not edges:
        return math.nan, math.nan
    _, earlier = _buckets(before, name)
    if earlier:
        counts = [a - b for a, b in zip(counts, earlier, strict=True)]
    total = counts[-1]
    if total <= 0:
        return math.nan, math.nan

    def at(q: float) -> float:
        wanted = q * total
        low, below = 0.0, 0.0
        for edge, count in zip(edges, counts, strict=True):
            if count >= wanted:
                if math.isinf(edge):
                    return low * 1e3
                share = (wanted - below) / (count - below) if count > below else 1.0
                return (low + (edge - low) * share) * 1e3
            low, below = edge, count
        return low * 1e3

    return at(0.5), at(0.99)


def _buckets(text: str, name: str) -> tuple[list[float], list[float]]:
    """A histogram's cumulative buckets from a scrape: (upper edges, counts)."""
    found = re.findall(rf'^{name}_bucket{{le="([^"]+)"}} (\S+)$', text, re.MULTILINE)
    return [float(le) for le, _ in found], [float(count) for _, count in found]


def _too_slow(scrape: str) -> float:
    """Screens the server has closed as too slow (4008), from a /metrics scrape."""
    found = re.search(
        r'^antrean_websocket_disconnects_total{reason="too_slow"} (\S+)$', scrape, re.MULTILINE
    )
    return float(found.group(1)) if found else 0.0


async def _scrape(port: int) -> str:
    try:
        async with httpx.AsyncClient() as client:
            return (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    except httpx.HTTPError:
        return ""  # the baseline has no /metrics


def _timeout(screens: int) -> float:
    return 5.0 + screens / 500


def _latencies(receipts: np.ndarray, sent: list[Sent]) -> np.ndarray:
    starts = np.array([s.at for s in sent], dtype=np.int64)
    latencies: np.ndarray = (receipts - starts[np.newaxis, :])[receipts != 0]
    return latencies


async def _healthy(port: int) -> bool:
    try:
        async with httpx.AsyncClient() as client:
            return (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200
    except httpx.HTTPError:
        return False


async def _listening(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    return True


async def _until(
    ready: Callable[[], Awaitable[bool]], process: asyncio.subprocess.Process, log: str
) -> None:
    deadline = time.monotonic() + 60
    while not await ready():
        if process.returncode is not None or time.monotonic() > deadline:
            raise RuntimeError(f"a server did not start:\n{log}")
        await asyncio.sleep(0.1)


def reachable(screens: int, fd_limit: int) -> str:
    """Why `screens` screens cannot be opened on this machine, or "" when they can."""
    if screens + FD_MARGIN > fd_limit:
        return f"needs {screens + FD_MARGIN} open files in the server; the limit is {fd_limit}"
    if screens + FD_MARGIN > ephemeral_ports():
        return f"needs {screens} local ports; ip_local_port_range has {ephemeral_ports()}"
    return ""


async def bench(options: argparse.Namespace) -> None:
    sizes: list[int] = options.subscribers
    fd_limit = min(fd_ceiling(), max(sizes) + 4 * FD_MARGIN)
    _header(options, fd_limit)
    rows: list[list[Figures] | tuple[int, str]] = []
    with tempfile.TemporaryDirectory(prefix="antrean-fanout-") as temp:
        async with children(Path(temp), fd_limit) as kids:
            pool = await Pool.start(kids, options.processes)
            run = Run(options, Path(temp), kids, pool)
            await run.prepare()
            with _worktree(options.previous, Path(temp) / "previous") as run.previous:
                for screens in sizes:
                    rows.append(await _one_size(run, screens, fd_limit))
            await pool.quit()
    print_table(rows)
    print(f"\nLoad average at the end: {_load()} (on {os.cpu_count()} CPUs).")


@contextlib.contextmanager
def _worktree(revision: str, folder: Path) -> Iterator[Path | None]:
    """A detached git worktree of `revision` at `folder` while the bench runs (None: none)."""
    if not revision:
        yield None
        return
    git = ["git", "-C", str(ROOT)]
    subprocess.run([*git, "worktree", "add", "--detach", str(folder), revision], check=True)
    try:
        yield folder
    finally:
        subprocess.run([*git, "worktree", "remove", "--force", str(folder)], check=False)


async def _one_size(run: Run, screens: int, fd_limit: int) -> list[Figures] | tuple[int, str]:
    why_not = reachable(screens, fd_limit)
    if why_not:
        print(f"  {screens} screens: not reachable: {why_not}", flush=True)
        return screens, f"not reachable: {why_not}"
    started = time.monotonic()
    print(f"  {screens} screens ...", end=" ", flush=True)
    try:
        result = await run.size(screens)
    except Exception as error:  # one size failing must not lose the others' figures
        print(f"failed: {type(error).__name__}: {error}", flush=True)
        traceback.print_exc()
        return screens, f"failed: {type(error).__name__}: {error}"
    print(f"done in {time.monotonic() - started:.0f} s", flush=True)
    return result


def _header(options: argparse.Namespace, fd_limit: int) -> None:
    print(
        f"bench.fanout: {os.cpu_count()} CPUs shared by the server under test and "
        f"{options.processes} client processes; open-files limit for children {fd_limit}.\n"
        "Receive times: kernel SO_TIMESTAMPNS (SCM_TIMESTAMPNS via recvmsg) per client read; "
        "send times: time.time_ns() right before the request is written.\n"
        f"Per size: {options.calls} spaced calls for latency, then a {BURST}-call burst. "
        f"App screens connect as {options.screens_as}s; each target gets "
        f"{options.connect_budget:.0f} s to open its screens.\nLoad average at start: {_load()}.",
        flush=True,
    )


def _load() -> str:
    """The 1-minute load average: above the CPU count, other work shared the machine."""
    return Path("/proc/loadavg").read_text().split()[0]


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.fanout", description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", default="1000,5000,10000", help="comma-separated sizes")
    parser.add_argument("--calls", type=int, default=200, help="spaced calls for latency")
    parser.add_argument("--quick", action="store_true", help="sizes 200 and 1000 only")
    parser.add_argument("--processes", type=int, default=CLIENT_PROCESSES, help="client processes")
    parser.add_argument("--issue-inline", action="store_true", help="issue a ticket per call")
    parser.add_argument(
        "--previous", default="", help="also measure the app as of this git revision"
    )
    parser.add_argument(
        "--screens-as",
        choices=("display", "manager"),
        default="display",
        help="app screens connect as paired displays (device token) or as a signed-in manager",
    )
    parser.add_argument(
        "--connect-budget",
        type=float,
        default=CONNECT_BUDGET,
        help="seconds to open each target's screens; the rest are reported as not connected",
    )
    options = parser.parse_args(argv)
    options.subscribers = (
        [200, 1000] if options.quick else [int(s) for s in options.subscribers.split(",")]
    )
    return options


def main(argv: list[str] | None = None) -> int:
    options = parse(argv)
    # SIGTERM ends the bench like Ctrl-C does, so the children are stopped either way.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(bench(options))
        return 0
    print("\ninterrupted; every child process was stopped.", file=sys.stderr)
    return 130


if __name__ == "__main__":
    sys.exit(main())
