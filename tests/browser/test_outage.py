"""A store outage in Chromium: a real redis-server stopped under a running app, then started.

The console and the kiosk say "offline, mencoba lagi", lock their buttons, resend the one
pending command with the same command_id, and once Redis is back it lands exactly once.
"""

from __future__ import annotations

import asyncio
import json
import re

import httpx
import pytest
from playwright.async_api import Page, Request, expect

from server.demo import KIOSK_TOKEN
from server.domain import events as ev
from server.domain.events import decode_event
from server.store import open_log
from tests.browser.conftest import artifact
from tests.browser.helpers import sign_in_page
from tests.conftest import LiveServer, RedisServer

OFFLINE = "Offline, mencoba lagi"


def sent_to(page: Page, path: str) -> list[dict[str, str]]:
    """Every body the page POSTs to `path`, in order."""
    bodies: list[dict[str, str]] = []

    def remember(request: Request) -> None:
        if request.method == "POST" and request.url.endswith(path):
            bodies.append(json.loads(request.post_data or "{}"))

    page.on("request", remember)
    return bodies


async def events(redis_server: RedisServer) -> list[ev.Event]:
    log = open_log(redis_server.url)
    try:
        records = await log.read("merdeka-malang", after=0, limit=100_000)
    finally:
        await log.close()
    return [decode_event(r.data) for r in records]


async def resent(sent: list[dict[str, str]]) -> None:
    """Wait (boundedly) until the page has sent its pending command a second time."""
    for _ in range(100):
        if len(sent) > 1:
            return
        await asyncio.sleep(0.1)
    pytest.fail(f"the page did not resend its command: {sent}")


def issue_two(server: LiveServer) -> None:
    headers = {"X-Device-Token": KIOSK_TOKEN}
    with httpx.Client(base_url=server.url, headers=headers) as client:
        for n in range(2):
            body = {"command_id": f"outage-ticket-{n}", "service": "ktp"}
            assert client.post("/kiosk/api/issue", json=body).status_code == 200


class TestConsole:
    """The officer's call waits out the outage and is made once."""

    async def test_a_call_during_the_outage_is_made_once_when_redis_is_back(
        self, live_on_redis: LiveServer, redis_server: RedisServer, page: Page
    ) -> None:
        await sign_in_page(page, f"{live_on_redis.url}/counter", "loket1")
        await expect(page.locator("#connection")).to_have_text("Terhubung")
        await page.get_by_role("button", name="Buka loket").click()
        await expect(page.locator("#counter-status")).to_have_text("Buka")
        issue_two(live_on_redis)
        await expect(page.locator("#waiting-count")).to_have_text("2")
        sent = sent_to(page, "/api/commands")

        redis_server.stop_keeping_data()
        await page.keyboard.press("n")
        await expect(page.locator("#alert")).to_contain_text(OFFLINE)
        await expect(page.locator('.actions [data-action="call_next"]')).to_be_disabled()
        await page.screenshot(path=artifact("console-offline.png"))
        # Pressing again, or another action, sends nothing new meanwhile.
        await page.keyboard.press("n")
        await page.keyboard.press("d")
        await resent(sent)

        redis_server.start()
        await expect(page.locator("#current-label")).to_have_text("A-001", timeout=15_000)
        await expect(page.locator("#alert")).to_be_hidden()
        await expect(page.locator("#waiting-count")).to_have_text("1")
        assert {body["type"] for body in sent} == {"call_next"}
        assert len({body["command_id"] for body in sent}) == 1
        calls = [e for e in await events(redis_server) if isinstance(e, ev.TicketCalled)]
        assert len(calls) == 1


class TestKiosk:
    """The visitor's ticket waits out the outage and is issued once."""

    async def test_a_ticket_asked_for_during_the_outage_is_issued_once(
        self, live_on_redis: LiveServer, redis_server: RedisServer, page: Page
    ) -> None:
        await page.goto(f"{live_on_redis.url}/kiosk?device={KIOSK_TOKEN}")
        await page.locator("[data-tenant=dispendukcapil]").click()
        await page.locator("[data-service=ktp]").click()
        await expect(page.locator("[data-screen=plan]")).to_be_visible()
        sent = sent_to(page, "/kiosk/api/issue")

        redis_server.stop_keeping_data()
        take = page.get_by_role("button", name="Ambil nomor antrean")
        await take.click()
        busy = page.locator("[data-field=busy]")
        await expect(busy).to_be_visible()
        await expect(busy).to_contain_text(OFFLINE)
        await page.screenshot(path=artifact("kiosk-offline.png"))
        await take.click(force=True)  # a second press through the overlay
        await resent(sent)

        redis_server.start()
        ticket = page.locator("[data-screen=ticket]")
        await expect(ticket.locator("[data-field=t-label]")).to_have_text("A-001", timeout=15_000)
        await expect(busy).to_be_hidden()
        assert len({body["command_id"] for body in sent}) == 1
        issued = [e for e in await events(redis_server) if isinstance(e, ev.TicketIssued)]
        assert len(issued) == 1
        assert re.fullmatch(r"A-001", await ticket.locator("[data-field=t-label]").inner_text())

    async def test_the_idle_timer_waits_for_a_ticket_being_resent(
        self, live_on_redis: LiveServer, redis_server: RedisServer, page: Page
    ) -> None:
        # The resend lasts up to a minute, the idle timer 45 s: going home meanwhile threw
        # the visitor's choice away under the overlay (in English it even reloaded the page,
        # abandoning the request).
        await page.clock.install()
        await page.goto(f"{live_on_redis.url}/kiosk?device={KIOSK_TOKEN}")
        await page.locator("[data-tenant=dispendukcapil]").click()
        await page.locator("[data-service=ktp]").click()
        await expect(page.locator("[data-screen=plan]")).to_be_visible()

        redis_server.stop_keeping_data()
        await page.get_by_role("button", name="Ambil nomor antrean").click()
        busy = page.locator("[data-field=busy]")
        await expect(busy).to_contain_text(OFFLINE)
        await page.clock.run_for(50_000)  # past the idle limit, nobody touching
        await expect(page.locator("[data-screen=plan]")).to_be_visible()
        await expect(busy).to_contain_text(OFFLINE)

        redis_server.start()
        ticket = page.locator("[data-screen=ticket]")
        await expect(ticket.locator("[data-field=t-label]")).to_have_text("A-001", timeout=15_000)
