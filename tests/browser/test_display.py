"""The hall display in Chromium: pairing, live calls and lanes, outages, several processes."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from playwright.async_api import Browser, BrowserContext, Page, expect

from server.demo import display_token
from tests.browser.conftest import artifact
from tests.browser.helpers import TOKEN, ZONE, Console, SignIn, call, calling_officer, sign_in_page
from tests.conftest import LiveServer

PAIRING_MESSAGE = (
    "Layar belum dipasangkan. Minta admin membuat token perangkat (antrean devices add) "
    "dan buka alamat layar dengan ?device=TOKEN."
)
LAYOUTS = [(1920, 1080), (1280, 720), (1080, 1920)]

# Reading distance (docs/ARCHITECTURE.md, "Reading the hall display"): a capital letter
# must subtend 16 minutes of arc (ISO 9241-303's minimum for reading) at the distance its
# text is read from, on the reference screen: 55 inches, 1080p.
MM_PER_PIXEL = 684.9 / 1080  # a 55-inch 16:9 screen is 684.9 mm high
CAP_HEIGHT = 0.714  # Noto Sans: capital height per em
READ_FROM = {  # metres: what a visitor reads from there
    10.0: (".now-label", ".now-counter"),
    5.0: (".now-tenant", ".recent-label", ".zone-name", ".clock-time"),
    3.0: (
        ".now-service",
        ".now-recall",
        ".recent-counter",
        ".tenant-name",
        ".lane",
        ".ticker-text",
    ),
    2.0: (".venue-name", ".clock-date", ".section-title", ".recent-tenant", ".tenant-count"),
}


def smallest_font(metres: float) -> float:
    """The smallest font size, in CSS pixels at 1080p, read from `metres` away."""
    cap_mm = metres * 1000 * math.tan(math.radians(16 / 60))
    return cap_mm / MM_PER_PIXEL / CAP_HEIGHT


async def open_display(context: BrowserContext, server: LiveServer, token: str = TOKEN) -> Page:
    """The zone's screen, paired through its address, once it shows the server's view."""
    page = await context.new_page()
    await page.goto(f"{server.url}/display/{ZONE}?device={token}")
    await expect(page.locator("#display")).to_have_attribute("data-ready", "true")
    return page


class TestPairing:
    """A screen shows a zone only with a device token, given once in its address."""

    async def test_token_in_the_address_is_kept_and_removed(
        self, live_server: LiveServer, context: BrowserContext
    ) -> None:
        page = await open_display(context, live_server)
        await expect(page).to_have_url(f"{live_server.url}/display/{ZONE}")
        stored = await page.evaluate(f"localStorage.getItem('antrean.display.device.{ZONE}')")
        assert stored == TOKEN
        await page.reload()
        await expect(page.locator("#display")).to_have_attribute("data-ready", "true")
        await expect(page.get_by_text("Belum ada panggilan")).to_be_visible()
        await expect(page.get_by_role("alert")).to_be_hidden()

    async def test_unpaired_screen_says_what_to_do(
        self, live_server: LiveServer, context: BrowserContext
    ) -> None:
        page = await context.new_page()
        await page.goto(f"{live_server.url}/display/{ZONE}")
        await expect(page.get_by_role("alert")).to_have_text(PAIRING_MESSAGE)
        await page.screenshot(path=artifact("display-unpaired.png"))
        # Keyboard only: the token field has focus; paste, Enter, and the screen is paired.
        await expect(page.get_by_label("Token perangkat", exact=True)).to_be_focused()
        await page.keyboard.type(TOKEN)
        await page.keyboard.press("Enter")
        await expect(page.locator("#display")).to_have_attribute("data-ready", "true")
        await expect(page.get_by_role("alert")).to_be_hidden()

    async def test_wrong_token_is_refused(
        self, live_server: LiveServer, context: BrowserContext
    ) -> None:
        page = await context.new_page()
        await page.goto(f"{live_server.url}/display/{ZONE}?device=not-a-token")
        await expect(page.get_by_role("alert")).to_have_text(PAIRING_MESSAGE)
        await expect(page.locator("#display")).to_be_hidden()

    async def test_token_of_another_zone_is_refused(
        self, live_server: LiveServer, context: BrowserContext
    ) -> None:
        page = await context.new_page()
        await page.goto(f"{live_server.url}/display/{ZONE}?device={display_token('lantai2')}")
        await expect(page.get_by_role("alert")).to_have_text(PAIRING_MESSAGE)


class TestCalls:
    """Calls made at a counter appear on its zone's screen at once, big, and flash when new."""

    async def test_a_call_appears_huge(
        self, live_server: LiveServer, context: BrowserContext, sign_in: SignIn
    ) -> None:
        page = await open_display(context, live_server)
        await expect(page.get_by_text("Belum ada panggilan")).to_be_visible()
        await call(await calling_officer(sign_in, live_server))
        now = page.locator(".now")
        await expect(now.locator(".now-label")).to_have_text("A-001")
        await expect(now.locator(".now-counter")).to_have_text("Loket 1")
        await expect(now.locator(".now-tenant")).to_have_text("Dispendukcapil")
        await expect(now.locator(".now-service")).to_have_text("Perekaman KTP-el")
        await expect(now).to_have_class(re.compile(r"\bis-new\b"))
        await expect(now.locator(".now-recall")).to_be_hidden()
        await expect(page.locator("[aria-live=polite]")).to_have_text(
            "Nomor antrean A-001, silakan menuju Loket 1."
        )
        label_px = await now.locator(".now-label").evaluate(
            "e => parseFloat(getComputedStyle(e).fontSize)"
        )
        assert label_px >= 0.15 * 800, "the ticket number fills a good part of the screen"

    async def test_calls_on_screen_before_loading_do_not_flash(
        self, live_server: LiveServer, context: BrowserContext, sign_in: SignIn
    ) -> None:
        await call(await calling_officer(sign_in, live_server))
        page = await open_display(context, live_server)
        now = page.locator(".now")
        await expect(now.locator(".now-label")).to_have_text("A-001")
        await expect(now).not_to_have_class(re.compile(r"\bis-new\b"))
        await expect(page.locator("[aria-live=polite]")).to_have_text("")

    async def test_a_recall_flashes_again(
        self, live_server: LiveServer, context: BrowserContext, sign_in: SignIn
    ) -> None:
        page = await open_display(context, live_server)
        officer = await calling_officer(sign_in, live_server)
        await call(officer)
        now = page.locator(".now")
        await expect(now).to_have_class(re.compile(r"\bis-new\b"))
        first = await now.get_attribute("data-highlighted")
        assert first
        await officer.send(type="recall", counter="1")
        await expect(now.locator(".now-recall")).to_have_text("Panggilan ulang")
        await expect(now).not_to_have_attribute("data-highlighted", first)
        await expect(now).to_have_class(re.compile(r"\bis-new\b"))
        await expect(now.locator(".now-label")).to_have_text("A-001")
        # The first call of the ticket on screen is not listed again below it.
        await expect(page.locator(".recent-item")).to_have_count(0)
        await expect(page.locator("[aria-live=polite]")).to_have_text(
            "Panggilan ulang: nomor antrean A-001, silakan menuju Loket 1."
        )

    async def test_earlier_calls_are_listed_newest_first(
        self, live_server: LiveServer, context: BrowserContext, sign_in: SignIn
    ) -> None:
        page = await open_display(context, live_server)
        officer = await calling_officer(sign_in, live_server)
        await officer.issue("ktp", 3)
        for _ in range(2):
            await officer.send(type="call_next", counter="1")
            await officer.send(type="done", counter="1")
        await officer.send(type="call_next", counter="1")
        await expect(page.locator(".now-label")).to_have_text("A-003")
        await expect(page.locator(".recent-label")).to_have_text(["A-002", "A-001"])
        await expect(page.locator(".recent-counter")).to_have_text(["Loket 1", "Loket 1"])

    async def test_waiting_counts_follow_the_lanes(
        self, live_server: LiveServer, context: BrowserContext, sign_in: SignIn
    ) -> None:
        page = await open_display(context, live_server)
        tenant = page.locator(".tenant[data-tenant=dispendukcapil]")
        ktp = tenant.locator(".lane[data-lane=ktp] .lane-waiting")
        await expect(tenant.locator(".tenant-number")).to_have_text("0")
        officer = await calling_officer(sign_in, live_server)
        await officer.issue("ktp", 2)
        await expect(tenant.locator(".tenant-number")).to_have_text("2")
        await expect(ktp).to_have_text("2")
        await officer.send(type="call_next", counter="1")
        await expect(ktp).to_have_text("1")


