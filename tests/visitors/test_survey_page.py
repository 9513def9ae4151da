"""The satisfaction survey on the phone page: `/t/<token>` once a ticket is served, and
`POST /t/<token>/survey`, on the whole app with its real SQLite log."""

from __future__ import annotations

import re
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from starlette.applications import Starlette

from server.domain import commands as cmd
from server.domain import events as ev
from server.domain import ikm
from server.domain.events import decode_event, encode_event
from server.service import VenueQueue
from server.services import services
from server.settings import Settings
from tests.conftest import AUDIO_CACHE
from tests.helpers import FakeClock, serving
from visitors import survey
from visitors.ticket import FORM_MAX_AGE

TUESDAY_NINE = "2026-11-24T09:00:00+07:00"
ALL_GOOD = dict.fromkeys(ikm.KEYS, "3")


class Phone:
    """The demo venue's app, its queue driven by commands, and a visitor's phone on it."""

    def __init__(self, app: Starlette, client: httpx.AsyncClient, clock: FakeClock) -> None:
        self.app, self.client, self.clock = app, client, clock

    @property
    def queue(self) -> VenueQueue:
        queue: VenueQueue = services(self.app).queue
        return queue

    async def run(self, command: cmd.Command) -> None:
        await self.queue.execute(command, uuid.uuid4().hex)

    async def visit(self, service: str = "ktp", **kw: object) -> str:
        """A new visit's ticket, as the kiosk issues it; the visit token."""
        token = secrets.token_urlsafe(16)
        await self.run(cmd.IssueTicket(service=service, visit=token, channel="staff", **kw))  # type: ignore[arg-type]
        return token

    async def serve(self, counter: str = "1") -> None:
        """The counter calls the next ticket and finishes it."""
        await self.run(cmd.CallNext(counter=counter))
        await self.run(cmd.Done(counter=counter))

    async def new_day(self) -> None:
        self.clock.advance(days=1)
        await self.run(cmd.RollDay())
        await self.run(cmd.OpenCounter(counter="1", officer="petugas"))

    def signed(self, purpose: str) -> str:
        """A visitor form's token for `purpose`, signed as the page signs it."""
        signer = URLSafeTimedSerializer(services(self.app).secret, salt="antrean-visitor-form")
        return signer.dumps(purpose)

    async def page(self, token: str) -> httpx.Response:
        return await self.client.get(f"/t/{token}")

    async def form(self, token: str) -> dict[str, str]:
        """The survey form's hidden fields, as the page rendered them."""
        html = (await self.page(token)).text
        found = re.search(r'action="/t/[^"]+/survey".*?name="form" value="([^"]+)"', html, re.S)
        ticket = re.search(r'name="ticket" value="([^"]+)"', html)
        assert found and ticket, "the page shows no survey form"
        return {"form": found.group(1), "ticket": ticket.group(1)}

    async def answer(self, token: str, **fields: str) -> httpx.Response:
        data = await self.form(token) | ALL_GOOD | fields
        return await self.client.post(f"/t/{token}/survey", data=data)

    async def responses(self) -> list[ev.SurveyAnswered]:
        records = await self.queue.log.read(self.queue.venue.id, after=0, limit=100_000)
        events = (decode_event(r.data) for r in records)
        return [e for e in events if isinstance(e, ev.SurveyAnswered)]


@pytest.fixture
async def phone(tmp_path: Path) -> AsyncIterator[Phone]:
    clock = FakeClock(Settings(clock_start=TUESDAY_NINE).clock()())
    settings = Settings(data_dir=str(tmp_path), audio_cache=str(AUDIO_CACHE))
    async with serving(settings, clock=clock, host="mpp.test") as (app, client):
        mall = Phone(app, client, clock)
        await mall.run(cmd.OpenCounter(counter="1", officer="petugas"))
        yield mall


def checked(html: str, key: str) -> str | None:
    """The answer checked for unsur `key` on the page, if any."""
    found = re.search(rf'name="{key}" value="(\d)" checked', html)
    return found.group(1) if found else None


