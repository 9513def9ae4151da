"""The visitor's phone page in Chromium: live position, the call, the itinerary, cancelling,
and online booking through to check-in at the kiosk."""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any

import httpx
from playwright.async_api import Page, expect

from server.config import DEMO_VENUE, load_venue
from server.demo import KIOSK_TOKEN
from tests.browser.conftest import artifact
from tests.browser.helpers import Staff
from tests.conftest import LiveServer

VENUE = load_venue(DEMO_VENUE)
KTP = "ktp"
BPJS = next(s.id for s in VENUE.services.values() if s.tenant == "bpjs-kesehatan")
CALLED_IN = 5_000  # ms: "within a few seconds"
NIK = "3573014101900001"


def issue(staff: Staff, **extra: Any) -> str:
    """Issue a KTP ticket for a new visit, as the kiosk would; the visit's token."""
    visit = secrets.token_urlsafe(16)
    answer = staff.send(type="issue_ticket", service=KTP, visit=visit, channel="staff", **extra)
    assert answer["ok"], answer
    return visit


def serve(staff: Staff, counter: str = "1", *steps: str) -> None:
    for step in steps:
        answer = staff.send(type=step, counter=counter)
        assert answer["ok"], answer


class TestLivePosition:
    """A waiting visitor sees the position fall and the counter when called."""

    async def test_position_then_the_call(
        self, live_server: LiveServer, staff: Staff, phone: Page
    ) -> None:
        staff.issue(2)
        visit = issue(staff)
        await phone.goto(f"{live_server.url}/t/{visit}")
        await expect(phone.locator("[data-f=ahead]")).to_have_text("2 orang")
        await expect(phone.locator("[data-f=wait]")).to_contain_text("menit")
        await expect(phone.locator("[data-f=alert]")).to_be_visible()
        await phone.screenshot(path=artifact("phone-waiting.png"), full_page=True)

        serve(staff, "1", "open_counter", "call_next")
        await expect(phone.locator("[data-f=ahead]")).to_have_text("1 orang")
        await expect(phone.locator("[data-f=polite]")).to_contain_text("Di depan Anda 1 orang")

        serve(staff, "1", "done", "call_next", "done", "call_next")
        counter = phone.locator("[data-f=counter]")
        await expect(counter).to_have_text("Loket 1", timeout=CALLED_IN)
        await expect(counter).to_be_visible()
        await expect(phone.locator("[data-f=assertive]")).to_contain_text("silakan menuju Loket 1")
        await expect(phone.locator("[data-f=ahead]")).to_be_hidden()
        await phone.screenshot(path=artifact("phone-called.png"), full_page=True)

    async def test_what_to_bring_is_one_tap_away_while_waiting(
        self, live_server: LiveServer, staff: Staff, phone: Page
    ) -> None:
        visit = issue(staff)
        await phone.goto(f"{live_server.url}/t/{visit}")
        ready = phone.locator(".ready")
        await ready.get_by_text("Persyaratan dan standar pelayanan").tap()
        await expect(ready).to_contain_text("Fotokopi Kartu Keluarga")
        await expect(ready).to_contain_text("Waktu penyelesaian")
        await phone.screenshot(path=artifact("phone-standards.png"), full_page=True)
        serve(staff, "1", "open_counter", "call_next", "start_serving")
        await expect(ready).to_be_hidden(timeout=CALLED_IN)

    async def test_the_sound_button_turns_sound_on_once(
        self, live_server: LiveServer, staff: Staff, phone: Page
    ) -> None:
        visit = issue(staff)
        await phone.goto(f"{live_server.url}/t/{visit}")
        button = phone.get_by_role("button", name="Aktifkan suara & getar")
        await button.tap()
        await expect(button).to_be_hidden()
        await expect(phone.locator("[data-f=sound-on]")).to_be_visible()

    async def test_english_on_request(
        self, live_server: LiveServer, staff: Staff, phone: Page
    ) -> None:
        visit = issue(staff)
        await phone.goto(f"{live_server.url}/t/{visit}?lang=en")
        await expect(phone.get_by_text("Ahead of you")).to_be_visible()
        await expect(phone.locator("[data-f=ahead]")).to_have_text("You are next")
        await phone.screenshot(path=artifact("phone-english.png"), full_page=True)