class TestOutage:
    """A screen keeps the last state through an outage, says it is offline, and catches up."""

    async def test_server_restart(
        self, live_server: LiveServer, context: BrowserContext, sign_in: SignIn
    ) -> None:
        page = await open_display(context, live_server)
        officer = await calling_officer(sign_in, live_server)
        await call(officer)
        await officer.send(type="done", counter="1")
        offline = page.get_by_text("Offline – menyambung ulang…")
        await expect(page.locator(".now-label")).to_have_text("A-001")
        await expect(offline).to_be_hidden()

        live_server.stop()
        await expect(offline).to_be_visible()
        await expect(page.locator(".now-label")).to_have_text("A-001")
        await page.screenshot(path=artifact("display-offline.png"))

        live_server.start()
        await expect(offline).to_be_hidden(timeout=20_000)
        await expect(page.locator(".now-label")).to_have_text("A-001")
        # Loket 1 is still open: the restart kept the log, only the session is new.
        await call(await calling_officer(sign_in, live_server, open_=False))
        await expect(page.locator(".now-label")).to_have_text("A-002")
        await expect(page.locator(".now")).to_have_class(re.compile(r"\bis-new\b"))

    async def test_calls_before_a_restart_stay_listed(
        self, live_server: LiveServer, context: BrowserContext, sign_in: SignIn
    ) -> None:
        officer = await calling_officer(sign_in, live_server)
        await call(officer)
        await officer.send(type="done", counter="1")
        live_server.stop()
        live_server.start()
        page = await open_display(context, live_server)
        await expect(page.locator(".now-label")).to_have_text("A-001", timeout=3000)


