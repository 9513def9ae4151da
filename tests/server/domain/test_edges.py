"""The edges of the rules: every rule on every path, and refusals that are named, never raised
as anything but a `DomainError` (issue 11)."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.domain import commands as cmd
from server.domain import events as ev
from server.domain.decide import MAX_ITINERARY, decide, find_ticket
from server.domain.errors import DomainError
from server.domain.estimate import day_full, new_ticket_wait, wait_range, wait_ranges
from server.domain.state import MIN_SERVICE_MINUTES, fold
from server.domain.venue import BookingPolicy, Break, OpeningHours, Service, Venue
from server.messages import explain
from tests.helpers import WEEK, Queue, local_time, small_venue
from tests.strategies import any_command

TODAY = dt.date(2026, 11, 24)  # a Tuesday


def tight(quota: int, **booking: object) -> Venue:
    """KTP with a daily quota of `quota` and bookings allowed."""
    venue = small_venue(booking=BookingPolicy(**booking))  # type: ignore[arg-type]
    ktp = msgspec.structs.replace(venue.services["ktp"], daily_quota=quota)
    return msgspec.structs.replace(venue, services={**venue.services, "ktp": ktp})


def book(q: Queue, code: str, slot: dt.time, day: dt.date = TODAY, service: str = "ktp") -> None:
    q(
        cmd.BookVisit(
            service=service,
            day=day,
            slot=slot,
            booking=code,
            visit=f"visit-{code}",
            holder=f"nik:{code}",
            holder_masked="3573********0001",
        )
    )


def serve(q: Queue, counter: str, minutes: float, *, start: bool = True) -> None:
    q(cmd.CallNext(counter=counter))
    if start:
        q(cmd.StartServing(counter=counter))
    q.now += dt.timedelta(minutes=minutes)
    q(cmd.Done(counter=counter))


class TestRollDay:
    """A manager's roll_day on a day already started changes nothing and is no error."""

    def test_decides_nothing_on_a_started_day(self) -> None:
        q = Queue()
        q.issue()
        assert q(cmd.RollDay()) == []

    def test_starts_the_day_when_it_has_not(self) -> None:
        q = Queue()
        assert [type(e) for e in q(cmd.RollDay())] == [ev.DayStarted]


class TestOddTicketReferences:
    """What an officer types is a label or nothing: never a crash."""

    @pytest.mark.parametrize(
        "ref", ["A²", "A" + "9" * 5000, "٣", "A-٣", "Ⅻ", "A-1.5", "", " ", "A--1", "é-1"]
    )
    def test_unknown_ticket(self, ref: str) -> None:
        q = Queue()
        q.issue()
        assert find_ticket(q.state, ref) is None
        assert q.refused(cmd.CancelTicket(ticket=ref)).code == "unknown_ticket"
        assert q.refused(cmd.ReturnTicket(ticket=ref)).code == "unknown_ticket"
        q.open("1")
        refused = q.refused(cmd.CallSpecific(counter="1", ticket=ref))
        assert refused.code == "unknown_ticket"

    @pytest.mark.parametrize("ref", ["A-001", "a1", "A 001", " a-0001 ", "20261124-A-001"])
    def test_labels_as_people_type_them(self, ref: str) -> None:
        q = Queue()
        q.issue()
        found = find_ticket(q.state, ref)
        assert found is not None and found.label == "A-001"


class TestPriorityRatioZero:
    """Ratio 0 is a venue's choice: priority tickets always go first."""

    def test_calls_and_estimates_work(self) -> None:
        q = Queue(small_venue(priority_ratio=0))
        regular = q.issue()
        first = q.issue(priority=True)
        second = q.issue(priority=True)
        behind, ahead = wait_range(q.venue, q.state, regular), wait_range(q.venue, q.state, first)
        assert behind is not None and behind.ahead == 2
        assert ahead is not None and ahead.ahead == 0
        assert set(wait_ranges(q.venue, q.state)) == {regular.id, first.id, second.id}
        assert new_ticket_wait(q.venue, q.state, "ktp") is not None
        q.open("1")
        assert [q.call("1"), q.call_after_done("1")] == [first.label, second.label]


