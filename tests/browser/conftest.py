"""A real Chromium (Debian's package) driven by Playwright, for every screen.

No browser download: Playwright launches /usr/bin/chromium. Screenshots go to
tests/artifacts/ (gitignored) so anyone can look at what the tests saw.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.browser.helpers import Console, SignIn, Staff
from tests.conftest import LiveServer
from tests.helpers import sign_in as sign_in_client

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture
def chromium_flags() -> list[str]:
    """Chromium's command line; a test module may override this fixture to add flags."""
    return CHROMIUM_FLAGS


@pytest.fixture
async def browser(chromium_flags: list[str]) -> AsyncIterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed (apt-get install chromium)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=chromium_flags)
        yield launched
        await launched.close()


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    opened = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="id-ID")
    yield opened
    await opened.close()


@pytest.fixture
async def page(context: BrowserContext) -> AsyncIterator[Page]:
    """A page that fails the test on any script error."""
    opened = await context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    assert errors == [], f"script errors on the page: {errors}"


@pytest.fixture
async def sign_in() -> AsyncIterator[SignIn]:
    """Signs in through the login form over HTTP; the console's CSRF token comes from its page."""
    clients: list[httpx.AsyncClient] = []

    async def signed_in(server: LiveServer, username: str) -> Console:
        client = httpx.AsyncClient(base_url=server.url, timeout=10)
        clients.append(client)
        csrf = await sign_in_client(client, username)
        assert csrf, f"{username} could not sign in, or the page carries no CSRF token"
        return Console(client, csrf)

    yield signed_in
    for client in clients:
        await client.aclose()


@pytest.fixture
def staff(live_server: LiveServer) -> Iterator[Staff]:
    """The officer of Loket 1 (KTP), at a desk PC, sending commands over the API."""
    desk = Staff(live_server)
    yield desk
    desk.client.close()


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


@pytest.fixture
async def phone(browser: Browser) -> AsyncIterator[Page]:
    """A cheap Android phone's screen; any script error fails the test."""
    context = await browser.new_context(
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="id-ID",
    )
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    await context.close()
    assert errors == [], f"script errors on the phone page: {errors}"
