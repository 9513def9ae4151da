"""Managers edit the hall displays' running text live, in Chromium."""

from __future__ import annotations

import asyncio
import json

from playwright.async_api import BrowserContext, expect
from websockets.asyncio.client import connect

from server.demo import PASSWORD, display_token
from tests.browser.conftest import artifact
from tests.conftest import LiveServer

ZONE = "lantai2"


async def sign_in(context: BrowserContext, server: LiveServer, username: str, target: str):  # type: ignore[no-untyped-def]
    page = await context.new_page()
    await page.goto(f"{server.url}/login?next={target}")
    await page.get_by_label("Nama pengguna").fill(username)
    await page.get_by_label("Kata sandi").fill(PASSWORD)
    await page.get_by_role("button", name="Masuk").click()
    return page


class TestRunningText:
    """A manager's new running text reaches every display at once; officers may not change it."""

    async def test_manager_changes_it_live(
        self, live_server: LiveServer, context: BrowserContext
    ) -> None:
        url = (
            live_server.url.replace("http", "ws")
            + f"/ws?topics=zone:{ZONE}&device={display_token(ZONE)}"
        )
        async with connect(url) as display:
            page = await sign_in(context, live_server, "manajer", "/manager/running-text")
            await page.get_by_label("Teks").fill("Layanan paspor tutup sementara hari ini")
            await page.get_by_role("button", name="Simpan dan tampilkan").click()
            await expect(page.get_by_role("status")).to_contain_text("Tersimpan")
            await page.screenshot(path=artifact("manager-running-text.png"))
            while True:
                message = json.loads(await asyncio.wait_for(display.recv(), 10))
                if (
                    message.get("data", {}).get("running_text")
                    == "Layanan paspor tutup sementara hari ini"
                ):
                    break

    async def test_officers_are_turned_away(
        self, live_server: LiveServer, context: BrowserContext
    ) -> None:
        page = await sign_in(context, live_server, "loket1", "/manager/running-text")
        await page.goto(f"{live_server.url}/manager/running-text")
        await expect(page.get_by_role("alert")).to_have_text(
            "Halaman ini hanya untuk pengelola MPP."
        )
