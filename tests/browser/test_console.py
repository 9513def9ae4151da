"""The counter console in Chromium: an officer calls, serves and routes tickets by keyboard."""

from __future__ import annotations

import json
import re

from playwright.async_api import Locator, Page, Request, Route, expect

from server.config import DEMO_VENUE, load_venue
from tests.browser.conftest import artifact
from tests.browser.helpers import Staff, sign_in_page
from tests.conftest import LiveServer

VENUE = load_venue(DEMO_VENUE)
COUNTER = VENUE.counters["1"]
SERVICE = COUNTER.services[0]
OTHER_SERVICE = next(s for s in VENUE.services.values() if s.id not in COUNTER.services)
PREFIX = VENUE.services[SERVICE].prefix


def label(number: int) -> str:
    return f"{PREFIX}-{number:03d}"


async def open_console(page: Page, server: LiveServer) -> None:
    """Sign in as loket1, land on counter 1, wait for the live connection, open the counter."""
    await sign_in_page(page, f"{server.url}/counter", "loket1")
    await expect(page).to_have_url(f"{server.url}/counter/{COUNTER.id}")
    await expect(page.locator("#connection")).to_have_text("Terhubung")
    await page.get_by_role("button", name="Buka loket").click()
    await expect(page.locator("#counter-status")).to_have_text("Buka")


async def call_first_ticket(page: Page, server: LiveServer, staff: Staff) -> None:
    """Open counter 1, let a visitor take a ticket, and call it with N."""
    await open_console(page, server)
    staff.issue()
    await expect(page.locator("#waiting")).to_contain_text(label(1))
    await page.keyboard.press("n")
    await expect(page.locator("#current-label")).to_have_text(label(1))


def action(page: Page, name: str) -> Locator:
    return page.locator(f'.actions [data-action="{name}"]')


def status_button(page: Page, name: str) -> Locator:
    """Open, pause or close: the counter's own buttons, beside its status."""
    return page.locator(f'button[data-action="{name}"]')


class TestCalling:
    """Tickets arrive live; the officer calls, recalls and marks no-shows with single keys."""

    async def test_a_new_ticket_appears_and_is_called_by_keyboard(
        self, live_server: LiveServer, page: Page, staff: Staff
    ) -> None:
        await open_console(page, live_server)
        await expect(page.locator("#waiting-empty")).to_have_text(
            "Belum ada antrean. Pengunjung mengambil nomor di anjungan."
        )
        staff.issue()
        await expect(page.locator("#waiting")).to_contain_text(label(1))
        await expect(action(page, "call_next")).to_contain_text(f"Berikutnya: {label(1)}")

        await page.keyboard.press("n")
        await expect(page.locator("#current-label")).to_have_text(label(1))
        await expect(page.locator("#current-status")).to_have_text("Dipanggil")
        await expect(page.locator("#status")).to_have_text(f"{label(1)} dipanggil ke Loket 1")
        await expect(page.locator("#waiting")).not_to_contain_text(label(1))
        await expect(page.locator("#current-timer")).to_have_text(re.compile(r"^00:0\d sejak"))

        await page.keyboard.press("r")
        await expect(page.locator("#current-recalls")).to_have_text("Panggilan ulang 1/3")
        # The view can arrive before the answer; the key works again once the answer is in.
        await expect(action(page, "recall")).to_be_enabled()
        await page.keyboard.press("r")
        await expect(page.locator("#current-recalls")).to_have_text("Panggilan ulang 2/3")

        await page.keyboard.press("x")
        await expect(page.locator("#no-show")).to_contain_text(label(1))
        await expect(page.locator("#current-ticket")).to_be_hidden()

        await page.get_by_role("button", name=f"Kembalikan {label(1)} ke antrean").click()
        await expect(page.locator("#waiting")).to_contain_text(label(1))
        await expect(page.locator("#no-show-empty")).to_be_visible()

    async def test_space_calls_then_serve_and_finish(
        self, live_server: LiveServer, page: Page, staff: Staff
    ) -> None:
        await open_console(page, live_server)
        staff.issue()
        await expect(page.locator("#waiting")).to_contain_text(label(1))
        await page.locator("#current-title").focus()  # not a control: Space is "call next"
        await page.keyboard.press("Space")
        await expect(page.locator("#current-label")).to_have_text(label(1))

        await page.keyboard.press("s")
        await expect(page.locator("#current-status")).to_have_text("Dilayani")
        await expect(page.locator("#current-timer")).to_contain_text("sejak mulai dilayani")
        await expect(action(page, "recall")).to_be_disabled()

        await page.keyboard.press("d")
        await expect(page.locator("#current-ticket")).to_be_hidden()
        await expect(page.locator("#status")).to_have_text(f"{label(1)} selesai dilayani")
        await expect(page.locator("#current-empty")).to_contain_text("belum ada antrean")

    async def test_a_double_click_calls_only_once(
        self, live_server: LiveServer, page: Page, staff: Staff
    ) -> None:
        await open_console(page, live_server)
        staff.issue(2)
        await expect(page.locator("#waiting-count")).to_have_text("2")
        sent: list[str] = []

        def remember(request: Request) -> None:
            if request.url.endswith("/api/commands"):
                sent.append(json.loads(request.post_data or "{}")["type"])

        page.on("request", remember)
        await action(page, "call_next").dblclick()
        await expect(page.locator("#current-label")).to_have_text(label(1))
        await expect(page.locator("#waiting")).to_contain_text(label(2))
        await expect(page.locator("#waiting-count")).to_have_text("1")
        await expect(page.locator("#alert")).to_be_hidden()
        assert sent == ["call_next"]


