"""The kiosk's voice guidance in Chromium: a visitor who cannot read the screen turns it on
with a key, hears each screen and each choice, and reaches a ticket by keyboard alone.

What the kiosk said is read from `window.antreanGuide.log` ({clips, status} per utterance);
the audio itself comes from the server's real espeak-ng clips (`/kiosk/api/say.wav`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from server.config import DEMO_VENUE, load_venue
from server.demo import KIOSK_TOKEN
from tests.browser.conftest import artifact
from tests.conftest import LiveServer

DEMO = load_venue(DEMO_VENUE)
TENANT_NAMES = [
    f"instansi_{t.id.replace('-', '_')}"
    for t in DEMO.tenants.values()
    if any(s.tenant == t.id for s in DEMO.services.values())
]
KTP_TENANT_SERVICES = [
    f"layanan_{s.id.replace('-', '_')}"
    for s in DEMO.services.values()
    if s.tenant == "dispendukcapil"
]


@pytest.fixture
async def kiosk(browser: Browser, live_server: LiveServer) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1920, "height": 1080}, locale="id-ID")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(f"{live_server.url}/kiosk?device={KIOSK_TOKEN}")
    await expect(page.locator("[data-tenant=dispendukcapil]")).to_be_focused()
    yield page
    assert errors == []
    await context.close()


async def said(page: Page) -> list[dict[str, Any]]:
    log: list[dict[str, Any]] = await page.evaluate("window.antreanGuide.log")
    return log


async def until_said(page: Page, check: Callable[[list[dict[str, Any]]], bool]) -> None:
    """Poll the log (the page's CSP forbids the eval behind `wait_for_function`)."""
    for _ in range(300):
        if check(await said(page)):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the kiosk never said that; it said {await said(page)}")


async def last_said(page: Page, count: int) -> list[str]:
    """The clips of the `count`-th utterance, once it was asked for."""
    await until_said(page, lambda log: len(log) >= count)
    return list((await said(page))[count - 1]["clips"])


class TestGuidance:
    """F1 turns guidance on; every screen and focused choice is said; the ticket too."""

    async def test_keyboard_only_to_a_ticket(self, kiosk: Page) -> None:
        await kiosk.keyboard.press("F1")
        voice = kiosk.get_by_role("button", name="Panduan suara")
        await expect(voice).to_have_attribute("aria-pressed", "true")
        assert await last_said(kiosk, 1) == ["panduan_aktif", "pilih_instansi", *TENANT_NAMES]

        await kiosk.keyboard.press("ArrowRight")
        assert await last_said(kiosk, 2) == ["instansi_samsat", "belum_ada_antrean"]
        await kiosk.keyboard.press("ArrowLeft")
        assert await last_said(kiosk, 3) == ["instansi_dispendukcapil", "belum_ada_antrean"]

        await kiosk.keyboard.press("Enter")
        services = await last_said(kiosk, 4)
        assert services == ["pilih_layanan_di", "instansi_dispendukcapil", *KTP_TENANT_SERVICES]
        await kiosk.keyboard.press("Enter")  # the first service: Perekaman KTP-el
        assert await last_said(kiosk, 5) == ["yang_anda_pilih", "layanan_ktp", "tekan_ambil_nomor"]
        await expect(kiosk.locator("[data-action=issue]")).to_be_focused()

        await kiosk.keyboard.press("Shift+Tab")
        assert await last_said(kiosk, 6) == ["tombol_tambah"]
        await kiosk.keyboard.press("Tab")
        assert await last_said(kiosk, 7) == ["tombol_ambil_nomor"]
        await kiosk.keyboard.press("Enter")
        await expect(kiosk.locator("[data-field=t-label]")).to_have_text("A-001")
        assert await last_said(kiosk, 8) == [
            "nomor_antrean_anda", "huruf_a", "angka_1", "layanan", "layanan_ktp",
            "anda_berikutnya", "ambil_tiket",
        ]  # fmt: skip
        # The ticket is heard to its end; everything before it was cut by the next step.
        await until_said(kiosk, lambda log: log[-1]["status"] == "played")
        log = await said(kiosk)
        assert [entry["status"] for entry in log[:-1]] == ["cut"] * 7
        assert log[-1]["seconds"] > 3.0
        await kiosk.screenshot(path=artifact("kiosk-voice-ticket.png"))

        # Done: guidance ends with its visitor, and the next one hears nothing.
        await kiosk.keyboard.press("Enter")
        await expect(kiosk.locator("[data-screen=home]")).to_be_visible()
        await expect(voice).to_have_attribute("aria-pressed", "false")
        await kiosk.keyboard.press("ArrowRight")
        await expect(kiosk.locator("[data-tenant=samsat]")).to_be_focused()
        assert len(await said(kiosk)) == 8

    async def test_the_button_and_the_star_key(self, kiosk: Page) -> None:
        voice = kiosk.get_by_role("button", name="Panduan suara")
        await voice.click()
        await expect(voice).to_have_attribute("aria-pressed", "true")
        assert (await last_said(kiosk, 1))[:2] == ["panduan_aktif", "pilih_instansi"]
        await kiosk.keyboard.press("*")
        await expect(voice).to_have_attribute("aria-pressed", "false")
        assert await last_said(kiosk, 2) == ["panduan_mati"]
        # A refresh redraws the tiles under the focus: nothing is said again.
        await kiosk.keyboard.press("*")
        assert (await last_said(kiosk, 3))[0] == "panduan_aktif"
        await asyncio.sleep(11)  # the kiosk refreshes its tiles every 10 s
        assert len(await said(kiosk)) == 3

    async def test_typing_a_star_in_a_form_is_a_star(self, kiosk: Page) -> None:
        await kiosk.get_by_role("button", name="Layanan yang saya cari tidak ada").click()
        field = kiosk.locator("#request-text")
        await field.focus()
        await kiosk.keyboard.type("surat *keterangan*")
        await expect(field).to_have_value("surat *keterangan*")
        voice = kiosk.get_by_role("button", name="Panduan suara")
        await expect(voice).to_have_attribute("aria-pressed", "false")
