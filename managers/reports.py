"""Daily and monthly reports: figures per tenant, service and officer, folded from the log.

Everything is computed from the event log, so any past day can be recomputed. A
`ReportBuilder` takes events one at a time (a month of ~300,000 events streams through
without being held) and `build_report` feeds it from a log, page by page.

What the figures mean:

- *day*: the venue-local date of an event's `at`. A report covers whole days, from its
  first to its last day inclusive.
- *issued by channel*: `TicketIssued` events by channel: kiosk, online (a booking checked
  in), staff (issued at a desk) and itinerary (the next service of a visit, issued when
  the previous one is done). Counted under the service the ticket was issued for.
- *wait*: minutes from a ticket's `TicketIssued` to its first `TicketCalled`, counted under
  the service it was issued for. Recalls, a no-show's return and transfers do not start a
  new wait; an itinerary's follow-up ticket is a ticket of its own, with its own wait.
  Tickets never called have no wait.
- *average / P90 wait*: over the tickets that were called. P90 by the nearest-rank
  method: the ⌈0.9·n⌉-th smallest wait.
- *SLA %*: the share of called tickets whose wait is at most the `sla_minutes` of the
  service they were issued for. A tenant's and the venue's SLA % hold each ticket to its
  own service's target.
- *served*: `TicketDone` events, under the service the ticket was in when done (after any
  transfer) and for the officer named by the event.
- *service time*: minutes from `ServingStarted` (or, when the officer never pressed
  start, from the last call or recall) to `TicketDone`, time on hold left out; under
  `MIN_SERVICE_MINUTES` (a double press) is no service time. The queue's own estimates
  learn exactly these. A transfer starts it over.
- *no-show*: tickets whose status at the end of their day is no-show. A visitor who came
  back and was served is not a no-show; the next morning's expiry does not undo one.
- *cancelled*: `TicketCancelled` events, under the ticket's service at that moment.
- *not served* (expired): tickets still waiting, called, serving or on hold at the end of
  their day (the next day's rollover expires them).
- *turned away*: `TurnedAway` events under their service (quota full, predicted end of
  the day, last-issue time passed).
- *booking no-show*: bookings for a day of the report never checked in nor cancelled.
- *missing-service requests*: `ServiceRequested` events and reports filed as *layanan
  belum tersedia* (not rejected) per tenant ("" = the venue in general), grouped by
  normalised text with counts per month (`managers.missing`; a confidential report is
  counted, its text never quoted).
- *hourly*: tickets issued and served per venue-local hour, for each day.
- *IKM*: the satisfaction index of the venue and each tenant, as `managers.ikm` folds it
  (responses by the day they rate). A response may come after the period, so once the
  period's events are read the rest of the log is still scanned for responses.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Callable, Iterable
from typing import Any, Literal

import msgspec

from managers.ikm import IkmBuilder, IkmReport, read_whole_log
from managers.missing import MissingBuilder, Recap
from server.domain import events as ev
from server.domain.state import service_minutes
from server.domain.venue import Venue
from server.store import EventLog

CHANNELS: tuple[ev.Channel, ...] = ("kiosk", "online", "staff", "itinerary")
PeriodKind = Literal["day", "month", "range"]
# (events read so far, events in the log): called after every page.
Progress = Callable[[int, int], None]
_OPEN = frozenset({"waiting", "called", "serving", "held"})


class Figures(msgspec.Struct, frozen=True):
    """The figures of one service, tenant, day or the whole venue. Minutes are floats."""

    issued_kiosk: int = 0
    issued_online: int = 0
    issued_staff: int = 0
    issued_itinerary: int = 0
    served: int = 0
    no_show: int = 0
    cancelled: int = 0
    expired: int = 0
    turned_away: int = 0
    booking_no_show: int = 0
    called: int = 0
    within_sla: int = 0
    avg_wait: float | None = None
    p90_wait: float | None = None
    avg_service: float | None = None
    sla_percent: float | None = None

    @property
    def issued(self) -> int:
        return self.issued_kiosk + self.issued_online + self.issued_staff + self.issued_itinerary


class ServiceRow(msgspec.Struct, frozen=True):
    service: str
    name: str
    sla_minutes: int | None
    figures: Figures


class TenantRow(msgspec.Struct, frozen=True):
    tenant: str
    name: str
    figures: Figures
    services: tuple[ServiceRow, ...]


class OfficerRow(msgspec.Struct, frozen=True):
    officer: str
    tenants: tuple[str, ...]
    counters: tuple[str, ...]
    served: int
    avg_service: float | None


class DayRow(msgspec.Struct, frozen=True):
    """One day of the period: the venue's figures and the tickets per local hour (0-23)."""

    day: dt.date
    figures: Figures
    hourly_issued: tuple[int, ...]
    hourly_served: tuple[int, ...]


