"""Helpers of the browser tests: signing in on a page, and the officer who calls tickets over
HTTP while Chromium shows what the hall, the console or a phone makes of it."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from playwright.async_api import BrowserContext, Page

from server.config import DEMO_VENUE, load_venue
from server.demo import PASSWORD, display_token
from tests.conftest import LiveServer
from tests.helpers import post_command, sign_in_sync

ZONE = "lantai1-timur"  # Dispendukcapil's counters, Loket 1 among them
TOKEN = display_token(ZONE)
LOKET1_SERVICE = load_venue(DEMO_VENUE).counters["1"].services[0]


async def sign_in_page(
    where: Page | BrowserContext, url: str, username: str, password: str = PASSWORD
) -> Page:
    """Open `url` (a page that asks to sign in, or `/login?next=...`) in the page, or in a new
    page of the context, and sign in on its form as a person does: name, password, the Masuk
    button. The page, which then goes where the sign-in leads."""
    page = await where.new_page() if isinstance(where, BrowserContext) else where
    await page.goto(url)
    await page.get_by_label("Nama pengguna").fill(username)
    await page.get_by_label("Kata sandi").fill(password)
    await page.get_by_role("button", name="Masuk").click()
    return page


class Console:
    """An officer sending commands over HTTP, as the counter console does."""

    def __init__(self, client: httpx.AsyncClient, csrf: str) -> None:
        self.client, self.csrf = client, csrf

    async def send(self, **command: Any) -> dict[str, Any]:
        command.setdefault("command_id", uuid.uuid4().hex)
        answer = await self.client.post(
            "/api/commands", json=command, headers={"X-CSRF-Token": self.csrf}
        )
        body: dict[str, Any] = answer.json()
        assert answer.status_code == 200 and body["ok"], body
        return body

    async def issue(self, service: str, count: int = 1) -> None:
        for _ in range(count):
            await self.send(
                type="issue_ticket", service=service, visit=uuid.uuid4().hex, channel="staff"
            )


SignIn = Callable[[LiveServer, str], Awaitable[Console]]


async def calling_officer(sign_in: SignIn, server: LiveServer, *, open_: bool = True) -> Console:
    """The officer of Loket 1 (Dispendukcapil, Perekaman KTP-el), counter open."""
    officer = await sign_in(server, "loket1")
    if open_:
        await officer.send(type="open_counter", counter="1")
    return officer


async def call(officer: Console, counter: str = "1", service: str = "ktp") -> None:
    await officer.issue(service)
    await officer.send(type="call_next", counter=counter)


class Staff:
    """The same officer at a second desk PC: issues tickets over the API, as tests/live does."""

    def __init__(self, server: LiveServer) -> None:
        self.client = httpx.Client(base_url=server.url)
        self.csrf = sign_in_sync(self.client, "loket1")
        assert self.csrf, "the console page carries its CSRF token"

    def send(self, **command: Any) -> dict[str, Any]:
        result: dict[str, Any] = post_command(self.client, self.csrf, **command).json()
        return result

    def issue(self, count: int = 1, service: str = LOKET1_SERVICE, priority: bool = False) -> None:
        for _ in range(count):
            answer = self.send(
                type="issue_ticket",
                service=service,
                visit=uuid.uuid4().hex,
                channel="staff",
                priority=priority,
            )
            assert answer["ok"], answer
