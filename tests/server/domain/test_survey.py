"""The satisfaction survey's rules: who may answer, for which ticket, until when."""

from __future__ import annotations

import datetime as dt

import pytest

from server.domain import commands as cmd
from server.domain import events as ev
from server.domain import ikm
from server.domain.venue import Holiday, OpeningHours
from server.messages import explain
from tests.helpers import Queue, local_time, small_venue

GOOD = dict.fromkeys(ikm.KEYS, 3)


def served(q: Queue, service: str = "ktp", counter: str = "1") -> str:
    """Issue, call and finish one ticket at `counter`; its id."""
    q(cmd.RollDay())  # a new day closes every counter first
    if q.state.counter(counter).status != "open":
        q.open(counter)
    ticket = q.issue(service)
    q(cmd.CallNext(counter=counter))
    q(cmd.Done(counter=counter))
    return ticket.id


def answer(ticket: str, **kw: object) -> cmd.AnswerSurvey:
    return cmd.AnswerSurvey(answers=kw.pop("answers", GOOD), ticket=ticket, **kw)  # type: ignore[arg-type]


class TestOneResponsePerServedTicket:
    def test_a_served_ticket_is_rated_with_its_service_tenant_and_counter(self) -> None:
        q = Queue()
        ticket = served(q, counter="1")
        [event] = q(answer(ticket, comment="  Cepat   dan ramah "))
        assert isinstance(event, ev.SurveyAnswered)
        assert (event.service, event.tenant, event.counter, event.ticket) == (
            "ktp",
            "dukcapil",
            "1",
            ticket,
        )
        assert event.day == dt.date(2026, 11, 24) and event.channel == "phone"
        assert event.comment == "Cepat dan ramah"
        # Who answered is not in the event: no officer, no visit token.
        assert "officer" not in ev.SurveyAnswered.__struct_fields__
        assert "visit" not in ev.SurveyAnswered.__struct_fields__

    def test_a_second_response_is_refused(self) -> None:
        q = Queue()
        ticket = served(q)
        q(answer(ticket))
        error = q.refused(answer(ticket))
        assert error.code == "survey_answered"
        assert "A-001" in explain(error, "id")

    def test_the_slip_label_finds_the_ticket_too(self) -> None:
        q = Queue()
        served(q)
        [event] = q(answer("a1", channel="tablet"))
        assert isinstance(event, ev.SurveyAnswered) and event.channel == "tablet"

    def test_a_ticket_not_yet_served_cannot_be_rated(self) -> None:
        q = Queue()
        ticket = q.issue()
        error = q.refused(answer(ticket.id))
        assert error.code == "survey_not_served"
        assert "belum selesai" in explain(error, "id")

    def test_a_no_show_or_a_cancelled_ticket_cannot_be_rated(self) -> None:
        q = Queue()
        q.open("1")
        ticket = q.issue()
        q(cmd.CallNext(counter="1"))
        q(cmd.NoShow(counter="1"))
        assert q.refused(answer(ticket.id)).code == "survey_not_served"
        other = q.issue()
        q(cmd.CancelTicket(ticket=other.id))
        assert q.refused(answer(other.id)).code == "survey_not_served"

    def test_a_forged_ticket_id_is_refused(self) -> None:
        q = Queue()
        served(q)
        assert q.refused(answer("20261124-A-999")).code == "survey_closed"
        assert q.refused(answer("20261124-Z-999")).code == "survey_unknown"

    @pytest.mark.parametrize("ref", ["Z-1", "halo", "A-", "1234", "https://contoh.test/x"])
    def test_a_code_no_slip_of_this_venue_carries_is_unknown_not_closed(self, ref: str) -> None:
        q = Queue()
        served(q)
        error = q.refused(answer(ref, channel="tablet"))
        assert error.code == "survey_unknown"
        assert "tidak dikenal" in explain(error, "id")

    def test_a_closed_survey_names_the_label_as_the_slip_shows_it(self) -> None:
        q = Queue()
        error = q.refused(answer(" a 12 ", channel="tablet"))
        assert error.code == "survey_closed" and "A-012" in explain(error, "id")

    @pytest.mark.parametrize(
        "answers",
        [
            {k: v for k, v in GOOD.items() if k != "sarana"},
            {**GOOD, "sarana": 5},
            {**GOOD, "sarana": 0},
            {**GOOD, "lainnya": 3},
        ],
    )
    def test_incomplete_or_out_of_range_answers_are_refused(self, answers: dict[str, int]) -> None:
        q = Queue()
        ticket = served(q)
        error = q.refused(answer(ticket, answers=answers))
        assert error.code == "survey_invalid"
        # Refused answers do not use up the ticket's one response.
        q(answer(ticket))

    def test_the_profile_takes_only_the_forms_options(self) -> None:
        q = Queue()
        ticket = served(q)
        odd = cmd.Respondent(education="Profesor")
        assert q.refused(answer(ticket, respondent=odd)).code == "survey_invalid"
        fine = cmd.Respondent(age="30-39", sex="P", education="D4-S1", occupation="SWASTA")
        [event] = q(answer(ticket, respondent=fine))
        assert isinstance(event, ev.SurveyAnswered)
        assert (event.age, event.sex, event.education, event.occupation) == (
            "30-39",
            "P",
            "D4-S1",
            "SWASTA",
        )

    def test_an_overlong_comment_is_refused(self) -> None:
        q = Queue()
        ticket = served(q)
        error = q.refused(answer(ticket, comment="x" * (ikm.MAX_COMMENT + 1)))
        assert error.code == "survey_invalid"


