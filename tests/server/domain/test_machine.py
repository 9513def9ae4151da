"""The queue as a state machine, driven by hypothesis through random command sequences.

Every step sends one command at a clock that mostly moves forward (across local midnight
too) and sometimes steps back, and checks the invariants of DOMAIN.md after it: with tight
quotas, bookings and check-ins, itineraries with priority visitors, and transfers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Literal

import msgspec
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from server.domain import commands as cmd
from server.domain import complaints, ikm
from server.domain.decide import callable_at, decide, quota_used
from server.domain.errors import DomainError
from server.domain.estimate import wait_ranges
from server.domain.events import (
    ComplaintFiled,
    ComplaintStepped,
    DayStarted,
    Event,
    SurveyAnswered,
    TicketCalled,
    TicketDone,
    TicketIssued,
    decode_event,
    encode_event,
)
from server.domain.state import MIN_SERVICE_MINUTES, State, Tallies, evolve, fold
from server.domain.venue import BookingPolicy
from server.messages import explain
from tests.helpers import local_time, small_venue

EXAMPLES = 500
TIMEZONES = ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]
COUNTERS = ["1", "2", "3", "4"]
SERVICES = ["ktp", "kk", "sim"]
HOLDERS = ["nik:a", "nik:b", "nik:c", "hp:d"]


class QueueMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.state = State()
        self.log: list[Event] = []
        # Per counter: (both lanes waiting before the call, the call took a priority ticket,
        # the day of the call: a new day starts the counter's ratio afresh).
        self.calls: dict[str, list[tuple[bool, bool, dt.date | None]]] = defaultdict(list)

    @initialize(
        timezone=st.sampled_from(TIMEZONES),
        ratio=st.integers(0, 3),
        start_minute=st.integers(0, 24 * 60 - 1),
        return_front=st.booleans(),
        quotas=st.one_of(st.none(), st.tuples(*[st.integers(0, 12)] * 3)),
        late_join=st.booleans(),
        by_lane=st.booleans(),
    )
    def setup(
        self,
        timezone: str,
        ratio: int,
        start_minute: int,
        return_front: bool,
        quotas: tuple[int, int, int] | None,
        late_join: bool,
        by_lane: bool,
    ) -> None:
        policy = "front" if return_front else "original"
        booking = BookingPolicy(per_slot=2, late_policy="join" if late_join else "refuse")
        venue = small_venue(
            timezone,
            priority_ratio=ratio,
            priority_scope="lane" if by_lane else "counter",
            return_policy=policy,
            booking=booking,
        )
        if quotas is not None:  # tight quotas, so every path meets a full day
            services = {
                sid: msgspec.structs.replace(s, daily_quota=q)
                for (sid, s), q in zip(venue.services.items(), quotas, strict=True)
            }
            venue = msgspec.structs.replace(venue, services=services)
        self.venue = venue
        self.now = local_time(self.venue, 2026, 11, 24) + dt.timedelta(minutes=start_minute)
        self.bookings: list[str] = []

    # --- driving ---------------------------------------------------------------------------

    def send(self, command: cmd.Command) -> list[Event]:
        before = self.state.snapshot()
        try:
            events = decide(self.venue, self.state, command, self.now)
        except DomainError as error:
            assert explain(error, "id") and explain(error, "en")
            events = []
        # decide only reads: a refusal, and a decision alike, leave the state untouched.
        assert self.state.snapshot() == before
        for event in events:
            evolve(self.state, event)
        self.log.extend(events)
        return events

    def ticket_ids(self) -> list[str]:
        return sorted(self.state.tickets)

    @rule(minutes=st.one_of(st.integers(0, 20), st.integers(60, 16 * 60)))
    def advance_clock(self, minutes: int) -> None:
        self.now += dt.timedelta(minutes=minutes)

    @rule(days=st.integers(1, 3))
    def next_morning(self, days: int) -> None:
        """Nine o'clock some days later: surveys of earlier days are answered, or close."""
        local = self.now.astimezone(self.venue.tz) + dt.timedelta(days=days)
        self.now = local.replace(hour=9, minute=0, second=0, microsecond=0)

    @rule(seconds=st.integers(1, 20 * 60))
    def clock_steps_back(self, seconds: int) -> None:
        """An NTP correction, or a host whose clock is a little behind the others'."""
        self.now -= dt.timedelta(seconds=seconds)

    @rule(
        service=st.sampled_from(SERVICES),
        holder=st.sampled_from(HOLDERS),
        days=st.integers(0, 2),
        slot=st.integers(0, 47),
    )
    def book(self, service: str, holder: str, days: int, slot: int) -> None:
        day = self.now.astimezone(self.venue.tz).date() + dt.timedelta(days=days)
        code = f"BK{len(self.bookings):03d}"
        events = self.send(
            cmd.BookVisit(
                service=service,
                day=day,
                slot=dt.time(slot // 2, 30 * (slot % 2)),
                booking=code,
                visit=f"visit-{code}",
                holder=holder,
                holder_masked="3573********0001",
            )
        )
        if events:
            self.bookings.append(code)

    @rule(pick=st.integers(0, 50), cancel=st.booleans())
    def check_in_or_cancel_booking(self, pick: int, cancel: bool) -> None:
        if self.bookings:
            code = self.bookings[pick % len(self.bookings)]
            self.send(cmd.CancelBooking(booking=code) if cancel else cmd.CheckIn(booking=code))

    @rule(
        service=st.sampled_from(SERVICES),
        channel=st.sampled_from(["kiosk", "online", "staff"]),
        priority=st.booleans(),
        itinerary=st.lists(st.sampled_from(SERVICES), max_size=2),
        confirmed_by=st.sampled_from(["", "satpam"]),
    )
    def issue(
        self, service: str, channel: str, priority: bool, itinerary: list[str], confirmed_by: str
    ) -> None:
        self.send(
            cmd.IssueTicket(
                service=service,
                visit=f"v{len(self.log)}",
                channel=channel,  # type: ignore[arg-type]
                priority=priority,
                itinerary=tuple(itinerary),
                confirmed_by=confirmed_by,
            )
        )

    @rule(service=st.sampled_from(["ktp", "kk"]), priorities=st.lists(st.booleans(), max_size=16))
    def crowd_arrives(self, service: str, priorities: list[bool]) -> None:
        for priority in priorities:
            self.issue(service, "kiosk", priority, [], "satpam")

    @rule(counter=st.sampled_from(COUNTERS), rounds=st.integers(1, 12))
    def officer_works_through_the_lane(self, counter: str, rounds: int) -> None:
        self.send(cmd.OpenCounter(counter=counter, officer=f"o{counter}"))
        for _ in range(rounds):
            self.call_next(counter)
            self.send(cmd.Done(counter=counter))

    @rule(counter=st.sampled_from(COUNTERS))
    def open_counter(self, counter: str) -> None:
        self.send(cmd.OpenCounter(counter=counter, officer=f"o{counter}"))

    @rule(counter=st.sampled_from(COUNTERS), close=st.booleans())
    def pause_or_close(self, counter: str, close: bool) -> None:
        kind = cmd.CloseCounter if close else cmd.PauseCounter
        self.send(kind(counter=counter))

    @rule(counter=st.sampled_from(COUNTERS))
    def call_next(self, counter: str) -> None:
        both = self._both_lanes_waiting(counter)
        events = self.send(cmd.CallNext(counter=counter))
        called = [e for e in events if isinstance(e, TicketCalled)]
        if called:
            priority = self.state.tickets[called[0].ticket].priority
            self.calls[counter].append(
                (both and not _day_started(events), priority, self.state.day)
            )

    def _both_lanes_waiting(self, counter_id: str) -> bool:
        counter = self.venue.counters[counter_id]
        kinds = {t.priority for t in self.state.waiting() if callable_at(counter, t)}
        return kinds == {True, False}

    @rule(counter=st.sampled_from(COUNTERS), pick=st.integers(0, 50))
    def call_specific(self, counter: str, pick: int) -> None:
        ids = self.ticket_ids()
        if ids:
            self.send(cmd.CallSpecific(counter=counter, ticket=ids[pick % len(ids)], reason="uji"))

    @rule(
        counter=st.sampled_from(COUNTERS),
        kind=st.sampled_from([cmd.Recall, cmd.NoShow, cmd.StartServing, cmd.Done, cmd.Hold]),
    )
    def handle(self, counter: str, kind: type[cmd.CounterCommand]) -> None:
        self.send(kind(counter=counter))

    @rule(
        counter=st.sampled_from(COUNTERS),
        service=st.sampled_from([None, *SERVICES]),
        to_counter=st.sampled_from([None, *COUNTERS]),
        front=st.booleans(),
    )
    def transfer(
        self, counter: str, service: str | None, to_counter: str | None, front: bool
    ) -> None:
        self.send(
            cmd.Transfer(counter=counter, service=service, to_counter=to_counter, front=front)
        )

    @rule(counter=st.sampled_from(COUNTERS), pick=st.integers(0, 50))
    def resume(self, counter: str, pick: int) -> None:
        ids = self.ticket_ids()
        if ids:
            self.send(cmd.Resume(counter=counter, ticket=ids[pick % len(ids)]))

    @rule(pick=st.integers(0, 50), by_visitor=st.booleans())
    def cancel(self, pick: int, by_visitor: bool) -> None:
        ids = self.ticket_ids()
        if ids:
            by: Literal["visitor", "officer"] = "visitor" if by_visitor else "officer"
            self.send(cmd.CancelTicket(ticket=ids[pick % len(ids)], by=by, reason="uji"))

    @rule(text=st.text(max_size=600))
    def set_running_text(self, text: str) -> None:
        self.send(cmd.SetRunningText(text=text, by="manajer"))

    @rule(pick=st.integers(0, 50))
    def return_after_no_show(self, pick: int) -> None:
        ids = self.ticket_ids()
        if ids:
            self.send(cmd.ReturnTicket(ticket=ids[pick % len(ids)]))

    @rule(pick=st.integers(0, 50), score=st.integers(1, 4), by_label=st.booleans())
    def visitor_rates_a_ticket(self, pick: int, score: int, by_label: bool) -> None:
        """Any ticket of today, done or not, or one of the surveys still open."""
        refs = [*self.ticket_ids(), *sorted(self.state.surveys)]
        if refs:
            ref = refs[pick % len(refs)]
            if by_label:
                ref = ref.split("-", 1)[-1]
            answers = dict.fromkeys(ikm.KEYS, score)
            self.send(cmd.AnswerSurvey(answers=answers, ticket=ref))

    @rule(
        n=st.integers(0, 3),
        kind=st.sampled_from(complaints.KINDS),
        tenant=st.sampled_from(["", "dukcapil", "polres"]),
    )
    def citizen_files_a_complaint(self, n: int, kind: complaints.Kind, tenant: str) -> None:
        """A few codes only, so a code is sometimes filed twice (refused)."""
        code = f"AAAA-BBBB-CCC{n}"
        self.send(cmd.FileComplaint(kind=kind, text="x" * 12, tenant=tenant, complaint=code))

    @rule(
        n=st.integers(0, 3),
        status=st.sampled_from(sorted(complaints.STEPS)),
        note=st.sampled_from(["", "Sudah ditangani."]),
        tenant=st.sampled_from(["", "dukcapil", "polres", "pajak"]),
    )
    def handler_steps_a_complaint(
        self, n: int, status: complaints.Status, note: str, tenant: str
    ) -> None:
        code = f"AAAA-BBBB-CCC{n}"
        self.send(
            cmd.AdvanceComplaint(complaint=code, status=status, note=note, tenant=tenant, by="m")
        )

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def a_complaint_moves_only_along_its_road(self) -> None:
        status: dict[str, complaints.Status] = {}
        for event in self.log:
            if isinstance(event, ComplaintFiled):
                assert event.complaint not in status
                status[event.complaint] = "diterima"
            elif isinstance(event, ComplaintStepped):
                assert status[event.complaint] in complaints.STEPS[event.status]
                status[event.complaint] = event.status
        open_ = {c for c, s in status.items() if s not in complaints.CLOSED}
        assert open_ == self.state.open_complaints
        assert {c: x.status for c, x in self.state.complaints.items()} == status

    @invariant()
    def a_served_ticket_is_rated_at_most_once_and_only_while_open(self) -> None:
        done: dict[str, dt.date] = {}
        rated: set[str] = set()
        service_days: list[dt.date] = []
        for event in self.log:
            if isinstance(event, TicketDone):
                done[event.ticket] = event.at.date()
                if not service_days or service_days[-1] != event.at.date():
                    service_days.append(event.at.date())
            elif isinstance(event, SurveyAnswered):
                assert event.ticket in done and event.ticket not in rated
                rated.add(event.ticket)
                # Open until the end of the next day anyone was served: no such day lies
                # between the service and the answer.
                served, answered = done[event.ticket], event.at.date()
                assert not any(served < day < answered for day in service_days)
                assert event.day == done[event.ticket]

    @invariant()
    def the_tallies_are_what_a_count_gives(self) -> None:
        counted = Tallies.of(self.state.tickets.values(), self.state.bookings.values())
        assert counted.snapshot() == self.state.tallies.snapshot()

    @invariant()
    def the_log_never_runs_backwards(self) -> None:
        moments = [e.at for e in self.log]
        assert moments == sorted(moments)

    @invariant()
    def learned_service_times_are_real(self) -> None:
        for recent in self.state.durations.values():
            assert all(minutes >= MIN_SERVICE_MINUTES for minutes in recent)

    @invariant()
    def no_path_issues_past_the_daily_quota(self) -> None:
        if self.state.day is None:
            return
        for sid, service in self.venue.services.items():
            assert self.state.numbers.get(sid, 0) <= service.daily_quota
            at = max(self.now, self.state.last_at or self.now).astimezone(self.venue.tz)
            if at.date() != self.state.day:
                # The clock passed midnight and no command has rolled the day over yet:
                # what the state's own day held at its last moment is what counts.
                end = dt.datetime.combine(self.state.day, dt.time(23, 59, 59), self.venue.tz)
                at = min(at, end)
            used = quota_used(self.venue, self.state, sid, self.state.day, at)
            assert used <= service.daily_quota

    @invariant()
    def priority_tickets_only_in_priority_lanes(self) -> None:
        for ticket in self.state.tickets.values():
            if ticket.priority and ticket.status not in ("done", "cancelled", "expired"):
                assert self.venue.services[ticket.service].priority_lane, ticket

    @invariant()
    def every_waiting_ticket_has_an_honest_range(self) -> None:
        ranges = wait_ranges(self.venue, self.state, self.now)
        assert set(ranges) == {t.id for t in self.state.waiting()}
        for found in ranges.values():
            assert 0 <= found.low < found.high and found.ahead >= 0

    @invariant()
    def a_counter_serves_at_most_one_ticket(self) -> None:
        in_hand = [c.ticket for c in self.state.counters.values() if c.ticket is not None]
        assert len(in_hand) == len(set(in_hand))
        for counter_id, counter in self.state.counters.items():
            if counter.ticket is not None:
                ticket = self.state.tickets[counter.ticket]
                assert ticket.status in ("called", "serving")
                assert ticket.counter == counter_id
                assert counter.status == "open"

    @invariant()
    def a_ticket_is_in_at_most_one_place(self) -> None:
        in_hand = {c.ticket: cid for cid, c in self.state.counters.items() if c.ticket}
        for ticket in self.state.tickets.values():
            at_counter = ticket.status in ("called", "serving")
            assert (ticket.id in in_hand) == at_counter
            if ticket.status in ("waiting", "no_show", "done", "cancelled", "expired"):
                assert ticket.id not in in_hand
            if ticket.status == "held":
                assert ticket.counter is not None and ticket.id not in in_hand
            if ticket.status == "waiting":
                assert ticket.counter is None

    @invariant()
    def numbers_are_unique_per_service_per_day_and_never_reused(self) -> None:
        day: dt.date | None = None
        seen: dict[str, list[int]] = defaultdict(list)
        for event in self.log:
            if isinstance(event, DayStarted):
                day, seen = event.day, defaultdict(list)
            elif isinstance(event, TicketIssued):
                assert event.at.date() == day
                seen[event.service].append(event.number)
                # Consecutive from 1: unique, and nothing skipped or reused.
                assert seen[event.service] == list(range(1, len(seen[event.service]) + 1))
                assert event.ticket.endswith(event.label) and str(event.number) in event.label

    @invariant()
    def priority_ratio_holds_while_both_lanes_wait(self) -> None:
        if self.venue.priority_scope != "counter":
            return  # a lane's count: tests/server/domain/test_decide.py shows its pattern
        share = 1 / (self.venue.priority_ratio + 1)
        for history in self.calls.values():
            for run in _runs_where_both_waited(history):
                for start in range(len(run)):
                    for end in range(start + 1, len(run) + 1):
                        window = run[start:end]
                        assert abs(sum(window) - len(window) * share) <= 1, (run, window)

    @invariant()
    def replaying_the_log_from_empty_reproduces_the_state(self) -> None:
        wire = [decode_event(encode_event(e)) for e in self.log]
        replayed = fold(wire)
        replayed.seq = self.state.seq
        assert replayed.snapshot() == self.state.snapshot()

    @invariant()
    def the_day_is_the_venue_local_date(self) -> None:
        if self.log:
            assert self.state.day == self.log[-1].at.astimezone(self.venue.tz).date()
        for ticket in self.state.tickets.values():
            assert ticket.issued_at.astimezone(self.venue.tz).date() == self.state.day


def _day_started(events: list[Event]) -> bool:
    # A rollover in the same decision expired both lanes before the call.
    return any(isinstance(e, DayStarted) for e in events)


def _runs_where_both_waited(
    history: list[tuple[bool, bool, dt.date | None]],
) -> list[list[bool]]:
    runs: list[list[bool]] = [[]]
    last_day: dt.date | None = None
    for both, priority, day in history:
        if day != last_day and runs[-1]:
            runs.append([])  # found when next_morning met two waiting lanes on two days
        last_day = day
        if both:
            runs[-1].append(priority)
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if run]


QueueMachine.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestQueueMachine = QueueMachine.TestCase


def test_snapshot_is_plain_data() -> None:
    """The snapshot the invariants compare is plain data, so equality means equal states."""
    state = State()
    assert msgspec.json.decode(msgspec.json.encode(state.snapshot()))["seq"] == 0