@pytest.fixture
def two_processes(redis_url: str, tmp_path: Path) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two app processes sharing one redis-server (emptied first): a display side, a console side."""
    redis.Redis.from_url(redis_url).flushdb()
    servers = [_redis_server(tmp_path / name, redis_url) for name in ("a", "b")]
    try:
        for server in servers:
            server.start()
        yield servers[0], servers[1]
    finally:
        for server in servers:
            server.stop()


class TestSeveralProcesses:
    """With Redis, a screen on one process shows calls made through another."""

    async def test_call_through_the_other_process(
        self, two_processes: tuple[LiveServer, LiveServer], context: BrowserContext, sign_in: SignIn
    ) -> None:
        display_side, console_side = two_processes
        page = await open_display(context, display_side)
        await call(await calling_officer(sign_in, console_side))
        await expect(page.locator(".now-label")).to_have_text("A-001")
        await expect(page.locator(".now-counter")).to_have_text("Loket 1")

    async def test_console_page_on_one_process_display_on_the_other(
        self, two_processes: tuple[LiveServer, LiveServer], context: BrowserContext, sign_in: SignIn
    ) -> None:
        display_side, console_side = two_processes
        page = await open_display(context, display_side)
        await (await sign_in(console_side, "loket1")).issue("ktp")
        console = await context.new_page()
        await sign_in_page(console, f"{console_side.url}/login?next=/counter/1", "loket1")
        await console.get_by_role("button", name="Buka loket").click()
        # N before the view says "open" is refused as "counter closed": wait for the view.
        await expect(console.get_by_role("button", name="Buka loket")).to_be_disabled()
        await expect(console.locator("#waiting")).to_contain_text("A-001")
        await console.keyboard.press("n")
        await expect(console.locator("#current-label")).to_have_text("A-001")
        await expect(page.locator(".now-label")).to_have_text("A-001")
        await expect(page.locator(".now-counter")).to_have_text("Loket 1")


def _redis_server(data: Path, redis_url: str) -> LiveServer:
    data.mkdir()
    return LiveServer(data, redis_url=redis_url)


class TestLayouts:
    """Landscape 1080p and 720p and portrait 1080p show everything, uncut and apart."""

    async def test_three_screen_sizes(
        self, live_server: LiveServer, browser: Browser, sign_in: SignIn
    ) -> None:
        await _busy_morning(sign_in, live_server)
        problems: list[str] = []
        for width, height in LAYOUTS:
            context = await browser.new_context(
                viewport={"width": width, "height": height}, locale="id-ID"
            )
            try:
                page = await open_display(context, live_server)
                # Eight calls before the recall, one of them the recalled ticket's first call.
                await expect(page.locator(".recent-item")).to_have_count(6)
                await page.screenshot(path=artifact(f"display-{width}x{height}.png"))
                problems += [f"{width}x{height}: {p}" for p in await _layout_problems(page)]
            finally:
                await context.close()
        assert not problems, "\n".join(problems)

    @pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)], ids=["landscape", "portrait"])
    async def test_type_is_big_enough_for_its_reading_distance(
        self, live_server: LiveServer, browser: Browser, sign_in: SignIn, size: tuple[int, int]
    ) -> None:
        await _busy_morning(sign_in, live_server)
        context = await browser.new_context(
            viewport={"width": size[0], "height": size[1]}, locale="id-ID"
        )
        try:
            page = await open_display(context, live_server)
            await expect(page.locator(".now-recall")).to_be_visible()
            too_small = []
            for metres, selectors in READ_FROM.items():
                for selector in selectors:
                    element = page.locator(selector).first
                    await expect(element).to_be_visible()
                    px = await element.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
                    if px < smallest_font(metres):
                        too_small.append(f"{selector} {px:.1f} px < {smallest_font(metres):.1f}")
            assert too_small == []
        finally:
            await context.close()

    async def test_reduced_motion_keeps_the_running_text_still(
        self, live_server: LiveServer, browser: Browser
    ) -> None:
        context = await browser.new_context(reduced_motion="reduce", locale="id-ID")
        try:
            page = await open_display(context, live_server)
            ticker = page.locator(".ticker-text")
            await expect(ticker).to_contain_text("Selamat datang")
            assert await ticker.evaluate("e => getComputedStyle(e).animationName") == "none"
        finally:
            await context.close()


class TestClock:
    """The hall clock shows the venue's time (the server's clock), not the screen's."""

    async def test_it_follows_the_venue_clock(
        self, live_server: LiveServer, browser: Browser
    ) -> None:
        # The server's clock starts at 09.00 WIB on 24 November 2026 (OPEN_HOURS); the
        # screen's own clock says today, with a timezone far from the venue's.
        context = await browser.new_context(locale="id-ID", timezone_id="America/New_York")
        try:
            page = await open_display(context, live_server)
            await expect(page.locator(".clock-date")).to_have_text("Selasa, 24 November 2026")
            await expect(page.locator(".clock-time")).to_have_text(re.compile(r"^09[.:]0\d WIB$"))
            # The box's own clock is set (from the network, by someone) five hours on: the
            # hall still shows the venue's time.
            await page.evaluate(
                "() => { const real = Date.now; Date.now = () => real() + 5 * 3600 * 1000; }"
            )
            await page.wait_for_timeout(1500)
            await expect(page.locator(".clock-time")).to_have_text(re.compile(r"^09[.:]0\d WIB$"))
        finally:
            await context.close()


