"""The survey tablet in Chromium: a served ticket rated by its number on the keypad, refusals
said in place, an anonymous response for a chosen service, both in the dashboard's IKM, and
nothing of one visitor left for the next."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from server.demo import KIOSK_TOKEN, SURVEY_TOKEN
from server.domain import ikm
from tests.browser.conftest import artifact
from tests.browser.helpers import Staff, sign_in_page
from tests.conftest import LiveServer

BACK_HOME = 12_000  # ms: the thanks screen returns to the start after 8 s


@pytest.fixture
async def tablet(browser: Browser) -> AsyncIterator[Page]:
    """A 10" touch tablet in landscape; any script error fails the test."""
    context = await browser.new_context(
        viewport={"width": 1280, "height": 800}, has_touch=True, locale="id-ID"
    )
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    await context.close()
    assert errors == [], f"script errors on the survey tablet: {errors}"


def serve_one(staff: Staff) -> None:
    """A KTP ticket (A-001 on a fresh day) issued, called and done at counter 1."""
    visit = secrets.token_urlsafe(16)
    for command in (
        {"type": "issue_ticket", "service": "ktp", "visit": visit, "channel": "staff"},
        {"type": "open_counter", "counter": "1"},
        {"type": "call_next", "counter": "1"},
        {"type": "done", "counter": "1"},
    ):
        answer = staff.send(**command)
        assert answer["ok"], answer


async def type_code(tablet: Page, *keys: str) -> None:
    pad = tablet.get_by_role("group", name="Tombol nomor antrean")
    for key in keys:
        await pad.get_by_role("button", name=key, exact=True).tap()
    await tablet.get_by_role("button", name="Lanjut").tap()


async def answer_all(tablet: Page, choice: int) -> Locator:
    """Tap answer `choice` (0-3) of each of the nine questions; the screen shown last."""
    screen = tablet.locator("form.stepping fieldset.q:not([hidden])")
    for n, unsur in enumerate(ikm.UNSUR, 1):
        await expect(screen).to_contain_text(f"Pertanyaan {n} dari 9")
        await screen.get_by_label(unsur.labels[choice], exact=True).tap()
    await expect(tablet.get_by_label("Komentar")).to_be_visible()
    return screen


