"""Visitors' live views: one `visit:<token>` topic per visit (the phone ticket page).

The visit token (printed as a QR on the slip, or given at booking) is the secret: whoever
holds it may watch the visit, nobody can guess it. A visit is a chain of tickets (its
itinerary, KTP then BPJS...) and, when booked online, the booking that precedes them.

Like the zone and counter projections, views are published once per batch of events and only when
they changed; on top of that only visits someone is watching are built at all, since a
busy day has thousands of visits and a few dozen phones open at any moment.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import msgspec

from server.domain import events as ev
from server.domain.estimate import WaitRange, wait_range, wait_ranges
from server.domain.state import Booking, State, Surveyable, Ticket
from server.domain.venue import Venue
from server.hub import Hub
from server.i18n import gettext
from server.publish import ChangedViews, OncePerBatch
from server.topics import Viewer

PREFIX = "visit:"
# "Get ready": the phone buzzes and the page turns amber from this many tickets ahead.
ALERT_AHEAD = 3
AT_COUNTER = frozenset({"called", "serving", "held"})
# From this many waiting tickets on, every range (about 10 µs per ticket; 5,000 take some
# 50 ms) is computed in a worker thread on a copy of the state: the loop keeps serving
# screens meanwhile. Below it a thread's hop costs more than it saves.
OFFLOAD_FROM = 500


def crowded(state: State) -> bool:
    """Whether the queue is long enough for views to be worked out off the event loop."""
    return sum(1 for _ in state.waiting()) >= OFFLOAD_FROM


class StepView(msgspec.Struct, frozen=True):
    """One service of the visit: a ticket already issued, or a service still to come."""

    service: str
    service_name: str
    tenant_name: str
    label: str = ""
    status: str = "next"


class CurrentView(msgspec.Struct, frozen=True):
    """The ticket the visitor holds now."""

    id: str
    label: str
    service: str
    service_name: str
    tenant_name: str
    status: str
    priority: bool
    ahead: int | None
    wait_low: int | None
    wait_high: int | None
    wait_id: str
    wait_en: str
    counter: str | None
    counter_label: str
    recalls: int
    called_at: dt.datetime | None


class BookingView(msgspec.Struct, frozen=True):
    code: str
    service: str
    service_name: str
    tenant_name: str
    day: dt.date
    slot: str
    holder_masked: str
    status: str
    check_in_from: str
    check_in_until: str
    late_policy: str


class SurveyView(msgspec.Struct, frozen=True):
    """A served ticket of the visit the visitor has not rated yet (the next one to rate)."""

    ticket: str
    label: str
    service_name: str
    tenant_name: str


class VisitView(msgspec.Struct, frozen=True):
    venue: str
    timezone: str
    current: CurrentView | None
    steps: list[StepView]
    step: int
    remaining: list[str]
    booking: BookingView | None
    alert: bool
    finished: bool
    # The satisfaction survey: the next served ticket still to rate, whether one of the
    # visit's tickets was rated already, and whether the visit is known only as one whose
    # survey closed (yesterday's visits stay known through their survey; see `_surveys`).
    survey: SurveyView | None = None
    rated: bool = False
    survey_closed: bool = False


def booking_view(venue: Venue, booking: Booking) -> BookingView:
    service = venue.service(booking.service)
    opens, closes = venue.check_in_window(booking.day, booking.slot)
    return BookingView(
        code=booking.id,
        service=service.id,
        service_name=service.name,
        tenant_name=_tenant_name(venue, service.tenant),
        day=booking.day,
        slot=f"{booking.slot:%H.%M}",
        holder_masked=booking.holder_masked,
        status=booking.status,
        check_in_from=f"{opens:%H.%M}",
        check_in_until=f"{closes:%H.%M}",
        late_policy=venue.booking.late_policy,
    )


Ranges = dict[str, WaitRange]
# What the projection knows of one visit: today's tickets, its booking, its served tickets
# open for a survey, and whether its survey closed at the latest rollover.
Index = tuple[list[str], str | None, list[str], bool]


def wait_text(wait: WaitRange, lang: str = "id") -> str:
    """The range in words: "sekitar 15–25 menit", "kurang dari 5 menit"."""
    if wait.low == 0:
        # "sekitar 0–10 menit" reads oddly: say the upper bound.
        return gettext(lang, "kurang dari {high} menit", high=wait.high)
    return gettext(lang, "sekitar {low}–{high} menit", low=wait.low, high=wait.high)


def current_view(
    venue: Venue, state: State, ticket: Ticket, ranges: Ranges | None = None
) -> CurrentView:
    """The ticket in the visitor's hand. `ranges`: every waiting ticket's range, when the
    caller computed them all at once (`wait_ranges`); else this one is computed alone."""
    service = venue.service(ticket.service)
    ahead = low = high = None
    wait_id = wait_en = ""
    if ticket.status == "waiting":
        wait = (ranges or {}).get(ticket.id) or wait_range(venue, state, ticket)
        if wait is not None:  # None: no counter may call it (its service left the venue)
            ahead = wait.ahead
            low, high, wait_id, wait_en = (
                wait.low,
                wait.high,
                wait_text(wait, "id"),
                wait_text(wait, "en"),
            )
    counter = venue.counters.get(ticket.counter or "") if ticket.status in AT_COUNTER else None
    return CurrentView(
        id=ticket.id,
        label=ticket.label,
        service=service.id,
        service_name=service.name,
        tenant_name=_tenant_name(venue, service.tenant),
        status=ticket.status,
        priority=ticket.priority,
        ahead=ahead,
        wait_low=low,
        wait_high=high,
        wait_id=wait_id,
        wait_en=wait_en,
        counter=counter.id if counter else None,
        counter_label=counter.label if counter else "",
        recalls=ticket.recalls,
        called_at=ticket.called_at,
    )


def visit_view(
    venue: Venue,
    state: State,
    tickets: list[Ticket],
    booking: Booking | None,
    ranges: Ranges | None = None,
) -> VisitView:
    """The whole picture of one visit: its tickets in itinerary order, the one in hand now,
    what is still to come, and the booking while it is not checked in."""
    steps = [_step(venue, t.service, t.label, t.status) for t in tickets]
    latest = tickets[-1] if tickets else None
    current = current_view(venue, state, latest, ranges) if latest else None
    going_on = latest is not None and latest.status not in ("cancelled", "expired")
    later = latest.itinerary if latest is not None and going_on else ()
    steps += [_step(venue, s, "", "next") for s in later]
    waiting_booking = booking if booking is not None and booking.status != "checked_in" else None
    return VisitView(
        venue=venue.name,
        timezone=venue.timezone,
        current=current,
        steps=steps,
        step=len(tickets),
        remaining=[venue.service(s).name for s in later],
        booking=booking_view(venue, waiting_booking) if waiting_booking else None,
        alert=current is not None and current.ahead is not None and current.ahead <= ALERT_AHEAD,
        finished=latest is not None and latest.status == "done" and not latest.itinerary,
    )


def survey_fields(venue: Venue, surveys: list[Surveyable]) -> dict[str, SurveyView | bool | None]:
    """The survey part of a visit's view, from the visit's tickets open for a survey."""
    pending = next((s for s in surveys if not s.answered), None)
    survey = None
    if pending is not None:
        service = venue.service(pending.service)
        survey = SurveyView(
            pending.ticket, pending.label, service.name, _tenant_name(venue, service.tenant)
        )
    return {"survey": survey, "rated": any(s.answered for s in surveys)}


def _step(venue: Venue, service_id: str, label: str, status: str) -> StepView:
    service = venue.service(service_id)
    return StepView(service_id, service.name, _tenant_name(venue, service.tenant), label, status)


def _tenant_name(venue: Venue, tenant_id: str) -> str:
    tenant = venue.tenants.get(tenant_id)
    return (tenant.short_name or tenant.name) if tenant is not None else ""


class VisitProjection:
    """Publishes each watched visit's view to `visit:<token>`, once per batch of events.

    It indexes visits as the log goes by (visit -> today's tickets, visit -> booking, visit
    -> its served tickets open for a survey), so a lookup never scans the day's tickets.
    When a lane moves, every waiting ticket of the services sharing a counter with it may
    have a new position or estimate: those visits, and only those with a subscriber, are
    rebuilt.

    The survey index outlives the day's tickets: the domain keeps a served ticket open for
    a survey until the end of the next service day (`State.surveys`), so yesterday's token
    still shows its survey. The visits whose surveys closed at the latest rollover that
    closed any are remembered too (one day's worth, so memory stays bounded): their token
    says "survey closed" instead of "not found".
    """

    def __init__(self, venue: Venue, state: State, hub: Hub) -> None:
        self.venue, self.state, self.hub = venue, state, hub
        self._published = ChangedViews(hub)
        self._batch = OncePerBatch(self.flush)
        self._tickets: dict[str, list[str]] = {}
        self._bookings: dict[str, str] = {}
        self._surveys: dict[str, list[str]] = {}
        self._closed: set[str] = set()
        self._service_of: dict[str, str] = {}
        self._dirty_visits: set[str] = set()
        self._dirty_services: set[str] = set()
        self._everything = False
        # The flush computing in a worker thread, and whether events came in meanwhile.
        self._computing: asyncio.Task[None] | None = None
        self._again = False
        self._neighbours = self._services_sharing_counters()
        self._reindex_bookings()
        self._reindex_surveys()

    # --- TopicSource ----------------------------------------------------------------------

    def knows(self, topic: str) -> bool:
        kind, _, token = topic.partition(":")
        return kind == "visit" and self._known(token)

    def _known(self, token: str) -> bool:
        return (
            token in self._tickets
            or token in self._bookings
            or token in self._surveys
            or token in self._closed
        )

    def may_watch(self, topic: str, viewer: Viewer) -> bool:
        # The token is the secret (>= 128 random bits): holding it is the permission.
        return True

    def snapshot(self, topic: str) -> tuple[int, msgspec.Struct]:
        view = self.view(topic.removeprefix(PREFIX))
        if view is None:
            raise KeyError(topic)
        self._published.remember(topic, view)
        return self.state.seq, view

    # --- views ----------------------------------------------------------------------------

    def view(self, token: str, ranges: Ranges | None = None) -> VisitView | None:
        """The visit's current view, or None for a token of no ticket today, no booking, no
        survey open or lately closed."""
        return self._view(self.state, self._index(token), ranges)

    def _index(self, token: str) -> Index:
        return (
            list(self._tickets.get(token, [])),
            self._bookings.get(token),
            list(self._surveys.get(token, [])),
            token in self._closed,
        )

    def _view(self, state: State, index: Index, ranges: Ranges | None) -> VisitView | None:
        ids, code, served, closed = index
        booking = state.bookings.get(code) if code else None
        tickets = [state.tickets[i] for i in ids if i in state.tickets]
        surveys = [state.surveys[i] for i in served if i in state.surveys]
        if not tickets and booking is None and not surveys:
            if not closed:
                return None
            return msgspec.structs.replace(self.gone(), survey_closed=True)
        view = visit_view(self.venue, state, tickets, booking, ranges)
        if not surveys:
            return view
        return msgspec.structs.replace(view, **survey_fields(self.venue, surveys))

    def survey(self, token: str) -> Surveyable | None:
        """The visit's next served ticket still to rate, if its survey is open."""
        for ticket in self._surveys.get(token, []):
            found = self.state.surveys.get(ticket)
            if found is not None and not found.answered:
                return found
        return None

    def surveyable(self, token: str, ticket: str) -> Surveyable | None:
        """The visit's own served ticket `ticket` still open for a survey (answered or not);
        None for a ticket of another visit, or closed."""
        found = self.state.surveys.get(ticket)
        if found is None or found.visit != token or ticket not in self._surveys.get(token, []):
            return None
        return found

    def gone(self) -> VisitView:
        """What a phone still watching a visit that no longer exists is shown."""
        return VisitView(self.venue.name, self.venue.timezone, None, [], 0, [], None, False, False)

    def booking(self, token: str) -> Booking | None:
        code = self._bookings.get(token)
        return self.state.bookings.get(code) if code else None

    def ticket(self, token: str) -> Ticket | None:
        """The visit's latest ticket of today (the one the visitor holds)."""
        ids = self._tickets.get(token)
        return self.state.tickets.get(ids[-1]) if ids else None

    # --- following the log ----------------------------------------------------------------

    def on_event(self, seq: int, event: ev.Event, state: State) -> None:
        """A `VenueQueue` listener: index the visit, note what changed, flush once per batch."""
        self._note(event, state)
        self._batch.note()

    def flush(self) -> None:
        """Publish the changed views of watched visits: at once while the day is small,
        else once every range is computed off the loop (then again if events came in)."""
        if self._computing is not None:
            self._again = True  # it flushes again when done: these visits stay dirty
            return
        watched = {
            v: self._index(v) for v in sorted(self._affected_visits()) if self._watched(PREFIX + v)
        }
        if len(watched) <= 1:
            self._publish(self.state, watched, None)
        elif not crowded(self.state):
            # One dry run for every waiting ticket, not one per phone: a call moves a lane.
            self._publish(self.state, watched, wait_ranges(self.venue, self.state))
        else:
            # `evolve` changes the live state in place on the loop: the thread gets a copy,
            # and the views are built from that copy too, so they agree with its seq.
            frozen = self.state.copy()
            self._computing = asyncio.get_running_loop().create_task(self._later(frozen, watched))

    async def _later(self, frozen: State, watched: dict[str, Index]) -> None:
        try:
            ranges = await asyncio.to_thread(wait_ranges, self.venue, frozen)
            self._publish(frozen, watched, ranges)
        finally:
            self._computing = None
            if self._again:
                self._again = False
                self.flush()

    def _publish(self, state: State, watched: dict[str, Index], ranges: Ranges | None) -> None:
        for visit, index in watched.items():
            topic = PREFIX + visit
            # A visit gone from the index (yesterday's, at the day's rollover) says so.
            self._published.publish(
                topic, state.seq, self._view(state, index, ranges) or self.gone()
            )

    def _watched(self, topic: str) -> bool:
        if self.hub.has_subscribers(topic):
            return True
        self._published.forget(topic)
        return False

    def _affected_visits(self) -> set[str]:
        visits, self._dirty_visits = self._dirty_visits, set()
        services, self._dirty_services = self._dirty_services, set()
        everything, self._everything = self._everything, False
        if everything:
            return {*self._tickets, *self._bookings, *self._surveys, *self._closed, *visits}
        if services:
            visits |= {t.visit for t in self.state.waiting() if t.service in services}
        return visits

    def _note(self, event: ev.Event, state: State) -> None:
        if isinstance(event, ev.DayStarted):
            self._tickets.clear()
            self._service_of.clear()
            self._published.clear()
            self._reindex_bookings()
            before = set(self._surveys)
            self._reindex_surveys()
            self._closed = (before - set(self._surveys)) or self._closed
            self._everything = True
            return
        if isinstance(event, ev.TicketDone):
            self._note_served(event.ticket, state)
        elif isinstance(event, ev.SurveyAnswered):
            served = state.surveys.get(event.ticket) if event.ticket else None
            if served is not None:
                self._dirty_visits.add(served.visit)
            return  # a response moves no lane
        if isinstance(event, ev.BookingMade):
            self._bookings[event.visit] = event.booking
            self._dirty_visits.add(event.visit)
        elif isinstance(event, ev.BookingCancelled):
            self._dirty_visits.add(state.bookings[event.booking].visit)
        elif isinstance(event, ev.TicketIssued):
            self._tickets.setdefault(event.visit, []).append(event.ticket)
        self._note_ticket(event, state)
        counter = getattr(event, "counter", None)
        if isinstance(counter, str) and counter in self.venue.counters:
            for service in self.venue.counters[counter].services:
                self._dirty_services |= self._neighbours[service]

    def _note_ticket(self, event: ev.Event, state: State) -> None:
        ticket_id = getattr(event, "ticket", None)
        ticket = state.tickets.get(ticket_id) if isinstance(ticket_id, str) else None
        if ticket is None:
            return
        self._dirty_visits.add(ticket.visit)
        # A transfer moves the ticket out of one lane into another: both move.
        before = self._service_of.get(ticket.id, ticket.service)
        self._service_of[ticket.id] = ticket.service
        self._dirty_services |= self._neighbours[before] | self._neighbours[ticket.service]

    def _note_served(self, ticket: str, state: State) -> None:
        served = state.surveys.get(ticket)
        if served is None:
            return
        tickets = self._surveys.setdefault(served.visit, [])
        if ticket not in tickets:
            tickets.append(ticket)
        self._closed.discard(served.visit)

    def _reindex_surveys(self) -> None:
        """Visit -> its served tickets open for a survey, in the order they were served."""
        self._surveys = {}
        for served in self.state.surveys.values():
            self._surveys.setdefault(served.visit, []).append(served.ticket)

    def _reindex_bookings(self) -> None:
        self._bookings = {b.visit: b.id for b in self.state.bookings.values()}

    def _services_sharing_counters(self) -> dict[str, set[str]]:
        """Per service, the services whose waits it can change: those sharing a counter."""
        neighbours: dict[str, set[str]] = {s: {s} for s in self.venue.services}
        for counter in self.venue.counters.values():
            for service in counter.services:
                neighbours[service] |= set(counter.services)
        return neighbours