class TestDialogs:
    """Calling a specific number and transferring go through dialogs that Escape closes."""

    async def test_call_a_specific_number_with_a_reason(
        self, live_server: LiveServer, page: Page, staff: Staff
    ) -> None:
        await open_console(page, live_server)
        staff.issue(3)
        await expect(page.locator("#waiting-count")).to_have_text("3")

        await page.keyboard.press("c")
        dialog = page.get_by_role("dialog", name="Panggil nomor tertentu")
        await expect(dialog).to_be_visible()
        await page.keyboard.press("n")  # typed into the number field, not a shortcut
        await page.keyboard.press("Escape")
        await expect(dialog).to_be_hidden()
        await expect(page.locator("#current-ticket")).to_be_hidden()

        await page.keyboard.press("c")
        await dialog.get_by_label(label(3)).check()
        await expect(dialog.get_by_label("Nomor antrean")).to_have_value(label(3))
        await dialog.get_by_role("button", name="Panggil", exact=True).click()
        await expect(dialog.get_by_role("alert")).to_have_text(
            "Tulis alasan memanggil di luar urutan."
        )
        await dialog.get_by_label("Alasan (wajib)").fill("Pengunjung lansia")
        await dialog.get_by_role("button", name="Panggil", exact=True).click()
        await expect(dialog).to_be_hidden()
        await expect(page.locator("#current-label")).to_have_text(label(3))

    async def test_an_unknown_number_is_refused_in_the_dialog(
        self, live_server: LiveServer, page: Page
    ) -> None:
        await open_console(page, live_server)
        await page.keyboard.press("c")
        dialog = page.get_by_role("dialog", name="Panggil nomor tertentu")
        await dialog.get_by_label("Nomor antrean").fill("Z-999")
        await dialog.get_by_label("Alasan (wajib)").fill("Uji")
        await dialog.get_by_role("button", name="Panggil", exact=True).click()
        await expect(dialog.get_by_role("alert")).to_have_text(
            "Tiket 'Z-999' tidak ditemukan hari ini."
        )
        await expect(dialog).to_be_visible()

    async def test_transfer_to_another_service_leaves_the_counter(
        self, live_server: LiveServer, page: Page, staff: Staff
    ) -> None:
        await call_first_ticket(page, live_server, staff)

        await page.keyboard.press("t")
        dialog = page.get_by_role("dialog", name="Alihkan tiket")
        await expect(dialog).to_be_visible()
        target = f"{OTHER_SERVICE.name} ({OTHER_SERVICE.prefix})"
        await dialog.get_by_label("Layanan tujuan").select_option(label=target)
        await dialog.get_by_label("Paling belakang").check()
        await page.screenshot(path=artifact("console-transfer-1280.png"))
        await dialog.get_by_role("button", name="Alihkan", exact=True).click()
        await expect(dialog).to_be_hidden()
        await expect(page.locator("#current-ticket")).to_be_hidden()
        await expect(page.locator("#waiting")).not_to_contain_text(label(1))
        await expect(page.locator("#status")).to_have_text(f"{label(1)} dialihkan ke {target}")


