"""High contrast and large text on the kiosk and the phone page, in Chromium: the switches
work and are remembered on the device, and every mode passes axe-core's colour-contrast
rule (WCAG 2.2 AA) on every screen a visitor goes through."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from server.demo import KIOSK_TOKEN
from tests.browser.conftest import artifact
from tests.browser.helpers import Staff
from tests.conftest import LiveServer

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
MODES: dict[str, tuple[str, ...]] = {
    "default": (),
    "contrast": ("contrast",),
    "large": ("text",),
    "contrast-large": ("contrast", "text"),
}
LABELS = {"contrast": "Kontras tinggi", "text": "Huruf besar"}


async def contrast_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's colour-contrast rule on what the page shows now: each failing element
    with its colours and ratio."""
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.add_script_tag(path=AXE)
    found: list[dict[str, Any]] = await page.evaluate(
        """async () => {
          const result = await axe.run(document, {
            runOnly: { type: "rule", values: ["color-contrast"] },
          });
          return result.violations.flatMap((v) =>
            v.nodes.map((n) => ({ target: n.target.join(" "), why: n.failureSummary })));
        }"""
    )
    return found


async def switch_on(page: Page, modes: tuple[str, ...]) -> None:
    for mode in modes:
        button = page.get_by_role("button", name=LABELS[mode])
        await button.click()
        await expect(button).to_have_attribute("aria-pressed", "true")


async def check(page: Page, name: str) -> None:
    await page.screenshot(path=artifact(f"view-{name}.png"))
    assert await contrast_violations(page) == [], name
    assert await fits_the_width(page), f"{name}: the page scrolls sideways"


async def fits_the_width(page: Page) -> bool:
    """Nothing pushes the page sideways (no horizontal scroll)."""
    fits: bool = await page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    return fits


@pytest.fixture
async def kiosk_context(browser: Browser) -> AsyncIterator[BrowserContext]:
    # axe is injected as an inline script, which the page's CSP (rightly) refuses.
    context = await browser.new_context(
        viewport={"width": 1080, "height": 1920}, locale="id-ID", bypass_csp=True
    )
    yield context
    await context.close()


@pytest.fixture
async def phone_context(browser: Browser) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(
        viewport={"width": 320, "height": 640},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="id-ID",
        bypass_csp=True,
    )
    yield context
    await context.close()


async def open_page(context: BrowserContext, url: str) -> Page:
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors  # type: ignore[attr-defined]
    await page.goto(url)
    return page


class TestKiosk:
    """Each mode, through home, services, the plan and the ticket, passes colour contrast."""

    @pytest.mark.parametrize("mode", list(MODES))
    async def test_every_screen_in_each_mode(
        self, kiosk_context: BrowserContext, live_server: LiveServer, mode: str
    ) -> None:
        page = await open_page(kiosk_context, f"{live_server.url}/kiosk?device={KIOSK_TOKEN}")
        await expect(page.locator("[data-tenant=dispendukcapil]")).to_be_visible()
        await switch_on(page, MODES[mode])
        await check(page, f"kiosk-{mode}-home")
        await page.locator("[data-tenant=dispendukcapil]").click()
        await expect(page.locator("[data-service=ktp]")).to_be_visible()
        await check(page, f"kiosk-{mode}-services")
        await page.locator("[data-service=ktp]").click()
        await expect(page.locator("[data-screen=plan]")).to_be_visible()
        await check(page, f"kiosk-{mode}-plan")
        await page.locator("[data-action=issue]").click()
        await expect(page.locator("[data-field=t-label]")).to_have_text("A-001")
        await check(page, f"kiosk-{mode}-ticket")
        assert page.errors == []  # type: ignore[attr-defined]

    async def test_the_switches_are_remembered_and_change_the_page(
        self, kiosk_context: BrowserContext, live_server: LiveServer
    ) -> None:
        url = f"{live_server.url}/kiosk?device={KIOSK_TOKEN}"
        page = await open_page(kiosk_context, url)
        title = page.locator("[data-field=title]")
        await expect(title).to_be_visible()
        plain = await title.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
        await switch_on(page, ("contrast", "text"))
        root = page.locator("html")
        await expect(root).to_have_attribute("data-contrast", "high")
        await expect(root).to_have_attribute("data-text", "large")
        large = await title.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert large >= 1.3 * plain, (plain, large)
        assert (
            await page.evaluate("getComputedStyle(document.body).backgroundColor")
            == ("rgb(0, 0, 0)")
            != background
        )

        again = await open_page(kiosk_context, url)  # the kiosk reloads: still on
        await expect(again.locator("html")).to_have_attribute("data-contrast", "high")
        await expect(again.get_by_role("button", name=LABELS["text"])).to_have_attribute(
            "aria-pressed", "true"
        )
        await again.get_by_role("button", name=LABELS["contrast"]).click()
        await expect(again.locator("html")).not_to_have_attribute("data-contrast", "high")
        await expect(again.locator("html")).to_have_attribute("data-text", "large")


def issue(staff: Staff) -> str:
    visit = secrets.token_urlsafe(16)
    answer = staff.send(type="issue_ticket", service="ktp", visit=visit, channel="staff")
    assert answer["ok"], answer
    return visit


class TestPhonePage:
    """Waiting and called, in each mode, on a 320 px phone: contrast holds, nothing overflows."""

    @pytest.mark.parametrize("mode", list(MODES))
    async def test_waiting_and_called_in_each_mode(
        self, phone_context: BrowserContext, live_server: LiveServer, staff: Staff, mode: str
    ) -> None:
        staff.issue(1)
        visit = issue(staff)
        page = await open_page(phone_context, f"{live_server.url}/t/{visit}")
        await expect(page.locator("[data-f=ahead]")).to_have_text("1 orang")
        await switch_on(page, MODES[mode])
        await check(page, f"phone-{mode}-waiting")

        for step in ("open_counter", "call_next", "done", "call_next"):
            assert staff.send(type=step, counter="1")["ok"]
        await expect(page.locator("[data-f=counter]")).to_be_visible()
        await check(page, f"phone-{mode}-called")
        assert page.errors == []  # type: ignore[attr-defined]

    async def test_remembered_across_tickets_on_the_same_phone(
        self, phone_context: BrowserContext, live_server: LiveServer, staff: Staff
    ) -> None:
        first = await open_page(phone_context, f"{live_server.url}/t/{issue(staff)}")
        await switch_on(first, ("text",))
        second = await open_page(phone_context, f"{live_server.url}/t/{issue(staff)}")
        await expect(second.locator("html")).to_have_attribute("data-text", "large")
        # A private tab that refuses storage still switches, for that page.
        await second.evaluate(
            "Object.defineProperty(window, 'localStorage', { get() { throw new Error('no'); } })"
        )
        await second.get_by_role("button", name=LABELS["contrast"]).click()
        await expect(second.locator("html")).to_have_attribute("data-contrast", "high")
        assert second.errors == []  # type: ignore[attr-defined]
