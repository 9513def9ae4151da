"""The queue rules, one behaviour at a time, through `decide` and `evolve`."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from server.domain import commands as cmd
from server.domain import events as ev
from server.domain.errors import CODES, DomainError
from server.domain.venue import Break, Holiday, OpeningHours, Service
from server.messages import REFUSALS, explain
from tests.helpers import Queue, local_time, small_venue


@pytest.fixture
def q() -> Queue:
    return Queue()


class TestIssuing:
    """Tickets get a prefix and a zero-padded daily number per service."""

    def test_numbers_count_up_per_service(self, q: Queue) -> None:
        labels = [q.issue("ktp").label, q.issue("kk").label, q.issue("ktp").label]
        assert labels == ["A-001", "B-001", "A-002"]

    def test_unknown_service_is_refused(self, q: Queue) -> None:
        assert q.refused(cmd.IssueTicket(service="paspor", visit="v")).code == "unknown_service"

    def test_priority_needs_a_priority_lane(self, q: Queue) -> None:
        error = q.refused(cmd.IssueTicket(service="sim", visit="v", priority=True))
        assert error.code == "no_priority_lane"
        assert "Perpanjangan SIM" in explain(error, "id")

    def test_daily_quota_stops_issuing(self) -> None:
        venue = small_venue()
        tight = {**venue.services, "ktp": _with(venue.services["ktp"], daily_quota=2)}
        q = Queue(small_venue(services=tight))
        q.issue(), q.issue()
        error = q.refused(cmd.IssueTicket(service="ktp", visit="v"))
        assert error.code == "quota_full"
        assert "kembali besok" in explain(error, "id")

    def test_channel_quota_is_separate(self) -> None:
        venue = small_venue()
        kk = _with(venue.services["kk"], kiosk_quota=1, online_quota=1)
        q = Queue(small_venue(services={**venue.services, "kk": kk}))
        q.issue("kk", channel="kiosk")
        assert q.refused(cmd.IssueTicket(service="kk", visit="v")).code == "channel_quota_full"
        assert q.issue("kk", channel="online").label == "B-002"

    def test_closed_hours_are_refused_with_the_reason(self) -> None:
        venue = small_venue(
            hours={"tue": _hours(8, 16)},
            breaks=(Break(days=("tue",), start=dt.time(11, 30), end=dt.time(13)),),
            holidays=(Holiday(date=dt.date(2026, 12, 25), name="Natal"),),
        )
        q = Queue(venue)
        cases = {
            local_time(venue, 2026, 11, 24, 7, 59): "before_open",
            local_time(venue, 2026, 11, 24, 12, 0): "break",
            local_time(venue, 2026, 11, 24, 16, 0): "after_close",
            local_time(venue, 2026, 11, 25, 9, 0): "closed_day",
            local_time(venue, 2026, 12, 25, 9, 0): "holiday",
        }
        for when, reason in cases.items():
            q.now = when
            error = q.refused(cmd.IssueTicket(service="ktp", visit="v"))
            assert (error.code, error.params["reason"]) == ("venue_closed", reason)

    def test_last_issue_time_is_per_service(self) -> None:
        venue = small_venue()
        ktp = _with(venue.services["ktp"], last_issue=dt.time(15, 0))
        q = Queue(small_venue(services={**venue.services, "ktp": ktp}))
        q.now = local_time(q.venue, 2026, 11, 24, 15, 0)
        error = q.refused(cmd.IssueTicket(service="ktp", visit="v"))
        assert error.code == "issue_closed" and "15.00" in explain(error, "id")
        assert q.issue("kk").label == "B-001"


class TestCalling:
    """Call next takes the oldest callable ticket, honouring the priority ratio."""

    def test_a_closed_counter_cannot_call(self, q: Queue) -> None:
        q.issue()
        assert q.refused(cmd.CallNext(counter="1")).code == "counter_closed"

    def test_unknown_counter(self, q: Queue) -> None:
        assert q.refused(cmd.CallNext(counter="99")).code == "unknown_counter"

    def test_nobody_waiting(self, q: Queue) -> None:
        q.open("1")
        assert q.refused(cmd.CallNext(counter="1")).code == "nobody_waiting"

    def test_oldest_first_across_the_services_a_counter_serves(self, q: Queue) -> None:
        q.issue("kk"), q.issue("ktp"), q.issue("sim")
        q.open("2")
        assert q.call("2") == "B-001"
        q(cmd.Done(counter="2"))
        assert q.call("2") == "A-001"
        q(cmd.Done(counter="2"))
        assert q.refused(cmd.CallNext(counter="2")).code == "nobody_waiting"

    def test_one_priority_per_two_regular_while_both_wait(self, q: Queue) -> None:
        for i in range(6):
            q.issue(priority=False)
            q.issue(priority=i < 3)
        q.open("1")
        kinds = []
        for _ in range(9):
            label = q.call("1")
            kinds.append("P" if q.ticket(label).priority else "R")
            q(cmd.Done(counter="1"))
        assert "".join(kinds) == "RRPRRPRRP"

    @pytest.mark.parametrize(
        ("scope", "pattern"), [("counter", "RRRRPP"), ("lane", "RRPRRP")], ids=["counter", "lane"]
    )
    def test_the_ratio_per_counter_or_per_lane(self, scope: str, pattern: str) -> None:
        """Two counters on one lane, calling in turn: each keeps its own count, or the lane
        keeps one for both (`priority_scope = "lane"`)."""
        q = Queue(small_venue(priority_ratio=2, priority_scope=scope))
        for _ in range(6):
            q.issue()
            q.issue(priority=True)
        q.open("1", "2")
        calls = [q.call("1"), q.call("2")]
        for _ in range(2):
            calls += [q.call_after_done("1"), q.call_after_done("2")]
        kinds = "".join("P" if q.ticket(label).priority else "R" for label in calls)
        assert kinds == pattern

    def test_busy_counter_must_finish_first(self, q: Queue) -> None:
        q.issue(), q.issue()
        q.open("1")
        q.call("1")
        error = q.refused(cmd.CallNext(counter="1"))
        assert error.code == "counter_busy" and "A-001" in explain(error, "id")

    def test_call_specific_out_of_order_is_logged_with_reason(self, q: Queue) -> None:
        q.issue(), q.issue()
        q.open("1")
        events = q(cmd.CallSpecific(counter="1", ticket="a2", officer="budi", reason="lansia"))
        called = events[-1]
        assert isinstance(called, ev.TicketCalled)
        assert (called.specific, called.reason, called.officer) == (True, "lansia", "budi")
        assert q.ticket("A-002").status == "called"

    def test_call_specific_refuses_another_lane(self, q: Queue) -> None:
        q.issue("sim")
        q.open("1")
        assert q.refused(cmd.CallSpecific(counter="1", ticket="C-001")).code == "not_served_here"

    def test_recall_counts_and_stops_at_the_limit(self, q: Queue) -> None:
        q.issue()
        q.open("1")
        q.call("1")
        for _ in range(q.venue.max_recalls):
            q(cmd.Recall(counter="1"))
        assert q.ticket("A-001").recalls == q.venue.max_recalls
        assert q.refused(cmd.Recall(counter="1")).code == "recall_limit"

    def test_recall_needs_a_called_ticket(self, q: Queue) -> None:
        q.open("1")
        assert q.refused(cmd.Recall(counter="1")).code == "counter_idle"


class TestNoShowAndReturn:
    """A no-show frees the counter; a returning visitor re-enters per venue policy."""

    def setup_lane(self, q: Queue) -> None:
        for _ in range(3):
            q.issue()
        q.open("1")
        q.call("1")
        q(cmd.NoShow(counter="1"))

    def test_no_show_frees_the_counter(self, q: Queue) -> None:
        self.setup_lane(q)
        assert q.ticket("A-001").status == "no_show"
        assert q.call("1") == "A-002"

    def test_return_to_front(self, q: Queue) -> None:
        self.setup_lane(q)
        q.call("1")
        q(cmd.Done(counter="1"))
        q(cmd.ReturnTicket(ticket="A-001"))
        assert q.call("1") == "A-001"

    def test_return_to_original_place(self) -> None:
        q = Queue(small_venue(return_policy="original"))
        self.setup_lane(q)
        q.issue()  # A-004 arrives after A-001 left
        q(cmd.ReturnTicket(ticket="A-001"))
        assert q.call("1") == "A-001"

    def test_only_a_no_show_can_return(self, q: Queue) -> None:
        q.issue()
        assert q.refused(cmd.ReturnTicket(ticket="A-001")).code == "ticket_not_no_show"


class TestServing:
    """Start, done, hold, resume, transfer and the multi-service itinerary."""

    def test_done_without_start_invents_no_start(self, q: Queue) -> None:
        q.issue()
        q.open("1")
        q.call("1")
        kinds = [type(e) for e in q(cmd.Done(counter="1"))]
        assert kinds == [ev.TicketDone]
        assert q.ticket("A-001").status == "done"

    def test_start_then_done(self, q: Queue) -> None:
        q.issue()
        q.open("1")
        q.call("1")
        q(cmd.StartServing(counter="1"))
        assert q.ticket("A-001").status == "serving"
        assert q.refused(cmd.StartServing(counter="1")).code == "ticket_not_called"
        assert [type(e) for e in q(cmd.Done(counter="1"))] == [ev.TicketDone]

    def test_itinerary_joins_the_next_lane_on_done(self, q: Queue) -> None:
        first = q.issue("ktp", itinerary=("kk", "sim"))
        q.open("1", "4")
        q.call("1")
        q(cmd.Done(counter="1"))
        second = q.ticket("B-001")
        assert (second.visit, second.channel, second.itinerary) == (
            first.visit,
            "itinerary",
            ("sim",),
        )
        assert q.call("4") == "B-001"

    def test_itinerary_with_unknown_service_is_refused(self, q: Queue) -> None:
        error = q.refused(cmd.IssueTicket(service="ktp", visit="v", itinerary=("paspor",)))
        assert error.code == "unknown_service"

    def test_hold_parks_and_resume_serves_again(self, q: Queue) -> None:
        q.issue(), q.issue()
        q.open("1")
        q.call("1")
        q(cmd.Hold(counter="1"))
        assert q.ticket("A-001").status == "held"
        assert q.call("1") == "A-002"
        assert q.refused(cmd.Resume(counter="1", ticket="A-001")).code == "counter_busy"
        q(cmd.Done(counter="1"))
        q(cmd.Resume(counter="1", ticket="A-001"))
        assert q.ticket("A-001").status == "serving"

    def test_resume_only_at_the_holding_counter(self, q: Queue) -> None:
        q.issue()
        q.open("1", "2")
        q.call("1")
        q(cmd.Hold(counter="1"))
        assert q.refused(cmd.Resume(counter="2", ticket="A-001")).code == "ticket_not_held"

    def test_transfer_to_another_service_keeps_the_number(self, q: Queue) -> None:
        q.issue("ktp"), q.issue("kk")
        q.open("1", "4")
        q.call("1")
        q(cmd.Transfer(counter="1", service="kk", front=True))
        moved = q.ticket("A-001")
        assert (moved.status, moved.service) == ("waiting", "kk")
        assert q.call("4") == "A-001"

    def test_transfer_to_the_back(self, q: Queue) -> None:
        q.issue("ktp"), q.issue("kk")
        q.open("1", "4")
        q.call("1")
        q(cmd.Transfer(counter="1", service="kk"))
        assert q.call("4") == "B-001"

    def test_transfer_to_a_counter_only_that_counter_calls_it(self, q: Queue) -> None:
        q.issue("ktp")
        q.open("1", "2", "4")
        q.call("1")
        q(cmd.Transfer(counter="1", to_counter="4"))
        assert q.refused(cmd.CallNext(counter="2")).code == "nobody_waiting"
        assert q.call("4") == "A-001"

    def test_transfer_needs_a_target_other_than_self(self, q: Queue) -> None:
        q.issue()
        q.open("1")
        q.call("1")
        assert q.refused(cmd.Transfer(counter="1")).code == "transfer_target_missing"
        assert q.refused(cmd.Transfer(counter="1", to_counter="1")).code == "transfer_to_self"


class TestCancelling:
    """A visitor or officer cancels a ticket that is not finished."""

    def test_cancel_a_called_ticket_frees_the_counter(self, q: Queue) -> None:
        q.issue(), q.issue()
        q.open("1")
        q.call("1")
        q(cmd.CancelTicket(ticket="A-001", by="officer", reason="salah layanan"))
        assert q.ticket("A-001").status == "cancelled"
        assert q.call("1") == "A-002"

    def test_a_finished_ticket_cannot_be_cancelled(self, q: Queue) -> None:
        q.issue()
        q(cmd.CancelTicket(ticket="A-001"))
        assert q.refused(cmd.CancelTicket(ticket="A-001")).code == "ticket_finished"

    def test_unknown_ticket(self, q: Queue) -> None:
        assert q.refused(cmd.CancelTicket(ticket="Z-999")).code == "unknown_ticket"


class TestCounters:
    """Open, break and close, never with a visitor left in hand or on hold."""

    def test_open_twice(self, q: Queue) -> None:
        q.open("1")
        assert q.refused(cmd.OpenCounter(counter="1")).code == "counter_already_open"

    def test_break_stops_calls_and_reopen_resumes(self, q: Queue) -> None:
        q.issue()
        q.open("1")
        q(cmd.PauseCounter(counter="1"))
        assert q.refused(cmd.CallNext(counter="1")).code == "counter_on_break"
        q.open("1")
        assert q.call("1") == "A-001"

    def test_cannot_break_or_close_with_a_ticket_in_hand(self, q: Queue) -> None:
        q.issue()
        q.open("1")
        q.call("1")
        assert q.refused(cmd.PauseCounter(counter="1")).code == "counter_busy"
        assert q.refused(cmd.CloseCounter(counter="1")).code == "counter_busy"

    def test_cannot_close_with_held_tickets(self, q: Queue) -> None:
        q.issue()
        q.open("1")
        q.call("1")
        q(cmd.Hold(counter="1"))
        assert q.refused(cmd.CloseCounter(counter="1")).code == "counter_has_held"

    def test_close_twice(self, q: Queue) -> None:
        assert q.refused(cmd.CloseCounter(counter="1")).code == "counter_already_closed"


class TestRunningText:
    """Managers set the hall displays' running text; it survives replay like any event."""

    def test_set_and_tidy(self, q: Queue) -> None:
        q(cmd.SetRunningText(text="  Layanan paspor\n tutup sementara ", by="manajer"))
        assert q.state.running_text == "Layanan paspor tutup sementara"

    def test_too_long(self, q: Queue) -> None:
        error = q.refused(cmd.SetRunningText(text="x" * 501))
        assert error.code == "running_text_too_long" and "500" in explain(error, "id")


