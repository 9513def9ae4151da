"""The survey tablet's API as a paired survey tablet (and everyone else) meets it, on the
demo venue with its real SQLite log."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from server.app import create_app
from server.config import DEMO_VENUE, load_venue
from server.demo import KIOSK_TOKEN, SURVEY_TOKEN, display_token
from server.domain import commands as cmd
from server.domain import events as ev
from server.domain import ikm
from server.domain.events import decode_event
from server.service import VenueQueue
from server.services import services
from server.settings import Settings
from tests.conftest import AUDIO_CACHE
from tests.helpers import FakeClock, local_time
from visitors.views import VisitProjection

ALL_GOOD = dict.fromkeys(ikm.KEYS, 3)


class Tablet:
    """The demo app in its lifespan, a client speaking as the demo survey tablet."""

    def __init__(self, app: Starlette, client: httpx.AsyncClient) -> None:
        self.app, self.client = app, client

    @property
    def queue(self) -> VenueQueue:
        queue: VenueQueue = services(self.app).queue
        return queue

    async def served(self, service: str = "ktp") -> str:
        """A ticket issued, called and finished at counter 1; its visit token."""
        visit = secrets.token_urlsafe(16)
        await self.queue.execute(
            cmd.IssueTicket(service=service, visit=visit, channel="staff"), uuid.uuid4().hex
        )
        if self.queue.state.counter("1").status != "open":
            await self.queue.execute(cmd.OpenCounter(counter="1", officer="x"), uuid.uuid4().hex)
        await self.queue.execute(cmd.CallNext(counter="1"), uuid.uuid4().hex)
        await self.queue.execute(cmd.Done(counter="1"), uuid.uuid4().hex)
        return visit

    async def find(self, code: str, **headers: str) -> httpx.Response:
        return await self.client.post("/survey/api/find", json={"code": code}, headers=headers)

    async def answer(self, **body: Any) -> httpx.Response:
        body.setdefault("command_id", uuid.uuid4().hex)
        body.setdefault("answers", ALL_GOOD)
        return await self.client.post("/survey/api/answer", json=body)

    async def responses(self) -> list[ev.SurveyAnswered]:
        records = await self.queue.log.read(self.queue.venue.id, after=0, limit=100_000)
        events = [decode_event(r.data) for r in records]
        return [e for e in events if isinstance(e, ev.SurveyAnswered)]


@pytest.fixture
async def tablet(tmp_path: Path) -> AsyncIterator[Tablet]:
    clock = FakeClock(local_time(load_venue(DEMO_VENUE), 2026, 11, 24, 9, 0))
    settings = Settings(data_dir=str(tmp_path), audio_cache=str(AUDIO_CACHE))
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"X-Device-Token": SURVEY_TOKEN}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://tablet.test", headers=headers
        ) as client:
            yield Tablet(app, client)


class TestPairing:
    """Only a survey tablet may ask; a kiosk or a display is told what it is."""

    async def test_the_page_is_a_shell_in_indonesian(self, tablet: Tablet) -> None:
        page = await tablet.client.get("/survey")
        assert page.status_code == 200
        assert "Nilai layanan kami" in page.text and "tanpa nomor antrean" in page.text
        english = await tablet.client.get("/survey?lang=en")
        assert "Rate our service" in english.text

    async def test_the_tablet_says_hello(self, tablet: Tablet) -> None:
        answer = await tablet.client.get("/survey/api/hello")
        assert answer.status_code == 200 and answer.json()["device"]["name"]

    @pytest.mark.parametrize("token", ["", "bukan-token"])
    async def test_strangers_are_refused(self, tablet: Tablet, token: str) -> None:
        headers = {"X-Device-Token": token}
        for answer in (
            await tablet.client.get("/survey/api/hello", headers=headers),
            await tablet.find("A-001", **headers),
            await tablet.client.post(
                "/survey/api/answer",
                json={"command_id": uuid.uuid4().hex, "service": "ktp", "answers": ALL_GOOD},
                headers=headers,
            ),
        ):
            assert answer.status_code == 403
            assert answer.json()["code"] == "unpaired"
            assert "Tablet survei belum dipasangkan" in answer.json()["message"]
        assert await tablet.responses() == []

    @pytest.mark.parametrize(
        ("token", "kind"),
        [(KIOSK_TOKEN, "anjungan"), (display_token("lantai2"), "layar ruang tunggu")],
    )
    async def test_a_kiosk_or_a_display_is_not_a_survey_tablet(
        self, tablet: Tablet, token: str, kind: str
    ) -> None:
        answer = await tablet.client.post(
            "/survey/api/answer",
            json={"command_id": uuid.uuid4().hex, "service": "ktp", "answers": ALL_GOOD},
            headers={"X-Device-Token": token},
        )
        assert answer.status_code == 403 and answer.json()["code"] == "wrong_device"
        assert f"sebagai {kind}, bukan tablet survei" in answer.json()["message"]
        assert await tablet.responses() == []

    async def test_the_tablet_sends_no_staff_command(self, tablet: Tablet) -> None:
        answer = await tablet.client.post(
            "/api/commands",
            json={"type": "call_next", "counter": "1", "command_id": uuid.uuid4().hex},
        )
        assert answer.status_code == 401
        issue = await tablet.client.post(
            "/kiosk/api/issue", json={"command_id": uuid.uuid4().hex, "service": "ktp"}
        )
        assert issue.status_code == 403 and issue.json()["code"] == "wrong_device"
        assert tablet.queue.state.numbers == {}


class TestFinding:
    """A typed or scanned code says at once whether it can be rated, and why not."""

    @pytest.mark.parametrize("code", ["A-001", "a1", " a 001 ", "A001"])
    async def test_the_slip_label_is_found_however_typed(self, tablet: Tablet, code: str) -> None:
        await tablet.served()
        answer = await tablet.find(code)
        assert answer.status_code == 200, answer.text
        found = answer.json()["ticket"]
        assert found["label"] == "A-001" and found["service_name"] == "Perekaman KTP-el"
        assert found["ticket"] == "20261124-A-001"

    async def test_the_slips_qr_code_scanned_finds_the_visits_ticket(self, tablet: Tablet) -> None:
        visit = await tablet.served()
        answer = await tablet.find(f"http://mpp.test/t/{visit}")
        assert answer.status_code == 200 and answer.json()["ticket"]["label"] == "A-001"

    async def test_refusals_are_said_in_indonesian(self, tablet: Tablet) -> None:
        await tablet.served()
        waiting = secrets.token_urlsafe(16)
        await tablet.queue.execute(
            cmd.IssueTicket(service="ktp", visit=waiting, channel="staff"), uuid.uuid4().hex
        )
        cases = {
            "Z-9": ("survey_unknown", "tidak dikenal"),
            "A-2": ("survey_not_served", "belum selesai dilayani"),
            f"http://mpp.test/t/{waiting}": ("survey_not_served", "belum selesai dilayani"),
            "A-50": ("survey_closed", "sudah ditutup"),
        }
        for code, (expected, words) in cases.items():
            answer = await tablet.find(code)
            assert answer.status_code == 409, code
            assert answer.json()["code"] == expected, code
            assert words in answer.json()["message"], code
        assert (await tablet.answer(ticket="20261124-A-001")).status_code == 200
        again = await tablet.find("A-1")
        assert again.json()["code"] == "survey_answered"
        assert "sudah diisi" in again.json()["message"]

    @pytest.mark.parametrize("code", ["", "   ", "A" * 301])
    async def test_an_empty_or_overlong_code_is_a_400(self, tablet: Tablet, code: str) -> None:
        answer = await tablet.find(code)
        assert answer.status_code == 400 and "nomor antrean" in answer.json()["message"]


class TestAnswering:
    """One response per ticket (or per anonymous visitor), retries counted once."""

    async def test_a_ticket_is_rated_by_channel_tablet(self, tablet: Tablet) -> None:
        await tablet.served()
        answer = await tablet.answer(
            ticket="20261124-A-001", comment="Ramah", respondent={"age": "30-39"}
        )
        assert answer.status_code == 200 and answer.json()["ok"]
        [response] = await tablet.responses()
        assert (response.channel, response.ticket, response.counter) == (
            "tablet",
            "20261124-A-001",
            "1",
        )
        assert (response.comment, response.age) == ("Ramah", "30-39")

    async def test_an_anonymous_response_rates_todays_service(self, tablet: Tablet) -> None:
        answer = await tablet.answer(service="kk")
        assert answer.status_code == 200
        [response] = await tablet.responses()
        assert (response.service, response.tenant, response.ticket) == ("kk", "dispendukcapil", "")
        assert response.day.isoformat() == "2026-11-24" and response.channel == "tablet"

    async def test_a_double_tap_is_one_response(self, tablet: Tablet) -> None:
        command_id = uuid.uuid4().hex
        first = await tablet.answer(service="kk", command_id=command_id)
        second = await tablet.answer(service="kk", command_id=command_id)
        assert first.status_code == second.status_code == 200
        assert second.json()["duplicate"] is True
        assert len(await tablet.responses()) == 1

    async def test_the_same_id_with_other_answers_is_refused(self, tablet: Tablet) -> None:
        command_id = uuid.uuid4().hex
        await tablet.answer(service="kk", command_id=command_id)
        other = await tablet.answer(service="ktp", command_id=command_id)
        assert other.status_code == 409 and other.json()["code"] == "command_id_reused"

    async def test_a_rated_ticket_is_refused_in_place(self, tablet: Tablet) -> None:
        visit = await tablet.served()
        await tablet.answer(ticket="20261124-A-001")
        answer = await tablet.answer(ticket="20261124-A-001")
        assert answer.status_code == 409 and answer.json()["code"] == "survey_answered"
        views: VisitProjection = services(tablet.app).visits
        assert views.survey(visit) is None  # the phone page no longer asks either

    @pytest.mark.parametrize(
        "body",
        [
            {"service": "paspor"},
            {"service": "kk", "answers": {**ALL_GOOD, "sarana": 5}},
            {"service": "kk", "respondent": {"age": "tua"}},
            {"ticket": "20261124-Z-999"},
        ],
    )
    async def test_forged_answers_are_refused(self, tablet: Tablet, body: dict[str, Any]) -> None:
        answer = await tablet.answer(**body)
        assert answer.status_code == 409, answer.text
        assert answer.json()["message"]
        assert await tablet.responses() == []

    @pytest.mark.parametrize(
        "body",
        [
            {"command_id": "short", "service": "kk", "answers": ALL_GOOD},
            {"command_id": uuid.uuid4().hex, "answers": ALL_GOOD},
            {"command_id": uuid.uuid4().hex, "service": "kk"},
            {"command_id": uuid.uuid4().hex, "service": "kk", "answers": {"persyaratan": "x"}},
        ],
    )
    async def test_malformed_bodies_are_a_400(self, tablet: Tablet, body: dict[str, Any]) -> None:
        answer = await tablet.client.post("/survey/api/answer", json=body)
        assert answer.status_code == 400 and answer.json()["message"].startswith(
            "Permintaan tidak valid"
        )
