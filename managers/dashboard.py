"""The managers' live dashboard: `manager:all` and `manager:<tenant>` topics.

Figures per venue, tenant, service and counter, kept by accumulators (`managers.tallies`)
that each event updates (`on_event`), never by rescanning the day, and sent as the views of
`managers.dashboard_views`. Waits grow while nothing happens, so a ticker recomputes every
few seconds of the queue's clock and publishes only what changed.
Alerts (`managers.alerts`) ride on the same views; new ones go to the webhook, if any.

What the figures mean (today = the venue-local day of the state):

- *waiting now* / *priority waiting*: tickets waiting in a lane now.
- *longest wait now*: minutes since the oldest waiting ticket joined its lane (its issue,
  or its return to a lane after a transfer or a no-show's return to the front).
- *average / P90 wait*: issue to first call of the tickets called today, in minutes; P90 by
  nearest rank (the ⌈0.9·n⌉-th smallest).
- *served*: tickets done today, under the service they were done for.
- *no-show rate*: tickets that are a no-show now (one who came back is not) over the
  tickets called today, in percent.
- *calls per hour*: first calls in the last 60 minutes.
- *quota left*: the daily quota less the tickets issued today.
- *last servable*: how many more tickets the rest of today can serve, at the service's
  expected pace (`estimate.service_minutes`) over the counters configured for it, less the
  tickets still to be served (the rule of `estimate.day_full`); shown as the predicted last
  ticket number, or "quota enough" when the whole quota fits.
- *SLA*: tickets waiting longer than the service's `sla_minutes` now, and tickets that did
  today (called after too long a wait, or over it now).
- *charts*: per tenant every 5 minutes of venue time, the tickets waiting and the average
  wait of the tickets first called in those 5 minutes.
- *IKM this month*: the satisfaction index of the responses rating a day of the current
  venue-local month (`SurveyAnswered.day`), for the venue and each tenant: one
  `ikm.Tally` per month and scope, added to per response (never a re-fold).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
from collections.abc import Callable, Iterable

import msgspec

from managers.alerts import Alert, ZoneHealth, current_alerts
from managers.dashboard_views import (
    AlertView,
    CounterRow,
    DashboardView,
    Figures,
    IkmView,
    Series,
    ServiceRow,
    TenantBlock,
    ZoneRow,
)
from managers.reports import nearest_rank
from managers.tallies import CounterWatch, Tallies, minutes
from managers.webhook import Webhook
from server.domain import events as ev
from server.domain import ikm
from server.domain.estimate import service_minutes
from server.domain.state import State
from server.domain.venue import Service, Venue
from server.hub import Hub
from server.presence import ZoneWatch
from server.publish import ChangedViews, OncePerBatch
from server.topics import Viewer

log = logging.getLogger(__name__)

ALL = "all"
TICK_SECONDS = 5.0
SAMPLE_MINUTES = 5
SAMPLES_PER_DAY = 24 * 60 // SAMPLE_MINUTES
Clock = Callable[[], dt.datetime]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


class Dashboard:
    """Keeps the managers' topics of one venue up to date in the hub.

    Listen to the queue before it replays its log: the accumulators and the chart series
    are a fold of today's events. `start()` after the replay begins publishing, alerting
    and ticking; `stop()` ends the ticker.
    """

    def __init__(
        self,
        venue: Venue,
        state: State,
        hub: Hub,
        *,
        clock: Clock | None = None,
        zones: ZoneWatch | None = None,
        webhook: Webhook | None = None,
        tick_seconds: float = TICK_SECONDS,
    ) -> None:
        self.venue, self.state, self.hub = venue, state, hub
        self.clock: Clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.zones = zones
        self.webhook = webhook
        self.tick_seconds = tick_seconds
        self.tallies = Tallies(venue.services)
        self.series: dict[str, list[tuple[int, int, float | None]]] = {t: [] for t in venue.tenants}
        # (year, month) of the day rated -> scope (ALL or a tenant) -> its responses.
        self.ikm_months: dict[tuple[int, int], dict[str, ikm.Tally]] = {}
        self.alerts: dict[str, Alert] = {}  # by key
        self.sent: set[str] = set()  # alert ids handed to the webhook by this process
        self._next_sample: dt.datetime | None = None
        self._published = ChangedViews(hub)
        # Every message is the whole view (25-80 KB): a client that missed some needs only
        # the newest, and 512 kept per topic would hold megabytes for nothing.
        hub.keep("manager:", 1)
        self._batch = OncePerBatch(self.refresh)
        self._views: dict[str, DashboardView] = {}
        self._live = False
        self._ticker: asyncio.Task[None] | None = None

    # --- topic source ------------------------------------------------------------------

    def topics(self) -> list[str]:
        return [f"manager:{ALL}", *(f"manager:{t}" for t in self.venue.tenants)]

    def knows(self, topic: str) -> bool:
        kind, _, key = topic.partition(":")
        return kind == "manager" and (key == ALL or key in self.venue.tenants)

    def may_watch(self, topic: str, viewer: Viewer) -> bool:
        """The whole venue for managers; a tenant for its supervisors too."""
        if viewer.managing:
            return True
        user = viewer.user
        _, _, key = topic.partition(":")
        return user is not None and user.role == "supervisor" and user.tenant == key

    def snapshot(self, topic: str) -> tuple[int, msgspec.Struct]:
        # One seq below the log's: the ticker re-publishes at the same log seq when only
        # time moved, and the hub delivers a subscriber only what is newer than its
        # snapshot. (A hub-side revision per topic would say this better.)
        view = self._views.get(topic) or self.view(topic)
        return max(0, self.state.seq - 1), view

    def view(self, topic: str) -> DashboardView:
        """The current view of `topic` (a KeyError for a topic this venue does not have)."""
        if not self.knows(topic):
            raise KeyError(topic)
        return self._build(self.clock())[topic]

    # --- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Publish from now on, and recompute every `tick_seconds`."""
        self._live = True
        self.refresh()
        if self._ticker is None:
            self._ticker = asyncio.create_task(self._tick(), name="dashboard ticker")

    async def stop(self) -> None:
        ticker, self._ticker = self._ticker, None
        if ticker is not None:
            ticker.cancel()
            await asyncio.wait([ticker])

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.tick_seconds)
            try:
                self.refresh()
            except Exception:
                log.exception("dashboard refresh failed")

    # --- events ------------------------------------------------------------------------

    def on_event(self, seq: int, event: ev.Event, state: State) -> None:
        """A `VenueQueue` listener: update the accumulators; publish once per batch."""
        self._sample_until(event.at)
        if isinstance(event, ev.DayStarted):
            self._new_day(event.at)
        elif isinstance(event, ev.SurveyAnswered):
            self._answered(event)
        ticket = getattr(event, "ticket", None)
        if isinstance(ticket, str) and ticket in state.tickets:
            self.tallies.note_ticket(self.venue, event, ticket, state)
        counter = getattr(event, "counter", None)
        if isinstance(counter, str):
            self.tallies.watch_counter(self.venue, counter, event.at, state)
        elif isinstance(event, ev.TicketCancelled):
            for cid in self.venue.counters:
                self.tallies.watch_counter(self.venue, cid, event.at, state)
        if self._live:
            self._batch.note()

    def _answered(self, event: ev.SurveyAnswered) -> None:
        month = (event.day.year, event.day.month)
        scopes = self.ikm_months.setdefault(month, {})
        for scope in (ALL, event.tenant):
            tally = scopes.get(scope)
            if tally is None:
                tally = scopes[scope] = ikm.Tally()
            tally.add(event.answers)
        # Only this month and the last one can still be shown (a response rating the last
        # day of a month may come on the first of the next).
        newest = max(self.ikm_months)
        keep = (newest[0], newest[1] - 1) if newest[1] > 1 else (newest[0] - 1, 12)
        for old in [m for m in self.ikm_months if m < keep]:
            del self.ikm_months[old]

    def _ikm_view(self, scope: str, now: dt.datetime) -> IkmView:
        local = self.venue.local(now)
        tally = self.ikm_months.get((local.year, local.month), {}).get(scope)
        month = f"{local:%Y-%m}"
        result = tally.result() if tally is not None else None
        if result is None:
            return IkmView(month=month)
        return IkmView(
            month=month,
            respondents=result.respondents,
            value=float(result.value),
            mutu=result.mutu,
            kinerja=result.kinerja,
            weakest=result.weakest,
        )

    def _new_day(self, at: dt.datetime) -> None:
        self.tallies = Tallies(self.venue.services)
        self.series = {t: [] for t in self.venue.tenants}
        self._next_sample = self._boundary_after(at)

    # --- chart samples -----------------------------------------------------------------

    def _boundary_after(self, at: dt.datetime) -> dt.datetime:
        local = self.venue.local(at)
        floor = local.replace(minute=local.minute - local.minute % SAMPLE_MINUTES, second=0)
        return floor.replace(microsecond=0) + dt.timedelta(minutes=SAMPLE_MINUTES)

    def _sample_until(self, now: dt.datetime) -> None:
        """Take the chart samples of every 5-minute mark up to `now`, from the tallies as
        they stood then (before the event at `now` is counted)."""
        if self._next_sample is None:
            self._next_sample = self._boundary_after(now)
            return
        day = self._next_sample.date()
        while self._next_sample <= now and self.venue.local(self._next_sample).date() == day:
            self._sample(self._next_sample)
            self._next_sample += dt.timedelta(minutes=SAMPLE_MINUTES)

    def _sample(self, at: dt.datetime) -> None:
        stamp = int(at.timestamp())
        by_tenant: dict[str, tuple[int, list[float]]] = {}
        for service_id, tally in self.tallies.items():
            service = self.venue.services.get(service_id)
            if service is None:
                continue
            waiting, waits = by_tenant.get(service.tenant, (0, []))
            by_tenant[service.tenant] = (waiting + len(tally.waiting), waits + tally.bucket)
            tally.bucket = []
        for tenant, (waiting, waits) in by_tenant.items():
            series = self.series.setdefault(tenant, [])
            average = _round(sum(waits) / len(waits)) if waits else None
            series.append((stamp, waiting, average))
            del series[:-SAMPLES_PER_DAY]

    # --- publishing --------------------------------------------------------------------

    def refresh(self, now: dt.datetime | None = None) -> None:
        """Recompute every view and alert at `now` (the queue's clock); publish changes."""
        now = now or self.clock()
        if self._live and self._is_today(now):
            self._sample_until(now)
        views = self._build(now)
        self._views = views
        if not self._live:
            return
        for topic, view in views.items():
            # Nobody watching: no bytes to encode, no history to keep (a subscriber gets
            # `snapshot` first anyway).
            if not self.hub.has_subscribers(topic):
                continue
            self._published.publish(topic, self.state.seq, view)

    def _is_today(self, now: dt.datetime) -> bool:
        return self.state.day == self.venue.local(now).date()

    def _build(self, now: dt.datetime) -> dict[str, DashboardView]:
        today = self._is_today(now)
        tallies = self.tallies if today else Tallies(self.venue.services)
        for service in self.venue.services.values():
            tallies.tally(service.id).more_servable = self._more_servable(service, tallies, now)
        zones = self._zone_health(now)
        # Before today's first event the state still holds the last day worked: only the
        # screens' alerts hold then.
        alerts = self._alerts(self.state if today else State(), tallies, zones, now)
        tenants = [self._tenant(t, tallies, now, today) for t in self.venue.tenants]
        every = DashboardView(
            venue=self.venue.id,
            venue_name=self.venue.name,
            timezone=self.venue.timezone,
            scope=ALL,
            day=self.state.day if today else None,
            updated=f"{self.venue.local(now):%H.%M}",
            figures=self._figures(self.venue.services, self.venue.counters, tallies, now),
            tenants=tenants,
            zones=[self._zone_row(z) for z in zones],
            alerts=alerts,
            ikm=self._ikm_view(ALL, now),
        )
        views = {f"manager:{ALL}": every}
        for block in tenants:
            views[f"manager:{block.id}"] = msgspec.structs.replace(
                every,
                scope=block.id,
                figures=block.figures,
                tenants=[block],
                zones=[],
                alerts=[a for a in alerts if a.tenant == block.id],
                ikm=block.ikm,
            )
        return views

    def _alerts(
        self, state: State, tallies: Tallies, zones: list[ZoneHealth], now: dt.datetime
    ) -> list[AlertView]:
        found = current_alerts(
            self.venue, state, tallies, zones, now, self.alerts, standing=self.state
        )
        if self._live:
            self.alerts = {a.key: a for a in found}
            self._announce(found)
        views = []
        for alert in sorted(found, key=lambda a: (a.id in self.state.acknowledged, a.since)):
            ack = self.state.acknowledged.get(alert.id)
            views.append(
                AlertView(
                    id=alert.id,
                    kind=alert.kind,
                    tenant=alert.tenant,
                    subject=alert.subject,
                    since=alert.since,
                    text=alert.text,
                    text_en=alert.text_en,
                    link=alert.link,
                    acknowledged_by=ack.by if ack else None,
                    acknowledged_at=ack.at if ack else None,
                )
            )
        return views

    def _announce(self, alerts: list[Alert]) -> None:
        """Hand each new, unacknowledged alert to the webhook, once per id per process."""
        for alert in alerts:
            if alert.id in self.sent or alert.id in self.state.acknowledged:
                continue
            self.sent.add(alert.id)
            if self.webhook is not None:
                body = {
                    "venue": self.venue.id,
                    "venue_name": self.venue.name,
                    "alert": msgspec.to_builtins(alert),
                }
                self.webhook.send(alert.id, msgspec.json.encode(body))

    def _zone_health(self, now: dt.datetime) -> list[ZoneHealth]:
        healths = []
        for zone in self.venue.zones.values():
            connected = self.zones.connected(zone.id) if self.zones is not None else 0
            watched = self._live and self.zones is not None
            since = self.zones.offline_since(zone.id, now) if watched and self.zones else None
            report = self.zones.status.get(zone.id) if self.zones is not None else None
            healths.append(
                ZoneHealth(
                    zone=zone.id,
                    displays=len(zone.displays),
                    connected=connected,
                    offline_since=since,
                    audio=report.status if report else "",
                    audio_call=report.call if report else "",
                )
            )
        return healths

    def _zone_row(self, health: ZoneHealth) -> ZoneRow:
        return ZoneRow(
            id=health.zone,
            name=self.venue.zones[health.zone].name,
            displays=health.displays,
            connected=health.connected,
            audio=health.audio,
        )

    def _more_servable(self, service: Service, tallies: Tallies, now: dt.datetime) -> int:
        """How many more tickets the rest of today can serve (estimate.day_full's rule)."""
        left = self.venue.open_minutes_left(now)
        counters = sum(1 for c in self.venue.counters.values() if service.id in c.services)
        pace = service_minutes(self.venue, self.state, service.id)
        capacity = math.floor(left * max(counters, 1) / pace) if pace > 0 else 0
        return capacity - len(tallies.tally(service.id).pending)

    def _tenant(
        self, tenant_id: str, tallies: Tallies, now: dt.datetime, today: bool
    ) -> TenantBlock:
        tenant = self.venue.tenants[tenant_id]
        services = [s for s in self.venue.services.values() if s.tenant == tenant_id]
        counters = [c.id for c in self.venue.counters.values() if c.tenant == tenant_id]
        samples = self.series.get(tenant_id, []) if today else []
        return TenantBlock(
            id=tenant_id,
            name=tenant.short_name or tenant.name,
            notice=self.state.notices.get(tenant_id, ""),
            figures=self._figures([s.id for s in services], counters, tallies, now),
            services=[self._service_row(s, tallies, now) for s in services],
            counters=[self._counter_row(c, tallies, now) for c in counters],
            series=Series(
                times=[t for t, _, _ in samples],
                waiting=[w for _, w, _ in samples],
                avg_wait=[a for _, _, a in samples],
            ),
            ikm=self._ikm_view(tenant_id, now),
        )

    def _service_row(self, service: Service, tallies: Tallies, now: dt.datetime) -> ServiceRow:
        counters = [c.id for c in self.venue.counters.values() if service.id in c.services]
        issued = self.state.numbers.get(service.id, 0) if self._is_today(now) else 0
        more = tallies.tally(service.id).more_servable or 0
        last = issued + max(0, more)
        enough = last >= service.daily_quota
        label = None if enough or last == 0 else f"{service.prefix}-{last:03d}"
        return ServiceRow(
            id=service.id,
            name=service.name,
            prefix=service.prefix,
            sla_minutes=service.sla_minutes,
            figures=self._figures([service.id], counters, tallies, now),
            last_servable=label,
            quota_enough=enough,
        )

    def _counter_row(self, counter_id: str, tallies: Tallies, now: dt.datetime) -> CounterRow:
        counter = self.venue.counters[counter_id]
        today = self._is_today(now)
        current = self.state.counter(counter_id) if today else None
        watch = tallies.counters.get(counter_id) or CounterWatch()
        ticket = self.state.tickets.get(current.ticket) if current and current.ticket else None
        return CounterRow(
            id=counter_id,
            label=counter.label,
            status=current.status if current else "closed",
            officer=current.officer if current else "",
            ticket=ticket.label if ticket else None,
            idle_minutes=round(minutes(watch.idle_since, now)) if watch.idle_since else None,
            served=watch.served,
        )

    def _figures(
        self, services: Iterable[str], counters: Iterable[str], tallies: Tallies, now: dt.datetime
    ) -> Figures:
        today = self._is_today(now)
        hour_ago = now - dt.timedelta(hours=1)
        waits: list[float] = []
        oldest: dt.datetime | None = None
        counts = dict.fromkeys(
            (
                "waiting",
                "priority",
                "served",
                "no_show",
                "calls",
                "quota",
                "left",
                "over",
                "breached",
            ),
            0,
        )
        for service_id in services:
            tally = tallies.tally(service_id)
            service = self.venue.services[service_id]
            waits += tally.waits
            while tally.calls and tally.calls[0] < hour_ago - dt.timedelta(hours=1):
                tally.calls.popleft()  # keep a spare hour: `now` may be a test's past
            over = {
                t
                for t, (since, _) in tally.waiting.items()
                if minutes(since, now) > service.sla_minutes
            }
            if tally.waiting:
                first = tally.oldest()
                oldest = first if oldest is None else min(oldest, first)
            issued = self.state.numbers.get(service_id, 0) if today else 0
            counts["waiting"] += len(tally.waiting)
            counts["priority"] += sum(1 for _, priority in tally.waiting.values() if priority)
            counts["served"] += tally.served
            counts["no_show"] += len(tally.no_show)
            counts["calls"] += sum(1 for at in tally.calls if at > hour_ago)
            counts["quota"] += service.daily_quota
            counts["left"] += max(0, service.daily_quota - issued)
            counts["over"] += len(over)
            counts["breached"] += len(over | tally.breached)
        statuses = [self.state.counter(c).status if today else "closed" for c in counters]
        called = len(waits)
        return Figures(
            waiting=counts["waiting"],
            priority_waiting=counts["priority"],
            longest_wait=round(minutes(oldest, now)) if oldest else None,
            avg_wait=_round(sum(waits) / called) if called else None,
            p90_wait=_round(nearest_rank(waits)),
            called=called,
            served=counts["served"],
            no_show=counts["no_show"],
            no_show_rate=_round(100 * counts["no_show"] / called) if called else None,
            calls_per_hour=counts["calls"],
            counters_open=statuses.count("open"),
            counters_break=statuses.count("break"),
            counters_closed=statuses.count("closed"),
            quota=counts["quota"],
            quota_left=counts["left"],
            sla_over=counts["over"],
            sla_breaches=counts["breached"],
        )
