"""Views: what each screen shows, derived from the venue state, one per hub topic.

Topics: `zone:<zone id>` (hall displays), `counter:<counter id>` (officer consoles).
A view is the whole picture for its topic, so a snapshot and an update look the same; the
`Projection` publishes a topic only when its view actually changed, once per batch of
events, with the log `seq` the view reflects.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from collections import deque
from collections.abc import Iterable

import msgspec

from audio.routes import call_url
from server.domain import events as ev
from server.domain.decide import callable_at, next_ticket
from server.domain.refusals import refusals
from server.domain.state import State, Ticket
from server.domain.venue import Counter, Venue
from server.hub import Hub
from server.topics import Viewer

RECENT_CALLS = 8
WAITING_SHOWN = 50


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


class CallView(msgspec.Struct, frozen=True):
    """One call on a hall display. `id` is unique per call and recall (the announcement id)."""

    id: str
    ticket: str
    label: str
    counter: str
    counter_label: str
    tenant: str
    tenant_name: str
    service_name: str
    at: dt.datetime
    recall: bool
    audio: str


class LaneView(msgspec.Struct, frozen=True):
    id: str
    name: str
    prefix: str
    waiting: int
    priority_waiting: int


class TenantLanes(msgspec.Struct, frozen=True):
    tenant: str
    name: str
    waiting: int
    lanes: list[LaneView]
    # A manager's notice for this tenant's visitors ("" when none), e.g. a closed service.
    notice: str = ""


class ZoneView(msgspec.Struct, frozen=True):
    venue: str
    timezone: str
    zone: str
    zone_name: str
    calls: list[CallView]
    tenants: list[TenantLanes]
    running_text: str


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


def lane_views(venue: Venue, state: State, services: Iterable[str]) -> list[LaneView]:
    waiting: dict[str, list[int]] = {s: [0, 0] for s in services}
    for ticket in state.waiting():
        if ticket.service in waiting:
            waiting[ticket.service][ticket.priority] += 1
    return [
        LaneView(
            id=s,
            name=venue.services[s].name,
            prefix=venue.services[s].prefix,
            waiting=regular + priority,
            priority_waiting=priority,
        )
        for s, (regular, priority) in waiting.items()
    ]


def zone_view(venue: Venue, state: State, zone_id: str, calls: Iterable[CallView]) -> ZoneView:
    tenants: list[TenantLanes] = []
    for tenant_id, services in _zone_services(venue, zone_id).items():
        lanes = lane_views(venue, state, services)
        name = venue.tenants[tenant_id].short_name or venue.tenants[tenant_id].name
        waiting = sum(lane.waiting for lane in lanes)
        notice = state.notices.get(tenant_id, "")
        tenants.append(TenantLanes(tenant_id, name, waiting, lanes, notice))
    text = venue.running_text if state.running_text is None else state.running_text
    return ZoneView(
        venue=venue.name,
        timezone=venue.timezone,
        zone=zone_id,
        zone_name=venue.zones[zone_id].name,
        calls=list(calls),
        tenants=tenants,
        running_text=text,
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


def _zone_services(venue: Venue, zone_id: str) -> dict[str, list[str]]:
    """The services called in a zone, grouped by tenant, in venue-file order."""
    grouped: dict[str, list[str]] = {}
    for counter in venue.counters.values():
        if counter.zone != zone_id:
            continue
        services = grouped.setdefault(counter.tenant, [])
        services.extend(s for s in counter.services if s not in services)
    return grouped


def call_id(ticket: str, counter: str, at: dt.datetime, recall: int) -> str:
    """A stable id per call or recall: the same on every process, so screens can de-duplicate."""
    key = f"{ticket}|{counter}|{at.isoformat()}|{recall}"
    return hashlib.blake2s(key.encode(), digest_size=8).hexdigest()


class Projection:
    """Keeps every zone and counter topic of one venue up to date in the hub.

    Attach it after the queue replayed its log; it learns the recent calls as they happen.
    """

    def __init__(self, venue: Venue, state: State, hub: Hub) -> None:
        self.venue, self.state, self.hub = venue, state, hub
        self.calls: dict[str, deque[CallView]] = {
            z: deque(maxlen=RECENT_CALLS) for z in venue.zones
        }
        self._dirty: set[str] = set()
        self._last: dict[str, bytes] = {}
        self._flush_scheduled = False
        self._service_topics = self._topics_by_service()
        self._tenant_zones: dict[str, set[str]] = {}
        for counter in venue.counters.values():
            self._tenant_zones.setdefault(counter.tenant, set()).add(f"zone:{counter.zone}")

    def topics(self) -> list[str]:
        return [f"zone:{z}" for z in self.venue.zones] + [
            f"counter:{c}" for c in self.venue.counters
        ]

    def knows(self, topic: str) -> bool:
        kind, _, key = topic.partition(":")
        return (kind == "zone" and key in self.venue.zones) or (
            kind == "counter" and key in self.venue.counters
        )

    def may_watch(self, topic: str, viewer: Viewer) -> bool:
        """A zone for a display paired to it; a counter for an officer of its tenant; all
        for managers."""
        if viewer.managing:
            return True
        kind, _, key = topic.partition(":")
        if kind == "zone":
            return viewer.device is not None and viewer.device.zone == key
        if kind == "counter" and viewer.user is not None:
            counter = self.venue.counters[key]
            return viewer.user.may_use_counter(counter.id, counter.tenant)
        return False

    def view(self, topic: str) -> msgspec.Struct:
        """The current view of `topic` (a KeyError for a topic this venue does not have)."""
        kind, _, key = topic.partition(":")
        if kind == "zone" and key in self.venue.zones:
            return zone_view(self.venue, self.state, key, reversed(self.calls[key]))
        if kind == "counter" and key in self.venue.counters:
            return counter_view(self.venue, self.state, key)
        raise KeyError(topic)

    def snapshot(self, topic: str) -> tuple[int, msgspec.Struct]:
        return self.state.seq, self.view(topic)

    def on_event(self, seq: int, event: ev.Event, state: State) -> None:
        """A `VenueQueue` listener: note which topics changed; publish once per batch."""
        self._remember_call(event, state)
        self._dirty.update(self._affected(event, state))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        self._flush_scheduled = False
        dirty, self._dirty = self._dirty, set()
        for topic in sorted(dirty):
            payload = msgspec.json.encode(self.view(topic))
            if self._last.get(topic) != payload:
                self._last[topic] = payload
                self.hub.publish(topic, self.state.seq, msgspec.Raw(payload))

    def _remember_call(self, event: ev.Event, state: State) -> None:
        if isinstance(event, ev.DayStarted):
            for calls in self.calls.values():
                calls.clear()
        if not isinstance(event, ev.TicketCalled | ev.TicketRecalled):
            return
        ticket = state.tickets[event.ticket]
        counter = self.venue.counters[event.counter]
        tenant = self.venue.tenants[counter.tenant]
        self.calls[counter.zone].append(
            CallView(
                id=call_id(ticket.id, counter.id, event.at, ticket.recalls),
                ticket=ticket.id,
                label=ticket.label,
                counter=counter.id,
                counter_label=counter.label,
                tenant=tenant.id,
                tenant_name=tenant.short_name or tenant.name,
                service_name=self.venue.service(ticket.service).name,
                at=event.at,
                recall=isinstance(event, ev.TicketRecalled),
                audio=call_url(counter.id, ticket.label, isinstance(event, ev.TicketRecalled)),
            )
        )

    def _affected(self, event: ev.Event, state: State) -> set[str]:
        if isinstance(event, ev.DayStarted | ev.RunningTextSet):
            return set(self.topics())
        if isinstance(event, ev.TenantNoticeSet):
            return self._tenant_zones.get(event.tenant, set())
        topics: set[str] = set()
        counter = getattr(event, "counter", None)
        if isinstance(counter, str) and counter in self.venue.counters:
            topics |= {f"counter:{counter}", f"zone:{self.venue.counters[counter].zone}"}
        ticket_id = getattr(event, "ticket", None)
        ticket = state.tickets.get(ticket_id) if isinstance(ticket_id, str) else None
        if ticket is not None:
            topics |= self._service_topics[ticket.service]
            if ticket.to_counter:
                topics.add(f"counter:{ticket.to_counter}")
        if isinstance(event, ev.TicketTransferred):
            topics |= self._service_topics[event.service]
        return topics

    def _topics_by_service(self) -> dict[str, set[str]]:
        topics: dict[str, set[str]] = {s: set() for s in self.venue.services}
        for counter in self.venue.counters.values():
            for service in counter.services:
                topics[service] |= {f"counter:{counter.id}", f"zone:{counter.zone}"}
        return topics