class TestOpenUntilTheEndOfTheNextServiceDay:
    def test_open_the_next_day_closed_the_day_after(self) -> None:
        q = Queue()
        ticket = served(q)  # Tuesday
        q.now = local_time(q.venue, 2026, 11, 25, 9, 0)
        served(q)  # Wednesday: someone is served, so Wednesday is a service day
        q.now = local_time(q.venue, 2026, 11, 25, 23, 59)
        q(answer(ticket))  # still open at the end of Wednesday
        unrated = served(q, counter="2")
        wednesday = served(q)
        q.now = local_time(q.venue, 2026, 11, 26, 0, 1)
        # Thursday: Tuesday's surveys closed with Wednesday; Wednesday's are open.
        for ticket_id in (unrated, wednesday):
            [event] = q(answer(ticket_id))[-1:]
            assert isinstance(event, ev.SurveyAnswered) and event.day == dt.date(2026, 11, 25)

    def test_tuesdays_survey_closes_when_wednesday_ends(self) -> None:
        q = Queue()
        tuesday = served(q)
        q.now = local_time(q.venue, 2026, 11, 25, 9, 0)
        served(q)
        q.now = local_time(q.venue, 2026, 11, 26, 0, 1)
        assert q.refused(answer(tuesday)).code == "survey_closed"

    def test_a_weekend_and_a_holiday_do_not_close_fridays_survey(self) -> None:
        week = {
            d: OpeningHours(dt.time(8), dt.time(15)) for d in ("mon", "tue", "wed", "thu", "fri")
        }
        venue = small_venue(
            hours=week, holidays=(Holiday(date=dt.date(2026, 11, 30), name="Cuti bersama"),)
        )
        q = Queue(venue)
        q.now = local_time(venue, 2026, 11, 27, 10, 0)  # Friday
        ticket = served(q)
        # The scheduler rolls the day over on Saturday, Sunday and the Monday holiday.
        for day in (28, 29, 30):
            q.now = local_time(venue, 2026, 11, day, 0, 5)
            q(cmd.RollDay())
        q.now = local_time(venue, 2026, 12, 1, 10, 0)  # Tuesday, the next service day
        q(cmd.RollDay())
        later = served(q)
        q.now = local_time(venue, 2026, 12, 1, 20, 0)
        q(answer(ticket))  # Friday's, rated on Tuesday evening
        q.now = local_time(venue, 2026, 12, 2, 8, 0)
        q(answer(later))  # Tuesday's, rated on Wednesday

    def test_fridays_survey_closes_with_the_next_service_day(self) -> None:
        week = {
            d: OpeningHours(dt.time(8), dt.time(15)) for d in ("mon", "tue", "wed", "thu", "fri")
        }
        q = Queue(small_venue(hours=week))
        q.now = local_time(q.venue, 2026, 11, 27, 10, 0)  # Friday
        ticket = served(q)
        q.now = local_time(q.venue, 2026, 11, 30, 10, 0)  # Monday
        served(q)
        q.now = local_time(q.venue, 2026, 12, 1, 8, 0)  # Tuesday
        error = q.refused(answer(ticket))
        assert error.code == "survey_closed"
        assert "akhir hari layanan berikutnya" in explain(error, "id")


class TestAnonymousAndImported:
    def test_the_survey_tablet_answers_for_a_chosen_service(self) -> None:
        q = Queue()
        [event] = q(cmd.AnswerSurvey(answers=GOOD, channel="tablet", service="sim"))[-1:]
        assert isinstance(event, ev.SurveyAnswered)
        assert (event.service, event.tenant, event.ticket, event.counter) == (
            "sim",
            "polres",
            "",
            "",
        )
        # It rates today's service: the visitor is at the venue, just served.
        assert event.day == q.now.date() and event.channel == "tablet"

    def test_anonymous_responses_are_not_limited_to_one(self) -> None:
        q = Queue()
        for _ in range(2):
            [event] = q(cmd.AnswerSurvey(answers=GOOD, channel="tablet", service="sim"))[-1:]
            assert isinstance(event, ev.SurveyAnswered)

    def test_a_phone_must_name_its_ticket(self) -> None:
        q = Queue()
        error = q.refused(cmd.AnswerSurvey(answers=GOOD, channel="phone", service="sim"))
        assert error.code == "survey_not_served"

    def test_an_unknown_service_is_named(self) -> None:
        q = Queue()
        error = q.refused(cmd.AnswerSurvey(answers=GOOD, channel="tablet", service="paspor"))
        assert error.code == "unknown_service"

    def test_imported_rows_are_recorded_once(self) -> None:
        q = Queue()
        rows = tuple(
            cmd.SurveyRow(source=f"paper:{n}", day=dt.date(2026, 11, 2), service="kk", answers=GOOD)
            for n in range(3)
        )
        first = q(cmd.ImportSurveys(rows=rows))
        assert [e.source for e in first if isinstance(e, ev.SurveyAnswered)] == [
            "paper:0",
            "paper:1",
            "paper:2",
        ]
        again = q(cmd.ImportSurveys(rows=(*rows, rows[0])))
        assert [e for e in again if isinstance(e, ev.SurveyAnswered)] == []

    def test_an_import_cannot_be_about_tomorrow(self) -> None:
        q = Queue()
        row = cmd.SurveyRow(source="x", day=dt.date(2026, 11, 25), service="kk", answers=GOOD)
        assert q.refused(cmd.ImportSurveys(rows=(row,))).code == "survey_invalid"

    def test_a_person_cannot_pretend_to_be_an_import(self) -> None:
        q = Queue()
        ticket = served(q)
        assert q.refused(answer(ticket, channel="import")).code == "survey_invalid"
