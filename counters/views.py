"""The counter consoles' view: one `counter:<counter id>` topic per counter.

A view is the whole picture for one counter (its status, the ticket in hand, who waits for
it, what it holds); `CounterProjection` publishes a counter only when its view changed, once
per batch of events, with the log `seq` the view reflects.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from server.domain import events as ev
from server.domain.decide import callable_at, next_ticket
from server.domain.refusals import refusals
from server.domain.state import State, Ticket
from server.domain.venue import Counter, Venue
from server.hub import Hub
from server.lanes import LaneView, lane_views
from server.publish import ChangedViews, OncePerBatch
from server.topics import Viewer

WAITING_SHOWN = 50
PREFIX = "counter:"


class TicketView(msgspec.Struct, frozen=True):
    id: str
    label: str
    service: str
    service_name: str
    priority: bool
    status: str
    channel: str
    issued_at: dt.datetime
    called_at: dt.datetime | None
    started_at: dt.datetime | None
    recalls: int


class CounterInfo(msgspec.Struct, frozen=True):
    id: str
    label: str
    status: str
    officer: str
    tenant: str
    tenant_name: str
    zone: str


class CounterView(msgspec.Struct, frozen=True):
    counter: CounterInfo
    current: TicketView | None
    next: str | None
    lanes: list[LaneView]
    waiting: list[TicketView]
    held: list[TicketView]
    no_show: list[TicketView]
    max_recalls: int
    # Each console action -> "" or the domain's code for why it does not apply now.
    refusals: dict[str, str]


def ticket_view(venue: Venue, ticket: Ticket) -> TicketView:
    return TicketView(
        id=ticket.id,
        label=ticket.label,
        service=ticket.service,
        service_name=venue.service(ticket.service).name,
        priority=ticket.priority,
        status=ticket.status,
        channel=ticket.channel,
        issued_at=ticket.issued_at,
        called_at=ticket.called_at,
        started_at=ticket.started_at,
        recalls=ticket.recalls,
    )


def counter_view(venue: Venue, state: State, counter_id: str) -> CounterView:
    counter = venue.counters[counter_id]
    current = state.counter(counter_id)
    in_hand = state.tickets.get(current.ticket) if current.ticket else None
    callable_here = sorted(
        (t for t in state.waiting() if callable_at(counter, t)), key=lambda t: t.order
    )
    upcoming = next_ticket(venue, state, counter_id)
    held = state.held_at(counter_id)
    return CounterView(
        counter=_counter_info(venue, counter, current.status, current.officer),
        current=ticket_view(venue, in_hand) if in_hand else None,
        next=upcoming.label if upcoming else None,
        lanes=lane_views(venue, state, counter.services),
        waiting=[ticket_view(venue, t) for t in callable_here[:WAITING_SHOWN]],
        held=[ticket_view(venue, t) for t in held],
        no_show=[
            ticket_view(venue, t)
            for t in state.tickets.values()
            if t.status == "no_show" and t.service in counter.services
        ],
        max_recalls=venue.max_recalls,
        refusals=refusals(venue, state, counter, len(held)),
    )


def _counter_info(venue: Venue, counter: Counter, status: str, officer: str) -> CounterInfo:
    tenant = venue.tenants[counter.tenant]
    return CounterInfo(
        id=counter.id,
        label=counter.label,
        status=status,
        officer=officer,
        tenant=tenant.id,
        tenant_name=tenant.short_name or tenant.name,
        zone=counter.zone,
    )


class CounterProjection:
    """Keeps every `counter:` topic of one venue up to date in the hub."""

    def __init__(self, venue: Venue, state: State, hub: Hub) -> None:
        self.venue, self.state = venue, state
        self._published = ChangedViews(hub)
        self._batch = OncePerBatch(self.flush)
        self._dirty: set[str] = set()
        self._service_counters: dict[str, set[str]] = {s: set() for s in venue.services}
        for counter in venue.counters.values():
            for service in counter.services:
                self._service_counters[service].add(counter.id)

    # --- TopicSource ----------------------------------------------------------------------

    def knows(self, topic: str) -> bool:
        return topic.startswith(PREFIX) and topic.removeprefix(PREFIX) in self.venue.counters

    def may_watch(self, topic: str, viewer: Viewer) -> bool:
        """A counter for an officer allowed to use it (their tenant's), and for managers."""
        if viewer.managing:
            return True
        counter = self.venue.counters[topic.removeprefix(PREFIX)]
        return viewer.user is not None and viewer.user.may_use_counter(counter.id, counter.tenant)

    def snapshot(self, topic: str) -> tuple[int, msgspec.Struct]:
        return self.state.seq, self.view(topic)

    def view(self, topic: str) -> CounterView:
        """The current view of `topic` (a KeyError for a counter this venue does not have)."""
        if not self.knows(topic):
            raise KeyError(topic)
        return counter_view(self.venue, self.state, topic.removeprefix(PREFIX))

    # --- following the log ----------------------------------------------------------------

    def on_event(self, seq: int, event: ev.Event, state: State) -> None:
        """A `VenueQueue` listener: note which counters changed; publish once per batch."""
        self._dirty |= self._affected(event, state)
        self._batch.note()

    def flush(self) -> None:
        dirty, self._dirty = self._dirty, set()
        for counter in sorted(dirty):
            topic = PREFIX + counter
            self._published.publish(topic, self.state.seq, self.view(topic))

    def _affected(self, event: ev.Event, state: State) -> set[str]:
        """The counters whose view `event` may change."""
        if isinstance(event, ev.DayStarted):
            return set(self.venue.counters)
        counters: set[str] = set()
        counter = getattr(event, "counter", None)
        if isinstance(counter, str) and counter in self.venue.counters:
            counters.add(counter)
        ticket_id = getattr(event, "ticket", None)
        ticket = state.tickets.get(ticket_id) if isinstance(ticket_id, str) else None
        if ticket is not None:
            counters |= self._service_counters[ticket.service]
            if ticket.to_counter:
                counters.add(ticket.to_counter)
        if isinstance(event, ev.TicketTransferred):
            counters |= self._service_counters[event.service]
        return counters
