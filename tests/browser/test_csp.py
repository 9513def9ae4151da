"""Every screen works under the Content-Security-Policy: Chromium reports no violation and
no script error on any of them."""

from __future__ import annotations

import uuid

import httpx
from playwright.async_api import Browser, Page

from server.demo import KIOSK_TOKEN, SURVEY_TOKEN
from tests.browser.helpers import TOKEN, ZONE, sign_in_page
from tests.conftest import LiveServer

# Recorded before any page script runs (an init script is not subject to the page's CSP).
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


def _visit(server: LiveServer) -> str:
    """A ticket issued at the demo kiosk; its visit token."""
    answer = httpx.post(
        f"{server.url}/kiosk/api/issue",
        json={"service": "ktp", "command_id": uuid.uuid4().hex},
        headers={"X-Device-Token": KIOSK_TOKEN},
    )
    assert answer.status_code == 200, answer.text
    visit: str = answer.json()["ticket"]["visit"]
    return visit


async def _sign_in(page: Page, server: LiveServer, username: str, target: str) -> None:
    await sign_in_page(page, f"{server.url}/login?next={target}", username)
    await page.wait_for_url(f"{server.url}{target}")


async def test_no_screen_breaks_the_policy(browser: Browser, live_server: LiveServer) -> None:
    visit = _visit(live_server)
    context = await browser.new_context(locale="id-ID")
    await context.add_init_script(WATCH)
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if "Content Security Policy" in message.text or "Permissions-Policy" in message.text
            else None
        ),
    )
    pages = [
        "/",
        "/booking",
        "/booking?service=ktp",
        f"/kiosk?device={KIOSK_TOKEN}",
        f"/survey?device={SURVEY_TOKEN}",
        f"/display/{ZONE}?device={TOKEN}",
        f"/t/{visit}",
        f"/kiosk/ticket/{visit}/print",
    ]
    for path in pages:
        await page.goto(f"{live_server.url}{path}", wait_until="load")
        await page.wait_for_timeout(700)  # let the page's scripts run and connect
        problems += [f"{path}: {v}" for v in await page.evaluate("window.__violations")]
    await _sign_in(page, live_server, "loket1", "/counter/1")
    await page.wait_for_timeout(700)
    problems += [f"/counter/1: {v}" for v in await page.evaluate("window.__violations")]
    await context.clear_cookies()
    await _sign_in(page, live_server, "manajer", "/manager")
    managing = ("/manager", "/manager/reports", "/manager/notices", "/manager/running-text")
    for path in (*managing, "/manager/layanan-dicari"):
        await page.goto(f"{live_server.url}{path}", wait_until="load")
        await page.wait_for_timeout(700)
        problems += [f"{path}: {v}" for v in await page.evaluate("window.__violations")]
    await context.close()
    assert problems == []
