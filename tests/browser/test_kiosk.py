"""The kiosk in Chromium: a visitor takes a number by touch or keyboard, on paper and by QR."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pypdfium2 as pdfium  # type: ignore[import-untyped]  # pypdfium2 ships no type hints
import pytest
from playwright.async_api import Browser, Page, expect

from server.demo import GUARD, GUARD_PIN, KIOSK_TOKEN
from server.domain import events as ev
from server.domain.events import decode_event
from server.store import open_log
from tests.browser.conftest import artifact
from tests.conftest import LiveServer

PORTRAIT = {"width": 1080, "height": 1920}
LANDSCAPE = {"width": 1920, "height": 1080}
VISIT_PATH = re.compile(r"/t/([A-Za-z0-9_-]{22,})$")
FRIDAY_PRAYER = "2026-11-27T12:00:00+07:00"


async def open_kiosk(browser: Browser, server: LiveServer, viewport: dict[str, int]) -> Page:
    context = await browser.new_context(viewport=viewport, locale="id-ID")  # type: ignore[arg-type]
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors  # type: ignore[attr-defined]
    await page.goto(f"{server.url}/kiosk?device={KIOSK_TOKEN}")
    await expect(page.locator("[data-tenant=dispendukcapil]")).to_be_visible()
    return page


@pytest.fixture
async def portrait(browser: Browser, live_server: LiveServer) -> AsyncIterator[Page]:
    page = await open_kiosk(browser, live_server, PORTRAIT)
    yield page
    assert page.errors == []  # type: ignore[attr-defined]
    await page.context.close()


@pytest.fixture
async def landscape(browser: Browser, live_server: LiveServer) -> AsyncIterator[Page]:
    page = await open_kiosk(browser, live_server, LANDSCAPE)
    yield page
    assert page.errors == []  # type: ignore[attr-defined]
    await page.context.close()


@pytest.fixture
def api(live_server: LiveServer) -> Iterator[httpx.Client]:
    headers = {"X-Device-Token": KIOSK_TOKEN}
    with httpx.Client(base_url=live_server.url, headers=headers) as client:
        yield client


def issue(api: httpx.Client, service: str) -> httpx.Response:
    body = {"command_id": uuid.uuid4().hex, "service": service}
    return api.post("/kiosk/api/issue", json=body)


async def events(server: LiveServer) -> list[ev.Event]:
    log = open_log(f"sqlite://{server.data_dir / 'antrean.db'}")
    try:
        records = await log.read("merdeka-malang", after=0, limit=100_000)
    finally:
        await log.close()
    return [decode_event(r.data) for r in records]


async def choose(page: Page, tenant: str, service: str) -> None:
    await page.locator(f"[data-tenant={tenant}]").click()
    await page.locator(f"[data-service={service}]").click()
    await expect(page.locator("[data-screen=plan]")).to_be_visible()


async def shot(page: Page, name: str) -> None:
    size = page.viewport_size
    assert size is not None
    await page.screenshot(path=artifact(f"kiosk-{name}-{size['width']}x{size['height']}.png"))


class TestTakingANumber:
    """Tenant, service, number: the ticket screen shows the number and the phone QR."""

    async def test_issue_shows_the_number_and_the_phone_qr(self, portrait: Page) -> None:
        assert "device=" not in portrait.url  # the token left the address bar
        tile = portrait.locator("[data-tenant=dispendukcapil]")
        await expect(tile).to_contain_text("Dispendukcapil")
        await shot(portrait, "home")
        await tile.click()
        await expect(portrait.locator("[data-service=ktp]")).to_contain_text("Perkiraan")
        await shot(portrait, "services")
        await portrait.locator("[data-service=ktp]").click()
        await portrait.get_by_role("button", name="Ambil nomor antrean").click()
        ticket = portrait.locator("[data-screen=ticket]")
        await expect(ticket.locator("[data-field=t-label]")).to_have_text("A-001")
        await expect(ticket).to_contain_text("Perekaman KTP-el")
        await expect(ticket).to_contain_text(
            "Pindai untuk memantau antrean dan menilai layanan kami"
        )
        qr = ticket.locator("[data-field=t-qr]")
        await expect(qr.locator("svg path")).to_have_count(1)
        url = await qr.get_attribute("data-url")
        assert url is not None and VISIT_PATH.search(url), url
        await shot(portrait, "ticket")

    async def test_keyboard_only(self, landscape: Page) -> None:
        await landscape.locator("[data-tenant=dispendukcapil]").focus()
        await landscape.keyboard.press("ArrowRight")
        await expect(landscape.locator("[data-tenant=samsat]")).to_be_focused()
        await landscape.keyboard.press("Enter")
        await expect(landscape.locator("[data-screen=services]")).to_be_visible()
        await landscape.keyboard.press("Escape")
        await expect(landscape.locator("[data-screen=home]")).to_be_visible()
        await landscape.locator("[data-tenant=dispendukcapil]").focus()
        await landscape.keyboard.press("Enter")
        await expect(landscape.locator("[data-service=ktp]")).to_be_focused()
        await landscape.keyboard.press("Enter")
        await shot(landscape, "plan")
        await landscape.locator("[data-action=issue]").focus()
        await landscape.keyboard.press("Enter")
        await expect(landscape.locator("[data-field=t-label]")).to_have_text("A-001")
        await shot(landscape, "ticket")

    async def test_english_switch(self, landscape: Page) -> None:
        await landscape.get_by_role("link", name="English").click()
        await expect(landscape.locator("[data-field=home-lead]")).to_have_text(
            "Choose the office you need"
        )
        await expect(landscape.locator("[data-tenant=dispendukcapil]")).to_contain_text("waiting")


class TestPriority:
    """A staff member's PIN confirms a priority ticket; a wrong one is refused."""

    async def test_wrong_then_right_pin(self, landscape: Page, live_server: LiveServer) -> None:
        await choose(landscape, "dispendukcapil", "ktp")
        await landscape.get_by_role("button", name="Antrean prioritas").click()
        pad = landscape.locator("[data-field=pin]")
        await expect(pad).to_be_visible()
        await landscape.keyboard.type("111111")
        await expect(pad.locator("[data-field=pin-error]")).to_contain_text("PIN petugas salah")
        await shot(landscape, "pin")
        for digit in GUARD_PIN:
            await pad.locator(f"[data-digit='{digit}']").click()
        ticket = landscape.locator("[data-screen=ticket]")
        await expect(ticket.locator("[data-field=t-label]")).to_have_text("A-001")
        await expect(ticket.locator("[data-field=t-priority]")).to_be_visible()
        issued = [e for e in await events(live_server) if isinstance(e, ev.TicketIssued)]
        assert [(e.priority, e.confirmed_by) for e in issued] == [(True, GUARD)]


