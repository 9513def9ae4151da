"""A store outage as the mall meets it: a real redis-server stopped and started again.

While the store is down every request that needs it is answered at once with 503 (JSON for
the APIs, an Indonesian page for people, close 1013 on `/ws`), `/healthz` says so, and once
the store is back the app carries on by itself: resent commands are applied exactly once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from server.demo import KIOSK_TOKEN, display_token
from server.domain import events as ev
from server.domain.events import decode_event
from server.settings import Settings
from tests import helpers
from tests.conftest import AUDIO_CACHE, LiveServer, RedisServer
from tests.helpers import FakeClock, serving

TUESDAY_NINE = dt.datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
STORE_DOWN = "store_unavailable"
ZONE = "lantai1-timur"


class Mall(helpers.Mall):
    """The demo app on Redis in its lifespan: a manager's browser and the paired kiosk."""

    async def events(self) -> list[ev.Event]:
        records = await self.queue.log.read(self.queue.venue.id, after=0, limit=100_000)
        return [decode_event(r.data) for r in records]

    async def count(self, kind: type[ev.Event]) -> int:
        return sum(isinstance(e, kind) for e in await self.events())


@pytest.fixture
async def mall(tmp_path: Path, redis_server: RedisServer) -> AsyncIterator[Mall]:
    settings = Settings(
        data_dir=str(tmp_path), redis_url=redis_server.url, audio_cache=str(AUDIO_CACHE)
    )
    async with serving(settings, FakeClock(TUESDAY_NINE), host="mpp.test") as (app, client):
        mall = Mall(app, client)
        await mall.sign_in("manajer")
        yield mall


def assert_store_down(answer: httpx.Response) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"].isdigit()
    body = answer.json()
    assert (body["ok"], body["code"]) == (False, STORE_DOWN)
    assert body["message"].startswith("Data antrean sedang tidak dapat dihubungi")


class TestWhileDown:
    """With Redis stopped nothing answers 500: machines get 503 JSON, people a page."""

    async def test_a_command_is_answered_503_in_indonesian(
        self, mall: Mall, redis_server: RedisServer
    ) -> None:
        redis_server.stop()
        began = time.monotonic()
        answer = await mall.post(type="open_counter", counter="1")
        print(f"503 after {time.monotonic() - began:.3f} s")
        assert_store_down(answer)

    async def test_a_hung_redis_is_answered_503_too(
        self, mall: Mall, redis_server: RedisServer
    ) -> None:
        # It accepts connections but never answers: the command timeout gives up, once.
        redis_server.freeze()
        try:
            began = time.monotonic()
            answer = await mall.post(type="open_counter", counter="1")
            print(f"503 after {time.monotonic() - began:.3f} s")
            assert_store_down(answer)
        finally:
            redis_server.freeze(False)
        await mall.send(type="open_counter", counter="1")

    async def test_requests_waiting_on_a_hung_redis_share_its_answer(
        self, mall: Mall, redis_server: RedisServer
    ) -> None:
        # Each request reads the accounts log under one lock: on a hung Redis the k-th of k
        # requests at once waited k command timeouts, each asking anew. Those that waited
        # on the read that failed are answered with it, at once: Redis coming back right
        # after the first answer is too late for every one of them.
        redis_server.freeze()
        try:
            pages = [asyncio.create_task(mall.client.get("/counter/1")) for _ in range(6)]
            await asyncio.wait(pages, return_when=asyncio.FIRST_COMPLETED)
        finally:
            redis_server.freeze(False)
        answers = await asyncio.gather(*pages)
        assert [a.status_code for a in answers] == [503] * 6

    async def test_the_kiosk_issue_and_overview_are_answered_503(
        self, mall: Mall, redis_server: RedisServer
    ) -> None:
        redis_server.stop()
        assert_store_down(await mall.kiosk("issue", service="ktp"))
        headers = {"X-Device-Token": KIOSK_TOKEN}
        assert_store_down(await mall.client.get("/kiosk/api/overview", headers=headers))

    async def test_the_console_page_is_an_indonesian_page_that_retries(
        self, mall: Mall, redis_server: RedisServer
    ) -> None:
        redis_server.stop()
        answer = await mall.client.get("/counter/1")
        assert answer.status_code == 503
        assert answer.headers["content-type"].startswith("text/html")
        assert answer.headers["retry-after"].isdigit()
        assert "Offline, mencoba lagi" in answer.text
        assert 'http-equiv="refresh"' in answer.text

    async def test_the_outage_page_speaks_english_when_asked(
        self, mall: Mall, redis_server: RedisServer
    ) -> None:
        redis_server.stop()
        answer = await mall.client.get("/counter/1?lang=en")
        assert answer.status_code == 503
        assert "Offline, retrying" in answer.text

    async def test_a_page_asked_for_as_json_gets_json(
        self, mall: Mall, redis_server: RedisServer
    ) -> None:
        redis_server.stop()
        assert_store_down(
            await mall.client.get("/counter/1", headers={"Accept": "application/json"})
        )

    async def test_pages_kept_in_memory_still_answer(
        self, mall: Mall, redis_server: RedisServer
    ) -> None:
        ticket = (await mall.kiosk("issue", service="ktp")).json()["ticket"]
        redis_server.stop()
        # The phone page and the kiosk's shell need no store: they show the last state.
        assert (await mall.client.get(f"/t/{ticket['visit']}")).status_code == 200
        assert (await mall.client.get("/kiosk")).status_code == 200


