"""Tenant notices: a manager writes one and the hall display shows it next to the lanes."""

from __future__ import annotations

from playwright.async_api import Browser, BrowserContext, expect

from server.demo import display_token
from tests.browser.conftest import artifact
from tests.browser.helpers import sign_in_page
from tests.conftest import LiveServer

ZONE = "lantai1-timur"  # Dispendukcapil's counters
NOTICE = "Layanan KIA tutup sementara hari ini"


class TestNotices:
    """A notice reaches the display at once; a supervisor may write only their tenant's."""

    async def test_a_manager_sets_a_notice_and_the_display_shows_it_live(
        self, live_server: LiveServer, browser: Browser
    ) -> None:
        screens = await browser.new_context(viewport={"width": 1920, "height": 1080})
        display = await screens.new_page()
        await display.goto(f"{live_server.url}/display/{ZONE}?device={display_token(ZONE)}")
        await expect(display.locator("#display")).to_have_attribute("data-ready", "true")
        notice = display.locator('.tenant[data-tenant="dispendukcapil"] .tenant-notice')
        await expect(notice).to_have_count(0)

        office = await browser.new_context(locale="id-ID")
        page = await sign_in_page(
            office, f"{live_server.url}/login?next=/manager/notices", "manajer"
        )
        await page.get_by_label("Dispendukcapil").fill(NOTICE)
        form = page.locator('form[data-tenant="dispendukcapil"]')
        await form.get_by_role("button", name="Simpan").click()
        await expect(form.get_by_role("status")).to_contain_text("Tersimpan")
        await page.screenshot(path=artifact("manager-notices.png"))

        await expect(notice).to_have_text(NOTICE)  # no reload: over the display's socket
        await display.screenshot(path=artifact("display-notice-1920x1080.png"))
        await form.get_by_role("button", name="Hapus").click()
        await expect(notice).to_have_count(0)
        await office.close()
        await screens.close()

    async def test_a_supervisor_edits_only_their_tenant(
        self, live_server: LiveServer, context: BrowserContext
    ) -> None:
        page = await sign_in_page(
            context, f"{live_server.url}/login?next=/manager/notices", "spv-samsat"
        )
        await expect(page.locator("form.notice-form")).to_have_count(1)
        await expect(page.get_by_label("Samsat")).to_be_visible()
