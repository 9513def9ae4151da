"""Through `make run-cluster`'s proxy: a call made on one process is on the hall display
that another process serves, within the same second as on a single process."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import BrowserContext, expect

from server.cluster import Cluster
from tests.browser.helpers import TOKEN, ZONE, Console, call
from tests.helpers import sign_in as sign_in_client

pytestmark = pytest.mark.slow


async def officer_on(base: str) -> tuple[httpx.AsyncClient, Console]:
    client = httpx.AsyncClient(base_url=base, timeout=10)
    csrf = await sign_in_client(client, "loket1")
    assert csrf
    return client, Console(client, csrf)


async def test_a_call_on_one_process_shows_on_the_display_of_the_other(
    cluster: Cluster, context: BrowserContext
) -> None:
    one, two = cluster.replica_urls
    # The display's page and socket are the second process's; the officer calls on the
    # first one, then through the proxy (whichever process nginx picks).
    page = await context.new_page()
    await page.goto(f"{two}/display/{ZONE}?device={TOKEN}")
    await expect(page.locator("#display")).to_have_attribute("data-ready", "true")
    by_proxy = await context.new_page()
    await by_proxy.goto(f"{cluster.url}/display/{ZONE}?device={TOKEN}")
    await expect(by_proxy.locator("#display")).to_have_attribute("data-ready", "true")
    client, officer = await officer_on(one)
    try:
        await officer.send(type="open_counter", counter="1")
        await call(officer)
        for screen in (page, by_proxy):
            await expect(screen.locator(".now .now-label")).to_have_text("A-001")
        proxied, through = await officer_on(cluster.url)
        try:
            await through.send(type="done", counter="1")
            await call(through)
        finally:
            await proxied.aclose()
        for screen in (page, by_proxy):
            await expect(screen.locator(".now .now-label")).to_have_text("A-002")
    finally:
        await client.aclose()