class TestHealth:
    """`/healthz` reports the store, and follows it down and up without a restart."""

    async def test_healthz_goes_503_and_back(self, mall: Mall, redis_server: RedisServer) -> None:
        healthy = await mall.client.get("/healthz")
        assert healthy.status_code == 200
        assert healthy.json()["store"] | {"head": 0} == {"backend": "redis", "ok": True, "head": 0}
        redis_server.stop_keeping_data()
        down = await mall.client.get("/healthz")
        assert down.status_code == 503
        assert down.json()["status"] == STORE_DOWN
        assert down.json()["store"]["backend"] == "redis"
        assert down.json()["store"]["ok"] is False
        assert down.json()["store"]["error"]
        redis_server.start()
        again = await mall.client.get("/healthz")
        assert again.status_code == 200
        assert again.json()["store"]["ok"] is True


class TestAfterwards:
    """Once Redis is back, a resent command (same command_id) is applied exactly once."""

    async def test_a_command_refused_while_down_lands_once_when_resent(
        self, mall: Mall, redis_server: RedisServer
    ) -> None:
        await mall.send(type="open_counter", counter="1")
        await mall.kiosk("issue", service="ktp")
        redis_server.stop_keeping_data()
        command_id = uuid.uuid4().hex
        assert_store_down(await mall.post(type="call_next", counter="1", command_id=command_id))
        redis_server.start()
        first = await mall.post(type="call_next", counter="1", command_id=command_id)
        again = await mall.post(type="call_next", counter="1", command_id=command_id)
        assert first.json()["ok"] and not first.json()["duplicate"], first.json()
        assert again.json()["duplicate"] is True
        assert again.json()["seq"] == first.json()["seq"]
        assert await mall.count(ev.TicketCalled) == 1

    async def test_a_command_that_landed_before_the_outage_answers_its_first_outcome(
        self, mall: Mall, redis_server: RedisServer
    ) -> None:
        await mall.send(type="open_counter", counter="1")
        await mall.kiosk("issue", service="ktp")
        command_id = uuid.uuid4().hex
        # It landed, but say the answer was lost on the way: the console resends it.
        landed = await mall.post(type="call_next", counter="1", command_id=command_id)
        redis_server.stop_keeping_data()
        assert_store_down(await mall.post(type="call_next", counter="1", command_id=command_id))
        redis_server.start()
        resent = await mall.post(type="call_next", counter="1", command_id=command_id)
        assert resent.json()["duplicate"] is True
        assert resent.json()["seq"] == landed.json()["seq"]
        assert resent.json()["events"] == landed.json()["events"]
        assert await mall.count(ev.TicketCalled) == 1

    async def test_a_kiosk_ticket_resent_after_the_outage_is_issued_once(
        self, mall: Mall, redis_server: RedisServer
    ) -> None:
        redis_server.stop_keeping_data()
        command_id = uuid.uuid4().hex
        assert_store_down(await mall.kiosk("issue", service="ktp", command_id=command_id))
        redis_server.start()
        first = (await mall.kiosk("issue", service="ktp", command_id=command_id)).json()
        again = (await mall.kiosk("issue", service="ktp", command_id=command_id)).json()
        assert first["ticket"]["visit"] == again["ticket"]["visit"]
        assert mall.queue.state.numbers == {"ktp": 1}

    async def test_the_follower_resumes_and_sees_another_processs_appends(
        self, mall: Mall, redis_server: RedisServer, tmp_path: Path
    ) -> None:
        redis_server.stop_keeping_data()
        # Long enough for the follower's blocking read to fail and retry at least once.
        await asyncio.sleep(2.5)
        redis_server.start()
        other = Settings(
            data_dir=str(tmp_path / "other"),
            redis_url=redis_server.url,
            audio_cache=str(AUDIO_CACHE),
            secret="another-process",
        )
        async with serving(other, FakeClock(TUESDAY_NINE)) as (_, client):
            answer = await client.post(
                "/kiosk/api/issue",
                json={"service": "ktp", "command_id": uuid.uuid4().hex},
                headers={"X-Device-Token": KIOSK_TOKEN},
            )
            assert answer.status_code == 200, answer.text
        for _ in range(100):
            if mall.queue.state.numbers.get("ktp"):
                break
            await asyncio.sleep(0.1)
        assert mall.queue.state.numbers == {"ktp": 1}