class Report(msgspec.Struct, frozen=True):
    venue: str
    venue_name: str
    kind: PeriodKind
    start: dt.date
    end: dt.date
    # Events of the period that the figures were computed from.
    events: int
    total: Figures
    tenants: tuple[TenantRow, ...]
    officers: tuple[OfficerRow, ...]
    # Missing-service requests, grouped (`managers.missing`).
    missing: Recap
    days: tuple[DayRow, ...]
    ikm: IkmReport | None = None


def month_period(year: int, month: int) -> tuple[dt.date, dt.date]:
    """The first and last day of a month."""
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, 1), dt.date(year, month, last)


def period_kind(start: dt.date, end: dt.date) -> PeriodKind:
    if start == end:
        return "day"
    if start.day == 1 and (start, end) == month_period(start.year, start.month):
        return "month"
    return "range"


def nearest_rank(values: list[float], share: float = 0.9) -> float | None:
    """The nearest-rank percentile: the ⌈share·n⌉-th smallest value."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(round(share * len(ordered), 9)))
    return ordered[rank - 1]


def _mean(values: list[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


class _Tally:
    """What is counted for one service on one day, before it is summed into `Figures`."""

    __slots__ = (
        "booking_no_show",
        "cancelled",
        "checked",
        "expired",
        "issued",
        "no_show",
        "served",
        "service_times",
        "turned_away",
        "waits",
        "within_sla",
    )

    def __init__(self) -> None:
        self.issued: dict[ev.Channel, int] = dict.fromkeys(CHANNELS, 0)
        self.served = self.no_show = self.cancelled = self.expired = 0
        self.turned_away = self.booking_no_show = 0
        # Waits held to an SLA, and those within it.
        self.checked = self.within_sla = 0
        self.waits: list[float] = []
        self.service_times: list[float] = []


def _figures(tallies: Iterable[_Tally]) -> Figures:
    issued = dict.fromkeys(CHANNELS, 0)
    counts = dict.fromkeys(
        ("served", "no_show", "cancelled", "expired", "turned_away", "booking_no_show"), 0
    )
    checked = within = 0
    waits: list[float] = []
    service_times: list[float] = []
    for tally in tallies:
        for channel, n in tally.issued.items():
            issued[channel] += n
        for name in counts:
            counts[name] += getattr(tally, name)
        checked += tally.checked
        within += tally.within_sla
        waits += tally.waits
        service_times += tally.service_times
    return Figures(
        **{f"issued_{channel}": n for channel, n in issued.items()},
        **counts,
        called=len(waits),
        within_sla=within,
        avg_wait=_mean(waits),
        p90_wait=nearest_rank(waits),
        avg_service=_mean(service_times),
        sla_percent=100 * within / checked if checked else None,
    )


class _Track:
    """One ticket of the day being read."""

    __slots__ = (
        "called",
        "called_at",
        "day",
        "first_service",
        "held_at",
        "held_minutes",
        "issued_at",
        "service",
        "started_at",
        "status",
    )

    def __init__(self, day: dt.date, service: str, issued_at: dt.datetime) -> None:
        self.day = day
        self.first_service = service
        self.service = service
        self.issued_at = issued_at
        self.called = False
        self.called_at: dt.datetime | None = None
        self.started_at: dt.datetime | None = None
        self.held_at: dt.datetime | None = None
        self.held_minutes = 0.0
        self.status = "waiting"

    def service_minutes(self, done: dt.datetime) -> float | None:
        return service_minutes(self.started_at, self.called_at, self.held_minutes, done)


class _Officer:
    __slots__ = ("counters", "served", "service_times")

    def __init__(self) -> None:
        self.counters: set[str] = set()
        self.served = 0
        self.service_times: list[float] = []


class ReportBuilder:
    """Folds a venue's events, in log order, into the report of the days `start`..`end`.

    Feed every event from the beginning of the log with `add` (events before the period
    are skipped, but bookings made earlier for the period are noted); stop once
    `past_end` is true; then `finish`.
    """

    def __init__(
        self, venue: Venue, start: dt.date, end: dt.date, tenant: str | None = None
    ) -> None:
        if end < start:
            raise ValueError(f"report period ends ({end}) before it starts ({start})")
        self.venue, self.start, self.end = venue, start, end
        # A tenant supervisor's report: only that tenant's services, requests and officers.
        self.tenant = tenant
        self.past_end = False
        self._tz = venue.tz
        self._day: dt.date | None = None
        self._events = 0
        self._tickets: dict[str, _Track] = {}
        self._tallies: dict[tuple[dt.date, str], _Tally] = {}
        self._officers: dict[str, _Officer] = {}
        self.ikm = IkmBuilder(venue, start, end, tenant)
        self.missing = MissingBuilder(venue, start, end, tenant)
        self._hourly: dict[dt.date, tuple[list[int], list[int]]] = {}
        # Bookings for a day of the period: code -> (day, service, checked in).
        self._bookings: dict[str, tuple[dt.date, str, bool]] = {}
        # Any: each handler takes its own event type, picked by `type(event)`.
        self._handlers: dict[type[Any], Callable[[dt.date, dt.datetime, Any], None]] = {
            ev.TicketIssued: self._issued,
            ev.TicketCalled: self._called,
            ev.TicketRecalled: self._recalled,
            ev.TicketNoShow: self._no_show,
            ev.TicketReturned: self._returned,
            ev.ServingStarted: self._started,
            ev.TicketDone: self._done,
            ev.TicketTransferred: self._transferred,
            ev.TicketHeld: self._held,
            ev.TicketResumed: self._resumed,
            ev.TicketCancelled: self._cancelled,
            ev.TurnedAway: self._turned_away,
        }

    def add(self, event: ev.Event) -> None:
        """Take the next event of the log."""
        self.ikm.add(event)
        self.missing.add(event)
        at = event.at.astimezone(self._tz)
        day = at.date()
        if day != self._day:
            self._close_day()
            self._day = day
        if isinstance(event, ev.BookingMade | ev.BookingCancelled):
            # Bookings for the period may be made (or cancelled) days before it starts.
            self._booking(event)
        if day < self.start:
            return
        if day > self.end:
            self.past_end = True
            return
        self._events += 1
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(day, at, event)

    def add_late(self, data: bytes) -> None:
        """A record past the period's end: only a late survey response (for the IKM) or a
        rejection of a report of the period (for the missing-service recap) counts."""
        self.ikm.add_late(data)
        self.missing.add_late(data)

    def finish(self) -> Report:
        """The report of everything added so far."""
        self._close_day()
        for day, service, checked_in in self._bookings.values():
            if not checked_in:
                self._tally(day, service).booking_no_show += 1
        self._bookings.clear()
        if self.tenant is not None:
            self._tallies = {k: t for k, t in self._tallies.items() if self._mine(k[1])}
        return Report(
            venue=self.venue.id,
            venue_name=self.venue.name,
            kind=period_kind(self.start, self.end),
            start=self.start,
            end=self.end,
            events=self._events,
            total=_figures(self._tallies.values()),
            tenants=self._tenant_rows(),
            officers=self._officer_rows(),
            missing=self.missing.finish(),
            days=self._day_rows(),
            ikm=self.ikm.finish(),
        )

    # --- folding ----------------------------------------------------------------------

    def _mine(self, service: str) -> bool:
        """Whether a service's figures belong in this report (every one, or the tenant's).

        A tenant's report still follows every ticket, so a ticket transferred into one of
        its lanes counts there exactly as in the venue's report."""
        return self.tenant is None or self._tenant_of(service) == self.tenant

    def _tally(self, day: dt.date, service: str) -> _Tally:
        tally = self._tallies.get((day, service))
        if tally is None:
            tally = self._tallies[(day, service)] = _Tally()
        return tally

    def _hours(self, day: dt.date) -> tuple[list[int], list[int]]:
        hours = self._hourly.get(day)
        if hours is None:
            hours = self._hourly[day] = ([0] * 24, [0] * 24)
        return hours

    def _close_day(self) -> None:
        """The day being read ended: its open tickets' last status is final."""
        for track in self._tickets.values():
            if track.status == "no_show":
                self._tally(track.day, track.service).no_show += 1
            elif track.status in _OPEN:
                self._tally(track.day, track.service).expired += 1
        self._tickets.clear()

    def _booking(self, event: ev.BookingMade | ev.BookingCancelled) -> None:
        if isinstance(event, ev.BookingCancelled):
            self._bookings.pop(event.booking, None)
        elif self.start <= event.day <= self.end:
            self._bookings[event.booking] = (event.day, event.service, False)

    def _issued(self, day: dt.date, at: dt.datetime, event: ev.TicketIssued) -> None:
        self._tickets[event.ticket] = _Track(day, event.service, at)
        self._tally(day, event.service).issued[event.channel] += 1
        if self._mine(event.service):
            self._hours(day)[0][at.hour] += 1
        booking = self._bookings.get(event.booking) if event.booking else None
        if booking is not None:
            self._bookings[event.booking] = (booking[0], booking[1], True)

    def _called(self, day: dt.date, at: dt.datetime, event: ev.TicketCalled) -> None:
        track = self._tickets.get(event.ticket)
        if track is None:
            return
        track.status = "called"
        track.called_at = at
        if track.called:
            return
        track.called = True
        wait = (at - track.issued_at).total_seconds() / 60
        tally = self._tally(track.day, track.first_service)
        tally.waits.append(wait)
        service = self.venue.services.get(track.first_service)
        if service is not None:
            tally.checked += 1
            tally.within_sla += wait <= service.sla_minutes

    def _status(self, ticket: str, status: str) -> _Track | None:
        track = self._tickets.get(ticket)
        if track is not None:
            track.status = status
        return track

    def _recalled(self, day: dt.date, at: dt.datetime, event: ev.TicketRecalled) -> None:
        track = self._tickets.get(event.ticket)
        if track is not None:
            track.called_at = at

    def _no_show(self, day: dt.date, at: dt.datetime, event: ev.TicketNoShow) -> None:
        self._status(event.ticket, "no_show")

    def _returned(self, day: dt.date, at: dt.datetime, event: ev.TicketReturned) -> None:
        self._status(event.ticket, "waiting")

    def _started(self, day: dt.date, at: dt.datetime, event: ev.ServingStarted) -> None:
        track = self._status(event.ticket, "serving")
        if track is not None:
            track.started_at = at

    def _held(self, day: dt.date, at: dt.datetime, event: ev.TicketHeld) -> None:
        track = self._status(event.ticket, "held")
        if track is not None:
            track.held_at = at

    def _resumed(self, day: dt.date, at: dt.datetime, event: ev.TicketResumed) -> None:
        track = self._status(event.ticket, "serving")
        if track is None:
            return
        if track.started_at is None:
            track.started_at = at
        elif track.held_at is not None:
            track.held_minutes += max(0.0, (at - track.held_at).total_seconds() / 60)
        track.held_at = None

    def _transferred(self, day: dt.date, at: dt.datetime, event: ev.TicketTransferred) -> None:
        track = self._status(event.ticket, "waiting")
        if track is not None:
            track.service = event.service
            track.started_at = track.called_at = None
            track.held_minutes = 0.0

    def _cancelled(self, day: dt.date, at: dt.datetime, event: ev.TicketCancelled) -> None:
        track = self._status(event.ticket, "cancelled")
        if track is not None:
            self._tally(track.day, track.service).cancelled += 1

    def _done(self, day: dt.date, at: dt.datetime, event: ev.TicketDone) -> None:
        track = self._status(event.ticket, "done")
        if track is None:
            return
        tally = self._tally(track.day, track.service)
        tally.served += 1
        if not self._mine(track.service):
            return
        self._hours(track.day)[1][at.hour] += 1
        officer = self._officers.get(event.officer)
        if officer is None:
            officer = self._officers[event.officer] = _Officer()
        officer.served += 1
        officer.counters.add(event.counter)
        minutes = track.service_minutes(at)
        if minutes is not None:
            tally.service_times.append(minutes)
            officer.service_times.append(minutes)

    def _turned_away(self, day: dt.date, at: dt.datetime, event: ev.TurnedAway) -> None:
        self._tally(day, event.service).turned_away += 1

    # --- the report -------------------------------------------------------------------

    def _tenant_of(self, service: str) -> str:
        known = self.venue.services.get(service)
        return known.tenant if known is not None else ""

    def _tenant_name(self, tenant: str) -> str:
        known = self.venue.tenants.get(tenant)
        if known is None:
            return tenant or "-"
        return known.short_name or known.name

    def _tenant_rows(self) -> tuple[TenantRow, ...]:
        by_service: dict[str, list[_Tally]] = {}
        for (_, service), tally in self._tallies.items():
            by_service.setdefault(service, []).append(tally)
        # Venue order first; services the venue file no longer lists come last.
        order = [*self.venue.services, *sorted(set(by_service) - set(self.venue.services))]
        tenants: dict[str, list[ServiceRow]] = {}
        for service in order:
            if service in by_service:
                row = self._service_row(service, by_service[service])
                tenants.setdefault(self._tenant_of(service), []).append(row)
        return tuple(
            TenantRow(
                tenant=tenant,
                name=self._tenant_name(tenant),
                figures=_figures(t for s in rows for t in by_service[s.service]),
                services=tuple(rows),
            )
            for tenant, rows in tenants.items()
        )

    def _service_row(self, service: str, tallies: list[_Tally]) -> ServiceRow:
        known = self.venue.services.get(service)
        return ServiceRow(
            service=service,
            name=known.name if known is not None else service,
            sla_minutes=known.sla_minutes if known is not None else None,
            figures=_figures(tallies),
        )

    def _officer_rows(self) -> tuple[OfficerRow, ...]:
        rows = []
        for name, officer in sorted(self._officers.items()):
            counters = sorted(officer.counters, key=lambda c: (len(c), c))
            tenants = {self.venue.counters[c].tenant for c in counters if c in self.venue.counters}
            rows.append(
                OfficerRow(
                    officer=name,
                    tenants=tuple(self._tenant_name(t) for t in sorted(tenants)),
                    counters=tuple(counters),
                    served=officer.served,
                    avg_service=_mean(officer.service_times),
                )
            )
        return tuple(rows)

    def _day_rows(self) -> tuple[DayRow, ...]:
        by_day: dict[dt.date, list[_Tally]] = {}
        for (day, _), tally in self._tallies.items():
            by_day.setdefault(day, []).append(tally)
        rows = []
        day = self.start
        while day <= self.end:
            issued, served = self._hourly.get(day, ([0] * 24, [0] * 24))
            figures = _figures(by_day.get(day, []))
            rows.append(DayRow(day, figures, tuple(issued), tuple(served)))
            day += dt.timedelta(days=1)
        return tuple(rows)


async def build_report(
    log: EventLog,
    venue: Venue,
    start: dt.date,
    end: dt.date,
    progress: Progress | None = None,
    tenant: str | None = None,
) -> Report:
    """The report of the days `start`..`end`, read from the beginning of the venue's log.

    The log has no index by time, so it is read from its first event, in pages of `PAGE`.
    Past `end`, only survey responses are decoded (for the IKM, responses rate the day of
    their service), to the end of the log. `progress(read, total)` is called after each
    page.
    """
    builder = ReportBuilder(venue, start, end, tenant)
    await read_whole_log(log, venue.id, builder, progress)
    return builder.finish()
