"""A venue LAN served over plain http by name: Chromium does not treat it as a secure context,
so `crypto.randomUUID` is missing there, and the pages must still send their commands."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import CHROMIUM_FLAGS
from tests.browser.helpers import sign_in_page
from tests.conftest import LiveServer

HOST = "antrean.test"


@pytest.fixture
def chromium_flags() -> list[str]:
    """Chromium resolving antrean.test to this machine: an origin that is not localhost."""
    return [*CHROMIUM_FLAGS, f"--host-resolver-rules=MAP {HOST} 127.0.0.1"]


def lan_url(server: LiveServer) -> str:
    return f"http://{HOST}:{server.port}"


async def sign_in(page: Page, server: LiveServer, username: str, target: str) -> None:
    """Open `target` on the LAN origin, signed in as `username`."""
    await sign_in_page(page, f"{lan_url(server)}/login?next={target}", username)
    await expect(page).to_have_url(re.compile(re.escape(f"{lan_url(server)}{target}")))
    assert await page.evaluate("window.isSecureContext") is False


class TestPlainHttp:
    """Commands land from pages on a plain-http origin that is not localhost."""

    async def test_the_running_text_is_saved(self, live_server: LiveServer, page: Page) -> None:
        await sign_in(page, live_server, "manajer", "/manager/running-text")
        assert await page.evaluate("typeof crypto.randomUUID") == "undefined"
        await page.get_by_label("Teks").fill("Layanan paspor tutup sementara hari ini")
        await page.get_by_role("button", name="Simpan dan tampilkan").click()
        await expect(page.get_by_role("status")).to_contain_text("Tersimpan")
        await page.reload()
        await expect(page.get_by_label("Teks")).to_have_value(
            "Layanan paspor tutup sementara hari ini"
        )

    async def test_a_notice_is_saved(self, live_server: LiveServer, page: Page) -> None:
        await sign_in(page, live_server, "manajer", "/manager/notices")
        await page.get_by_label("Dispendukcapil").fill("Layanan KIA tutup sementara hari ini")
        form = page.locator('form[data-tenant="dispendukcapil"]')
        await form.get_by_role("button", name="Simpan").click()
        await expect(form.get_by_role("status")).to_contain_text("Tersimpan")

    async def test_the_console_opens_its_counter(self, live_server: LiveServer, page: Page) -> None:
        await sign_in(page, live_server, "loket1", "/counter")
        await expect(page.locator("#connection")).to_have_text("Terhubung")
        await page.get_by_role("button", name="Buka loket").click()
        await expect(page.locator("#counter-status")).to_have_text("Buka")
