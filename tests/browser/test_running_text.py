"""Managers edit the hall displays' running text live, in Chromium."""

from __future__ import annotations

import asyncio
import json

from playwright.async_api import BrowserContext, expect
from websockets.asyncio.client import connect

from server.demo import display_token
from tests.browser.conftest import artifact
from tests.browser.helpers import sign_in_page
from tests.conftest import LiveServer

ZONE = "lantai2"


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
            target = f"{live_server.url}/login?next=/manager/running-text"
            page = await sign_in_page(context, target, "manajer")
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
        target = f"{live_server.url}/login?next=/manager/running-text"
        page = await sign_in_page(context, target, "loket1")
        await page.goto(f"{live_server.url}/manager/running-text")
        await expect(page.get_by_role("alert")).to_have_text(
            "Halaman ini hanya untuk pengelola MPP."
        )
