"""Online booking in the domain: who may book which slot, and checking in at the kiosk."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from server.domain import commands as cmd
from server.domain import events as ev
from server.domain.decide import booking_slots, slot_taken
from server.domain.errors import DomainError
from server.domain.venue import BookingPolicy, Holiday, OpeningHours, Venue
from server.messages import explain
from tests.helpers import Queue, local_time, small_venue

TODAY = dt.date(2026, 11, 24)  # a Tuesday
TOMORROW = TODAY + dt.timedelta(days=1)


class Desk(Queue):
    """A venue and its state, driven like the service does, with a clock we set."""

    def __init__(self, venue: Venue | None = None) -> None:
        super().__init__(venue)
        self._codes = 0

    def refused(self, command: cmd.Command) -> str:  # type: ignore[override]
        return super().refused(command).code

    def book(
        self,
        holder: str = "nik:a",
        service: str = "ktp",
        day: dt.date = TODAY,
        slot: dt.time = dt.time(10, 0),
    ) -> cmd.BookVisit:
        self._codes += 1
        return cmd.BookVisit(
            service=service,
            day=day,
            slot=slot,
            booking=f"CODE{self._codes:04d}",
            visit=f"visit-{self._codes}",
            holder=holder,
            holder_masked="3573********0001",
        )

    def at(self, hour: int, minute: int = 0, day: dt.date = TODAY) -> None:
        self.now = local_time(self.venue, day.year, day.month, day.day, hour, minute)


def with_policy(**policy: object) -> Venue:
    return small_venue(booking=BookingPolicy(**policy))  # type: ignore[arg-type]


@pytest.fixture
def desk() -> Desk:
    return Desk()


class TestOnePerHolder:
    """One booking per NIK (or phone) per service per day."""

    def test_the_same_holder_cannot_book_the_same_service_twice_a_day(self, desk: Desk) -> None:
        desk(desk.book())
        assert desk.refused(desk.book(slot=dt.time(11, 0))) == "booking_taken"

    def test_another_service_or_another_day_is_fine(self, desk: Desk) -> None:
        desk(desk.book())
        desk(desk.book(service="kk"))
        desk(desk.book(day=TOMORROW))
        assert len(desk.state.bookings) == 3

    def test_a_cancelled_booking_frees_the_holder(self, desk: Desk) -> None:
        first = desk.book()
        desk(first)
        desk(cmd.CancelBooking(booking=first.booking))
        desk(desk.book(slot=dt.time(11, 0)))

    def test_a_booking_without_holder_is_incomplete(self, desk: Desk) -> None:
        assert desk.refused(desk.book(holder="")) == "booking_incomplete"


class TestSlots:
    """Slots come from the opening hours; each holds `per_slot` visitors."""

    def test_a_full_slot_is_refused_and_counted(self) -> None:
        desk = Desk(with_policy(per_slot=2))
        desk(desk.book("nik:a"))
        desk(desk.book("nik:b"))
        assert slot_taken(desk.state, "ktp", TODAY, dt.time(10, 0)) == 2
        assert desk.refused(desk.book("nik:c")) == "booking_slot_full"

    def test_a_cancelled_place_is_free_again(self) -> None:
        desk = Desk(with_policy(per_slot=1))
        first = desk.book("nik:a")
        desk(first)
        desk(cmd.CancelBooking(booking=first.booking))
        desk(desk.book("nik:b"))

    def test_a_slot_that_has_ended_is_past(self, desk: Desk) -> None:
        desk.at(10, 30)
        assert desk.refused(desk.book(slot=dt.time(10, 0))) == "booking_slot_past"
        desk(desk.book(slot=dt.time(10, 30)))  # running now: still bookable

    def test_a_time_off_the_grid_is_not_a_slot(self, desk: Desk) -> None:
        assert desk.refused(desk.book(slot=dt.time(10, 10))) == "booking_slot_invalid"

    def test_slots_leave_out_breaks_and_stop_at_the_last_issue(self) -> None:
        hours = dict.fromkeys(("mon", "tue"), OpeningHours(dt.time(8), dt.time(12)))
        venue = small_venue(hours=hours)
        ktp = msgspec.structs.replace(venue.services["ktp"], last_issue=dt.time(10))
        assert booking_slots(venue, ktp, TODAY) == [
            dt.time(8),
            dt.time(8, 30),
            dt.time(9),
            dt.time(9, 30),
        ]


class TestDays:
    """Bookable days: today up to `days_ahead`, never a closed day or a holiday."""

    @pytest.mark.parametrize("days", [-1, 15])
    def test_a_day_out_of_range_is_refused(self, desk: Desk, days: int) -> None:
        day = TODAY + dt.timedelta(days=days)
        assert desk.refused(desk.book(day=day)) == "booking_day_invalid"

    def test_the_last_day_ahead_is_fine(self, desk: Desk) -> None:
        desk(desk.book(day=TODAY + dt.timedelta(days=14)))

    def test_a_closed_weekday_has_no_slots(self) -> None:
        hours = {d: OpeningHours(dt.time(8), dt.time(16)) for d in ("mon", "tue", "wed")}
        desk = Desk(small_venue(hours=hours))
        thursday = TODAY + dt.timedelta(days=2)
        assert booking_slots(desk.venue, desk.venue.services["ktp"], thursday) == []
        assert desk.refused(desk.book(day=thursday)) == "booking_slot_invalid"

    def test_a_holiday_has_no_slots(self) -> None:
        desk = Desk(small_venue(holidays=(Holiday(date=TOMORROW, name="Libur"),)))
        assert desk.refused(desk.book(day=TOMORROW)) == "booking_slot_invalid"

    def test_booking_can_be_switched_off(self) -> None:
        desk = Desk(with_policy(enabled=False))
        assert desk.refused(desk.book()) == "booking_disabled"


class TestOnlineQuota:
    """A service's online quota caps its bookings per day and its online tickets."""

    def test_bookings_stop_at_the_online_quota(self) -> None:
        venue = small_venue()
        kk = msgspec.structs.replace(venue.services["kk"], online_quota=2)
        desk = Desk(small_venue(services={**venue.services, "kk": kk}))
        desk(desk.book("nik:a", service="kk"))
        desk(desk.book("nik:b", service="kk", slot=dt.time(11, 0)))
        refused = desk.refused(desk.book("nik:c", service="kk", slot=dt.time(12, 0)))
        assert refused == "channel_quota_full"
        desk(desk.book("nik:c", service="kk", day=TOMORROW))