class TestClockSteppingBack:
    """Time in the log never runs backwards: a small step back is stamped at the latest
    event's time; a large one is refused with the times, so someone fixes the clock."""

    def test_a_small_step_back_stamps_the_latest_time(self) -> None:
        q = Queue()
        q.issue()
        q.open("1")
        q(cmd.CallNext(counter="1"))
        q(cmd.StartServing(counter="1"))
        started = q.now
        q.now -= dt.timedelta(minutes=5)
        events = q(cmd.Done(counter="1"))
        assert [e.at for e in events] == [started]
        # A zero-length service is no service: nothing is learned from it.
        assert q.state.durations.get("ktp", ()) == ()

    def test_learned_times_are_never_negative(self) -> None:
        q = Queue(small_venue(services=_slow_services()))
        q.open("1")
        for _ in range(6):
            q.issue()
            q(cmd.CallNext(counter="1"))
            q(cmd.StartServing(counter="1"))
            q.now -= dt.timedelta(minutes=8)
            q(cmd.Done(counter="1"))
            q.now += dt.timedelta(minutes=9)
        assert all(m > 0 for m in q.state.durations.get("ktp", ()))
        for _ in range(20):
            q.issue()
        ranges = wait_ranges(q.venue, q.state)
        assert len(ranges) == 20
        last = max(q.state.waiting(), key=lambda t: t.order)
        found = wait_range(q.venue, q.state, last)
        assert found is not None and found.low >= 5
        assert new_ticket_wait(q.venue, q.state, "ktp") is not None

    def test_a_large_step_back_is_refused(self) -> None:
        q = Queue()
        q.issue()
        q.now -= dt.timedelta(minutes=30)
        error = q.refused(cmd.IssueTicket(service="ktp", visit="v"))
        assert error.code == "clock_behind"
        assert "24-11-2026 09.00" in explain(error, "id")
        assert "08.30" in explain(error, "id")

    def test_the_clock_catching_up_runs_normally_again(self) -> None:
        q = Queue()
        q.issue()
        q.now -= dt.timedelta(minutes=3)
        q.issue()
        q.now += dt.timedelta(minutes=10)
        events = q(cmd.IssueTicket(service="ktp", visit="v"))
        assert events[0].at == local_time(q.venue, 2026, 11, 24, 9, 7)


def _slow_services() -> dict[str, Service]:
    venue = small_venue()
    return {
        sid: msgspec.structs.replace(s, typical_minutes=10.0) for sid, s in venue.services.items()
    }


class TestDoneWithoutStart:
    """Done without Start learns the call-to-done time, never a zero-minute service."""

    def test_learns_from_the_call(self) -> None:
        q = Queue()
        q.issue()
        q.open("1")
        serve(q, "1", 7, start=False)
        assert q.state.durations["ktp"] == (7.0,)

    def test_instant_done_learns_nothing(self) -> None:
        q = Queue()
        q.issue()
        q.open("1")
        serve(q, "1", 0, start=False)
        assert "ktp" not in q.state.durations

    def test_instant_closes_do_not_keep_the_cutoff_from_firing(self) -> None:
        hours = OpeningHours(open=dt.time(8, 0), close=dt.time(16, 0))
        venue = small_venue(services=_slow_services(), hours=dict.fromkeys(WEEK, hours))
        q = Queue(venue)
        q.open("1")
        for _ in range(5):
            q.issue()
            serve(q, "1", MIN_SERVICE_MINUTES / 2, start=False)
        q.now = local_time(venue, 2026, 11, 24, 15, 0)
        # Two counters at ten minutes a ticket serve about 12 in the hour left.
        issued = 0
        with pytest.raises(DomainError) as caught:
            for _ in range(500):
                q.issue()
                issued += 1
        assert caught.value.code == "day_full"
        assert issued < 15


class TestPriorityOnlyWhereThereIsAPriorityLane:
    """SIM has no priority lane: no door lets a priority ticket into it."""

    def test_the_next_step_of_an_itinerary_joins_as_regular(self) -> None:
        q = Queue()
        q.issue("ktp", priority=True, itinerary=("sim", "kk"))
        q.open("1", "3", "4")
        q.call("1")
        q(cmd.Done(counter="1"))
        sim = q.ticket("C-001")
        assert not sim.priority
        q.call("3")
        q(cmd.Done(counter="3"))
        # KK has a priority lane again: the visit is still a priority visit.
        assert q.ticket("B-001").priority

    def test_a_transfer_joins_as_regular(self) -> None:
        q = Queue()
        q.issue("ktp", priority=True)
        q.open("1")
        q.call("1")
        events = q(cmd.Transfer(counter="1", service="sim"))
        assert isinstance(events[0], ev.TicketTransferred) and events[0].priority is False
        assert not q.ticket("A-001").priority

    def test_a_transfer_into_a_priority_lane_keeps_priority(self) -> None:
        q = Queue()
        q.issue("ktp", priority=True)
        q.open("1")
        q.call("1")
        q(cmd.Transfer(counter="1", service="kk"))
        assert q.ticket("A-001").priority

    def test_back_into_a_priority_lane_it_is_priority_again(self) -> None:
        q = Queue()
        q.issue("ktp", priority=True)
        q.open("1", "3")
        q.call("1")
        q(cmd.Transfer(counter="1", service="sim"))
        q.call("3")
        q(cmd.Transfer(counter="3", service="ktp"))
        assert q.ticket("A-001").priority

    def test_a_reused_visit_id_lends_no_priority(self) -> None:
        """Priority is the ticket's own (staff-confirmed), not anyone's with the same visit id."""
        q = Queue()
        q.issue("ktp", visit="loket", priority=True)
        q.issue("ktp", visit="loket", itinerary=("kk",))
        q.open("1", "4")
        q(cmd.CallSpecific(counter="1", ticket="A-002", reason="uji"))
        q(cmd.Done(counter="1"))
        assert not q.ticket("B-001").priority

    def test_logs_from_before_the_field_keep_priority(self) -> None:
        old = b'{"type":"ticket_transferred","at":"2026-11-24T09:00:00+07:00","ticket":"t",'
        old += b'"counter":"1","officer":"o","service":"sim","to_counter":null,"front":false}'
        event = ev.decode_event(old)
        assert isinstance(event, ev.TicketTransferred) and event.priority is None


