"""Call -> first sound: from the officer's command to the speaking display's loudspeaker.

    uv run python -m bench.first_sound [--calls N]

One real server (SQLite, espeak-ng clips rendered beforehand, not timed) and one hall
display in Chromium (Debian's package; `--autoplay-policy=no-user-gesture-required`, the
flag unattended screens run with; with no sound card Chromium writes to its fake audio
output, which keeps real time). For each of N calls (default 100), spaced so that no
announcement waits behind another:

  app       the send time of `call_next` (`time.time_ns()` right before the request is
            written) to the moment the announcement's first sample reaches the output,
            as the player computes it when it schedules the sound
            (`AudioContext.getOutputTimestamp()`, so the output latency counts)
  baseline  a bare `websockets` server pushing a message to a bare page that fetches the
            same WAV (a new address each time, as each call's is), decodes it and starts
            it the same way: the floor of "push, fetch, decode, play" on this machine

The app's time is split by the page's own Resource Timing entry of the WAV: push (command
to the fetch starting: append, projection, frame, render), fetch (the server joining the
WAV and sending it) and play (decode, schedule, output latency). Ratios against the
baseline come from the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from http import HTTPStatus
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, Page, async_playwright
from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from audio.engines import make_engines
from audio.library import ClipLibrary
from audio.wording import call_for
from bench import fanout_app as app
from server import config
from server.demo import display_token

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--autoplay-policy=no-user-gesture-required",
]
GAP_S = 0.5  # after an announcement ends, before the next call
READY_S = 60.0

# The baseline page: what the player does, without the app (fetch, decode, start).
BASELINE_PAGE = """<!doctype html><meta charset="utf-8"><title>baseline</title><script>
const LEAD_S = 0.05;
window.sounds = [];
const context = new AudioContext();
function soundAt(at) {
  const stamp = context.getOutputTimestamp();
  if (!stamp.performanceTime) return performance.timeOrigin + performance.now()
    + (at - context.currentTime + (context.outputLatency || 0)) * 1000;
  return performance.timeOrigin + stamp.performanceTime + (at - stamp.contextTime) * 1000;
}
const socket = new WebSocket(`ws://${location.host}/ws`);
socket.onmessage = async (event) => {
  const answer = await fetch(event.data);
  const buffer = await context.decodeAudioData(await answer.arrayBuffer());
  const source = context.createBufferSource();
  source.buffer = buffer;
  source.connect(context.destination);
  const at = context.currentTime + LEAD_S;
  source.start(at);
  window.sounds.push({ url: event.data, soundAt: soundAt(at), seconds: buffer.duration });
};
socket.onopen = () => { window.ready = true; };
</script>"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def percentile(samples: Sequence[float], p: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[p - 1]


class Baseline:
    """The bare server: `/` is the page, `/wav?n` the same WAV bytes, `/ws` the push."""

    def __init__(self, wav: bytes) -> None:
        self.wav = wav
        self.port = free_port()
        self.sockets: set[ServerConnection] = set()

    def answer(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.path == "/ws":
            return None
        if request.path.startswith("/wav"):
            return Response(HTTPStatus.OK, "OK", Headers({"Content-Type": "audio/wav"}), self.wav)
        page = BASELINE_PAGE.encode()
        return Response(HTTPStatus.OK, "OK", Headers({"Content-Type": "text/html"}), page)

    async def handler(self, connection: ServerConnection) -> None:
        self.sockets.add(connection)
        try:
            await connection.wait_closed()
        finally:
            self.sockets.discard(connection)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Baseline]:
        async with serve(self.handler, "127.0.0.1", self.port, process_request=self.answer):
            yield self

    def push(self, n: int) -> int:
        at = time.time_ns()
        broadcast(self.sockets, f"/wav?{n}")
        return at


WAIT_S = 30.0  # for a page to show what a call or push made it do


async def until(page: Page, expression: str) -> None:
    """Poll `expression` in the page (its CSP forbids the eval of `wait_for_function`).
    The times measured are the page's own, so the polling adds nothing to them."""
    deadline = time.monotonic() + WAIT_S
    while not await page.evaluate(expression):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the page never showed {expression}")
        await asyncio.sleep(0.02)


async def clock_offset(page: Page) -> float:
    """The page's clock (timeOrigin + now()) minus this process's, in ms: subtracted from
    the page's times so both ends of a latency are on one clock."""
    offsets = []
    for _ in range(5):
        before = time.time_ns() / 1e6
        there: float = await page.evaluate("performance.timeOrigin + performance.now()")
        after = time.time_ns() / 1e6
        offsets.append((after - before, there - (before + after) / 2))
    return min(offsets)[1]  # the quickest round trip says it best


async def measure_baseline(browser: Browser, wav: bytes, calls: int) -> list[float]:
    baseline = Baseline(wav)
    latencies = []
    async with baseline.running():
        page = await browser.new_page()
        await page.goto(f"http://127.0.0.1:{baseline.port}/")
        await until(page, "window.ready === true")
        offset = await clock_offset(page)
        for n in range(calls):
            sent = baseline.push(n)
            await until(page, f"window.sounds.length > {n}")
            sound: dict[str, Any] = await page.evaluate(f"window.sounds[{n}]")
            latencies.append(sound["soundAt"] - offset - sent / 1e6)
            await asyncio.sleep(sound["seconds"] + GAP_S)
        await page.close()
    return latencies


