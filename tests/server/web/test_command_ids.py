"""Command ids over HTTP: a retry is answered once, an id cannot be reused for another
command, and the ids the server makes for visitors cannot be guessed and pre-empted."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from server.settings import Settings
from tests import helpers
from tests.conftest import AUDIO_CACHE
from tests.helpers import FakeClock, serving

TUESDAY_NINE = dt.datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


class Mall(helpers.Mall):
    """The demo app in its lifespan: a paired kiosk, a phone, and a manager's browser."""

    async def cancel_form(self, visit: str) -> dict[str, str]:
        page = (await self.client.get(f"/t/{visit}")).text
        form = re.search(r'action="/t/[^"]+/cancel">.*?name="form" value="([^"]+)"', page, re.S)
        assert form, "the phone page has no cancel form"
        return {"form": form.group(1)}

    async def cancel_from_the_phone(self, visit: str) -> httpx.Response:
        return await self.client.post(f"/t/{visit}/cancel", data=await self.cancel_form(visit))

    def status(self, label: str) -> str:
        return next(t.status for t in self.queue.state.tickets.values() if t.label == label)


@pytest.fixture
async def mall(tmp_path: Path) -> AsyncIterator[Mall]:
    settings = Settings(data_dir=str(tmp_path), audio_cache=str(AUDIO_CACHE))
    async with serving(settings, FakeClock(TUESDAY_NINE), host="mpp.test") as (app, client):
        yield Mall(app, client)


class TestVisitorIds:
    """Ids the server makes for a visitor's form cannot be taken first by someone else."""

    async def test_a_kiosk_cannot_pre_empt_a_visitors_cancel(self, mall: Mall) -> None:
        ticket = (await mall.kiosk("issue", service="ktp")).json()["ticket"]
        # The id the phone page used to derive for this ticket's cancel, sent first by a
        # kiosk with a command of its own.
        forged = f"visitor-cancel-20261124-{ticket['label']}"
        assert (await mall.kiosk("issue", service="ktp", command_id=forged)).status_code == 200
        answer = await mall.cancel_from_the_phone(ticket["visit"])
        assert answer.status_code == 303
        assert mall.status(ticket["label"]) == "cancelled"

    async def test_a_cancel_sent_twice_is_one_cancel(self, mall: Mall) -> None:
        ticket = (await mall.kiosk("issue", service="ktp")).json()["ticket"]
        form = await mall.cancel_form(ticket["visit"])
        for _ in range(2):
            answer = await mall.client.post(f"/t/{ticket['visit']}/cancel", data=form)
            assert answer.status_code == 303
        assert mall.status(ticket["label"]) == "cancelled"


class TestReusedIds:
    """The same id with another body is refused by name, in the reader's language."""

    async def test_the_kiosk_refuses_an_id_reused_for_another_request(self, mall: Mall) -> None:
        command_id = uuid.uuid4().hex
        assert (await mall.kiosk("issue", service="ktp", command_id=command_id)).status_code == 200
        answer = await mall.kiosk("issue", service="kk", command_id=command_id)
        assert answer.status_code == 409
        body = answer.json()
        assert (body["ok"], body["code"]) == (False, "command_id_reused")
        assert body["message"].startswith("Kode permintaan ini sudah dipakai")
        assert mall.queue.state.numbers == {"ktp": 1}

    async def test_the_refusal_speaks_english_when_asked(self, mall: Mall) -> None:
        command_id = uuid.uuid4().hex
        await mall.kiosk("request", text="Layanan paspor", tenant="", command_id=command_id)
        mall.client.cookies.set("lang", "en")
        answer = await mall.kiosk("issue", service="ktp", command_id=command_id)
        assert answer.status_code == 409
        assert answer.json()["message"].startswith("This request's id was already used")

    async def test_a_kiosk_retry_still_gets_its_first_ticket(self, mall: Mall) -> None:
        command_id = uuid.uuid4().hex
        first = (await mall.kiosk("issue", service="ktp", command_id=command_id)).json()
        again = (await mall.kiosk("issue", service="ktp", command_id=command_id)).json()
        assert first["ticket"]["visit"] == again["ticket"]["visit"]
        assert mall.queue.state.numbers == {"ktp": 1}

    async def test_the_command_api_refuses_an_id_reused_for_another_command(
        self, mall: Mall
    ) -> None:
        await mall.sign_in("manajer")
        command_id = uuid.uuid4().hex
        opened = await mall.post(type="open_counter", counter="1", command_id=command_id)
        assert opened.json()["ok"]
        again = await mall.post(type="open_counter", counter="1", command_id=command_id)
        assert again.json()["duplicate"] is True
        other = await mall.post(type="close_counter", counter="1", command_id=command_id)
        assert other.status_code == 409
        assert other.json()["code"] == "command_id_reused"
        assert mall.queue.state.counters["1"].status == "open"

    async def test_another_user_cannot_reuse_an_officers_id(self, mall: Mall) -> None:
        command_id = uuid.uuid4().hex
        await mall.kiosk("issue", service="ktp", command_id=command_id)
        await mall.sign_in("manajer")
        # The kiosk's id, sent by a signed-in user with a command the kiosk never sent.
        answer = await mall.post(type="open_counter", counter="1", command_id=command_id)
        assert (answer.status_code, answer.json()["code"]) == (409, "command_id_reused")