class TestDailyQuotaOnEveryPath:
    """A booking holds its place in the day's quota when it is made; a visit's later steps
    hold theirs when the visit begins. Nothing issues past the quota."""

    def test_bookings_count_against_the_daily_quota(self) -> None:
        q = Queue(tight(2))
        book(q, "B1", dt.time(10, 0))
        book(q, "B2", dt.time(10, 30))
        assert q.refused(cmd.IssueTicket(service="ktp", visit="w")).code == "quota_full"
        with pytest.raises(DomainError) as caught:
            book(q, "B3", dt.time(11, 0))
        assert caught.value.code == "quota_full"

    def test_a_booked_visitor_checks_in_on_a_full_day(self) -> None:
        q = Queue(tight(2))
        book(q, "B1", dt.time(9, 0))
        q.issue()
        assert q.refused(cmd.IssueTicket(service="ktp", visit="w")).code == "quota_full"
        q(cmd.CheckIn(booking="B1"))
        assert sorted(t.label for t in q.state.tickets.values()) == ["A-001", "A-002"]

    def test_a_cancelled_booking_frees_its_place(self) -> None:
        q = Queue(tight(1))
        book(q, "B1", dt.time(10, 0))
        assert q.refused(cmd.IssueTicket(service="ktp", visit="w")).code == "quota_full"
        q(cmd.CancelBooking(booking="B1"))
        q.issue()

    def test_a_booking_past_its_window_gives_its_place_back(self) -> None:
        q = Queue(tight(1, late_policy="refuse", late_minutes=15))
        book(q, "B1", dt.time(9, 30))
        assert q.refused(cmd.IssueTicket(service="ktp", visit="w")).code == "quota_full"
        q.now = local_time(q.venue, 2026, 11, 24, 10, 15)  # the window closes at 10.15
        assert q.refused(cmd.IssueTicket(service="ktp", visit="w")).code == "quota_full"
        q.now += dt.timedelta(minutes=1)
        q.issue()
        assert q.refused(cmd.CheckIn(booking="B1")).code == "check_in_late"

    def test_under_the_join_policy_a_late_booking_keeps_its_place(self) -> None:
        q = Queue(tight(1, late_policy="join"))
        book(q, "B1", dt.time(9, 30))
        q.now = local_time(q.venue, 2026, 11, 24, 15, 0)
        assert q.refused(cmd.IssueTicket(service="ktp", visit="w")).code == "quota_full"
        q(cmd.CheckIn(booking="B1"))

    def test_a_later_days_bookings_count_only_on_that_day(self) -> None:
        q = Queue(tight(1))
        tomorrow = TODAY + dt.timedelta(days=1)
        book(q, "B1", dt.time(10, 0), day=tomorrow)
        q.issue()
        with pytest.raises(DomainError) as caught:
            book(q, "B2", dt.time(11, 0), day=tomorrow)
        assert caught.value.code == "quota_full"

    def test_itinerary_steps_hold_their_places(self) -> None:
        q = Queue(tight(2))
        q.issue("kk", itinerary=("ktp",))
        q.issue("kk", itinerary=("ktp",))
        assert q.refused(cmd.IssueTicket(service="ktp", visit="w")).code == "quota_full"
        refused = q.refused(cmd.IssueTicket(service="kk", visit="x", itinerary=("ktp",)))
        assert refused.code == "quota_full" and "KTP" in explain(refused, "id")
        q.open("4", "1")
        for _ in range(2):
            q.call("4")
            q(cmd.Done(counter="4"))
        assert sorted(t.label for t in q.state.tickets.values() if t.service == "ktp") == [
            "A-001",
            "A-002",
        ]

    def test_a_visit_through_the_same_service_twice_holds_two_places(self) -> None:
        q = Queue(tight(2))
        assert q.refused(
            cmd.IssueTicket(service="ktp", visit="v", itinerary=("kk", "ktp", "ktp"))
        ).code == ("quota_full")
        q.issue("ktp", itinerary=("kk", "ktp"))

    def test_a_cancelled_visit_frees_its_later_places(self) -> None:
        q = Queue(tight(1))
        first = q.issue("kk", itinerary=("ktp",))
        assert q.refused(cmd.IssueTicket(service="ktp", visit="w")).code == "quota_full"
        q(cmd.CancelTicket(ticket=first.id))
        q.issue()

    def test_the_predicted_cutoff_counts_bookings(self) -> None:
        hours = OpeningHours(open=dt.time(8, 0), close=dt.time(16, 0))
        venue = small_venue(
            services=_slow_services(),
            hours=dict.fromkeys(WEEK, hours),
            booking=BookingPolicy(per_slot=20),
        )
        q = Queue(venue)
        q.now = local_time(venue, 2026, 11, 24, 14, 0)
        service = venue.services["ktp"]
        assert not day_full(venue, q.state, service, q.now)
        for n in range(20):
            book(q, f"B{n:02d}", dt.time(15, 0))
        # Two counters, ten minutes each: 120 minutes hold 24 tickets, 20 are booked.
        issued = 0
        with pytest.raises(DomainError) as caught:
            for _ in range(30):
                q.issue()
                issued += 1
        assert caught.value.code == "day_full"
        assert issued <= 4

    def test_a_booking_for_today_is_refused_when_the_day_is_full(self) -> None:
        hours = OpeningHours(open=dt.time(8, 0), close=dt.time(16, 0))
        q = Queue(small_venue(services=_slow_services(), hours=dict.fromkeys(WEEK, hours)))
        q.now = local_time(q.venue, 2026, 11, 24, 15, 0)
        with pytest.raises(DomainError) as caught:
            for _ in range(20):
                q.issue()
        assert caught.value.code == "day_full"
        with pytest.raises(DomainError) as caught:
            book(q, "B1", dt.time(15, 30))
        assert caught.value.code == "day_full"
        book(q, "B2", dt.time(15, 30), day=TODAY + dt.timedelta(days=1))

    def test_a_transfer_takes_no_new_place(self) -> None:
        """The visitor already holds a ticket: moving it to a full service is allowed."""
        q = Queue(tight(1))
        q.issue("ktp")
        q.issue("kk")
        q.open("4")
        q.call("4")
        q(cmd.Transfer(counter="4", service="ktp"))
        assert q.ticket("B-001").service == "ktp"


