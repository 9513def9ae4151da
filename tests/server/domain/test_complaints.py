"""Complaints and aspirations: who may move a report on, and the working-day deadlines."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain import commands as cmd
from server.domain import complaints
from server.domain import events as ev
from server.domain.complaints import Status
from server.domain.venue import Holiday
from server.messages import explain
from tests.helpers import Queue, local_time, small_venue

CODE = "ABCD-EFGH-JKMN"
TEXT = "Antrean KTP tidak bergerak selama satu jam dan loket 2 kosong."


def filed(q: Queue, **kw: object) -> ev.ComplaintFiled:
    fields: dict[str, object] = {"kind": "pengaduan", "text": TEXT, "complaint": CODE}
    fields.update(kw)
    events = q(cmd.FileComplaint(**fields))  # type: ignore[arg-type]
    assert isinstance(events[-1], ev.ComplaintFiled)
    return events[-1]


def step(q: Queue, status: Status, note: str = "", tenant: str = "") -> None:
    q(cmd.AdvanceComplaint(complaint=CODE, status=status, note=note, tenant=tenant, by="admin"))


class TestFiling:
    def test_a_report_is_received_with_its_tidied_text(self) -> None:
        q = Queue()
        event = filed(q, text="  Loket   2 kosong\n\n\n\nsejak pagi.  ", tenant="dukcapil")
        assert event.text == "Loket 2 kosong\n\nsejak pagi."
        complaint = q.state.complaints[CODE]
        assert (complaint.status, complaint.tenant, complaint.filed_at) == (
            "diterima",
            "dukcapil",
            q.now,
        )
        assert CODE in q.state.open_complaints

    @pytest.mark.parametrize("text", ["pendek", "x" * (complaints.MAX_TEXT + 1), "   \n  "])
    def test_too_short_or_too_long_a_text_is_refused_with_the_bounds(self, text: str) -> None:
        error = Queue().refused(cmd.FileComplaint(kind="aspirasi", text=text, complaint=CODE))
        assert error.code == "complaint_text_length"
        assert "10 sampai 3000" in explain(error, "id")

    def test_an_unknown_tenant_is_refused(self) -> None:
        error = Queue().refused(
            cmd.FileComplaint(kind="pengaduan", text=TEXT, tenant="pajak", complaint=CODE)
        )
        assert error.code == "unknown_tenant"

    def test_a_code_is_used_once(self) -> None:
        q = Queue()
        filed(q)
        assert q.refused(cmd.FileComplaint(kind="pengaduan", text=TEXT, complaint=CODE)).code == (
            "complaint_exists"
        )

    @pytest.mark.parametrize("code", ["", "abcd-efgh-jkmn", "ABCD EFGH JKMN"])
    def test_the_code_must_be_given_in_its_canonical_form(self, code: str) -> None:
        error = Queue().refused(cmd.FileComplaint(kind="pengaduan", text=TEXT, complaint=code))
        assert error.code == "complaint_invalid"

    def test_an_anonymous_report_carries_no_contact(self) -> None:
        error = Queue().refused(
            cmd.FileComplaint(
                kind="pengaduan",
                text=TEXT,
                complaint=CODE,
                anonymous=True,
                contact_masked="0812****7890",
            )
        )
        assert error.code == "complaint_invalid"


class TestWorkflow:
    def test_the_whole_road_with_who_and_what_the_citizen_is_told(self) -> None:
        q = Queue()
        filed(q)
        step(q, "diverifikasi")
        step(q, "diteruskan", tenant="dukcapil")
        step(q, "ditindaklanjuti", note="Loket 2 kini dibuka pukul 08.00.")
        assert q.state.complaints[CODE].answer == "Loket 2 kini dibuka pukul 08.00."
        step(q, "selesai", note="Terima kasih, loket tambahan sudah dibuka.")
        complaint = q.state.complaints[CODE]
        assert [s.status for s in complaint.steps] == [
            "diterima",
            "diverifikasi",
            "diteruskan",
            "ditindaklanjuti",
            "selesai",
        ]
        assert {s.by for s in complaint.steps[1:]} == {"admin"}
        assert complaint.tenant == "dukcapil"
        assert complaint.answer == "Terima kasih, loket tambahan sudah dibuka."
        assert CODE not in q.state.open_complaints

    def test_forwarding_names_a_tenant_and_may_change_the_one_chosen(self) -> None:
        q = Queue()
        filed(q, tenant="dukcapil")
        step(q, "diverifikasi")
        with pytest.raises(Exception, match="unknown_tenant"):
            step(q, "diteruskan", tenant="pajak")
        step(q, "diteruskan", tenant="polres")
        assert q.state.complaints[CODE].tenant == "polres"

    def test_forwarding_a_report_for_no_tenant_needs_one(self) -> None:
        q = Queue()
        filed(q)
        step(q, "diverifikasi")
        error = q.refused(cmd.AdvanceComplaint(complaint=CODE, status="diteruskan"))
        assert (error.code, error.params.get("field")) == ("complaint_invalid", "tenant")

    @pytest.mark.parametrize(
        ("done", "to"),
        [
            ((), "diteruskan"),
            ((), "selesai"),
            (("diverifikasi",), "ditolak"),
            (("diverifikasi",), "diverifikasi"),
            (("ditolak",), "diverifikasi"),
        ],
    )
    def test_a_step_out_of_order_is_refused(self, done: tuple[Status, ...], to: Status) -> None:
        q = Queue()
        filed(q, tenant="dukcapil")
        for status in done:
            step(q, status, note="Bukan laporan pelayanan.")
        error = q.refused(
            cmd.AdvanceComplaint(complaint=CODE, status=to, note="catatan", tenant="")
        )
        assert error.code == "complaint_step_invalid"
        assert CODE in explain(error, "id")

    @pytest.mark.parametrize("to", ["ditolak"])
    def test_a_rejection_says_why(self, to: Status) -> None:
        q = Queue()
        filed(q)
        assert q.refused(cmd.AdvanceComplaint(complaint=CODE, status=to)).code == (
            "complaint_note_missing"
        )
        step(q, to, note="Laporan berisi iklan.")
        assert q.state.complaints[CODE].answer == "Laporan berisi iklan."
        assert CODE not in q.state.open_complaints

    def test_the_typed_code_finds_the_report(self) -> None:
        q = Queue()
        filed(q)
        q(cmd.AdvanceComplaint(complaint="abcd efgh jkmn", status="diverifikasi"))
        assert q.state.complaints[CODE].status == "diverifikasi"

    def test_an_unknown_code_is_named(self) -> None:
        error = Queue().refused(cmd.AdvanceComplaint(complaint="ZZZZ", status="diverifikasi"))
        assert error.code == "unknown_complaint"


class TestDeadlines:
    def test_three_working_days_from_a_friday_afternoon_end_on_wednesday(self) -> None:
        venue = small_venue()
        friday = local_time(venue, 2026, 11, 27, 16, 30)
        assert complaints.working_deadline(venue, friday, 3) == local_time(venue, 2026, 12, 3)

    def test_the_venues_holidays_are_skipped(self) -> None:
        venue = small_venue(holidays=(Holiday(dt.date(2026, 12, 1), "Libur"),))
        friday = local_time(venue, 2026, 11, 27, 16, 30)
        assert complaints.working_deadline(venue, friday, 3) == local_time(venue, 2026, 12, 4)

    def test_the_day_is_the_venues_own(self) -> None:
        # 23.30 UTC on Monday is Tuesday morning in Jakarta: the count starts on Tuesday.
        venue = small_venue()
        utc = dt.datetime(2026, 11, 23, 23, 30, tzinfo=dt.UTC)
        assert complaints.working_deadline(venue, utc, 1) == local_time(venue, 2026, 11, 26)

    def test_follow_up_runs_from_the_forwarding(self) -> None:
        q = Queue()
        filed(q)
        step(q, "diverifikasi")
        assert complaints.due(q.venue, q.state.complaints[CODE]) == local_time(q.venue, 2026, 12, 2)
        q.now = local_time(q.venue, 2026, 11, 26, 10)  # Thursday
        step(q, "diteruskan", tenant="dukcapil")
        complaint = q.state.complaints[CODE]
        assert complaints.due(q.venue, complaint) == local_time(q.venue, 2026, 12, 4)
        step(q, "ditindaklanjuti", note="Sudah ditangani.")
        assert complaints.due(q.venue, q.state.complaints[CODE]) is None

    def test_overdue_and_days_left(self) -> None:
        q = Queue()  # filed on Tuesday 24 November: verification due by the end of Friday
        filed(q)
        complaint = q.state.complaints[CODE]

        def at(*moment: int) -> dt.datetime:
            return local_time(q.venue, *moment)

        assert complaints.working_days_left(q.venue, complaint, at(2026, 11, 24, 9)) == 3
        assert complaints.working_days_left(q.venue, complaint, at(2026, 11, 27, 23, 59)) == 0
        assert not complaints.overdue(q.venue, complaint, at(2026, 11, 27, 23, 59))
        assert complaints.overdue(q.venue, complaint, at(2026, 11, 28, 0, 0))
        # Saturday and Sunday are not working days: overdue by none until Monday is over.
        assert complaints.working_days_left(q.venue, complaint, at(2026, 11, 29, 12)) == 0
        assert complaints.working_days_left(q.venue, complaint, at(2026, 11, 30, 12)) == -1


@given(
    start=st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2027, 12, 31)),
    days=st.integers(1, 12),
    holidays=st.sets(st.dates(dt.date(2026, 1, 1), dt.date(2028, 1, 31)), max_size=20),
)
def test_a_deadline_ends_a_working_day_after_exactly_that_many(
    start: dt.datetime, days: int, holidays: set[dt.date]
) -> None:
    venue = small_venue(holidays=tuple(Holiday(d) for d in sorted(holidays)))
    start = start.replace(tzinfo=venue.tz)
    deadline = complaints.working_deadline(venue, start, days)
    assert deadline.time() == dt.time(0) and deadline.tzinfo is not None
    last = deadline.date() - dt.timedelta(days=1)
    assert complaints.is_working_day(venue, last)
    between = [
        start.date() + dt.timedelta(days=n) for n in range(1, (last - start.date()).days + 1)
    ]
    assert sum(complaints.is_working_day(venue, d) for d in between) == days
    later = complaints.working_deadline(venue, start + dt.timedelta(days=1), days)
    assert later >= deadline