class TestHoldAndErrors:
    """Held tickets resume from their list; refusals and dead buttons explain themselves."""

    async def test_hold_then_resume(
        self, live_server: LiveServer, page: Page, staff: Staff
    ) -> None:
        await call_first_ticket(page, live_server, staff)
        await page.keyboard.press("h")
        await expect(page.locator("#held")).to_contain_text(label(1))
        await expect(page.locator("#current-ticket")).to_be_hidden()
        await expect(page.get_by_role("button", name="Tutup loket")).to_be_disabled()

        await page.get_by_role("button", name=f"Lanjutkan {label(1)}").click()
        await expect(page.locator("#current-label")).to_have_text(label(1))
        await expect(page.locator("#current-status")).to_have_text("Dilayani")
        await expect(page.locator("#held-empty")).to_be_visible()

    async def test_dead_buttons_name_the_domains_reason(
        self, live_server: LiveServer, page: Page, staff: Staff
    ) -> None:
        """The reasons come from the counter view's refusals (server/domain/refusals.py)."""
        await sign_in_page(page, f"{live_server.url}/counter", "loket1")
        await expect(page).to_have_url(f"{live_server.url}/counter/{COUNTER.id}")
        await expect(page.locator("#connection")).to_have_text("Terhubung")
        closed = "Loket belum dibuka. Tekan Buka loket dulu."
        await expect(action(page, "call_next")).to_have_attribute("title", closed)
        await expect(status_button(page, "pause_counter")).to_have_attribute(
            "title", "Loket tidak sedang buka."
        )
        await expect(status_button(page, "close_counter")).to_have_attribute(
            "title", "Loket sudah tutup."
        )
        await expect(status_button(page, "open_counter")).to_be_enabled()

        await page.get_by_role("button", name="Buka loket").click()
        staff.issue(2)
        await expect(page.locator("#waiting")).to_contain_text(label(2))
        await expect(status_button(page, "open_counter")).to_have_attribute(
            "title", "Loket sudah buka."
        )
        await page.keyboard.press("n")
        await expect(page.locator("#current-label")).to_have_text(label(1))
        busy = f"Masih menangani {label(1)}. Selesaikan, tahan, atau tandai tidak hadir dulu."
        await expect(action(page, "call_next")).to_have_attribute("title", busy)
        await expect(status_button(page, "close_counter")).to_have_attribute("title", busy)
        await page.keyboard.press("s")
        await expect(page.locator("#current-status")).to_have_text("Dilayani")
        await expect(action(page, "recall")).to_have_attribute(
            "title", f"{label(1)} sudah dilayani."
        )
        await page.keyboard.press("h")
        await expect(page.locator("#held")).to_contain_text(label(1))
        await expect(status_button(page, "close_counter")).to_have_attribute(
            "title", "Masih ada 1 tiket ditahan. Lanjutkan dulu."
        )
        await expect(action(page, "call_next")).to_be_enabled()

    async def test_calling_with_nobody_waiting_shows_the_refusal(
        self, live_server: LiveServer, page: Page
    ) -> None:
        await open_console(page, live_server)
        await expect(action(page, "recall")).to_be_disabled()
        await expect(action(page, "recall")).to_have_attribute(
            "title", "Tidak ada tiket di tangan."
        )
        await page.keyboard.press("r")
        await expect(page.locator("#status")).to_have_text("Tidak ada tiket di tangan.")

        await page.keyboard.press("n")
        await expect(page.locator("#alert")).to_have_text("Tidak ada antrean untuk Loket 1.")

    async def test_a_network_failure_is_retried_with_the_same_command_id(
        self, live_server: LiveServer, page: Page, staff: Staff
    ) -> None:
        await open_console(page, live_server)
        staff.issue()
        await expect(page.locator("#waiting")).to_contain_text(label(1))
        ids: list[str] = []

        async def flaky(route: Route) -> None:
            ids.append(json.loads(route.request.post_data or "{}")["command_id"])
            if len(ids) == 1:
                await route.abort("connectionreset")
            else:
                await route.continue_()

        await page.route("**/api/commands", flaky)
        await page.keyboard.press("n")
        await expect(page.locator("#current-label")).to_have_text(label(1))
        assert len(ids) == 2 and ids[0] == ids[1]

        await page.unroute("**/api/commands")
        await page.route("**/api/commands", lambda route: route.abort("internetdisconnected"))
        await page.keyboard.press("d")
        # Still offline: the console says so and keeps the command, resending it.
        await expect(page.locator("#alert")).to_contain_text("Offline, mencoba lagi")
        await expect(action(page, "done")).to_be_disabled()
        await page.unroute("**/api/commands")
        await expect(page.locator("#current-ticket")).to_be_hidden()
        await expect(page.locator("#alert")).to_be_hidden()
        await expect(action(page, "call_next")).to_be_enabled()

    async def test_another_tenants_counter_is_forbidden(
        self, live_server: LiveServer, page: Page
    ) -> None:
        other = next(c for c in VENUE.counters.values() if c.tenant != COUNTER.tenant)
        await sign_in_page(page, f"{live_server.url}/counter", "loket1")
        await expect(page).to_have_url(f"{live_server.url}/counter/{COUNTER.id}")
        answer = await page.goto(f"{live_server.url}/counter/{other.id}")
        assert answer is not None and answer.status == 403
        await expect(page.get_by_role("alert")).to_have_text(
            f"Anda tidak berwenang membuka loket {other.id}."
        )


