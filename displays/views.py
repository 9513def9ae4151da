"""The hall displays' view: one `zone:<zone id>` topic per zone.

A view is the whole picture for its zone (recent calls, every tenant's lanes, notices, the
running text), so a snapshot and an update look the same; `ZoneProjection` publishes a zone
only when its view actually changed, once per batch of events, with the log `seq` the view
reflects. The recent calls are a fold of the whole log, so every process shows the same.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import deque
from collections.abc import Callable, Iterable

import msgspec

from server.domain import events as ev
from server.domain.state import State
from server.domain.venue import Venue
from server.hub import Hub
from server.lanes import LaneView, lane_views
from server.publish import ChangedViews, OncePerBatch
from server.topics import Viewer

RECENT_CALLS = 8
PREFIX = "zone:"
# Where a display fetches the announcement of a call: (counter, ticket label, recall) -> URL.
AnnouncementUrl = Callable[[str, str, bool], str]


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


class ZoneProjection:
    """Keeps every `zone:` topic of one venue up to date in the hub.

    Attach it before the queue replays its log: it learns the recent calls from the events.
    """

    def __init__(
        self, venue: Venue, state: State, hub: Hub, announcement_url: AnnouncementUrl
    ) -> None:
        self.venue, self.state = venue, state
        self.announcement_url = announcement_url
        self.calls: dict[str, deque[CallView]] = {
            z: deque(maxlen=RECENT_CALLS) for z in venue.zones
        }
        self._published = ChangedViews(hub)
        self._batch = OncePerBatch(self.flush)
        self._dirty: set[str] = set()
        self._service_zones: dict[str, set[str]] = {s: set() for s in venue.services}
        self._tenant_zones: dict[str, set[str]] = {}
        for counter in venue.counters.values():
            for service in counter.services:
                self._service_zones[service].add(counter.zone)
            self._tenant_zones.setdefault(counter.tenant, set()).add(counter.zone)

    # --- TopicSource ----------------------------------------------------------------------

    def knows(self, topic: str) -> bool:
        return topic.startswith(PREFIX) and topic.removeprefix(PREFIX) in self.venue.zones

    def may_watch(self, topic: str, viewer: Viewer) -> bool:
        """A zone for a display paired to it, and for managers."""
        if viewer.managing:
            return True
        return viewer.device is not None and PREFIX + viewer.device.zone == topic

    def snapshot(self, topic: str) -> tuple[int, msgspec.Struct]:
        return self.state.seq, self.view(topic)

    def view(self, topic: str) -> ZoneView:
        """The current view of `topic` (a KeyError for a zone this venue does not have)."""
        if not self.knows(topic):
            raise KeyError(topic)
        zone = topic.removeprefix(PREFIX)
        return zone_view(self.venue, self.state, zone, reversed(self.calls[zone]))

    # --- following the log ----------------------------------------------------------------

    def on_event(self, seq: int, event: ev.Event, state: State) -> None:
        """A `VenueQueue` listener: note which zones changed; publish once per batch."""
        self._remember_call(event, state)
        self._dirty |= self._affected(event, state)
        self._batch.note()

    def flush(self) -> None:
        dirty, self._dirty = self._dirty, set()
        for zone in sorted(dirty):
            self._published.publish(PREFIX + zone, self.state.seq, self.view(PREFIX + zone))

    def _remember_call(self, event: ev.Event, state: State) -> None:
        if isinstance(event, ev.DayStarted):
            for calls in self.calls.values():
                calls.clear()
        if not isinstance(event, ev.TicketCalled | ev.TicketRecalled):
            return
        ticket = state.tickets[event.ticket]
        counter = self.venue.counters[event.counter]
        tenant = self.venue.tenants[counter.tenant]
        recall = isinstance(event, ev.TicketRecalled)
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
                recall=recall,
                audio=self.announcement_url(counter.id, ticket.label, recall),
            )
        )

    def _affected(self, event: ev.Event, state: State) -> set[str]:
        """The zones whose view `event` may change."""
        if isinstance(event, ev.DayStarted | ev.RunningTextSet):
            return set(self.venue.zones)
        if isinstance(event, ev.TenantNoticeSet):
            return self._tenant_zones.get(event.tenant, set())
        zones: set[str] = set()
        counter = getattr(event, "counter", None)
        if isinstance(counter, str) and counter in self.venue.counters:
            zones.add(self.venue.counters[counter].zone)
        ticket_id = getattr(event, "ticket", None)
        ticket = state.tickets.get(ticket_id) if isinstance(ticket_id, str) else None
        if ticket is not None:
            zones |= self._service_zones[ticket.service]
        if isinstance(event, ev.TicketTransferred):
            zones |= self._service_zones[event.service]
        return zones
