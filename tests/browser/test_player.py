"""The zone's loudspeaker in Chromium: calls are read out in order, once, by one screen only.

What a screen did with each announcement is read from `window.antreanPlayer.log` (a debug
hook of displays/static/announce.js) and from the reports it sends over its socket.

Careful: every Playwright evaluation, including locator assertions, runs with
`userGesture: true`, which gives the page user activation and so lifts the autoplay block.
The blocked-audio test therefore watches only the socket and the server log until it has
seen the `blocked` report.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from server.cli import main
from tests.browser.conftest import CHROMIUM_FLAGS, artifact
from tests.browser.helpers import TOKEN, ZONE, Console, SignIn, call, calling_officer
from tests.conftest import LiveServer

Reports = list[dict[str, Any]]


@pytest.fixture
async def officer(sign_in: SignIn, live_server: LiveServer) -> Console:
    """The officer of Loket 1 (Perekaman KTP-el), signed in, counter open."""
    return await calling_officer(sign_in, live_server)


@pytest.fixture
async def quiet_browser() -> AsyncIterator[Browser]:
    """Chromium as an unconfigured kiosk: audio waits for a user gesture."""
    flags = [flag for flag in CHROMIUM_FLAGS if not flag.startswith("--autoplay-policy")]
    executable = shutil.which("chromium")
    assert executable, "chromium is not installed (apt-get install chromium)"
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=flags)
        yield launched
        await launched.close()


def audio_reports(page: Page) -> Reports:
    """The audio reports `page` sends to the server, filled in as they go out."""
    sent: Reports = []

    def on_frame(payload: str | bytes) -> None:
        message = json.loads(payload)
        if isinstance(message, dict) and message.get("type") == "audio":
            sent.append(message)

    page.on("websocket", lambda ws: ws.on("framesent", on_frame))
    return sent


async def speaker_display(
    context: BrowserContext, server: LiveServer, token: str = TOKEN
) -> tuple[Page, Reports]:
    page = await context.new_page()
    reports = audio_reports(page)
    await page.goto(f"{server.url}/display/{ZONE}?device={token}")
    await expect(page.locator("#display")).to_have_attribute("data-ready", "true")
    return page, reports


async def player_log(page: Page) -> list[dict[str, Any]]:
    log: list[dict[str, Any]] = await page.evaluate("window.antreanPlayer.log")
    return log


async def until(check: Any, seconds: float = 30) -> None:
    """Wait until `check()` (sync or async) is true."""
    deadline = time.monotonic() + seconds
    while True:
        done = check()
        if asyncio.iscoroutine(done):
            done = await done
        if done:
            return
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def played(page: Page, count: int) -> list[dict[str, Any]]:
    async def enough() -> bool:
        return len(await player_log(page)) >= count

    await until(enough)
    return await player_log(page)


def server_log(server: LiveServer) -> str:
    return (server.data_dir / f"server-{server.port}.log").read_text()


async def pair_second_display(server: LiveServer, capsys: pytest.CaptureFixture[str]) -> str:
    pair = ["devices", "add", "--zone", ZONE, "--name", "layar-samping"]
    assert await asyncio.to_thread(main, [*pair, "--data", str(server.data_dir)]) == 0
    found = re.search(r"device=(\S+)", capsys.readouterr().out)
    assert found, "the CLI prints the pairing address"
    return found.group(1)


class TestSpeaker:
    """The zone's speaker reads each new call out once, in order, one after another."""

    async def test_two_quick_calls_play_in_order_once(
        self, live_server: LiveServer, context: BrowserContext, officer: Console
    ) -> None:
        page, reports = await speaker_display(context, live_server)
        await expect(page.locator("#display")).to_have_attribute("data-speaker", "true")
        await officer.issue("ktp", 2)
        await officer.send(type="call_next", counter="1")
        await officer.send(type="done", counter="1")
        await officer.send(type="call_next", counter="1")

        # The screen shows the second call while the first is still being read out.
        await expect(page.locator(".now-label")).to_have_text("A-002")
        assert len(await player_log(page)) < 2
        second = await page.locator(".now-call").get_attribute("data-call-id")
        first = await page.locator(".recent-item").first.get_attribute("data-call-id")

        log = await played(page, 2)
        assert [(e["id"], e["status"]) for e in log] == [(first, "played"), (second, "played")]
        one, two = log
        assert one["endedAt"] - one["startedAt"] > 1, "a whole sentence, not a click"
        assert two["startedAt"] >= one["endedAt"] - 1e-6, "never overlapping"
        assert one["heardUntil"] >= one["endedAt"] - 0.05, "onended came when the clip ended"
        await until(lambda: len(reports) == 2)
        assert reports == [
            {"type": "audio", "call": first, "status": "played"},
            {"type": "audio", "call": second, "status": "played"},
        ]
        assert "blocked" not in server_log(live_server)
        assert "failed" not in server_log(live_server)

        await page.reload()
        await expect(page.locator("#display")).to_have_attribute("data-speaker", "true")
        await expect(page.locator(".now-label")).to_have_text("A-002")
        await asyncio.sleep(2)
        assert await player_log(page) == []
        assert len(reports) == 2, "nothing replayed after the reload"
        stored = await page.evaluate(f"localStorage.getItem('antrean.display.played.{ZONE}')")
        assert json.loads(stored) == [first, second]

    async def test_a_recall_is_read_again(
        self, live_server: LiveServer, context: BrowserContext, officer: Console
    ) -> None:
        page, _ = await speaker_display(context, live_server)
        await expect(page.locator("#display")).to_have_attribute("data-speaker", "true")
        await call(officer)
        await officer.send(type="recall", counter="1")
        log = await played(page, 2)
        assert [e["status"] for e in log] == ["played", "played"]
        assert log[0]["id"] != log[1]["id"]
        assert log[1]["startedAt"] >= log[0]["endedAt"] - 1e-6