class TestPriorityAudit:
    """A kiosk priority ticket needs a staff member's confirmation, kept in the event."""

    def test_unconfirmed_priority_at_the_kiosk_is_refused(self, q: Queue) -> None:
        error = q.refused(cmd.IssueTicket(service="ktp", visit="v", priority=True))
        assert error.code == "priority_unconfirmed"
        assert "petugas" in explain(error, "id")
        assert q.state.tickets == {}

    def test_the_confirming_staff_member_is_on_record(self, q: Queue) -> None:
        events = q(cmd.IssueTicket(service="ktp", visit="v", priority=True, confirmed_by="satpam"))
        issued = events[-1]
        assert isinstance(issued, ev.TicketIssued)
        assert (issued.priority, issued.confirmed_by) == (True, "satpam")


class TestVisitorsRecords:
    """Refused visitors and missing services are recorded for the managers' reports."""

    def test_turn_away_is_an_event_that_leaves_the_lanes_alone(self, q: Queue) -> None:
        q.issue()
        before = q.state.snapshot()
        events = q(cmd.RecordTurnAway(service="ktp", channel="kiosk", reason="quota_full"))
        assert [type(e) for e in events] == [ev.TurnedAway]
        assert q.state.snapshot() == before

    def test_turn_away_for_an_unknown_service_is_refused(self, q: Queue) -> None:
        refused = q.refused(cmd.RecordTurnAway(service="paspor", channel="kiosk", reason="x"))
        assert refused.code == "unknown_service"

    def test_a_missing_service_request_is_tidied_and_kept(self, q: Queue) -> None:
        events = q(cmd.RequestService(tenant="dukcapil", text="  akta   kematian "))
        assert isinstance(events[-1], ev.ServiceRequested)
        assert events[-1].text == "akta kematian"

    @pytest.mark.parametrize("text", ["", "  a ", "x" * 301])
    def test_an_empty_or_huge_request_is_refused(self, q: Queue, text: str) -> None:
        assert q.refused(cmd.RequestService(tenant="", text=text)).code == "request_text_invalid"

    def test_a_request_for_an_unknown_tenant_is_refused(self, q: Queue) -> None:
        refused = q.refused(cmd.RequestService(tenant="kua", text="nikah"))
        assert refused.code == "unknown_tenant"