class TestItinerary:
    """KTP then BPJS: when KTP is done, the page follows the visit into the next lane."""

    async def test_the_second_lane_and_step_two(
        self, live_server: LiveServer, staff: Staff, phone: Page
    ) -> None:
        visit = issue(staff, itinerary=[BPJS])
        await phone.goto(f"{live_server.url}/t/{visit}")
        await expect(phone.locator("[data-f=step]")).to_have_text("Langkah 1 dari 2")
        serve(staff, "1", "open_counter", "call_next", "done")
        prefix = VENUE.services[BPJS].prefix
        await expect(phone.locator("[data-f=label]")).to_have_text(f"{prefix}-001")
        await expect(phone.locator("[data-f=step]")).to_have_text("Langkah 2 dari 2")
        await expect(phone.locator(".route .is-done")).to_contain_text("Perekaman KTP-el")
        await expect(phone.locator("[data-f=polite]")).to_contain_text("Langkah berikutnya")
        await phone.screenshot(path=artifact("phone-itinerary.png"), full_page=True)


class TestEndings:
    """Cancelling, finishing, an unknown address, and a dropped connection."""

    async def test_cancel_from_the_phone(
        self, live_server: LiveServer, staff: Staff, phone: Page
    ) -> None:
        visit = issue(staff)
        await phone.goto(f"{live_server.url}/t/{visit}")
        await phone.get_by_text("Batalkan antrean").tap()
        await expect(phone.get_by_text("Yakin membatalkan")).to_be_visible()
        await phone.screenshot(path=artifact("phone-cancel-confirm.png"), full_page=True)
        await phone.get_by_role("button", name="Ya, batalkan").tap()
        await expect(phone.get_by_text("Nomor antrean ini sudah dibatalkan.")).to_be_visible()
        await expect(phone.get_by_text("Batalkan antrean")).to_be_hidden()
        await phone.screenshot(path=artifact("phone-cancelled.png"), full_page=True)

    async def test_a_cross_site_cancel_is_refused(
        self, live_server: LiveServer, staff: Staff
    ) -> None:
        visit = issue(staff)
        async with httpx.AsyncClient(base_url=live_server.url) as client:
            answer = await client.post(
                f"/t/{visit}/cancel",
                data={"form": "forged"},
                headers={"Origin": "https://evil.example"},
            )
        assert answer.status_code == 403
        assert "Formulir kedaluwarsa" in answer.text

    async def test_the_survey_when_all_is_done(
        self, live_server: LiveServer, staff: Staff, phone: Page
    ) -> None:
        """Served, the page asks for the satisfaction survey (tests/browser/test_survey_page.py
        answers it)."""
        visit = issue(staff)
        await phone.goto(f"{live_server.url}/t/{visit}")
        serve(staff, "1", "open_counter", "call_next", "start_serving")
        await expect(phone.locator("[data-f=counter2]")).to_have_text("Loket 1")
        await expect(phone.locator("[data-f=counter2]")).to_be_visible()
        serve(staff, "1", "done")
        await expect(phone.get_by_role("heading", name="Bagaimana layanan kami?")).to_be_visible()
        await expect(phone.locator("[data-f=counter2]")).to_be_hidden()
        await phone.screenshot(path=artifact("phone-survey.png"), full_page=True)

    async def test_an_unknown_token_is_a_clear_404(
        self, live_server: LiveServer, phone: Page
    ) -> None:
        answer = await phone.goto(f"{live_server.url}/t/{secrets.token_urlsafe(16)}")
        assert answer is not None and answer.status == 404
        await expect(phone.get_by_role("heading")).to_have_text("Nomor antrean tidak ditemukan")
        await phone.screenshot(path=artifact("phone-unknown.png"), full_page=True)

    async def test_offline_keeps_the_last_state_and_reconnects(
        self, live_server: LiveServer, staff: Staff, phone: Page
    ) -> None:
        visit = issue(staff)
        await phone.goto(f"{live_server.url}/t/{visit}")
        await expect(phone.locator("[data-f=ahead]")).to_have_text("Anda berikutnya")
        live_server.stop()
        offline = phone.locator("[data-f=offline]")
        await expect(offline).to_be_visible()
        await expect(phone.locator("[data-f=label]")).to_have_text("A-001")
        await phone.screenshot(path=artifact("phone-offline.png"), full_page=True)
        live_server.start()
        await expect(offline).to_be_hidden(timeout=20_000)


async def choose_the_09_slot(phone: Page, server: LiveServer, holder: str) -> None:
    """Walk the steps to today's 09.00 KTP slot and fill in `holder`."""
    await phone.goto(f"{server.url}/booking")
    await phone.get_by_role("link", name="Dispendukcapil").tap()
    await phone.get_by_role("link", name="Perekaman KTP-el").tap()
    await phone.get_by_role("link", name="Selasa, 24 November 2026").tap()
    await expect(phone.get_by_text("sisa 4 tempat").first).to_be_visible()
    await phone.locator("input[name=slot][value='09:00']").check()
    await phone.locator("#holder").fill(holder)