class TestRunningText:
    """The venue's running text scrolls along the bottom, and is gone when emptied."""

    async def test_emptied_running_text_is_hidden(
        self, live_server: LiveServer, context: BrowserContext, sign_in: SignIn
    ) -> None:
        page = await open_display(context, live_server)
        await expect(page.locator(".ticker")).to_contain_text("Selamat datang")
        manager = await sign_in(live_server, "manajer")
        await manager.send(type="set_running_text", text="")
        await expect(page.locator(".ticker")).to_be_hidden()


async def _busy_morning(sign_in: SignIn, server: LiveServer) -> None:
    """Nine calls at counters of three tenants (the last a recall), people in several lanes."""
    plan = {
        "1": ("loket1", "ktp"),
        "5": ("loket5", "kk"),
        "9": ("loket9", "pbb"),
        "10": ("loket10", "rekening"),
        "7": ("loket7", "akta-kelahiran"),
    }
    officers: dict[str, Console] = {}
    for counter, (username, service) in plan.items():
        officer = officers[counter] = await sign_in(server, username)
        await officer.send(type="open_counter", counter=counter)
        await officer.issue(service, 3)
    await officers["5"].issue("pindah-datang", 4)
    order = ["1", "5", "10", "7", "1", "5", "10", "9"]
    for i, counter in enumerate(order):
        if counter in order[:i]:
            await officers[counter].send(type="done", counter=counter)
        await officers[counter].send(type="call_next", counter=counter)
    await officers["9"].send(type="recall", counter="9")


_LAYOUT_CHECK = """() => {
  const problems = [];
  const box = (e) => e.getBoundingClientRect();
  const areas = [".head", ".now", ".recent", ".lanes", ".ticker"]
    .map((s) => [s, document.querySelector(s)])
    .filter(([, e]) => e && !e.hidden);
  for (const [name, e] of areas) {
    const r = box(e);
    if (r.left < -1 || r.top < -1 || r.right > innerWidth + 1 || r.bottom > innerHeight + 1)
      problems.push(`${name} leaves the screen: ${JSON.stringify(r)}`);
  }
  for (let i = 0; i < areas.length; i++)
    for (let j = i + 1; j < areas.length; j++) {
      const a = box(areas[i][1]), b = box(areas[j][1]);
      const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (x > 1 && y > 1) problems.push(`${areas[i][0]} overlaps ${areas[j][0]}`);
    }
  const whole = [".now-label", ".now-counter", ".now-tenant", ".now-service", ".now-recall",
    ".recent-label", ".recent-counter", ".tenant-number", ".lane", ".clock-time"];
  for (const selector of whole)
    for (const e of document.querySelectorAll(selector)) {
      if (e.scrollWidth > e.clientWidth + 1)
        problems.push(`${selector} "${e.textContent}" is cut off`);
      const r = box(e), panel = box(e.closest("section, header, footer"));
      if (r.top < panel.top - 1 || r.bottom > panel.bottom + 1 || r.right > panel.right + 1)
        problems.push(`${selector} "${e.textContent}" sticks out of its panel`);
    }
  return problems;
}"""


async def _layout_problems(page: Page) -> list[str]:
    """Screen areas that overlap or leave the screen, and text that does not fit its box."""
    problems: list[str] = await page.evaluate(_LAYOUT_CHECK)
    return problems