class TestTheForm:
    """Served, the phone page becomes the questionnaire of the regulation."""

    async def test_a_served_ticket_shows_the_nine_questions(self, phone: Phone) -> None:
        token = await phone.visit()
        await phone.serve()
        page = await phone.page(token)
        assert page.status_code == 200
        html = page.text
        assert 'data-state="survey"' in html
        for n, unsur in enumerate(ikm.UNSUR, 1):
            assert f"Pertanyaan {n} dari 9" in html
            assert unsur.question in html
            for value, label in enumerate(unsur.labels, 1):
                assert f'name="{unsur.key}" value="{value}"' in html
                assert label in html
        assert f'maxlength="{ikm.MAX_COMMENT}"' in html
        assert f"paling banyak {ikm.MAX_COMMENT} karakter" in html
        for words in ("Di bawah 20 tahun", "60 tahun ke atas", "SMA/SMK", "Pelajar/Mahasiswa"):
            assert words in html
        assert "petugas tidak melihat siapa menjawab apa" in html
        # Nobody must lose their answers to the no-script refresh of the live faces.
        assert 'http-equiv="refresh"' not in html

    async def test_english_on_request(self, phone: Phone) -> None:
        token = await phone.visit()
        await phone.serve()
        html = (await phone.client.get(f"/t/{token}?lang=en")).text
        assert "How fast was the service delivered?" in html
        assert "Very polite and friendly" in html
        assert "Question 9 of 9" in html

    def test_every_question_and_label_is_in_the_catalogue(self) -> None:
        words = {u.question for u in ikm.UNSUR} | {w for u in ikm.UNSUR for w in u.labels}
        assert words <= set(survey.QUESTIONNAIRE)
        for field, codes in ikm.PROFILE.items():
            assert set(survey.PROFILE_WORDS[field]) == set(codes)

    async def test_before_the_service_ends_a_post_is_told_to_wait(self, phone: Phone) -> None:
        token = await phone.visit()
        html = (await phone.page(token)).text
        assert 'data-state="waiting"' in html and 'action="/t/' + token + '/survey"' not in html
        await phone.run(cmd.CallNext(counter="1"))
        # An old tab's survey form of this visit, posted while it is at the counter.
        data = {"form": phone.signed(f"survey:{token}")} | ALL_GOOD
        answer = await phone.client.post(f"/t/{token}/survey", data=data)
        assert answer.status_code == 409
        assert "Tiket A-001 belum selesai dilayani" in answer.text
        assert await phone.responses() == []


class OldSigner(TimestampSigner):
    """Signs as if it were 13 hours ago: a form left open past its validity."""

    def get_timestamp(self) -> int:
        return int(time.time()) - FORM_MAX_AGE - 3600


class TestAnswering:
    """The post: checked, sent as the visit's own command, once."""

    async def test_the_response_is_logged_about_the_service_without_the_visit(
        self, phone: Phone
    ) -> None:
        token = await phone.visit()
        await phone.serve()
        answer = await phone.answer(
            token, waktu="4", comment="Cepat dan ramah", age="30-39", sex="P", occupation="PNS"
        )
        assert (answer.status_code, answer.headers["location"]) == (303, f"/t/{token}")
        [response] = await phone.responses()
        assert (response.service, response.tenant, response.counter) == (
            "ktp",
            "dispendukcapil",
            "1",
        )
        assert response.channel == "phone" and response.day.isoformat() == "2026-11-24"
        assert response.answers == dict.fromkeys(ikm.KEYS, 3) | {"waktu": 4}
        assert (response.comment, response.age, response.sex, response.occupation) == (
            "Cepat dan ramah",
            "30-39",
            "P",
            "PNS",
        )
        assert response.education == ""
        assert token.encode() not in encode_event(response)
        thanks = (await phone.page(token)).text
        assert 'data-state="thanks"' in thanks and "Terima kasih" in thanks
        assert '/survey"' not in thanks

    async def test_a_forged_ticket_field_cannot_rate_another_visit(self, phone: Phone) -> None:
        mine = await phone.visit()
        theirs = await phone.visit()
        await phone.serve()
        await phone.serve()
        their_ticket = (await phone.form(theirs))["ticket"]
        answer = await phone.answer(mine, ticket=their_ticket, sarana="1")
        assert answer.status_code == 303
        [response] = await phone.responses()
        assert response.ticket != their_ticket and response.answers["sarana"] == 1
        # Theirs is still theirs to rate.
        assert 'data-state="survey"' in (await phone.page(theirs)).text
        assert (await phone.answer(theirs)).status_code == 303

    @pytest.mark.parametrize("how", ["forged", "another visit's", "expired", "cross-site"])
    async def test_a_bad_form_token_is_refused_in_indonesian(self, phone: Phone, how: str) -> None:
        token = await phone.visit()
        other = await phone.visit()
        await phone.serve()
        data = await phone.form(token) | ALL_GOOD
        headers = {}
        if how == "forged":
            data["form"] = "forged"
        elif how == "another visit's":
            data["form"] = phone.signed(f"survey:{other}")
        elif how == "expired":
            old = URLSafeTimedSerializer(
                services(phone.app).secret, salt="antrean-visitor-form", signer=OldSigner
            )
            data["form"] = old.dumps(f"survey:{token}")
        else:
            headers["Origin"] = "https://evil.example"
        answer = await phone.client.post(f"/t/{token}/survey", data=data, headers=headers)
        assert answer.status_code == 403
        assert "Formulir kedaluwarsa atau tidak sah" in answer.text
        assert await phone.responses() == []

    async def test_missing_answers_are_named_and_the_given_ones_kept(self, phone: Phone) -> None:
        token = await phone.visit()
        await phone.serve()
        data = await phone.form(token) | ALL_GOOD | {"biaya": "4", "comment": "Antre lama"}
        del data["waktu"], data["sarana"]
        answer = await phone.client.post(f"/t/{token}/survey", data=data | {"sex": "L"})
        assert answer.status_code == 400
        assert "Yang belum dijawab: pertanyaan nomor 3, 9." in answer.text
        assert checked(answer.text, "biaya") == "4" and checked(answer.text, "persyaratan") == "3"
        assert checked(answer.text, "waktu") is None
        assert ">Antre lama</textarea>" in answer.text
        assert '<option value="L" selected>' in answer.text
        assert await phone.responses() == []

    async def test_a_double_submit_is_one_response(self, phone: Phone) -> None:
        token = await phone.visit()
        await phone.serve()
        data = await phone.form(token) | ALL_GOOD
        first = await phone.client.post(f"/t/{token}/survey", data=data)
        again = await phone.client.post(f"/t/{token}/survey", data=data)
        assert first.status_code == again.status_code == 303
        assert len(await phone.responses()) == 1
        # Back to the old page and other answers sent: the first response stands.
        other = await phone.client.post(f"/t/{token}/survey", data=data | {"biaya": "1"})
        assert other.status_code == 409
        assert "Survei untuk tiket A-001 sudah diisi" in other.text
        [response] = await phone.responses()
        assert response.answers["biaya"] == 3

    async def test_a_visit_of_two_services_rates_each_in_turn(self, phone: Phone) -> None:
        await phone.run(cmd.OpenCounter(counter="5", officer="petugas5"))
        token = await phone.visit(itinerary=("kk",))
        await phone.serve("1")
        # In the next lane: the page follows the queue, no survey yet.
        assert 'data-state="waiting"' in (await phone.page(token)).text
        await phone.serve("5")
        first = (await phone.page(token)).text
        assert 'data-state="survey"' in first and "Perekaman KTP-el" in first
        ktp = await phone.form(token)
        await phone.client.post(f"/t/{token}/survey", data=ktp | ALL_GOOD)
        second = (await phone.page(token)).text
        assert 'data-state="survey"' in second
        assert "Masih ada layanan lain untuk dinilai" in second and "Kartu Keluarga" in second
        # A double tap on the first survey lands after it went through: it rates KTP again
        # (harmlessly), never Kartu Keluarga with the KTP answers.
        again = await phone.client.post(f"/t/{token}/survey", data=ktp | ALL_GOOD)
        assert again.status_code == 303
        assert [r.service for r in await phone.responses()] == ["ktp"]
        await phone.answer(token)
        assert [r.service for r in await phone.responses()] == ["ktp", "kk"]
        assert 'data-state="thanks"' in (await phone.page(token)).text