class TestCheckIn:
    """Check-in opens `early_minutes` before the slot and closes `late_minutes` after it."""

    def test_check_in_issues_an_online_ticket_of_the_booked_visit(self, desk: Desk) -> None:
        booked = desk.book()
        desk(booked)
        desk.at(9, 30)
        events = desk(cmd.CheckIn(booking=booked.booking.lower()))
        issued = events[-1]
        assert isinstance(issued, ev.TicketIssued)
        assert (issued.visit, issued.channel, issued.booking) == (
            booked.visit,
            "online",
            booked.booking,
        )
        booking = desk.state.bookings[booked.booking]
        assert (booking.status, booking.ticket) == ("checked_in", issued.ticket)

    def test_too_early_is_refused_with_the_opening_time(self, desk: Desk) -> None:
        booked = desk.book()
        desk(booked)
        desk.at(9, 29)
        with pytest.raises(DomainError) as caught:
            desk(cmd.CheckIn(booking=booked.booking))
        assert caught.value.code == "check_in_early"
        assert "09.30" in explain(caught.value, "id")

    def test_the_last_minute_of_the_window_is_still_in(self, desk: Desk) -> None:
        booked = desk.book()
        desk(booked)
        desk.at(10, 45)
        desk(cmd.CheckIn(booking=booked.booking))  # the last minute of the window

    def test_after_the_window_is_refused_under_the_refuse_policy(self, desk: Desk) -> None:
        booked = desk.book()
        desk(booked)
        desk.at(10, 46)
        assert desk.refused(cmd.CheckIn(booking=booked.booking)) == "check_in_late"

    def test_after_the_window_joins_the_back_under_the_join_policy(self) -> None:
        desk = Desk(with_policy(late_policy="join"))
        booked = desk.book()
        desk(booked)
        desk(cmd.IssueTicket(service="ktp", visit="walk-in"))
        desk.at(11, 30)
        issued = desk(cmd.CheckIn(booking=booked.booking))[-1]
        assert isinstance(issued, ev.TicketIssued)
        mine = desk.state.tickets[issued.ticket]
        walk_in = next(t for t in desk.state.tickets.values() if t.visit == "walk-in")
        assert mine.order > walk_in.order

    def test_a_booking_for_another_day_cannot_check_in_today(self, desk: Desk) -> None:
        booked = desk.book(day=TOMORROW)
        desk(booked)
        assert desk.refused(cmd.CheckIn(booking=booked.booking)) == "booking_other_day"

    def test_a_used_code_cannot_check_in_again_nor_be_cancelled(self, desk: Desk) -> None:
        booked = desk.book()
        desk(booked)
        desk.at(10, 0)
        desk(cmd.CheckIn(booking=booked.booking))
        assert desk.refused(cmd.CheckIn(booking=booked.booking)) == "booking_used"
        assert desk.refused(cmd.CancelBooking(booking=booked.booking)) == "booking_used"

    def test_a_cancelled_code_cannot_check_in(self, desk: Desk) -> None:
        booked = desk.book()
        desk(booked)
        desk(cmd.CancelBooking(booking=booked.booking))
        desk.at(10, 0)
        assert desk.refused(cmd.CheckIn(booking=booked.booking)) == "booking_cancelled"
        assert desk.refused(cmd.CancelBooking(booking=booked.booking)) == "booking_cancelled"

    def test_an_unknown_code_is_named(self, desk: Desk) -> None:
        assert desk.refused(cmd.CheckIn(booking="ZZZZ9999")) == "unknown_booking"


class TestRollover:
    """Bookings outlive the day rollover for days to come, and vanish for days gone."""

    def test_future_bookings_survive_and_past_ones_vanish(self, desk: Desk) -> None:
        today, tomorrow = desk.book(), desk.book(day=TOMORROW)
        desk(today)
        desk(tomorrow)
        desk.at(8, 0, day=TOMORROW)
        desk(cmd.RollDay())
        assert set(desk.state.bookings) == {tomorrow.booking}
        desk.at(9, 45, day=TOMORROW)
        desk(cmd.CheckIn(booking=tomorrow.booking))
        assert desk.refused(cmd.CheckIn(booking=today.booking)) == "unknown_booking"
