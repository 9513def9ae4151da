"""Signing in through the real page in Chromium."""

from __future__ import annotations

import re

from playwright.async_api import BrowserContext, expect

from server.demo import PASSWORD
from tests.browser.conftest import artifact
from tests.conftest import LiveServer


class TestLogin:
    """Officers sign in with their password; a wrong one gets a clear Indonesian error."""

    async def test_wrong_password(self, live_server: LiveServer, context: BrowserContext) -> None:
        page = await context.new_page()
        await page.goto(f"{live_server.url}/login")
        await page.get_by_label("Nama pengguna").fill("loket1")
        await page.get_by_label("Kata sandi").fill("salah-sekali")
        await page.get_by_role("button", name="Masuk").click()
        await expect(page.get_by_role("alert")).to_have_text("Nama pengguna atau kata sandi salah.")
        await page.screenshot(path=artifact("login-error.png"))

    async def test_sign_in_reaches_the_console(
        self, live_server: LiveServer, context: BrowserContext
    ) -> None:
        page = await context.new_page()
        await page.goto(f"{live_server.url}/counter")
        await page.get_by_label("Nama pengguna").fill("loket1")
        await page.get_by_label("Kata sandi").fill(PASSWORD)
        await page.get_by_role("button", name="Masuk").click()
        await expect(page).to_have_url(f"{live_server.url}/counter/1")

    async def test_too_many_wrong_passwords_say_when_to_try_again(
        self, live_server: LiveServer, context: BrowserContext
    ) -> None:
        page = await context.new_page()
        await page.goto(f"{live_server.url}/login")
        for _ in range(5):
            await page.get_by_label("Nama pengguna").fill("manajer")
            await page.get_by_label("Kata sandi").fill("salah-sekali")
            await page.get_by_role("button", name="Masuk").click()
            await expect(page.get_by_role("alert")).to_be_visible()
        # Even the right password now waits: the page says for how long, in Indonesian.
        await page.get_by_label("Kata sandi").fill(PASSWORD)
        await page.get_by_role("button", name="Masuk").click()
        await expect(page.get_by_role("alert")).to_have_text(
            "Terlalu banyak percobaan masuk yang salah. Coba lagi dalam 1 menit."
        )
        await expect(page.get_by_label("Nama pengguna")).to_have_value("manajer")
        await page.screenshot(path=artifact("login-locked.png"))

    async def test_signing_out_ends_the_session(
        self, live_server: LiveServer, context: BrowserContext
    ) -> None:
        page = await context.new_page()
        await page.goto(f"{live_server.url}/counter")
        await page.get_by_label("Nama pengguna").fill("loket1")
        await page.get_by_label("Kata sandi").fill(PASSWORD)
        await page.get_by_role("button", name="Masuk").click()
        await expect(page).to_have_url(f"{live_server.url}/counter/1")
        kept = [c for c in await context.cookies() if c["name"] == "antrean_session"]
        await page.locator("form.logout button").click()
        await expect(page).to_have_url(f"{live_server.url}/login")
        # A copy of the old cookie (a second tab, a stolen one) opens nothing any more.
        await context.add_cookies(kept)  # type: ignore[arg-type]
        await page.goto(f"{live_server.url}/counter/1")
        await expect(page).to_have_url(re.compile(r"/login\?next="))