class TestItinerary:
    """KTP at Dispendukcapil, then JKN at BPJS Kesehatan: one ticket carries the plan."""

    async def test_two_services_across_tenants(
        self, portrait: Page, live_server: LiveServer
    ) -> None:
        await choose(portrait, "dispendukcapil", "ktp")
        await portrait.get_by_role("button", name="Tambah layanan lain").click()
        await expect(portrait.locator("[data-field=home-lead]")).to_contain_text("berikutnya")
        await choose(portrait, "bpjs-kesehatan", "jkn-daftar")
        chosen = portrait.locator("[data-field=chosen] li")
        await expect(chosen).to_have_count(2)
        await shot(portrait, "itinerary")
        await portrait.get_by_role("button", name="Ambil nomor antrean").click()
        ticket = portrait.locator("[data-screen=ticket]")
        await expect(ticket.locator("[data-field=t-next]")).to_have_text("Pendaftaran Peserta JKN")
        issued = [e for e in await events(live_server) if isinstance(e, ev.TicketIssued)]
        assert [(e.service, e.itinerary) for e in issued] == [("ktp", ("jkn-daftar",))]


class TestStandards:
    """Before the ticket: what to bring for each chosen service (standar pelayanan)."""

    async def test_the_plan_shows_each_chosen_services_requirements(self, landscape: Page) -> None:
        await choose(landscape, "dispendukcapil", "ktp")
        standards = landscape.locator("[data-field=standards]")
        await expect(standards).to_contain_text("Persyaratan (bawa dokumen ini)")
        await expect(standards).to_contain_text("Fotokopi Kartu Keluarga")
        await expect(standards).to_contain_text("Gratis")
        # The requirements sit beside the choice: the issue button stays in view.
        await expect(
            landscape.get_by_role("button", name="Ambil nomor antrean")
        ).to_be_in_viewport()
        await landscape.get_by_role("button", name="Tambah layanan lain").click()
        await choose(landscape, "bpjs-kesehatan", "jkn-daftar")
        await expect(standards.locator(".k-standard")).to_have_count(2)
        await expect(standards).to_contain_text("Nomor rekening atau akun autodebet")
        await shot(landscape, "plan-standards")
        await landscape.locator("[data-remove='0']").click()
        await expect(standards.locator(".k-standard")).to_have_count(1)
        await expect(standards).not_to_contain_text("Fotokopi Kartu Keluarga")


