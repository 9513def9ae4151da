"""The satisfaction index (IKM) of a period, folded from the log, for the IKM report and the
daily/monthly report.

What the figures mean:

- *period*: whole venue-local days, from `start` to `end` inclusive: a day, a month, a
  quarter (`2026-Q4`), a semester (`2026-S1` is January–June, `2026-S2` July–December)
  or a year.
- *respondents*: `SurveyAnswered` events whose `day` (the day of the service rated, not
  the day it was answered) falls in the period, under their service and tenant. A
  response may come the next service day (phone, tablet) or much later (an imported
  paper form), so the whole log is read, to its end.
- *IKM*: `server.domain.ikm.compute` of a scope's responses (NRR per unsur, IKM on 1–4,
  the converted value, mutu, kinerja, the weakest unsur).
- *population*: the people served, `TicketDone` events of the period, under the service
  the ticket was in when done; the minimum sample is `ikm.minimum_sample(population)`.
- *profile*: the respondents' optional age band, sex, education and occupation ("" = not
  given), over the report's responses.
- *comments*: the text, the service and the day rated; never the ticket, the counter or
  the officer.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from typing import Literal, Protocol

import msgspec

from server.domain import events as ev
from server.domain import ikm
from server.domain.venue import Venue
from server.store import EventLog

PAGE = 5_000
PeriodKind = Literal["day", "month", "quarter", "semester", "year", "range"]
ScopeKind = Literal["venue", "tenant", "service"]
Progress = Callable[[int, int], None]
# A page of the log read after the period holds only survey responses of interest; this
# finds them without decoding every event (a false hit is decoded and skipped).
SURVEY_MARK = b'"survey_answered"'

_PATTERNS: tuple[tuple[PeriodKind, re.Pattern[str]], ...] = (
    ("day", re.compile(r"(\d{4})-(\d{2})-(\d{2})")),
    ("month", re.compile(r"(\d{4})-(\d{2})")),
    ("quarter", re.compile(r"(\d{4})-[Qq]([1-4])")),
    ("semester", re.compile(r"(\d{4})-[Ss]([12])")),
    ("year", re.compile(r"(\d{4})")),
)
EXAMPLES: dict[str, str] = {
    "day": "2026-11-24",
    "month": "2026-11",
    "quarter": "2026-Q4",
    "semester": "2026-S2",
    "year": "2026",
}


class Period(msgspec.Struct, frozen=True):
    """Whole days `start`..`end`; `label` is how it is written ("2026-Q4")."""

    kind: PeriodKind
    start: dt.date
    end: dt.date
    label: str


def _months(year: int, first: int, last: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, first, 1), dt.date(year, last, calendar.monthrange(year, last)[1])


def parse_period(value: str, kind: PeriodKind | None = None) -> Period:
    """The period written as `value` (2026-11-24, 2026-11, 2026-Q4, 2026-S2 or 2026); a
    ValueError naming what is wrong otherwise, also when it is not of `kind`."""
    text = value.strip()
    for found_kind, pattern in _PATTERNS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        if kind is not None and found_kind != kind:
            break
        numbers = [int(part) for part in match.groups()]
        year = numbers[0]
        if not 1 <= year <= 9999:
            break
        try:
            if found_kind == "day":
                start = end = dt.date(year, numbers[1], numbers[2])
                label = start.isoformat()
            elif found_kind == "month":
                start, end = _months(year, numbers[1], numbers[1])
                label = f"{year:04d}-{numbers[1]:02d}"  # strftime does not pad year 1
            elif found_kind == "quarter":
                start, end = _months(year, 3 * numbers[1] - 2, 3 * numbers[1])
                label = f"{year:04d}-Q{numbers[1]}"
            elif found_kind == "semester":
                start, end = _months(year, 6 * numbers[1] - 5, 6 * numbers[1])
                label = f"{year:04d}-S{numbers[1]}"
            else:
                start, end = _months(year, 1, 12)
                label = f"{year:04d}"
        except ValueError:
            break
        return Period(found_kind, start, end, label)
    wanted = EXAMPLES[kind] if kind is not None else ", ".join(EXAMPLES.values())
    raise ValueError(f"not a period ({wanted}): {value!r}")


class Scope(msgspec.Struct, frozen=True):
    """The index of the venue, a tenant or a service over the period."""

    scope: ScopeKind
    id: str
    name: str
    # The tenant of a service or a tenant itself; "" for the venue.
    tenant: str
    result: ikm.Result | None
    population: int

    @property
    def respondents(self) -> int:
        return self.result.respondents if self.result is not None else 0

    @property
    def minimum_sample(self) -> int:
        return ikm.minimum_sample(self.population)

    @property
    def sample_enough(self) -> bool:
        return self.respondents >= self.minimum_sample and self.respondents > 0


class Comment(msgspec.Struct, frozen=True):
    day: dt.date
    service: str
    service_name: str
    text: str


class IkmReport(msgspec.Struct, frozen=True):
    venue: str
    venue_name: str
    period: Period
    # A tenant supervisor's report: that tenant only (`main` is the tenant then).
    tenant: str | None
    main: Scope
    tenants: tuple[Scope, ...]
    services: tuple[Scope, ...]
    # field (age, sex, education, occupation) -> option ("" = not given) -> respondents.
    profile: dict[str, dict[str, int]]
    comments: tuple[Comment, ...]

    def scopes(self) -> list[Scope]:
        """The venue first (not in a tenant's report), then each tenant, then each service."""
        first = [] if self.tenant is not None else [self.main]
        return [*first, *self.tenants, *self.services]


class IkmBuilder:
    """Folds a venue's events, in log order, into the IKM of the days `start`..`end`.

    Feed every event from the beginning of the log with `add`; once `past_end`, only
    survey responses still matter (`add` takes them, or the records through `add_late`).
    """

    def __init__(
        self, venue: Venue, start: dt.date, end: dt.date, tenant: str | None = None
    ) -> None:
        if end < start:
            raise ValueError(f"IKM period ends ({end}) before it starts ({start})")
        self.venue, self.start, self.end, self.tenant = venue, start, end, tenant
        self.past_end = False
        self._tz = venue.tz
        self._day: dt.date | None = None
        # The current day's tickets: id -> the service it is in now.
        self._tickets: dict[str, str] = {}
        self._tallies: dict[tuple[ScopeKind, str], ikm.Tally] = {}
        self._population: dict[tuple[ScopeKind, str], int] = {}
        # service -> its tenant, as the responses named it (for services the venue dropped).
        self._tenant_of: dict[str, str] = {}
        self._profile: dict[str, dict[str, int]] = {
            field: {**dict.fromkeys(options, 0), "": 0} for field, options in ikm.PROFILE.items()
        }
        self._comments: list[Comment] = []

    def add(self, event: ev.Event) -> None:
        """Take the next event of the log."""
        if isinstance(event, ev.SurveyAnswered):
            self._answered(event)
            return
        if self.past_end:
            return
        day = event.at.astimezone(self._tz).date()
        if day != self._day:
            self._tickets.clear()
            self._day = day
        if day > self.end:
            self.past_end = True
            return
        if day < self.start:
            return
        if isinstance(event, ev.TicketIssued):
            self._tickets[event.ticket] = event.service
        elif isinstance(event, ev.TicketTransferred):
            if event.ticket in self._tickets:
                self._tickets[event.ticket] = event.service
        elif isinstance(event, ev.TicketDone):
            service = self._tickets.pop(event.ticket, None)
            if service is not None:
                self._served(service)

    def add_late(self, data: bytes) -> None:
        """Take an encoded event read after the period: decoded only if it may be a
        survey response."""
        if SURVEY_MARK in data:
            self.add(ev.decode_event(data))

    def _tenant(self, service: str) -> str:
        known = self.venue.services.get(service)
        return known.tenant if known is not None else self._tenant_of.get(service, "")

    def _mine(self, tenant: str) -> bool:
        return self.tenant is None or tenant == self.tenant

    def _served(self, service: str) -> None:
        tenant = self._tenant(service)
        if not self._mine(tenant):
            return
        for key in (("venue", ""), ("tenant", tenant), ("service", service)):
            self._population[key] = self._population.get(key, 0) + 1

    def _answered(self, event: ev.SurveyAnswered) -> None:
        if not self.start <= event.day <= self.end or not self._mine(event.tenant):
            return
        self._tenant_of.setdefault(event.service, event.tenant)
        keys: tuple[tuple[ScopeKind, str], ...] = (
            ("venue", ""),
            ("tenant", event.tenant),
            ("service", event.service),
        )
        for key in keys:
            tally = self._tallies.get(key)
            if tally is None:
                tally = self._tallies[key] = ikm.Tally()
            tally.add(event.answers)
        for field in ikm.PROFILE:
            counts = self._profile[field]
            value = getattr(event, field)
            counts[value] = counts.get(value, 0) + 1
        if event.comment:
            self._comments.append(
                Comment(event.day, event.service, self._service_name(event.service), event.comment)
            )

    def _service_name(self, service: str) -> str:
        known = self.venue.services.get(service)
        return known.name if known is not None else service

    def _tenant_name(self, tenant: str) -> str:
        known = self.venue.tenants.get(tenant)
        if known is None:
            return tenant or "-"
        return known.short_name or known.name

    def _scope(self, kind: ScopeKind, key: str, name: str, tenant: str) -> Scope:
        tally = self._tallies.get((kind, key))
        return Scope(
            scope=kind,
            id=key,
            name=name,
            tenant=tenant,
            result=tally.result() if tally is not None else None,
            population=self._population.get((kind, key), 0),
        )

    def finish(self) -> IkmReport:
        """The IKM of everything added so far."""
        seen = {key for kind, key in (*self._tallies, *self._population) if kind == "service"}
        services = [*self.venue.services, *sorted(seen - set(self.venue.services))]
        services = [s for s in services if self._mine(self._tenant(s))]
        tenants = [*self.venue.tenants]
        tenants += sorted({self._tenant(s) for s in services} - set(tenants))
        tenants = [t for t in tenants if self._mine(t)]
        # Tenants and services in venue order, each service under its tenant's order.
        rank = {t: i for i, t in enumerate(tenants)}
        services.sort(key=lambda s: rank.get(self._tenant(s), len(rank)))
        tenant_scopes = tuple(self._scope("tenant", t, self._tenant_name(t), t) for t in tenants)
        if self.tenant is None:
            main = self._scope("venue", "", self.venue.name, "")
        elif tenant_scopes:
            main = tenant_scopes[0]
        else:
            main = self._scope("tenant", self.tenant, self._tenant_name(self.tenant), self.tenant)
        return IkmReport(
            venue=self.venue.id,
            venue_name=self.venue.name,
            period=_period_of(self.start, self.end),
            tenant=self.tenant,
            main=main,
            tenants=tenant_scopes,
            services=tuple(
                self._scope("service", s, self._service_name(s), self._tenant(s)) for s in services
            ),
            profile={field: dict(counts) for field, counts in self._profile.items()},
            comments=tuple(self._comments),
        )


def _period_of(start: dt.date, end: dt.date) -> Period:
    """The period of `start`..`end`: one of the named kinds when it is one."""
    named: tuple[tuple[PeriodKind, str], ...] = (
        ("day", start.isoformat()),
        ("month", f"{start.year:04d}-{start.month:02d}"),  # strftime does not pad year 1
        ("quarter", f"{start.year:04d}-Q{(start.month + 2) // 3}"),
        ("semester", f"{start.year:04d}-S{(start.month + 5) // 6}"),
        ("year", f"{start.year:04d}"),
    )
    for kind, label in named:
        period = parse_period(label, kind)
        if (period.start, period.end) == (start, end):
            return period
    return Period("range", start, end, f"{start}_{end}")


async def build_ikm(
    log: EventLog,
    venue: Venue,
    start: dt.date,
    end: dt.date,
    tenant: str | None = None,
    progress: Progress | None = None,
) -> IkmReport:
    """The IKM of the days `start`..`end`, read from the whole of the venue's log (a
    response may be given or imported long after the day it rates), page by page.
    `progress(read, total)` is called after each page."""
    builder = IkmBuilder(venue, start, end, tenant)
    await read_whole_log(log, venue.id, builder, progress)
    return builder.finish()


class Folding(Protocol):
    """What `read_whole_log` feeds: every event until `past_end`, the raw rest after."""

    past_end: bool

    def add(self, event: ev.Event) -> None: ...

    def add_late(self, data: bytes) -> None: ...


async def read_whole_log(
    log: EventLog, venue_id: str, builder: Folding, progress: Progress | None = None
) -> None:
    """Feed the venue's whole log to `builder`, page by page: decoded events until it is
    past its period's end, then the raw records (it decodes only the late responses)."""
    total = await log.head(venue_id)
    after = 0
    while True:
        records = await log.read(venue_id, after, PAGE)
        for record in records:
            if builder.past_end:
                builder.add_late(record.data)
            else:
                builder.add(ev.decode_event(record.data))
            after = record.seq
        if progress is not None:
            progress(after, max(total, after))
        if len(records) < PAGE:
            break