class TestCheckInWindow:
    """A booking's check-in window is its own: the last-issue time and a break inside it
    do not refuse it; the venue closing does."""

    def test_after_the_last_issue_time_inside_the_window(self) -> None:
        venue = small_venue(booking=BookingPolicy(late_minutes=15))
        ktp = msgspec.structs.replace(venue.services["ktp"], last_issue=dt.time(15, 0))
        venue = msgspec.structs.replace(venue, services={**venue.services, "ktp": ktp})
        q = Queue(venue)
        book(q, "B1", dt.time(14, 30))
        q.now = local_time(venue, 2026, 11, 24, 15, 5)
        assert q.refused(cmd.IssueTicket(service="ktp", visit="w")).code == "issue_closed"
        q(cmd.CheckIn(booking="B1"))
        assert q.ticket("A-001").channel == "online"

    def test_early_for_the_slot_after_the_friday_prayer(self) -> None:
        friday = dt.date(2026, 11, 27)
        prayer = Break(days=("fri",), start=dt.time(11, 30), end=dt.time(13, 0), name="Jumat")
        q = Queue(small_venue(breaks=(prayer,)))
        book(q, "B1", dt.time(13, 0), day=friday)
        q.now = local_time(q.venue, 2026, 11, 27, 12, 40)
        assert q.refused(cmd.IssueTicket(service="ktp", visit="w")).code == "venue_closed"
        q(cmd.CheckIn(booking="B1"))

    def test_early_for_the_first_slot_before_opening(self) -> None:
        hours = OpeningHours(open=dt.time(8, 0), close=dt.time(16, 0))
        q = Queue(small_venue(hours=dict.fromkeys(WEEK, hours)))
        book(q, "B1", dt.time(8, 0), day=TODAY + dt.timedelta(days=1))
        q.now = local_time(q.venue, 2026, 11, 25, 7, 45)
        assert q.refused(cmd.IssueTicket(service="ktp", visit="w")).code == "venue_closed"
        q(cmd.CheckIn(booking="B1"))

    def test_after_closing_is_refused(self) -> None:
        hours = OpeningHours(open=dt.time(8, 0), close=dt.time(16, 0))
        q = Queue(small_venue(hours=dict.fromkeys(WEEK, hours)))
        q.now = local_time(q.venue, 2026, 11, 24, 9, 0)
        book(q, "B1", dt.time(15, 30))
        q.now = local_time(q.venue, 2026, 11, 24, 16, 5)
        assert q.refused(cmd.CheckIn(booking="B1")).code == "venue_closed"


