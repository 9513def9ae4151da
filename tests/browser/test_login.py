"""Signing in through the real page in Chromium."""

from __future__ import annotations

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
