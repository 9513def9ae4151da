"""The managers' live dashboard in Chromium: alerts arrive live, are acknowledged, and a
tenant's supervisor sees only that tenant."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, expect
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from server import config
from server.domain import commands as cmd
from server.domain import ikm
from server.service import VenueQueue
from server.store import open_log
from tests.browser.conftest import artifact
from tests.browser.helpers import sign_in_page
from tests.conftest import OPEN_HOURS, LiveServer

FULL_HD: ViewportSize = {"width": 1920, "height": 1080}


@pytest.fixture
def clock_file(tmp_path: Path) -> Path:
    """Seconds to add to the live server's venue clock (ANTREAN_CLOCK_FILE)."""
    path = tmp_path / "clock-offset"
    path.write_text("0")
    return path


@pytest.fixture
def timed_server(
    tmp_path: Path, clock_file: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LiveServer]:
    """The demo venue at 09.00 on a clock the test can move forward."""
    monkeypatch.setenv("ANTREAN_CLOCK_FILE", str(clock_file))
    data = tmp_path / "data"
    data.mkdir()
    server = LiveServer(data).start()
    yield server
    server.stop()


class Desk:
    """Commands sent as the signed-in user of `page`, as the pages send them."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.sent = 0

    async def send(self, **command: Any) -> dict[str, Any]:
        csrf = await self.page.locator('meta[name="csrf"]').get_attribute("content")
        self.sent += 1
        origin = self.page.url.split("/manager")[0]
        response = await self.page.request.post(
            f"{origin}/api/commands",
            headers={"X-CSRF-Token": csrf or ""},
            data={**command, "command_id": f"browser-test-{self.sent:04d}"},
        )
        answer: dict[str, Any] = await response.json()
        assert answer["ok"], answer
        return answer


def jump(clock_file: Path, minutes: int) -> None:
    """Set the venue clock to 09.00 + `minutes` (plus the real time the test took)."""
    clock_file.write_text(str(minutes * 60))


async def a_busy_morning(desk: Desk, clock_file: Path) -> None:
    """Tickets at several tenants, a few counters at work, then the clock jumps 46 minutes:
    the KTP tickets issued at 09.00 are past their 45-minute SLA."""
    for service in ("ktp", "ktp", "ktp", "kk", "paspor-baru", "pkb"):
        await desk.send(type="issue_ticket", service=service, visit="", channel="staff")
    for counter in ("1", "5"):
        await desk.send(type="open_counter", counter=counter)
    await desk.send(type="call_next", counter="1")
    jump(clock_file, minutes=12)
    await desk.page.wait_for_timeout(700)  # the server re-reads the file every 0.5 s
    await desk.send(type="start_serving", counter="1")
    await desk.send(type="call_next", counter="5")
    for service in ("pkb", "setor-pajak", "jkn-info"):
        await desk.send(type="issue_ticket", service=service, visit="", channel="staff")
    jump(clock_file, minutes=46)


class TestDashboard:
    """A manager watches the venue live; a supervisor only their tenant."""

    async def test_a_wait_alert_appears_live_and_is_acknowledged(
        self, timed_server: LiveServer, clock_file: Path, browser: Browser
    ) -> None:
        context = await browser.new_context(viewport=FULL_HD, locale="id-ID")
        page = await sign_in_page(context, f"{timed_server.url}/login?next=/manager", "manajer")
        await expect(page.locator("#dashboard")).to_have_attribute("data-ready", "true")
        await a_busy_morning(Desk(page), clock_file)
        alert = page.locator('.alert[data-kind="sla"]', has_text="Perekaman KTP-el")
        # No reload, no event: the ticker notices the clock passing the SLA.
        await expect(alert).to_be_visible(timeout=15_000)
        await expect(alert).to_contain_text("2 antrean menunggu lebih dari 45 menit")
        assert int(await page.evaluate("document.body.dataset.beeps || 0")) >= 1
        await expect(page.locator("#tenants tbody tr")).to_have_count(13)
        await expect(page.locator('[data-kpi="waiting"]')).to_have_text("7")
        await page.screenshot(path=artifact("dashboard-manager.png"))
        await alert.get_by_role("button", name="Tanggapi").click()
        await expect(alert).to_contain_text("ditanggapi oleh manajer pukul 09.4")
        await page.screenshot(path=artifact("dashboard-manager-full.png"), full_page=True)
        await context.close()

    async def test_tables_sort_by_longest_wait_and_switch_to_english(
        self, timed_server: LiveServer, clock_file: Path, browser: Browser
    ) -> None:
        context = await browser.new_context(viewport=FULL_HD, locale="en-GB")
        page = await sign_in_page(
            context, f"{timed_server.url}/login?next=/manager?lang=en", "manajer"
        )
        await expect(page.locator("#dashboard")).to_have_attribute("data-ready", "true")
        await a_busy_morning(Desk(page), clock_file)
        await expect(page.locator('.alert[data-kind="sla"]').first).to_be_visible(timeout=15_000)
        first = page.locator("#services tbody tr").first
        await expect(first).to_have_attribute("data-id", "ktp")  # longest wait on top
        await page.get_by_role("button", name="Service", exact=True).click()
        await expect(page.locator('#services th[aria-sort="descending"]')).to_contain_text(
            "Service"
        )
        await expect(page.get_by_role("heading", name="Live queue dashboard")).to_be_visible()
        await page.screenshot(path=artifact("dashboard-manager-en.png"))
        await context.close()

    async def test_a_supervisor_sees_only_their_tenant(
        self, timed_server: LiveServer, browser: Browser
    ) -> None:
        context = await browser.new_context(viewport=FULL_HD, locale="id-ID")
        page = await sign_in_page(
            context, f"{timed_server.url}/login?next=/manager", "spv-dispendukcapil"
        )
        await expect(page.locator("#dashboard")).to_have_attribute("data-ready", "true")
        await expect(page.locator("#tenants tbody tr")).to_have_count(1)
        await expect(page.locator("#tenants tbody tr")).to_contain_text("Dispendukcapil")
        await expect(page.locator("#services")).not_to_contain_text("Samsat")
        await expect(page.locator("#zones-panel")).to_be_hidden()
        await page.screenshot(path=artifact("dashboard-supervisor.png"))
        for topic in ("manager:all", "manager:samsat"):
            assert await _close_code(timed_server, context, topic) == 4403
        assert await _close_code(timed_server, context, "manager:dispendukcapil") is None
        await context.close()

    async def test_officers_get_the_forbidden_page(
        self, live_server: LiveServer, context: BrowserContext
    ) -> None:
        page = await sign_in_page(context, f"{live_server.url}/login?next=/manager", "loket1")
        await page.goto(f"{live_server.url}/manager")
        await expect(page.get_by_role("alert")).to_have_text(
            "Halaman ini hanya untuk pengelola MPP."
        )


async def _close_code(server: LiveServer, context: BrowserContext, topic: str) -> int | None:
    """The close code the socket answers `topic` with, or None when it sends the view."""
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in await context.cookies())
    url = server.url.replace("http", "ws") + f"/ws?topics={topic}"
    async with connect(url, additional_headers={"Cookie": cookies}) as socket:
        try:
            message = json.loads(await socket.recv())
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None
        assert message["topic"] == topic and message["data"]["scope"] == "dispendukcapil"
        return None


class TestIkmThisMonth:
    """ "IKM bulan ini" starts empty and moves, without a reload, when a response arrives
    in the log (appended here by another process's queue, as a survey page would)."""

    async def test_a_response_shows_up_live(
        self, timed_server: LiveServer, tmp_path: Path, browser: Browser
    ) -> None:
        context = await browser.new_context(viewport=FULL_HD, locale="id-ID")
        page = await sign_in_page(context, f"{timed_server.url}/login?next=/manager", "manajer")
        await expect(page.locator("#dashboard")).to_have_attribute("data-ready", "true")
        await expect(page.locator("#ikm-empty")).to_have_text("Belum ada responden bulan ini")
        await expect(page.locator("#ikm-kpis")).to_be_hidden()
        desk = Desk(page)
        await desk.send(type="issue_ticket", service="ktp", visit="", channel="staff")
        await desk.send(type="open_counter", counter="1")
        await desk.send(type="call_next", counter="1")
        await desk.send(type="done", counter="1")
        answers = {**dict.fromkeys(ikm.KEYS, 4), "waktu": 2}
        await _answer(tmp_path / "data", "A-001", answers)
        await expect(page.locator('[data-ikm="value"]')).to_have_text("94,44")
        await expect(page.locator("#ikm-empty")).to_be_hidden()
        await expect(page.locator('[data-ikm="grade"]')).to_have_text("A · Sangat Baik")
        await expect(page.locator('[data-ikm="respondents"]')).to_have_text("1")
        await expect(page.locator('[data-ikm="weakest"]')).to_have_text("Waktu Penyelesaian")
        row = page.locator('#ikm-tenants tbody tr[data-id="dispendukcapil"]')
        await expect(row).to_contain_text("94,44")
        await page.locator("#ikm-panel").screenshot(path=artifact("dashboard-ikm.png"))
        await page.screenshot(path=artifact("dashboard-ikm-full.png"), full_page=True)
        await context.close()


async def _answer(data: Path, ticket: str, answers: dict[str, int]) -> None:
    """A survey response written to the live server's log by a queue of this process."""
    venue = config.load_venue(config.DEMO_VENUE)
    log = open_log(f"sqlite://{data / 'antrean.db'}")
    start = dt.datetime.fromisoformat(OPEN_HOURS)
    queue = VenueQueue(venue, log, lambda: start + dt.timedelta(minutes=5))
    try:
        await queue.start()
        await queue.execute(cmd.AnswerSurvey(answers=answers, ticket=ticket), "ikm-answer-1")
    finally:
        await queue.stop()
        await log.close()