class TestRefusals:
    """Quota and hours are shown on the tile before the tap, and after it if they changed."""

    async def test_quota(self, landscape: Page, api: httpx.Client) -> None:
        await landscape.locator("[data-tenant=imigrasi]").click()
        paspor = landscape.locator("[data-service=paspor-baru]")
        await expect(paspor).to_contain_text("Khusus pesan online")
        await expect(paspor).to_contain_text("hanya melalui pemesanan online")
        await shot(landscape, "quota")
        await landscape.get_by_role("button", name="Kembali").click()
        await landscape.locator("[data-tenant=bpjs-ketenagakerjaan]").click()
        await expect(landscape.locator("[data-service=klaim-jht]")).to_contain_text("Perkiraan")
        # Meanwhile another kiosk issues the last numbers of the day.
        while issue(api, "klaim-jht").status_code == 200:
            pass
        await landscape.locator("[data-service=klaim-jht]").click()
        await landscape.get_by_role("button", name="Ambil nomor antrean").click()
        alert = landscape.locator("[data-field=alert]")
        await expect(alert).to_be_visible()
        await expect(alert).to_contain_text("habis")
        await expect(alert).to_contain_text("Silakan kembali besok pukul 08.00")
        await shot(landscape, "refused")
        await landscape.keyboard.press("Escape")
        await expect(alert).to_be_hidden()
        await landscape.keyboard.press("Escape")
        await landscape.locator("[data-tenant=bpjs-ketenagakerjaan]").click()
        await expect(landscape.locator("[data-service=klaim-jht]")).to_contain_text("habis")

    async def test_closed_hours(self, browser: Browser, tmp_path: Path) -> None:
        data = tmp_path / "data"
        data.mkdir()
        server = LiveServer(data, clock_start=FRIDAY_PRAYER).start()
        try:
            page = await open_kiosk(browser, server, LANDSCAPE)
            notice = page.locator("[data-field=notice]")
            await expect(notice).to_contain_text("Buka kembali pukul 13.00")
            await expect(page.locator("[data-tenant=samsat]")).to_contain_text(
                "Tidak ada layanan tersedia"
            )
            await page.locator("[data-tenant=samsat]").click()
            tile = page.locator("[data-service=pkb]")
            await expect(tile).to_contain_text("Istirahat")
            await expect(tile).to_contain_text("Buka kembali pukul 13.00")
            await shot(page, "closed")
            await tile.click()  # a closed tile explains itself instead of issuing
            await expect(page.locator("[data-field=alert]")).to_contain_text("13.00")
            assert page.errors == []  # type: ignore[attr-defined]
            await page.context.close()
        finally:
            server.stop()


class TestOtherPaths:
    """Missing services are asked for; bookings check in by scanner; strangers are told."""

    async def test_missing_service_request(self, portrait: Page, live_server: LiveServer) -> None:
        await portrait.get_by_role("button", name="Layanan yang saya cari tidak ada").click()
        await portrait.get_by_label("Instansi (jika tahu)").select_option("samsat")
        await portrait.get_by_label("Layanan yang Anda cari", exact=True).fill(
            "Balik nama kendaraan"
        )
        await shot(portrait, "request")
        await portrait.get_by_role("button", name="Kirim").click()
        await expect(portrait.locator("[data-field=thanks]")).to_contain_text("Terima kasih")
        asked = [e for e in await events(live_server) if isinstance(e, ev.ServiceRequested)]
        assert [(e.tenant, e.text) for e in asked] == [("samsat", "Balik nama kendaraan")]

    async def test_check_in_by_scanner(self, landscape: Page) -> None:
        await landscape.get_by_role("button", name="Saya sudah pesan online").click()
        field = landscape.get_by_label("Kode pemesanan")
        await expect(field).to_be_focused()
        await landscape.keyboard.type("TIDAKADA\n")  # a scanner types the code and Enter
        error = landscape.locator("[data-field=check-in-error]")
        await expect(error).to_contain_text("tidak ditemukan")
        await shot(landscape, "check-in")

    @pytest.mark.parametrize("address", ["/kiosk", "/kiosk?device=salah"])
    async def test_unpaired(self, browser: Browser, live_server: LiveServer, address: str) -> None:
        context = await browser.new_context(viewport=PORTRAIT)  # type: ignore[arg-type]
        page = await context.new_page()
        await page.goto(f"{live_server.url}{address}")
        await expect(page.get_by_role("heading", name="Anjungan belum dipasangkan")).to_be_visible()
        await expect(page.locator("#unpaired")).to_contain_text("antrean devices add --kind kiosk")
        await page.screenshot(path=artifact("kiosk-unpaired-1080x1920.png"))
        await context.close()


class TestPrintedTicket:
    """The browser-printed slip is one 80 mm wide page."""

    async def test_pdf_at_80_mm(self, browser: Browser, api: httpx.Client) -> None:
        answer: dict[str, Any] = issue(api, "ktp").json()
        context = await browser.new_context()
        page = await context.new_page()
        await page.goto(f"{api.base_url}{answer['ticket']['print_url']}")
        await expect(page.locator(".slip-label")).to_have_text("A-001")
        await page.emulate_media(media="print")
        # Thermal paper is a roll: the page is as long as the slip (plus the 3 mm margins).
        slip = await page.evaluate("document.querySelector('.slip').getBoundingClientRect().height")
        pdf_path = artifact("ticket-80mm.pdf")
        await page.pdf(
            path=pdf_path,
            width="80mm",
            height=f"{int(slip + 6 * 96 / 25.4) + 4}px",
            print_background=True,
            margin={"top": "3mm", "bottom": "3mm", "left": "4mm", "right": "4mm"},
        )
        await context.close()
        document = pdfium.PdfDocument(pdf_path)
        try:
            assert len(document) == 1
            width, _ = document[0].get_size()
            assert abs(width - 80 / 25.4 * 72) < 1.5  # points
            bitmap = document[0].render(scale=300 / 72)
            bitmap.to_pil().save(artifact("ticket-80mm.png"))
        finally:
            document.close()