class TestManagers:
    """Alerts are acknowledged once per day; tenant notices are set and cleared."""

    def test_acknowledge_once(self, q: Queue) -> None:
        q(cmd.AcknowledgeAlert(alert="sla:ktp", by="manajer"))
        assert q.state.acknowledged["sla:ktp"].by == "manajer"
        error = q.refused(cmd.AcknowledgeAlert(alert="sla:ktp", by="spv"))
        assert error.code == "alert_acknowledged" and "manajer" in explain(error, "id")

    def test_acknowledgements_end_with_the_day(self, q: Queue) -> None:
        q(cmd.AcknowledgeAlert(alert="sla:ktp", by="manajer"))
        q.now += dt.timedelta(days=1)
        q(cmd.RollDay())
        assert q.state.acknowledged == {}

    def test_notice_set_then_cleared(self, q: Queue) -> None:
        q(cmd.SetTenantNotice(tenant="dukcapil", text=" Blangko KTP  habis ", by="m"))
        assert q.state.notices == {"dukcapil": "Blangko KTP habis"}
        q(cmd.SetTenantNotice(tenant="dukcapil", text="", by="m"))
        assert q.state.notices == {}

    def test_notice_limits(self, q: Queue) -> None:
        assert q.refused(cmd.SetTenantNotice(tenant="x", text="a")).code == "unknown_tenant"
        too_long = cmd.SetTenantNotice(tenant="dukcapil", text="x" * 201)
        assert q.refused(too_long).code == "notice_too_long"