def check_in(server: LiveServer, code: str, staff: Staff) -> None:
    """At the kiosk (its API), or, if that is missing, by an officer of the tenant."""
    answer = httpx.post(
        f"{server.url}/kiosk/api/check-in",
        json={"booking": code, "command_id": uuid.uuid4().hex},
        headers={"X-Device-Token": KIOSK_TOKEN},
    )
    if answer.status_code == 404:
        result = staff.send(type="check_in", booking=code)
        assert result["ok"], result
        return
    assert answer.json()["ok"], answer.text


class TestBooking:
    """From the choice of office to the live ticket after check-in."""

    async def test_book_confirm_and_check_in(
        self, live_server: LiveServer, phone: Page, staff: Staff
    ) -> None:
        await phone.goto(f"{live_server.url}/booking")
        await phone.screenshot(path=artifact("booking-1-tenant.png"), full_page=True)
        await choose_the_09_slot(phone, live_server, NIK)
        await expect(phone.locator("[data-holder-check]")).to_have_text("NIK ✓")
        await phone.screenshot(path=artifact("booking-2-slot.png"), full_page=True)
        await phone.get_by_role("button", name="Lanjut").tap()
        await expect(phone.get_by_text("3573********0001")).to_be_visible()
        await phone.screenshot(path=artifact("booking-3-review.png"), full_page=True)
        await phone.get_by_role("button", name="Konfirmasi pemesanan").tap()

        await expect(phone.get_by_role("heading", name="Pemesanan Anda")).to_be_visible()
        code = (await phone.locator("[data-f=code]").inner_text()).strip()
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){2}", code), code
        await expect(phone.locator("figure.qr svg")).to_be_visible()
        await expect(phone.get_by_text("3573********0001")).to_be_visible()
        window = "Check-in di anjungan mulai pukul 08.30 sampai 09.45"
        await expect(phone.get_by_text(window)).to_be_visible()
        assert NIK not in await phone.content()
        await phone.screenshot(path=artifact("booking-4-confirmation.png"), full_page=True)

        check_in(live_server, code, staff)
        await expect(phone.locator("[data-f=label]")).to_have_text("A-001", timeout=5_000)
        await expect(phone.locator("[data-f=ahead]")).to_have_text("Anda berikutnya")
        await expect(phone.get_by_role("heading", name="Pemesanan Anda")).to_be_hidden()
        await phone.screenshot(path=artifact("booking-5-checked-in.png"), full_page=True)

    async def test_one_booking_per_nik_per_service_per_day(
        self, live_server: LiveServer, phone: Page
    ) -> None:
        for attempt in range(2):
            await choose_the_09_slot(phone, live_server, "3573-0141-0190-0001")
            await phone.get_by_role("button", name="Lanjut").tap()
            await phone.get_by_role("button", name="Konfirmasi pemesanan").tap()
            if attempt == 0:
                await expect(phone.get_by_role("heading", name="Pemesanan Anda")).to_be_visible()
        alert = phone.get_by_role("alert")
        await expect(alert).to_contain_text("Pemesanan tidak dapat dibuat untuk data ini.")
        await expect(alert).not_to_contain_text("sudah memesan")
        await phone.screenshot(path=artifact("booking-error-taken.png"), full_page=True)

    async def test_a_malformed_nik_is_explained(self, live_server: LiveServer, phone: Page) -> None:
        await choose_the_09_slot(phone, live_server, "35730141019")
        await expect(phone.locator("[data-holder-check]")).to_have_text("NIK: 11 dari 16 angka")
        await phone.get_by_role("button", name="Lanjut").tap()
        await expect(phone.get_by_role("alert")).to_contain_text("NIK tidak valid")
        await phone.screenshot(path=artifact("booking-error-nik.png"), full_page=True)

    async def test_cancel_a_booking(self, live_server: LiveServer, phone: Page) -> None:
        await choose_the_09_slot(phone, live_server, "+62 812-3456-7890")
        await phone.get_by_role("button", name="Lanjut").tap()
        await expect(phone.get_by_text("0812****7890")).to_be_visible()
        await phone.get_by_role("button", name="Konfirmasi pemesanan").tap()
        await phone.get_by_text("Batalkan pemesanan", exact=True).tap()
        await phone.get_by_role("button", name="Ya, batalkan pemesanan").tap()
        await expect(phone.get_by_text("Pemesanan ini sudah dibatalkan.")).to_be_visible()
        await expect(phone.locator("figure.qr")).to_have_count(0)
        await phone.screenshot(path=artifact("booking-cancelled.png"), full_page=True)
