"""The queue day follows the venue's wall clock: numbers restart at local midnight."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain import commands as cmd
from server.domain import events as ev
from server.domain.decide import decide
from server.domain.errors import DomainError
from server.domain.state import State, fold
from server.messages import explain
from tests.helpers import local_time, small_venue

ZONES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}


def _issue(state: State, venue: object, when: dt.datetime) -> list[ev.Event]:
    events = decide(venue, state, cmd.IssueTicket(service="ktp", visit="v"), when)  # type: ignore[arg-type]
    fold(events, state)
    return events


@pytest.mark.parametrize("zone", ZONES.values(), ids=ZONES.keys())
class TestLocalMidnight:
    """Around local midnight in each Indonesian time zone."""

    def test_numbers_restart_and_open_tickets_expire(self, zone: str) -> None:
        venue = small_venue(zone)
        state = State()
        _issue(state, venue, local_time(venue, 2026, 11, 24, 23, 58))
        _issue(state, venue, local_time(venue, 2026, 11, 24, 23, 59))
        events = _issue(state, venue, local_time(venue, 2026, 11, 25, 0, 0, 1))
        kinds = [type(e).__name__ for e in events]
        assert kinds == ["TicketExpired", "TicketExpired", "DayStarted", "TicketIssued"]
        assert state.day == dt.date(2026, 11, 25)
        assert [t.label for t in state.tickets.values()] == ["A-001"]

    def test_the_same_utc_instant_is_a_different_day_per_zone(self, zone: str) -> None:
        venue = small_venue(zone)
        utc = dt.datetime(2026, 11, 24, 16, 30, tzinfo=dt.UTC)  # 23.30 WIB, 00.30 WITA/WIT
        state = State()
        _issue(state, venue, utc)
        expected = {"Asia/Jakarta": 24, "Asia/Makassar": 25, "Asia/Jayapura": 25}[zone]
        assert state.day == dt.date(2026, 11, expected)

    def test_a_clock_going_back_a_day_is_refused(self, zone: str) -> None:
        venue = small_venue(zone)
        state = State()
        _issue(state, venue, local_time(venue, 2026, 11, 25, 9, 0))
        with pytest.raises(DomainError) as caught:
            _issue(state, venue, local_time(venue, 2026, 11, 24, 23, 59))
        assert caught.value.code == "clock_behind"
        assert "25-11-2026 09.00" in explain(caught.value, "id")

    def test_a_small_step_back_over_midnight_keeps_the_new_day(self, zone: str) -> None:
        venue = small_venue(zone)
        state = State()
        _issue(state, venue, local_time(venue, 2026, 11, 25, 0, 1))
        _issue(state, venue, local_time(venue, 2026, 11, 24, 23, 59))
        assert state.day == dt.date(2026, 11, 25)
        assert [t.label for t in state.tickets.values()] == ["A-001", "A-002"]


@settings(max_examples=200, deadline=None)
@given(
    zone=st.sampled_from(list(ZONES.values())),
    first=st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2027, 1, 1), timezones=st.just(dt.UTC)),
    gap=st.timedeltas(dt.timedelta(0), dt.timedelta(hours=30)),
)
def test_rollover_happens_exactly_when_the_local_date_changes(
    zone: str, first: dt.datetime, gap: dt.timedelta
) -> None:
    venue = small_venue(zone)
    state = State()
    _issue(state, venue, first)
    events = _issue(state, venue, first + gap)
    rolled = any(isinstance(e, ev.DayStarted) for e in events)
    local_dates = {(first + g).astimezone(venue.tz).date() for g in (dt.timedelta(0), gap)}
    assert rolled == (len(local_dates) == 2)
    assert state.tickets[next(reversed(state.tickets))].label == ("A-001" if rolled else "A-002")


def test_roll_day_command_starts_the_day_without_a_ticket() -> None:
    venue = small_venue()
    state = State()
    _issue(state, venue, local_time(venue, 2026, 11, 24, 10))
    events = decide(venue, state, cmd.RollDay(), local_time(venue, 2026, 11, 25, 0, 0, 5))
    assert [type(e) for e in events] == [ev.TicketExpired, ev.DayStarted]
    assert (
        decide(venue, fold(events, state), cmd.RollDay(), local_time(venue, 2026, 11, 25, 1)) == []
    )