class TestOneSpeakerPerZone:
    """A second screen in the zone shows the calls but stays silent until it is the speaker."""

    async def test_second_display_stays_silent(
        self,
        live_server: LiveServer,
        browser: Browser,
        context: BrowserContext,
        officer: Console,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        token = await pair_second_display(live_server, capsys)
        speaker, _ = await speaker_display(context, live_server)
        # Its own profile: a screen keeps its token and its memory per zone in localStorage.
        side_context = await browser.new_context(viewport={"width": 1280, "height": 800})
        side, side_reports = await speaker_display(side_context, live_server, token)
        await expect(speaker.locator("#display")).to_have_attribute("data-speaker", "true")
        await expect(side.locator("#display")).to_have_attribute("data-speaker", "false")

        await call(officer)
        await expect(side.locator(".now-label")).to_have_text("A-001")
        assert [e["status"] for e in await played(speaker, 1)] == ["played"]
        await asyncio.sleep(1)
        assert await player_log(side) == [] and side_reports == []

        # The speaker leaves: the side screen speaks from now on, without reciting A-001.
        await speaker.close()
        await expect(side.locator("#display")).to_have_attribute("data-speaker", "true")
        await officer.send(type="done", counter="1")
        await call(officer)
        await expect(side.locator(".now-label")).to_have_text("A-002")
        log = await played(side, 1)
        current = await side.locator(".now-call").get_attribute("data-call-id")
        assert [(e["id"], e["status"]) for e in log] == [(current, "played")]
        await until(lambda: len(side_reports) == 1)
        assert side_reports == [{"type": "audio", "call": current, "status": "played"}]
        await side_context.close()


class TestAutoplayBlocked:
    """Without the kiosk flag the browser holds audio back until someone taps the prompt."""

    async def test_prompt_then_sound(
        self, live_server: LiveServer, quiet_browser: Browser, officer: Console
    ) -> None:
        context = await quiet_browser.new_context(
            viewport={"width": 1280, "height": 800}, locale="id-ID"
        )
        page = await context.new_page()
        reports = audio_reports(page)
        roles: list[str] = []
        page.on("websocket", lambda ws: ws.on("framereceived", lambda p: roles.append(str(p))))
        await page.goto(f"{live_server.url}/display/{ZONE}?device={TOKEN}")
        await until(lambda: any('"role"' in frame for frame in roles))
        await call(officer)
        await until(lambda: len(reports) == 1)
        blocked = reports[0]["call"]
        assert reports == [{"type": "audio", "call": blocked, "status": "blocked"}]
        await until(lambda: f"announcement {blocked} blocked" in server_log(live_server))

        prompt = page.get_by_role("button", name="Aktifkan suara")
        await expect(prompt).to_be_visible()
        await expect(prompt).to_be_focused()
        await expect(page.locator(".now-label")).to_have_text("A-001")
        await page.screenshot(path=artifact("display-enable-sound.png"))
        await prompt.click()
        await expect(prompt).to_be_hidden()

        await officer.send(type="done", counter="1")
        await call(officer)
        await until(lambda: len(reports) == 2)
        current = await page.locator(".now-call").get_attribute("data-call-id")
        assert reports[1] == {"type": "audio", "call": current, "status": "played"}
        log = await player_log(page)
        assert [(e["id"], e["status"]) for e in log] == [(blocked, "blocked"), (current, "played")]
        assert server_log(live_server).count(f"announcement {blocked} blocked") == 1
        assert f"announcement {current}" not in server_log(live_server)
        await context.close()
