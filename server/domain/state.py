"""The state of one venue's queues, as a fold over its events.

Tickets and counters are frozen values. The `State` that holds them is a mutable container
updated in place by `evolve`: replaying a busy day (tens of thousands of events) by copying
dictionaries on every event would be quadratic. `decide` only reads a state; a property test
checks that it never changes one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable
from functools import singledispatch
from typing import Literal, TypeVar

import msgspec

from server.domain import events as ev
from server.domain.complaints import CLOSED, Complaint, Step

TicketStatus = Literal[
    "waiting", "called", "serving", "held", "no_show", "done", "cancelled", "expired"
]
CounterStatus = Literal["closed", "open", "break"]
FINISHED: frozenset[str] = frozenset({"done", "cancelled", "expired"})
# Still to be served today: what the predicted cutoff counts.
PENDING: frozenset[str] = frozenset({"waiting", "called", "serving"})
K = TypeVar("K", bound=Hashable)
# How many recent service times per service the estimates learn from.
RECENT_DURATIONS = 30
# Shorter than this is no service (a call closed by a double press, a correction): not
# learned, or the estimates and the predicted cutoff would believe counters are instant.
MIN_SERVICE_MINUTES = 0.25


class Ticket(msgspec.Struct, frozen=True):
    id: str
    label: str
    visit: str
    service: str
    number: int
    channel: ev.Channel
    priority: bool
    issued_at: dt.datetime
    status: TicketStatus = "waiting"
    # The visitor's right to priority (staff-confirmed at issue), kept when a lane without
    # a priority lane takes the ticket, or the visit's next step, as a regular one.
    entitled: bool = False
    # Lane order: smaller is called first. Back of the lane counts up, front counts down.
    order: int = 0
    original_order: int = 0
    joined_at: dt.datetime | None = None
    counter: str | None = None
    to_counter: str | None = None
    recalls: int = 0
    called_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    itinerary: tuple[str, ...] = ()
    # Time on hold is not service time: when it was held, and the minutes held so far.
    held_at: dt.datetime | None = None
    held_minutes: float = 0.0


class Booking(msgspec.Struct, frozen=True):
    id: str
    visit: str
    service: str
    day: dt.date
    slot: dt.time
    holder: str
    holder_masked: str
    made_at: dt.datetime
    status: Literal["booked", "checked_in", "cancelled"] = "booked"
    ticket: str | None = None


class Surveyable(msgspec.Struct, frozen=True):
    """A served ticket whose visitor may still rate the service (one response each)."""

    ticket: str
    label: str
    visit: str
    service: str
    counter: str
    day: dt.date
    answered: bool = False


class Ack(msgspec.Struct, frozen=True):
    by: str
    at: dt.datetime


class CounterState(msgspec.Struct, frozen=True):
    status: CounterStatus = "closed"
    officer: str = ""
    ticket: str | None = None
    # Regular tickets called since the last priority one: drives the priority ratio.
    since_priority: int = 0


class Tallies:
    """Counts kept up to date as tickets and bookings change, so that what a kiosk asks of
    every service on each screen (quota left, the predicted cutoff) costs the same with 5
    or 5,000 tickets waiting. Zero counts are dropped, so equal tallies compare equal."""

    __slots__ = ("booked", "held", "pending", "steps", "waiting")

    def __init__(self) -> None:
        # Per service: today's tickets still to be served (waiting, called or serving).
        self.pending: dict[str, int] = {}
        # Per service: those of them not called yet (what `/metrics` reports per scrape).
        self.waiting: dict[str, int] = {}
        # Per service: later steps of today's unfinished visits, the places they hold.
        self.steps: dict[str, int] = {}
        # Per (service, day): bookings not cancelled; and per slot those not checked in
        # yet, which hold their places until their check-in window closes.
        self.booked: dict[tuple[str, dt.date], int] = {}
        self.held: dict[tuple[str, dt.date], dict[dt.time, int]] = {}

    @classmethod
    def of(cls, tickets: Iterable[Ticket], bookings: Iterable[Booking]) -> Tallies:
        """Counted from scratch (a new day's bookings, and tests that check the upkeep)."""
        tallies = cls()
        for ticket in tickets:
            tallies.ticket(None, ticket)
        for booking in bookings:
            tallies.booking(None, booking)
        return tallies

    def copy(self) -> Tallies:
        other = Tallies()
        other.pending, other.steps = dict(self.pending), dict(self.steps)
        other.waiting = dict(self.waiting)
        other.booked = dict(self.booked)
        other.held = {key: dict(slots) for key, slots in self.held.items()}
        return other

    def snapshot(self) -> dict[str, object]:
        return {
            "pending": dict(self.pending),
            "waiting": dict(self.waiting),
            "steps": dict(self.steps),
            "booked": {f"{s}/{d}": n for (s, d), n in self.booked.items()},
            "held": {
                f"{s}/{d}/{slot}": n
                for (s, d), slots in self.held.items()
                for slot, n in slots.items()
            },
        }

    def ticket(self, old: Ticket | None, new: Ticket | None) -> None:
        """`old` became `new` (None: did not exist / is gone)."""
        for ticket, sign in ((old, -1), (new, 1)):
            if ticket is None:
                continue
            if ticket.status in PENDING:
                _add(self.pending, ticket.service, sign)
            if ticket.status == "waiting":
                _add(self.waiting, ticket.service, sign)
            if ticket.status not in FINISHED:
                for service in ticket.itinerary:
                    _add(self.steps, service, sign)

    def booking(self, old: Booking | None, new: Booking | None) -> None:
        for booking, sign in ((old, -1), (new, 1)):
            if booking is None:
                continue
            key = (booking.service, booking.day)
            if booking.status != "cancelled":
                _add(self.booked, key, sign)
            if booking.status == "booked":
                slots = self.held.setdefault(key, {})
                _add(slots, booking.slot, sign)
                if not slots:
                    del self.held[key]


def _add(counts: dict[K, int], key: K, step: int) -> None:
    count = counts.get(key, 0) + step
    if count:
        counts[key] = count
    else:
        counts.pop(key, None)


class State:
    """One venue's queues at log position `seq`."""

    __slots__ = (
        "_back",
        "_front",
        "acknowledged",
        "bookings",
        "complaints",
        "counters",
        "day",
        "durations",
        "issued",
        "lane_since",
        "last_at",
        "notices",
        "numbers",
        "open_complaints",
        "running_text",
        "seq",
        "surveyed",
        "surveys",
        "tallies",
        "tickets",
    )

    def __init__(self) -> None:
        self.seq = 0
        self.day: dt.date | None = None
        # The latest event's time: the log's clock never runs backwards past it.
        self.last_at: dt.datetime | None = None
        self.tickets: dict[str, Ticket] = {}
        self.numbers: dict[str, int] = {}
        self.issued: dict[tuple[str, str], int] = {}
        self.counters: dict[str, CounterState] = {}
        # Regular tickets called per lane (service) since its last priority one: the
        # priority ratio of a venue whose `priority_scope` is "lane".
        self.lane_since: dict[str, int] = {}
        # None until a manager sets it: the venue file's text applies.
        self.running_text: str | None = None
        # Service times in minutes, most recent last, per service; kept across days so the
        # first estimates of a morning are learned from yesterday.
        self.durations: dict[str, tuple[float, ...]] = {}
        # Bookings of today and later days, by booking code.
        self.bookings: dict[str, Booking] = {}
        self.notices: dict[str, str] = {}
        # Today's acknowledged alerts by alert id (and those of open complaints' alerts).
        self.acknowledged: dict[str, Ack] = {}
        # Tickets served today and on the last day before it on which anyone was served: a
        # survey stays open until the end of the next service day.
        self.surveys: dict[str, Surveyable] = {}
        # The `source` of every imported survey response, so no row is imported twice.
        self.surveyed: set[str] = set()
        # Every complaint by tracking code, open or closed (a venue gets a few a day).
        self.complaints: dict[str, Complaint] = {}
        # The codes of those not yet closed: what deadlines and alerts look at.
        self.open_complaints: set[str] = set()
        self.tallies = Tallies()
        self._back = 0
        self._front = 0

    def copy(self) -> State:
        other = State()
        other.seq, other.day, other.last_at = self.seq, self.day, self.last_at
        other.tickets, other.numbers = dict(self.tickets), dict(self.numbers)
        other.issued, other.counters = dict(self.issued), dict(self.counters)
        other.lane_since = dict(self.lane_since)
        other._back, other._front = self._back, self._front
        other.running_text = self.running_text
        other.durations, other.bookings = dict(self.durations), dict(self.bookings)
        other.notices, other.acknowledged = dict(self.notices), dict(self.acknowledged)
        other.surveys, other.surveyed = dict(self.surveys), set(self.surveyed)
        other.complaints, other.open_complaints = dict(self.complaints), set(self.open_complaints)
        other.tallies = self.tallies.copy()
        return other

    def snapshot(self) -> dict[str, object]:
        """Everything in the state as plain data, for comparisons and views."""
        return {
            "seq": self.seq,
            "day": self.day,
            "last_at": self.last_at,
            "tickets": msgspec.to_builtins(self.tickets),
            "numbers": dict(self.numbers),
            "issued": {f"{s}/{c}": n for (s, c), n in self.issued.items()},
            "counters": msgspec.to_builtins(self.counters),
            "lane_since": dict(self.lane_since),
            "order": (self._back, self._front),
            "running_text": self.running_text,
            "durations": dict(self.durations),
            "bookings": msgspec.to_builtins(self.bookings),
            "notices": dict(self.notices),
            "acknowledged": msgspec.to_builtins(self.acknowledged),
            "surveys": msgspec.to_builtins(self.surveys),
            "surveyed": sorted(self.surveyed),
            "complaints": msgspec.to_builtins(self.complaints),
            "open_complaints": sorted(self.open_complaints),
            "tallies": self.tallies.snapshot(),
        }

    def counter(self, counter_id: str) -> CounterState:
        return self.counters.get(counter_id) or CounterState()

    def waiting(self) -> Iterable[Ticket]:
        return (t for t in self.tickets.values() if t.status == "waiting")

    def held_at(self, counter_id: str) -> list[Ticket]:
        return [t for t in self.tickets.values() if t.status == "held" and t.counter == counter_id]

    def next_back(self) -> int:
        self._back += 1
        return self._back

    def next_front(self) -> int:
        self._front -= 1
        return self._front


def fold(events: Iterable[ev.Event], state: State | None = None) -> State:
    """Replay `events` onto `state` (a new one by default)."""
    state = state or State()
    for event in events:
        evolve(state, event)
    return state


def evolve(state: State, event: ev.Event) -> State:
    """Apply one event to `state`, in place, and return it."""
    _apply(event, state)
    if state.last_at is None or event.at > state.last_at:
        state.last_at = event.at
    return state


def _put(state: State, ticket_id: str, **changes: object) -> Ticket:
    old = state.tickets[ticket_id]
    ticket = msgspec.structs.replace(old, **changes)
    state.tickets[ticket_id] = ticket
    state.tallies.ticket(old, ticket)
    return ticket


def _put_booking(state: State, booking: Booking) -> None:
    state.tallies.booking(state.bookings.get(booking.id), booking)
    state.bookings[booking.id] = booking


def _set_counter(state: State, counter_id: str, **changes: object) -> None:
    state.counters[counter_id] = msgspec.structs.replace(state.counter(counter_id), **changes)


def _free_counter(state: State, counter_id: str) -> None:
    _set_counter(state, counter_id, ticket=None)


def _requeue(
    state: State, ticket_id: str, at: dt.datetime, *, front: bool, **changes: object
) -> int:
    order = state.next_front() if front else state.next_back()
    _put(
        state,
        ticket_id,
        status="waiting",
        order=order,
        joined_at=at,
        counter=None,
        recalls=0,
        called_at=None,
        started_at=None,
        **changes,
    )
    return order


@singledispatch
def _apply(event: ev.Event, state: State) -> None:
    raise TypeError(f"no evolve rule for event {type(event).__name__}")


@_apply.register
def _(event: ev.DayStarted, state: State) -> None:
    state.day = event.day
    state.tickets.clear()
    state.numbers.clear()
    state.issued.clear()
    state.lane_since.clear()
    state.counters = {cid: CounterState() for cid in state.counters}
    state.bookings = {k: b for k, b in state.bookings.items() if b.day >= event.day}
    state.tallies = Tallies.of((), state.bookings.values())
    # The day's alerts end with it; an open complaint's overdue alert lasts until the
    # complaint moves on (its id names the status), and so does its acknowledgement.
    state.acknowledged = {
        alert: ack
        for alert, ack in state.acknowledged.items()
        if alert.startswith("complaint:") and alert.split(":")[1] in state.open_complaints
    }
    state._back = state._front = 0
    # Surveys of the last day anyone was served stay open through this day; older ones close.
    last = max((s.day for s in state.surveys.values()), default=None)
    state.surveys = {k: s for k, s in state.surveys.items() if s.day == last}


@_apply.register
def _(event: ev.TicketExpired, state: State) -> None:
    _put(state, event.ticket, status="expired")


@_apply.register
def _(event: ev.TicketIssued, state: State) -> None:
    order = state.next_back()
    state.numbers[event.service] = event.number
    key = (event.service, event.channel)
    state.issued[key] = state.issued.get(key, 0) + 1
    ticket = Ticket(
        id=event.ticket,
        label=event.label,
        visit=event.visit,
        service=event.service,
        number=event.number,
        channel=event.channel,
        priority=event.priority,
        entitled=event.priority if event.entitled is None else event.entitled,
        issued_at=event.at,
        order=order,
        original_order=order,
        joined_at=event.at,
        itinerary=event.itinerary,
    )
    state.tickets[event.ticket] = ticket
    state.tallies.ticket(None, ticket)
    if event.booking in state.bookings:
        booking = state.bookings[event.booking]
        _put_booking(
            state, msgspec.structs.replace(booking, status="checked_in", ticket=event.ticket)
        )


@_apply.register
def _(event: ev.TicketCalled, state: State) -> None:
    ticket = _put(
        state,
        event.ticket,
        status="called",
        counter=event.counter,
        to_counter=None,
        called_at=event.at,
    )
    current = state.counter(event.counter)
    if event.specific:
        since = current.since_priority
    else:
        since = 0 if ticket.priority else current.since_priority + 1
        lane = state.lane_since.get(ticket.service, 0)
        state.lane_since[ticket.service] = 0 if ticket.priority else lane + 1
    _set_counter(state, event.counter, ticket=event.ticket, since_priority=since)


@_apply.register
def _(event: ev.TicketRecalled, state: State) -> None:
    recalls = state.tickets[event.ticket].recalls + 1
    _put(state, event.ticket, recalls=recalls, called_at=event.at)


@_apply.register
def _(event: ev.TicketNoShow, state: State) -> None:
    _put(state, event.ticket, status="no_show", counter=None)
    _free_counter(state, event.counter)


@_apply.register
def _(event: ev.TicketReturned, state: State) -> None:
    ticket = state.tickets[event.ticket]
    if event.front:
        _requeue(state, event.ticket, event.at, front=True)
    else:
        _put(
            state,
            event.ticket,
            status="waiting",
            order=ticket.original_order,
            counter=None,
            recalls=0,
            called_at=None,
        )


@_apply.register
def _(event: ev.ServingStarted, state: State) -> None:
    _put(state, event.ticket, status="serving", started_at=event.at)


@_apply.register
def _(event: ev.TicketDone, state: State) -> None:
    ticket = _put(state, event.ticket, status="done")
    _free_counter(state, event.counter)
    state.surveys[ticket.id] = Surveyable(
        ticket.id, ticket.label, ticket.visit, ticket.service, event.counter, event.at.date()
    )
    minutes = service_minutes(ticket.started_at, ticket.called_at, ticket.held_minutes, event.at)
    if minutes is not None:
        recent = state.durations.get(ticket.service, ())
        state.durations[ticket.service] = (*recent, minutes)[-RECENT_DURATIONS:]


def service_minutes(
    started: dt.datetime | None, called: dt.datetime | None, held: float, done: dt.datetime
) -> float | None:
    """Minutes of service of a ticket done at `done`, `held` minutes on hold left out, or
    None when there was no real service (under MIN_SERVICE_MINUTES). Done without Start
    counts from the (last) call: the walk to the counter is then in it. The estimates
    learn these, and the reports count them."""
    start = started or called
    if start is None:
        return None
    minutes = (done - start).total_seconds() / 60 - held
    return minutes if minutes >= MIN_SERVICE_MINUTES else None


@_apply.register
def _(event: ev.TicketTransferred, state: State) -> None:
    ticket = state.tickets[event.ticket]
    priority = ticket.priority if event.priority is None else event.priority
    order = _requeue(
        state,
        event.ticket,
        event.at,
        front=event.front,
        service=event.service,
        to_counter=event.to_counter,
        priority=priority,
        held_minutes=0.0,
    )
    # The place in the new lane is the one a no-show's return goes back to.
    _put(state, event.ticket, original_order=order)
    _free_counter(state, event.counter)


@_apply.register
def _(event: ev.TicketHeld, state: State) -> None:
    _put(state, event.ticket, status="held", held_at=event.at)
    _free_counter(state, event.counter)


@_apply.register
def _(event: ev.TicketResumed, state: State) -> None:
    ticket = state.tickets[event.ticket]
    held = ticket.held_minutes
    if ticket.started_at is not None and ticket.held_at is not None:
        held += max(0.0, (event.at - ticket.held_at).total_seconds() / 60)
    _put(
        state,
        event.ticket,
        status="serving",
        started_at=ticket.started_at or event.at,
        held_at=None,
        held_minutes=held,
    )
    _set_counter(state, event.counter, ticket=event.ticket)


@_apply.register
def _(event: ev.TicketCancelled, state: State) -> None:
    ticket = state.tickets[event.ticket]
    if ticket.counter and state.counter(ticket.counter).ticket == ticket.id:
        _free_counter(state, ticket.counter)
    _put(state, event.ticket, status="cancelled", counter=None)


@_apply.register
def _(event: ev.CounterOpened, state: State) -> None:
    _set_counter(state, event.counter, status="open", officer=event.officer)


@_apply.register
def _(event: ev.CounterPaused, state: State) -> None:
    _set_counter(state, event.counter, status="break")


@_apply.register
def _(event: ev.CounterClosed, state: State) -> None:
    _set_counter(state, event.counter, status="closed", officer="")


@_apply.register
def _(event: ev.RunningTextSet, state: State) -> None:
    state.running_text = event.text


@_apply.register
def _(event: ev.TurnedAway, state: State) -> None:
    pass  # counted by the reports; the queue itself does not change


@_apply.register
def _(event: ev.ServiceRequested, state: State) -> None:
    pass  # for the managers' reports


@_apply.register
def _(event: ev.SurveyAnswered, state: State) -> None:
    if event.ticket in state.surveys:
        state.surveys[event.ticket] = msgspec.structs.replace(
            state.surveys[event.ticket], answered=True
        )
    if event.source:
        state.surveyed.add(event.source)


@_apply.register
def _(event: ev.ComplaintFiled, state: State) -> None:
    state.complaints[event.complaint] = Complaint(
        code=event.complaint,
        kind=event.kind,
        tenant=event.tenant,
        text=event.text,
        filed_at=event.at,
        contact_masked=event.contact_masked,
        photo=event.photo,
        anonymous=event.anonymous,
        confidential=event.confidential,
        steps=(Step("diterima", event.at, ""),),
    )
    state.open_complaints.add(event.complaint)


@_apply.register
def _(event: ev.ComplaintStepped, state: State) -> None:
    old = state.complaints[event.complaint]
    step = Step(event.status, event.at, event.by, event.note)
    state.complaints[event.complaint] = msgspec.structs.replace(
        old, status=event.status, steps=(*old.steps, step), tenant=event.tenant or old.tenant
    )
    if event.status in CLOSED:
        state.open_complaints.discard(event.complaint)


@_apply.register
def _(event: ev.BookingMade, state: State) -> None:
    booking = Booking(
        id=event.booking,
        visit=event.visit,
        service=event.service,
        day=event.day,
        slot=event.slot,
        holder=event.holder,
        holder_masked=event.holder_masked,
        made_at=event.at,
    )
    _put_booking(state, booking)


@_apply.register
def _(event: ev.BookingCancelled, state: State) -> None:
    booking = state.bookings[event.booking]
    _put_booking(state, msgspec.structs.replace(booking, status="cancelled"))


@_apply.register
def _(event: ev.AlertAcknowledged, state: State) -> None:
    state.acknowledged[event.alert] = Ack(by=event.by, at=event.at)


@_apply.register
def _(event: ev.TenantNoticeSet, state: State) -> None:
    if event.text:
        state.notices[event.tenant] = event.text
    else:
        state.notices.pop(event.tenant, None)