class TestSmallerEdges:
    def test_a_return_goes_back_to_the_place_in_the_lane_it_was_moved_to(self) -> None:
        q = Queue(small_venue(return_policy="original"))
        for _ in range(3):
            q.issue()
        q.open("1")
        q.call("1")
        q(cmd.Transfer(counter="1", service="ktp"))  # to the back
        q.issue()
        q(cmd.CallSpecific(counter="1", ticket="A-001", reason="dicari"))
        q(cmd.NoShow(counter="1"))
        q(cmd.ReturnTicket(ticket="A-001"))
        calls = [q.call("1")] + [q.call_after_done("1") for _ in range(3)]
        assert calls == ["A-002", "A-003", "A-001", "A-004"]

    def test_time_on_hold_is_not_service_time(self) -> None:
        q = Queue()
        q.issue()
        q.open("1")
        q(cmd.CallNext(counter="1"))
        q(cmd.StartServing(counter="1"))
        q.now += dt.timedelta(minutes=10)
        q(cmd.Hold(counter="1"))
        q.now += dt.timedelta(minutes=60)
        q(cmd.Resume(counter="1", ticket="A-001"))
        q.now += dt.timedelta(minutes=5)
        q(cmd.Done(counter="1"))
        assert q.state.durations["ktp"] == (15.0,)

    def test_the_itinerary_is_capped(self) -> None:
        q = Queue()
        steps = ("kk",) * (MAX_ITINERARY + 1)
        error = q.refused(cmd.IssueTicket(service="ktp", visit="v", itinerary=steps))
        assert error.code == "itinerary_too_long"
        q.issue("ktp", itinerary=("kk", "sim") * (MAX_ITINERARY // 2))
        big = ("kk",) * 1000
        assert q.refused(cmd.IssueTicket(service="ktp", visit="v", itinerary=big)).code == (
            "itinerary_too_long"
        )

    def test_a_service_removed_mid_day_does_not_stop_its_tickets(self) -> None:
        q = Queue()
        q.issue("ktp", itinerary=("sim", "kk"))
        q.issue("sim")
        q.open("1", "3")
        q.call("1")
        q.call("3")
        # The venue file is edited: SIM is gone, counter 3 now serves KK.
        services = {k: v for k, v in q.venue.services.items() if k != "sim"}
        three = msgspec.structs.replace(q.venue.counters["3"], services=("kk",))
        counters = {**q.venue.counters, "3": three}
        q.venue = msgspec.structs.replace(q.venue, services=services, counters=counters)
        wait_ranges(q.venue, q.state)
        # The visit skips the removed service and goes on to KK.
        events = q(cmd.Done(counter="1"))
        issued = [e for e in events if isinstance(e, ev.TicketIssued)]
        assert [(e.service, e.itinerary) for e in issued] == [("kk", ())]
        q(cmd.Done(counter="3"))
        assert q.ticket("C-001").status == "done"


class TestNeverAnotherException:
    """Every command, whatever its fields, is decided or refused with a DomainError."""

    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def test_fuzzed_commands(self, data: st.DataObject) -> None:
        q = Queue(small_venue(priority_ratio=data.draw(st.integers(0, 3))))
        q.issue()
        q.issue("kk", itinerary=("sim",))
        q.issue(priority=True)
        q.open("1")
        q(cmd.CallNext(counter="1"))
        book(q, "BOOK1", dt.time(10, 0))
        command = data.draw(any_command())
        q.now += data.draw(st.timedeltas(-dt.timedelta(hours=2), dt.timedelta(hours=30)))
        try:
            events = decide(q.venue, q.state, command, q.now)
        except DomainError as error:
            assert explain(error, "id") and explain(error, "en")
        else:
            fold(events, q.state)
            wait_ranges(q.venue, q.state)
