"""`/metrics` in-process: what the queue counts, what a scrape reads from the state, and
who may scrape (this host, or the token's holder; nobody else)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from server.app import create_app
from server.settings import Settings
from tests import helpers
from tests.conftest import AUDIO_CACHE
from tests.helpers import FakeClock, serving

TUESDAY_NINE = dt.datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
TOKEN = "s3cret-metrics-token"


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of a scrape (0 when it is not there)."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return 0.0


@pytest.fixture
async def mall(tmp_path: Path) -> AsyncIterator[helpers.Mall]:
    settings = Settings(data_dir=str(tmp_path), audio_cache=str(AUDIO_CACHE), metrics_token=TOKEN)
    async with serving(settings, FakeClock(TUESDAY_NINE)) as (app, client):
        yield helpers.Mall(app, client)


def remote(mall: helpers.Mall) -> httpx.AsyncClient:
    """A client of the same app from another host of the LAN."""
    transport = httpx.ASGITransport(app=mall.app, client=("192.168.1.40", 50123))
    return httpx.AsyncClient(transport=transport, base_url="http://t")


class TestCounts:
    """Commands, refusals, appends and waiting tickets, as the queue saw them."""

    async def test_commands_refusals_and_appends_are_counted(self, mall: helpers.Mall) -> None:
        for _ in range(3):
            assert (await mall.kiosk("issue", service="ktp")).status_code == 200
        retried = await mall.kiosk(
            "issue", service="ktp", command_id="0f0e0d0c-0b0a-4000-8000-000000000001"
        )
        again = await mall.kiosk(
            "issue", service="ktp", command_id="0f0e0d0c-0b0a-4000-8000-000000000001"
        )
        assert retried.status_code == again.status_code == 200
        assert (await mall.kiosk("issue", service="no-such-service")).status_code == 409
        text = (await mall.client.get("/metrics")).text
        assert sample(text, "antrean_commands_total", type="issue_ticket", duplicate="false") == 4
        assert sample(text, "antrean_commands_total", type="issue_ticket", duplicate="true") == 1
        assert sample(text, "antrean_command_refusals_total", code="unknown_service") == 1
        # One append per command carried out; the demo's own setup appends too.
        appends = sample(text, "antrean_append_seconds_count", backend="sqlite")
        assert appends >= 4
        assert sample(text, "antrean_log_seq") == mall.queue.state.seq

    async def test_waiting_tickets_are_read_from_the_state(self, mall: helpers.Mall) -> None:
        for service in ("ktp", "ktp", "kk"):
            assert (await mall.kiosk("issue", service=service)).status_code == 200
        text = (await mall.client.get("/metrics")).text
        assert sample(text, "antrean_tickets_waiting", service="ktp") == 2
        assert sample(text, "antrean_tickets_waiting", service="kk") == 1
        # Every service of the venue is reported, waiting or not.
        assert all(
            f'antrean_tickets_waiting{{service="{s}"}}' in text for s in mall.queue.venue.services
        )

    async def test_process_metrics_are_there(self, mall: helpers.Mall) -> None:
        text = (await mall.client.get("/metrics")).text
        assert sample(text, "process_resident_memory_bytes") > 0
        assert "python_info" in text and "python_gc_collections_total" in text

    async def test_two_apps_count_apart(self, mall: helpers.Mall, tmp_path: Path) -> None:
        other = Settings(data_dir=str(tmp_path / "other"), audio_cache=str(AUDIO_CACHE))
        async with serving(other, FakeClock(TUESDAY_NINE)) as (_, client):
            assert (await mall.kiosk("issue", service="ktp")).status_code == 200
            theirs = (await client.get("/metrics")).text
        ours = (await mall.client.get("/metrics")).text
        assert sample(ours, "antrean_commands_total", type="issue_ticket", duplicate="false") == 1
        assert sample(theirs, "antrean_commands_total", type="issue_ticket", duplicate="false") == 0


class TestAccess:
    """Only this host, or whoever sends the token; anyone else is told no, in JSON."""

    async def test_another_host_without_the_token_is_refused(self, mall: helpers.Mall) -> None:
        async with remote(mall) as client:
            answer = await client.get("/metrics")
        assert answer.status_code == 403
        assert answer.json()["code"] == "metrics_forbidden"
        assert "antrean_" not in answer.text

    @pytest.mark.parametrize(
        "header",
        [f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", TOKEN, "Bearer ü"],
    )
    async def test_a_wrong_token_is_refused(self, mall: helpers.Mall, header: str) -> None:
        async with remote(mall) as client:
            sent = {b"authorization": header.encode("latin-1")}
            answer = await client.get("/metrics", headers=sent)
        assert answer.status_code == 403

    async def test_the_token_opens_it_from_another_host(self, mall: helpers.Mall) -> None:
        async with remote(mall) as client:
            answer = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/plain")
        assert "antrean_tickets_waiting" in answer.text

    async def test_without_a_configured_token_no_token_opens_it(self, tmp_path: Path) -> None:
        settings = Settings(data_dir=str(tmp_path), audio_cache=str(AUDIO_CACHE))
        app = create_app(settings, clock=FakeClock(TUESDAY_NINE))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=("10.0.0.9", 4000))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                answer = await client.get("/metrics", headers={"Authorization": "Bearer "})
        assert answer.status_code == 403