class TestSqlite:
    """The embedded default answers the same way when its file stays locked."""

    @pytest.mark.slow
    async def test_a_file_locked_past_the_busy_timeout_is_answered_503(
        self, tmp_path: Path
    ) -> None:
        settings = Settings(data_dir=str(tmp_path), audio_cache=str(AUDIO_CACHE))
        async with serving(settings, FakeClock(TUESDAY_NINE)) as (app, client):
            mall = Mall(app, client)
            await mall.sign_in("manajer")
            # Another process holds the write lock for longer than the busy timeout (10 s).
            other = sqlite3.connect(tmp_path / "antrean.db", isolation_level=None)
            other.execute("BEGIN IMMEDIATE")
            try:
                assert_store_down(await mall.post(type="open_counter", counter="1"))
            finally:
                other.execute("ROLLBACK")
                other.close()
            await mall.send(type="open_counter", counter="1")


class TestSocket:
    """A screen connecting while the store is down is told to try again later (1013)."""

    async def test_ws_is_accepted_and_closed_1013_then_works_again(
        self, live_on_redis: LiveServer, redis_server: RedisServer
    ) -> None:
        query = f"/ws?topics=zone:{ZONE}&device={display_token(ZONE)}"
        url = live_on_redis.url.replace("http", "ws") + query
        redis_server.stop_keeping_data()
        async with connect(url) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
        async with httpx.AsyncClient(base_url=live_on_redis.url) as client:
            assert (await client.get("/healthz")).status_code == 503
            redis_server.start()
            assert (await client.get("/healthz")).status_code == 200
        async with connect(url) as ws:
            first = await asyncio.wait_for(ws.recv(), 5)
        assert b"lantai1-timur" in (first if isinstance(first, bytes) else first.encode())


class TestOutagePageAfterAForm:
    """A form sent during the outage: the page that says so reloads the form's page, since
    reloading a POST-only address (meta refresh is a GET) would answer 405."""

    async def test_a_cancel_sent_while_down_reloads_the_ticket_page(
        self, mall: Mall, redis_server: RedisServer
    ) -> None:
        visit = (await mall.kiosk("issue", service="ktp")).json()["ticket"]["visit"]
        ticket_page = await mall.client.get(f"/t/{visit}")
        form = re.search(r'name="form" value="([^"]+)"', ticket_page.text)
        assert form, ticket_page.text
        redis_server.stop()
        answer = await mall.client.post(
            f"/t/{visit}/cancel",
            data={"form": form.group(1)},
            headers={"Referer": f"http://mpp.test/t/{visit}", "Origin": "http://mpp.test"},
        )
        assert answer.status_code == 503 and "Offline, mencoba lagi" in answer.text
        refresh = re.search(r'http-equiv="refresh" content="(\d+); url=([^"]+)"', answer.text)
        assert refresh, answer.text
        assert refresh.group(2) == f"/t/{visit}"
        assert (await mall.client.get(refresh.group(2))).status_code == 200
        assert f'href="/t/{visit}?lang=en"' in answer.text

    async def test_a_post_from_elsewhere_reloads_the_front_page(
        self, mall: Mall, redis_server: RedisServer
    ) -> None:
        redis_server.stop()
        answer = await mall.client.post(
            "/logout", data={"csrf": mall.csrf}, headers={"Referer": "http://evil.test/x"}
        )
        assert answer.status_code == 503
        assert 'content="5; url=/"' in answer.text
