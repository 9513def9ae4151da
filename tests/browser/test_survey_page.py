"""The satisfaction survey on the visitor's phone page, in Chromium: the page turns into the
questionnaire when the service ends, one question a screen, then the thanks."""

from __future__ import annotations

import secrets

from playwright.async_api import Browser, Page, expect

from server.domain import ikm
from tests.browser.conftest import artifact
from tests.browser.helpers import Staff, sign_in_page
from tests.conftest import LiveServer

SWITCHED_IN = 15_000  # ms: the page follows the service's end in seconds (more on a busy CI host)


def send(staff: Staff, **command: object) -> None:
    answer = staff.send(**command)
    assert answer["ok"], answer


class TestSurvey:
    async def test_served_then_nine_taps_a_comment_and_thanks(
        self, live_server: LiveServer, staff: Staff, phone: Page, browser: Browser
    ) -> None:
        # The manager watches the dashboard meanwhile: no response yet this month.
        desk = await browser.new_context(viewport={"width": 1920, "height": 1080}, locale="id-ID")
        dashboard = await sign_in_page(desk, f"{live_server.url}/login?next=/manager", "manajer")
        await expect(dashboard.locator("#ikm-empty")).to_have_text("Belum ada responden bulan ini")
        visit = secrets.token_urlsafe(16)
        send(staff, type="issue_ticket", service="ktp", visit=visit, channel="staff")
        await phone.goto(f"{live_server.url}/t/{visit}")
        await expect(phone.locator("[data-f=ahead]")).to_be_visible()
        for step in ("open_counter", "call_next", "start_serving"):
            send(staff, type=step, counter="1")
        await expect(phone.locator("[data-f=counter2]")).to_have_text("Loket 1")
        send(staff, type="done", counter="1")

        # No manual reload: the page turns into the survey by itself.
        screen = phone.locator("form.stepping fieldset.q:not([hidden])")
        await expect(screen).to_contain_text("Pertanyaan 1 dari 9", timeout=SWITCHED_IN)
        await expect(screen).to_contain_text(ikm.UNSUR[0].question)
        await expect(phone.locator(".anon")).to_contain_text("petugas tidak melihat siapa")
        # One question a screen.
        await expect(phone.get_by_text(ikm.UNSUR[1].question)).to_be_hidden()
        await phone.screenshot(path=artifact("phone-survey-question.png"))

        for n, unsur in enumerate(ikm.UNSUR, 1):
            await expect(screen).to_contain_text(f"Pertanyaan {n} dari 9")
            if n == 3:
                # The way back shows the previous question with its answer kept.
                await phone.get_by_role("button", name="Pertanyaan sebelumnya").tap()
                await expect(screen).to_contain_text("Pertanyaan 2 dari 9")
                chosen = screen.get_by_label(ikm.UNSUR[1].labels[2], exact=True)
                await expect(chosen).to_be_checked()
                await screen.get_by_label(ikm.UNSUR[1].labels[3], exact=True).tap()
                await expect(screen).to_contain_text("Pertanyaan 3 dari 9")
            if n == 5:
                await phone.screenshot(path=artifact("phone-survey-question-5.png"))
            await screen.get_by_label(unsur.labels[2], exact=True).tap()

        comment = phone.get_by_label("Komentar")
        await expect(comment).to_be_visible()
        await comment.fill("Petugasnya ramah, antrenya cepat.")
        await phone.get_by_label("Usia").select_option(label="30–39 tahun")
        await phone.screenshot(path=artifact("phone-survey-last.png"))
        await phone.get_by_role("button", name="Kirim").tap()

        await expect(phone.locator("section.thanks .big")).to_have_text("Terima kasih")
        await expect(phone.locator("section.thanks")).to_be_visible()
        await expect(phone.get_by_text("Penilaian Anda sudah kami terima.")).to_be_visible()
        await expect(phone.locator("form.survey-form")).to_have_count(0)
        await phone.screenshot(path=artifact("phone-survey-thanks.png"))

        # Eight answers of 3 and one of 4: 28 / 9 × 25 = 77,78, B, without a reload.
        await expect(dashboard.locator('[data-ikm="respondents"]')).to_have_text("1")
        await expect(dashboard.locator('[data-ikm="value"]')).to_have_text("77,78")
        await expect(dashboard.locator('[data-ikm="grade"]')).to_have_text("B · Baik")
        await desk.close()
