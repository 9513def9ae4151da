"""A hall display cut off from the server for 30 s while calls go on (issue 15).

Chromium reaches the server through `Cable`, a TCP relay of the test's own that it cuts
(every connection aborted, new ones refused) and then restores. Back online the screen
must show exactly the server's view, with no call missing, and its speaker must never read
an announcement twice (`window.antreanPlayer.log`, as `test_player.py` reads it).
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import BrowserContext, expect
from websockets.asyncio.client import connect

from tests.browser.helpers import TOKEN, ZONE, SignIn, call, calling_officer
from tests.browser.test_player import audio_reports, played, player_log, until
from tests.conftest import LiveServer

CUT_SECONDS = 30  # the outage; the one long wait of the suite, so one test only


class Cable:
    """A TCP relay from a port of its own to the server's, which the test can cut."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._listening: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    async def plug(self) -> None:
        self._listening = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    async def cut(self) -> None:
        """Refuse new connections and abort every open one, as a pulled cable ends them."""
        assert self._listening is not None
        self._listening.close()
        for writer in self._open:
            writer.transport.abort()
        self._open.clear()
        await self._listening.wait_closed()

    async def _relay(self, down_reader: asyncio.StreamReader, down: asyncio.StreamWriter) -> None:
        up_reader, up = await asyncio.open_connection("127.0.0.1", self.upstream)
        self._open |= {down, up}
        await asyncio.gather(_pipe(down_reader, up), _pipe(up_reader, down))
        self._open -= {down, up}


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass  # aborted by a cut
    finally:
        writer.close()


@pytest.fixture
async def cable(live_server: LiveServer) -> AsyncIterator[Cable]:
    """The cable between Chromium and the server, plugged in."""
    relay = Cable(live_server.port)
    await relay.plug()
    yield relay
    await relay.cut()


async def server_calls(server: LiveServer, sign_in: SignIn) -> list[dict[str, Any]]:
    """The zone's calls as the server has them now: a manager's fresh snapshot of the topic."""
    manager = await sign_in(server, "manajer")
    cookies = "; ".join(f"{name}={value}" for name, value in manager.client.cookies.items())
    url = server.url.replace("http", "ws") + f"/ws?topics=zone:{ZONE}"
    async with connect(url, additional_headers={"Cookie": cookies}) as ws:
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if message.get("topic") == f"zone:{ZONE}":
                calls: list[dict[str, Any]] = message["data"]["calls"]
                return calls


def on_screen(calls: list[dict[str, Any]]) -> list[str]:
    """The call ids a screen shows for `calls` (newest first): the current call, then each
    earlier ticket once, by its newest call (the rule of `earlierCalls` in render.js)."""
    listed = {calls[0]["ticket"]}
    earlier = []
    for older in calls[1:]:
        if older["ticket"] not in listed:
            listed.add(older["ticket"])
            earlier.append(older["id"])
    return [calls[0]["id"], *earlier]


@pytest.mark.slow
async def test_a_display_cut_off_for_30_s_resyncs_exactly(
    live_server: LiveServer, cable: Cable, context: BrowserContext, sign_in: SignIn
) -> None:
    officer = await calling_officer(sign_in, live_server)
    page = await context.new_page()
    reports = audio_reports(page)
    await page.goto(f"{cable.url}/display/{ZONE}?device={TOKEN}")
    display = page.locator("#display")
    await expect(display).to_have_attribute("data-speaker", "true")
    await call(officer)  # A-001, read out before the cut
    await played(page, 1)

    await cable.cut()
    cut_at = time.monotonic()
    await expect(display).to_have_attribute("data-status", "offline")
    for _ in range(2):  # while the screen is away, and a recall of A-003
        await officer.send(type="done", counter="1")
        await call(officer)
    await officer.send(type="recall", counter="1")
    await asyncio.sleep(CUT_SECONDS - (time.monotonic() - cut_at))
    await cable.plug()
    plugged_at = time.monotonic()
    await expect(display).to_have_attribute("data-status", "online", timeout=30_000)
    await expect(display).to_have_attribute("data-speaker", "true")
    back_after = time.monotonic() - plugged_at

    await officer.send(type="done", counter="1")
    await call(officer)  # A-004, read out after the screen is back
    await expect(page.locator(".now-label")).to_have_text("A-004")
    calls = await server_calls(live_server, sign_in)
    assert [c["label"] for c in calls] == ["A-004", "A-003", "A-003", "A-002", "A-001"]
    shown = [page.locator(".now-call"), *await page.locator(".recent-item").all()]
    assert [await item.get_attribute("data-call-id") for item in shown] == on_screen(calls)

    log = await played(page, 2)
    await asyncio.sleep(1)  # room for an announcement that should not come
    log = await player_log(page)
    print(f"\nthe screen was back {back_after:.1f} s after the cable; it read out {len(log)}")
    # A-001 before the cut, A-004 after it; what was called while the screen was away is
    # shown, not recited late (the returning screen takes the speaker role after the resync).
    assert [(e["id"], e["status"]) for e in log] == [
        (calls[4]["id"], "played"),
        (calls[0]["id"], "played"),
    ]
    await until(lambda: len(reports) == 2)
    assert [r["call"] for r in reports] == [e["id"] for e in log]