class TestLook:
    """What the officer sees, kept as screenshots at the two screen sizes venues use."""

    async def test_screenshots(self, live_server: LiveServer, page: Page, staff: Staff) -> None:
        staff.issue(6)
        staff.issue(2, priority=True)
        await open_console(page, live_server)
        await expect(page.locator("#waiting-count")).to_have_text("8")
        await page.keyboard.press("n")
        await expect(page.locator("#current-label")).to_have_text(label(1))
        await page.keyboard.press("r")
        await expect(page.locator("#current-recalls")).to_have_text("Panggilan ulang 1/3")
        await page.screenshot(path=artifact("console-1280.png"))
        await page.set_viewport_size({"width": 1920, "height": 1080})
        await page.screenshot(path=artifact("console-1920.png"))
        await page.keyboard.press("s")
        await page.keyboard.press("h")
        await expect(page.locator("#held")).to_contain_text(label(1))
        await page.goto(f"{live_server.url}/counter/{COUNTER.id}?lang=en")
        await expect(action(page, "call_next")).to_contain_text("Call next")
        await page.keyboard.press("t")  # nothing in hand: the reason, in English
        await expect(page.locator("#status")).to_have_text("No ticket in hand.")
        await page.screenshot(path=artifact("console-1920-en.png"))
        await page.keyboard.press("c")
        await page.screenshot(path=artifact("console-dialog-en.png"))


class TestPicker:
    """Someone who may staff several counters picks one; the console opens on it."""

    async def test_a_manager_picks_a_counter(self, live_server: LiveServer, page: Page) -> None:
        await sign_in_page(page, f"{live_server.url}/counter", "manajer")
        await expect(page.get_by_role("heading", name="Pilih loket")).to_be_visible()
        await page.get_by_role("link", name="Loket 20").click()
        await expect(page).to_have_url(f"{live_server.url}/counter/20")
        await expect(page.locator("#connection")).to_have_text("Terhubung")
        await expect(page.locator("#current-empty")).to_have_text(
            "Loket tutup. Tekan Buka loket untuk mulai melayani."
        )
        await page.screenshot(path=artifact("console-closed-1280.png"))