class TestLearning:
    """Service times are learned per service from serving start to done."""

    def test_durations_are_recorded_and_capped(self, q: Queue) -> None:
        q.open("1")
        for minutes in range(35):
            q.issue()
            q.call("1")
            q(cmd.StartServing(counter="1"))
            q.now += dt.timedelta(minutes=minutes)
            q(cmd.Done(counter="1"))
        recent = q.state.durations["ktp"]
        assert len(recent) == 30
        assert recent[-1] == pytest.approx(34) and recent[0] == pytest.approx(5)


class TestMessages:
    """Every refusal code has an Indonesian and an English sentence."""

    def test_every_code_formats_in_both_languages(self) -> None:
        params = {
            "service": "KTP",
            "counter": "3",
            "ticket": "A-1",
            "label": "A-001",
            "status": "done",
            "count": 2,
            "recalls": 3,
            "venue": "MPP",
            "reason": "holiday",
            "time": "15.00",
            "channel": "kiosk",
            "day": "2026-11-23",
            "current": "2026-11-24",
            "limit": 500,
            "tenant": "dukcapil",
            "by": "manajer",
            "days": 14,
            "booking": "K7Q2M9",
            "complaint": "ABCD-EFGH-JKMN",
            "low": 10,
            "high": 3000,
        }
        assert set(REFUSALS) == CODES
        for code in CODES:
            error = DomainError(code, **params)
            assert explain(error, "id") != explain(error, "en"), code
            assert "{" not in explain(error, "id") + explain(error, "en"), code

    def test_unknown_code_is_a_programming_error(self) -> None:
        with pytest.raises(KeyError):
            DomainError("no_such_code")


def _with(service: Service, **changes: object) -> Service:
    return msgspec.structs.replace(service, **changes)


def _hours(start: int, end: int) -> OpeningHours:
    return OpeningHours(open=dt.time(start), close=dt.time(end))