class TestSurveyTablet:
    async def test_by_ticket_and_anonymously_both_reach_the_ikm(
        self, live_server: LiveServer, staff: Staff, tablet: Page, browser: Browser
    ) -> None:
        desk = await browser.new_context(viewport={"width": 1920, "height": 1080}, locale="id-ID")
        dashboard = await sign_in_page(desk, f"{live_server.url}/login?next=/manager", "manajer")
        await expect(dashboard.locator("#ikm-empty")).to_have_text("Belum ada responden bulan ini")
        serve_one(staff)

        await tablet.goto(f"{live_server.url}/survey?device={SURVEY_TOKEN}")
        await expect(tablet.get_by_role("heading", name="Nilai layanan kami")).to_be_visible()
        await expect(tablet.get_by_label("Punya tiket? Masukkan nomor antrean")).to_be_focused()
        await tablet.screenshot(path=artifact("survey-tablet-start.png"))

        # Not a number this venue hands out (typed as a keyboard or a scanner types, with
        # Enter): said in place, before any question.
        await tablet.keyboard.type("Z9\n")
        await expect(tablet.locator("#code-error")).to_contain_text(
            "Nomor antrean Z9 tidak dikenal"
        )
        await expect(tablet.locator("fieldset.q:not([hidden])")).to_be_hidden()

        # The slip's label, typed with the keypad ("a1" is A-001): the nine questions.
        await tablet.get_by_label("Punya tiket? Masukkan nomor antrean").fill("")
        await type_code(tablet, "A", "1")
        await expect(tablet.locator("[data-field=rating]")).to_have_text(
            "Tiket A-001 · Perekaman KTP-el · Dinas Kependudukan dan Pencatatan Sipil Kota Malang"
        )
        await expect(tablet.locator(".anon")).to_contain_text("petugas tidak melihat siapa")
        await answer_all(tablet, 2)
        await tablet.get_by_label("Komentar").fill("Cepat sekali.")
        await tablet.get_by_label("Usia").select_option(label="30–39 tahun")
        await tablet.screenshot(path=artifact("survey-tablet-last.png"))
        await tablet.get_by_role("button", name="Kirim").tap()
        await expect(tablet.get_by_text("Terima kasih", exact=True)).to_be_visible()
        await tablet.screenshot(path=artifact("survey-tablet-thanks.png"))

        # Back to the start by itself, with nothing of that visitor left.
        code = tablet.get_by_label("Punya tiket? Masukkan nomor antrean")
        await expect(code).to_be_visible(timeout=BACK_HOME)
        await expect(code).to_have_value("")
        await expect(tablet.locator("input[type=radio]:checked")).to_have_count(0)
        await expect(tablet.locator("#survey-comment")).to_have_value("")
        await expect(tablet.locator("#survey-age")).to_have_value("")

        # The same ticket again: already rated.
        await type_code(tablet, "A", "0", "0", "1")
        await expect(tablet.locator("#code-error")).to_contain_text(
            "Survei untuk tiket A-001 sudah diisi"
        )

        # Without a ticket: a tenant, then its service, then the same questions.
        await tablet.get_by_role("button", name="Nilai tanpa nomor antrean").tap()
        await tablet.get_by_role("button", name="Dispendukcapil").tap()
        await tablet.get_by_role("button", name="Kartu Keluarga").tap()
        await expect(tablet.locator("[data-field=rating]")).to_contain_text("tanpa nomor antrean")
        await answer_all(tablet, 3)
        await tablet.get_by_role("button", name="Kirim").dblclick()  # a double tap: once
        await expect(tablet.get_by_text("Terima kasih", exact=True)).to_be_visible()
        await tablet.get_by_role("button", name="Selesai").tap()
        await expect(code).to_be_visible()

        # Nine 3s and nine 4s: every NRR 3.5, 87,50, B; two respondents, not three.
        await expect(dashboard.locator('[data-ikm="respondents"]')).to_have_text("2")
        await expect(dashboard.locator('[data-ikm="value"]')).to_have_text("87,50")
        await expect(dashboard.locator('[data-ikm="grade"]')).to_have_text("B · Baik")
        await desk.close()

    async def test_a_visitor_who_walks_away_mid_survey_leaves_nothing(
        self, live_server: LiveServer, tablet: Page
    ) -> None:
        await tablet.clock.install()
        await tablet.goto(f"{live_server.url}/survey?device={SURVEY_TOKEN}")
        await tablet.get_by_role("button", name="Nilai tanpa nomor antrean").tap()
        await tablet.get_by_role("button", name="Dispendukcapil").tap()
        await tablet.get_by_role("button", name="Kartu Keluarga").tap()
        screen = tablet.locator("form.stepping fieldset.q:not([hidden])")
        await screen.get_by_label(ikm.UNSUR[0].labels[0], exact=True).tap()
        await expect(screen).to_contain_text("Pertanyaan 2 dari 9")
        await tablet.clock.run_for(50_000)
        await expect(tablet.get_by_text("Kembali ke layar awal dalam 10 detik")).to_be_visible()
        await tablet.clock.run_for(11_000)
        code = tablet.get_by_label("Punya tiket? Masukkan nomor antrean")
        await expect(code).to_be_visible()
        await expect(tablet.locator("input[type=radio]:checked")).to_have_count(0)

    async def test_a_kiosk_token_does_not_make_a_survey_tablet(
        self, live_server: LiveServer, tablet: Page
    ) -> None:
        await tablet.goto(f"{live_server.url}/survey?device={KIOSK_TOKEN}")
        await expect(
            tablet.get_by_role("heading", name="Tablet survei belum dipasangkan")
        ).to_be_visible()
        await expect(tablet.get_by_role("alert")).to_contain_text(
            "Perangkat ini dipasangkan sebagai anjungan, bukan tablet survei"
        )
        await expect(tablet.get_by_role("button", name="Nilai tanpa nomor antrean")).to_be_hidden()
