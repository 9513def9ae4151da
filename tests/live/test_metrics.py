"""`/metrics` of a real server process: reached through a proxy it is not "this host",
it answers while Redis is down, and it tells why screens went."""

from __future__ import annotations

import asyncio
import time

import httpx
from websockets.asyncio.client import connect

from server.demo import KIOSK_TOKEN, display_token
from tests.conftest import LiveServer, RedisServer
from tests.helpers import counter_of, sign_in_sync
from tests.helpers import post_command as send
from tests.server.web.test_metrics import sample

ZONE = "lantai1-timur"


def scrape(server: LiveServer, **headers: str) -> httpx.Response:
    return httpx.get(f"{server.url}/metrics", headers=headers, timeout=5)


async def scraped(server: LiveServer) -> str:
    return (await asyncio.to_thread(scrape, server)).text


class TestBehindAProxy:
    """uvicorn applies X-Forwarded-For from the proxy on this host: the forwarded client
    is who asks, and a remote one is refused."""

    def test_this_host_may_scrape(self, live_server: LiveServer) -> None:
        assert scrape(live_server).status_code == 200

    def test_a_remote_client_through_the_proxy_is_refused(self, live_server: LiveServer) -> None:
        answer = scrape(live_server, **{"X-Forwarded-For": "203.0.113.7"})
        assert answer.status_code == 403
        assert answer.json()["code"] == "metrics_forbidden"


class TestDuringAnOutage:
    """Metrics need no store: a scrape while Redis is down answers at once."""

    def test_scraped_while_redis_is_down(
        self, live_on_redis: LiveServer, redis_server: RedisServer
    ) -> None:
        issued = httpx.post(
            f"{live_on_redis.url}/kiosk/api/issue",
            json={"service": "ktp", "command_id": "7d0d7d3a-52b5-4a39-9b8e-1e0f4f3f0a01"},
            headers={"X-Device-Token": KIOSK_TOKEN},
        )
        assert issued.status_code == 200, issued.text
        redis_server.stop()
        refused = httpx.post(
            f"{live_on_redis.url}/kiosk/api/issue",
            json={"service": "ktp", "command_id": "7d0d7d3a-52b5-4a39-9b8e-1e0f4f3f0a02"},
            headers={"X-Device-Token": KIOSK_TOKEN},
        )
        assert refused.status_code == 503
        answer = scrape(live_on_redis)
        assert answer.status_code == 200
        assert sample(answer.text, "antrean_tickets_waiting", service="ktp") == 1


class TestScreens:
    """Connections are counted while open, and each end by its reason."""

    async def test_connections_and_why_they_ended(self, live_server: LiveServer) -> None:
        url = live_server.url.replace("http", "ws") + f"/ws?topics=zone:{ZONE}&device="
        async with connect(url + display_token(ZONE)) as one, connect(url + display_token(ZONE)):
            await one.recv()
            assert sample(await scraped(live_server), "antrean_websocket_connections") == 2
            # A screen cut off without a close frame.
            one.transport.abort()
            await until(live_server, "antrean_websocket_disconnects_total", 1, "connection_lost")
        await until(live_server, "antrean_websocket_disconnects_total", 1, "client_closed")
        assert sample(await scraped(live_server), "antrean_websocket_connections") == 0


class TestPublishingTimes:
    """The way from a command to the screens is timed in two parts, so a slow log and a slow
    broadcast are told apart: command to framed view, then the broadcast itself."""

    async def test_a_call_watched_by_a_screen_is_timed_once_in_each_part(
        self, live_server: LiveServer
    ) -> None:
        counter, service = counter_of(ZONE)
        with httpx.Client(base_url=live_server.url) as officer:
            csrf = sign_in_sync(officer, f"loket{counter.lower()}")
            send(officer, csrf, type="open_counter", counter=counter)
            send(officer, csrf, type="issue_ticket", service=service, visit="v1", channel="staff")
            before, after = await self._call_watched(live_server, officer, csrf, counter)
        for name in ("antrean_command_to_frame_seconds", "antrean_broadcast_seconds"):
            count = sample(after, f"{name}_count") - sample(before, f"{name}_count")
            took = sample(after, f"{name}_sum") - sample(before, f"{name}_sum")
            assert count >= 1 and 0 < took < 5, (name, count, took)
        prepared = sample(after, "antrean_command_to_frame_seconds_count")
        assert prepared - sample(before, "antrean_command_to_frame_seconds_count") == 1

    @staticmethod
    async def _call_watched(
        server: LiveServer, officer: httpx.Client, csrf: str, counter: str
    ) -> tuple[str, str]:
        """Call the next ticket while a display watches: /metrics before and after."""
        url = server.url.replace("http", "ws") + f"/ws?topics=zone:{ZONE}&device="
        async with connect(url + display_token(ZONE)) as screen:
            await screen.recv()  # the snapshot
            before = await scraped(server)
            called = await asyncio.to_thread(send, officer, csrf, type="call_next", counter=counter)
            assert called.json()["ok"]
            await screen.recv()
            return before, await scraped(server)


async def until(server: LiveServer, name: str, value: float, reason: str) -> None:
    """Wait (at most 10 s) until the server's count of `reason` reaches `value`."""
    deadline = time.monotonic() + 10
    while (found := sample(await scraped(server), name, reason=reason)) < value:
        assert time.monotonic() < deadline, f"{name}{{reason={reason}}} stayed at {found}"
        await asyncio.sleep(0.05)