class TestTheNextDay:
    """The survey stays open until the end of the next service day, then says it closed."""

    async def test_yesterdays_token_still_rates_then_closes(self, phone: Phone) -> None:
        token = await phone.visit()
        await phone.serve()
        await phone.new_day()
        page = await phone.page(token)
        assert page.status_code == 200 and 'data-state="survey"' in page.text
        assert "Perekaman KTP-el" in page.text
        # A phone may still watch it live (the socket is not refused as for a gone visit).
        assert services(phone.app).visits.knows(f"visit:{token}")
        # Someone is served on this second day: the next rollover closes the first day's.
        await phone.visit()
        await phone.serve()
        await phone.new_day()
        closed = await phone.page(token)
        assert closed.status_code == 200
        assert 'data-state="survey_closed"' in closed.text
        assert "Survei sudah ditutup" in closed.text

    async def test_yesterdays_answer_counts_for_yesterday(self, phone: Phone) -> None:
        token = await phone.visit()
        await phone.serve()
        await phone.new_day()
        assert (await phone.answer(token)).status_code == 303
        [response] = await phone.responses()
        assert response.day.isoformat() == "2026-11-24"
        assert 'data-state="thanks"' in (await phone.page(token)).text

    async def test_a_closed_survey_refuses_a_late_post(self, phone: Phone) -> None:
        token = await phone.visit()
        await phone.serve()
        data = await phone.form(token) | ALL_GOOD
        await phone.new_day()
        await phone.visit()
        await phone.serve()
        await phone.new_day()
        late = await phone.client.post(f"/t/{token}/survey", data=data)
        assert late.status_code == 409
        assert "Tidak ada layanan yang bisa dinilai" in late.text
        assert await phone.responses() == []

    async def test_a_token_of_nobody_is_not_found(self, phone: Phone) -> None:
        nobody = secrets.token_urlsafe(16)
        assert (await phone.page(nobody)).status_code == 404
        answer = await phone.client.post(f"/t/{nobody}/survey", data={"form": "x"})
        assert answer.status_code in (403, 404)