class AppRun:
    """The real server in a child process, one officer, one display page."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        venue_file = app.write_venue(self.folder)
        data = self.folder / "data"
        data.mkdir()
        await app.seed(venue_file, data)
        cache = self.folder / "audio"
        venue = config.load_venue(venue_file)
        # Rendered here, not timed: the server finds every clip in the cache.
        ClipLibrary(cache, make_engines(["espeak"])).render_vocabulary(venue)
        env = {
            **os.environ,
            "ANTREAN_TTS": "espeak",
            "ANTREAN_AUDIO_CACHE": str(cache),
            "ANTREAN_CLOCK_START": app.CLOCK_START,
        }
        command = app.server_command(sys.executable, self.port, venue_file, data)
        log = (self.folder / "server.log").open("wb")
        self.process = await asyncio.create_subprocess_exec(
            *command, env=env, stdout=log, stderr=log
        )
        await self._healthy()
        self.venue = venue

    async def _healthy(self) -> None:
        deadline = time.monotonic() + READY_S
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"http://127.0.0.1:{self.port}/healthz")).is_success:
                        return
                await asyncio.sleep(0.2)
        raise RuntimeError(f"the server did not start; see {self.folder / 'server.log'}")

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()

    async def measure(self, browser: Browser, calls: int) -> list[dict[str, float]]:
        counter, service = app.zone_counter(self.folder / "venue.toml")
        base = f"http://127.0.0.1:{self.port}"
        officer = app.Officer(self.port, *await app.sign_in(base, "loket1"))
        await officer.open()
        await officer.command(type="open_counter", counter=counter)
        for _ in range(calls):
            await officer.command(
                type="issue_ticket", service=service, visit=os.urandom(6).hex(), channel="staff"
            )
        page = await browser.new_page()
        await page.goto(f"{base}/display/{app.ZONE}?device={display_token(app.ZONE)}")
        await until(page, "document.querySelector('#display')?.dataset.ready === 'true'")
        await asyncio.sleep(1.0)  # the speaker role follows the snapshot
        offset = await clock_offset(page)
        results = []
        for n in range(calls):
            await page.evaluate("performance.clearResourceTimings()")  # 250 are kept
            await officer.ready()
            request = officer.request(type="call_next", counter=counter)
            sent = time.time_ns() / 1e6
            await officer.send(request)
            await until(page, f"window.antreanPlayer.log.length > {n}")
            entry: dict[str, Any] = await page.evaluate(f"window.antreanPlayer.log[{n}]")
            if entry["status"] != "played" or entry.get("soundAt") is None:
                raise RuntimeError(f"call {n + 1} was not played: {entry}")
            fetch: dict[str, float] = await page.evaluate(
                """() => {
                  const e = performance.getEntriesByType("resource")
                    .find((r) => r.name.includes("/audio/call/"));
                  return { start: performance.timeOrigin + e.fetchStart,
                           end: performance.timeOrigin + e.responseEnd };
                }"""
            )
            sent += offset  # on the page's clock from here
            results.append(
                {
                    "total": entry["soundAt"] - sent,
                    "push": fetch["start"] - sent,
                    "fetch": fetch["end"] - fetch["start"],
                    "play": entry["soundAt"] - fetch["end"],
                }
            )
            await officer.command(type="done", counter=counter)
            await asyncio.sleep(GAP_S)  # the entry is written when the sound has ended
        await officer.close()
        await page.close()
        return results

    def sample_wav(self) -> bytes:
        library = ClipLibrary(self.folder / "audio", make_engines(["espeak"]))
        counter, _ = app.zone_counter(self.folder / "venue.toml")
        return library.announcement(call_for(self.venue, counter, "A-001")).path.read_bytes()


def row(name: str, samples: Sequence[float], baseline: Sequence[float] | None = None) -> str:
    p50, p99 = percentile(samples, 50), percentile(samples, 99)
    line = f"  {name:<28} p50 {p50:8.1f} ms   p99 {p99:8.1f} ms"
    if baseline is not None:
        ratio50 = p50 / percentile(baseline, 50)
        ratio99 = p99 / percentile(baseline, 99)
        line += f"   x{ratio50:5.2f} / x{ratio99:5.2f} baseline"
    return line


async def run(calls: int) -> int:
    executable = shutil.which("chromium")
    if executable is None:
        print("chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="antrean-bench-sound-") as folder:
        target = AppRun(Path(folder))
        await target.start()
        try:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=executable, args=CHROMIUM_FLAGS
                )
                measured = await target.measure(browser, calls)
                baseline = await measure_baseline(browser, target.sample_wav(), calls)
                await browser.close()
        finally:
            await target.stop()
    print(f"call -> first sound, {calls} calls, 1 speaking display (Chromium), SQLite:")
    print(row("baseline (push, fetch, play)", baseline))
    print(row("app", [r["total"] for r in measured], baseline))
    for part in ("push", "fetch", "play"):
        print(row(f"  of which {part}", [r[part] for r in measured]))
    return 0


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench.first_sound", description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=100, help="calls to time")
    options = parser.parse_args(argv)
    return asyncio.run(run(options.calls))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
