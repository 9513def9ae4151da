"""Pass 3: table-driven rules over what decoded, each yielding `Problem`s with the key path,
what was found and how to fix it (ids, names, bounds, hours and breaks, references, zones)."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
import string
from collections.abc import Callable, Iterable, Iterator

import msgspec

from server.config.decode import Draft
from server.config.problems import Problem, unknown_reference, unknown_weekday
from server.config.timezones import check_timezone
from server.domain.venue import WEEKDAYS, Break, Counter, OpeningHours, Service

_REQUIRED = ("hours", "tenants", "services", "counters")
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*")
_COUNTER_ID = re.compile(r"[1-9][0-9]*[A-Z]?")
_PREFIX = re.compile(r"[A-Z]{1,3}")

Check = Callable[[Draft], Iterator[Problem]]


def _span(item: OpeningHours | Break | None) -> str:
    if item is None:
        return "closed"
    start, end = (
        (item.open, item.close) if isinstance(item, OpeningHours) else (item.start, item.end)
    )
    return f"{start:%H:%M}–{end:%H:%M}"


def _check_sections(d: Draft) -> Iterator[Problem]:
    for name in _REQUIRED:
        if name not in d.misshapen and not (d.days if name == "hours" else d.ids[name]):
            example = "[hours] mon = [...]" if name == "hours" else f"[{name}.<id>]"
            fix = f"add at least one entry: {example}"
            yield Problem(name, f"the venue has no {name}", fix, "empty_section")


def _check_ids(d: Draft) -> Iterator[Problem]:
    # Ids end up in URLs, Redis keys and key paths, so they stay plain.
    for name, ids in d.ids.items():
        pattern = _COUNTER_ID if name == "counters" else _SLUG
        for key in ids:
            if not pattern.fullmatch(key):
                example = "counters.7" if name == "counters" else f"{name}.{_slug(key)}"
                message = f"'{key}' is not a valid id for {name}"
                fix = f"rename the table, e.g. [{example}]"
                yield Problem(f"{name}.{key}", message, fix, "id_format")
    if d.settings and not _SLUG.fullmatch(d.settings.id):
        message = f"'{d.settings.id}' is not a valid venue id (lowercase letters, digits, '-')"
        fix = f'use e.g. id = "{_slug(d.settings.id)}"'
        yield Problem("venue.id", message, fix, "id_format")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _check_names(d: Draft) -> Iterator[Problem]:
    named: Iterable[tuple[str, str, str]] = itertools.chain(
        ((f"tenants.{k}", "name", t.name) for k, t in d.tenants.items()),
        ((f"services.{k}", "name", s.name) for k, s in d.services.items()),
        ((f"counters.{k}", "label", c.label) for k, c in d.counters.items()),
        ((f"zones.{k}", "name", z.name) for k, z in d.zones.items()),
    )
    for path, key, value in named:
        if not value.strip():
            fix = f"write the {key} people see on screens and slips"
            yield Problem(f"{path}.{key}", f"{key} is empty", fix, "name_blank")


_PRIORITY_FIX = "use e.g. 2: one priority ticket per two regular ones while both wait"
_RECALLS_FIX = "use e.g. 3: a ticket is recalled up to three times before it is a no-show"
_TYPICAL_FIX = "use the usual service time in minutes, e.g. 10"


class _Bound(msgspec.Struct, frozen=True):
    """Limits on one number, with the problem code and fix when they are broken."""

    key: str
    low: float
    code: str
    fix: str
    strict: bool = False  # True: the value must be above `low`, not merely reach it
    # TOML has inf and nan: a number the estimates divide and multiply by must be finite.
    high: float = math.inf

    def problem(self, path: str, value: float | None) -> Problem | None:
        if value is None:
            return None
        above = value > self.low or (value == self.low and not self.strict)
        if above and value <= self.high and math.isfinite(value):
            return None
        if above:
            return Problem(
                f"{path}.{self.key}",
                f"{self.key} must be at most {self.high:g}, found {value:g}",
                self.fix,
                f"{self.key}_too_high",
            )
        limit = f"{'greater than' if self.strict else 'at least'} {self.low:g}"
        return Problem(
            f"{path}.{self.key}",
            f"{self.key} must be {limit}, found {value:g}",
            self.fix,
            self.code,
        )


_VENUE_BOUNDS = (
    _Bound("priority_ratio", 0, "priority_ratio_negative", _PRIORITY_FIX),
    _Bound("max_recalls", 1, "max_recalls_too_low", _RECALLS_FIX),
)
_SERVICE_BOUNDS = (
    _Bound("daily_quota", 0, "negative_quota", "use 0 or more tickets per day"),
    _Bound("kiosk_quota", 0, "negative_quota", "use 0 or more, or remove the key"),
    _Bound("online_quota", 0, "negative_quota", "use 0 or more, or remove the key"),
    _Bound("sla_minutes", 0, "sla_not_positive", "use the target wait, e.g. 30", strict=True),
    # A service longer than a whole day is a typing mistake (and infinity breaks estimates).
    _Bound(
        "typical_minutes", 0, "typical_minutes_not_positive", _TYPICAL_FIX, strict=True, high=600
    ),
)

_BOOKING_BOUNDS = (
    _Bound("slot_minutes", 5, "booking_value_too_low", "use a slot of 5 minutes or more"),
    _Bound("per_slot", 1, "booking_value_too_low", "allow at least 1 booking per slot"),
    _Bound("days_ahead", 0, "booking_value_too_low", "use 0 (today only) or more days"),
    _Bound("early_minutes", 0, "booking_value_too_low", "use 0 or more minutes"),
    _Bound("late_minutes", 0, "booking_value_too_low", "use 0 or more minutes"),
)


def _bounded(path: str, item: msgspec.Struct, bounds: Iterable[_Bound]) -> Iterator[Problem]:
    for bound in bounds:
        if problem := bound.problem(path, getattr(item, bound.key)):
            yield problem


def _check_settings(d: Draft) -> Iterator[Problem]:
    yield from _bounded("booking", d.booking, _BOOKING_BOUNDS)
    if d.settings is None:
        return
    yield from _bounded("venue", d.settings, _VENUE_BOUNDS)


def _check_hours(d: Draft) -> Iterator[Problem]:
    for day, hours in d.hours.items():
        if hours.close <= hours.open:
            message = f"{day} opens at {hours.open:%H:%M} but closes at {hours.close:%H:%M}"
            fix = f'write [open, close] in order, e.g. {day} = ["08:00", "16:00"]'
            yield Problem(f"hours.{day}", message, fix, "hours_inverted")


def _check_breaks(d: Draft) -> Iterator[Problem]:
    for i, b in d.breaks.items():
        for j, day in enumerate(b.days):
            if day not in WEEKDAYS:
                yield unknown_weekday(f"breaks[{i}].days[{j}]", day)
        if b.end <= b.start:
            fix = 'write start before end, e.g. start = "11:30", end = "13:00"'
            message = f"break starts at {b.start:%H:%M} but ends at {b.end:%H:%M}"
            yield Problem(f"breaks[{i}]", message, fix, "break_inverted")
        elif d.hours_intact and (outside := _uncovered_days(d, b)):
            yield _break_outside(d, i, b, outside)
    yield from _overlapping_breaks(d)


def _uncovered_days(d: Draft, b: Break) -> list[str]:
    """The weekdays of break `b` on which the venue is not open for all of it."""
    hours = {day: d.hours.get(day) for day in b.days if day in WEEKDAYS}
    return [
        day for day, h in hours.items() if h is None or not h.open <= b.start < b.end <= h.close
    ]


def _break_outside(d: Draft, i: int, b: Break, days: list[str]) -> Problem:
    where = ", ".join(f"{day} ({_span(d.hours.get(day))})" for day in days)
    message = f"break {_span(b)} is outside opening hours on {where}"
    fix = "move the break inside opening hours or remove those days from its days"
    return Problem(f"breaks[{i}]", message, fix, "break_outside_hours")


def _overlapping_breaks(d: Draft) -> Iterator[Problem]:
    valid = [(i, b) for i, b in d.breaks.items() if b.start < b.end]
    for (i, a), (j, b) in itertools.combinations(valid, 2):
        shared = [day for day in a.days if day in b.days]
        if shared and a.start < b.end and b.start < a.end:
            days = ", ".join(shared)
            message = f"break {_span(b)} overlaps breaks[{i}] ({_span(a)}) on {days}"
            fix = "merge them into one break or move one so they do not overlap"
            yield Problem(f"breaks[{j}]", message, fix, "breaks_overlap")


def _check_holidays(d: Draft) -> Iterator[Problem]:
    first: dict[dt.date, int] = {}
    for i, holiday in d.holidays.items():
        if holiday.date in first:
            message = f"{holiday.date} is already listed as holidays[{first[holiday.date]}]"
            fix = "remove one of the two entries, or correct the date"
            yield Problem(f"holidays[{i}].date", message, fix, "duplicate_holiday")
        first.setdefault(holiday.date, i)


def _check_services(d: Draft) -> Iterator[Problem]:
    for key, service in d.services.items():
        path = f"services.{key}"
        if service.tenant not in d.ids["tenants"]:
            yield unknown_reference(f"{path}.tenant", "tenant", service.tenant, d.ids["tenants"])
        yield from _bounded(path, service, _SERVICE_BOUNDS)
        yield from _channel_quotas(path, service)
        yield from _last_issue(d, path, service)
    yield from _prefixes(d)


def _channel_quotas(path: str, service: Service) -> Iterator[Problem]:
    channels = {"kiosk_quota": service.kiosk_quota, "online_quota": service.online_quota}
    given = {name: value for name, value in channels.items() if value is not None}
    total = sum(given.values())
    # A negative quota is reported on its own; the sum would only repeat it.
    if total > service.daily_quota and min([service.daily_quota, *given.values()]) >= 0:
        parts = " + ".join(f"{name} {value}" for name, value in given.items())
        message = f"daily_quota {service.daily_quota} is less than {parts} = {total}"
        fix = f"raise daily_quota to at least {total} or lower the channel quotas"
        yield Problem(f"{path}.daily_quota", message, fix, "channel_quota_exceeds_daily")


def _last_issue(d: Draft, path: str, service: Service) -> Iterator[Problem]:
    last = service.last_issue
    if last is None or not (d.hours and d.hours_intact):
        return
    if any(h.open < last <= h.close for h in d.hours.values()):
        return
    opens = min(h.open for h in d.hours.values())
    closes = max(h.close for h in d.hours.values())
    message = f"last_issue {last:%H:%M} is outside opening hours ({opens:%H:%M}–{closes:%H:%M})"
    fix = f"set last_issue after {opens:%H:%M} and no later than {closes:%H:%M}"
    yield Problem(f"{path}.last_issue", message, fix, "last_issue_outside_hours")


def _prefixes(d: Draft) -> Iterator[Problem]:
    owners: dict[str, str] = {}
    for key, service in d.services.items():
        prefix, path = service.prefix, f"services.{key}.prefix"
        if not _PREFIX.fullmatch(prefix):
            yield _prefix_format(path, prefix)
        if prefix.upper() in owners:
            message = f"prefix '{prefix}' is already used by services.{owners[prefix.upper()]}"
            fix = f"choose another prefix, e.g. '{_free_letter(d)}'"
            yield Problem(path, message, fix, "duplicate_prefix")
        owners.setdefault(prefix.upper(), key)


def _prefix_format(path: str, prefix: str) -> Problem:
    # Prefixes are read aloud letter by letter and printed on slips: plain capitals only.
    upper = f", e.g. '{prefix.upper()}'" if _PREFIX.fullmatch(prefix.upper()) else ""
    fix = f"use 1 to 3 capital letters A–Z{upper}"
    return Problem(path, f"prefix '{prefix}' is not 1–3 capital letters", fix, "prefix_format")


def _free_letter(d: Draft) -> str:
    used = {s.prefix.upper() for s in d.services.values()}
    pool = itertools.chain(
        string.ascii_uppercase, itertools.product(string.ascii_uppercase, repeat=2)
    )
    return next("".join(p) for p in pool if "".join(p) not in used)


def _check_counters(d: Draft) -> Iterator[Problem]:
    for key, counter in d.counters.items():
        path = f"counters.{key}"
        if counter.tenant not in d.ids["tenants"]:
            yield unknown_reference(f"{path}.tenant", "tenant", counter.tenant, d.ids["tenants"])
        if counter.zone not in d.ids["zones"]:
            yield unknown_reference(f"{path}.zone", "zone", counter.zone, d.ids["zones"])
        if not counter.services:
            fix = f'list the services it calls, e.g. services = ["{_first(d, counter.tenant)}"]'
            yield Problem(
                f"{path}.services", "the counter serves no service", fix, "counter_without_services"
            )
        for i, service in enumerate(counter.services):
            yield from _counter_service(d, f"{path}.services[{i}]", counter, service)


def _first(d: Draft, tenant: str) -> str:
    return next((k for k, s in d.services.items() if s.tenant == tenant), "<service id>")


def _counter_service(d: Draft, path: str, counter: Counter, key: str) -> Iterator[Problem]:
    if key not in d.ids["services"]:
        yield unknown_reference(path, "service", key, d.ids["services"])
        return
    service = d.services.get(key)
    # An unknown tenant on either side is already reported; a mismatch would only echo it.
    if service is None or service.tenant == counter.tenant:
        return
    if not {service.tenant, counter.tenant} <= d.tenants.keys():
        return
    message = (
        f"service '{key}' belongs to tenant '{service.tenant}', "
        f"but the counter belongs to '{counter.tenant}'"
    )
    fix = f"remove it here and serve it from a counter of '{service.tenant}'"
    yield Problem(path, message, fix, "foreign_service")


def _check_zones(d: Draft) -> Iterator[Problem]:
    owner: dict[str, str] = {}
    for key, zone in d.zones.items():
        partial = f"zones.{key}" in d.partial
        if zone.speaker and zone.speaker not in zone.displays and not partial:
            message = f"speaker '{zone.speaker}' is not one of the zone's displays"
            fix = f"add it to displays or use one of: {', '.join(zone.displays) or '(none)'}"
            yield Problem(f"zones.{key}.speaker", message, fix, "speaker_not_display")
        for i, display in enumerate(zone.displays):
            if owner.setdefault(display, key) != key:
                message = f"display '{display}' is already in zones.{owner[display]}"
                fix = "a screen hangs in one zone: give this one its own id"
                yield Problem(f"zones.{key}.displays[{i}]", message, fix, "display_in_two_zones")


# Conclusions about what is missing are only sound when everything decoded: a broken
# counter may well be the one that serves the service or sits in the zone.


def _check_unserved(d: Draft) -> Iterator[Problem]:
    if not d.intact:
        return
    served = {s for c in d.counters.values() for s in c.services}
    for key, service in d.services.items():
        if key not in served:
            fix = f"add '{key}' to the services of a counter of '{service.tenant}'"
            yield Problem(
                f"services.{key}", "no counter serves this service", fix, "service_unserved"
            )


def _check_empty_zones(d: Draft) -> Iterator[Problem]:
    if not d.intact:
        return
    used = {c.zone for c in d.counters.values()}
    for key in d.zones:
        if key not in used:
            fix = f'put counters in it with zone = "{key}", or remove the zone'
            yield Problem(
                f"zones.{key}", "no counter is in this zone", fix, "zone_without_counters"
            )


CHECKS: tuple[Check, ...] = (
    _check_sections,
    _check_ids,
    _check_names,
    check_timezone,
    _check_settings,
    _check_hours,
    _check_breaks,
    _check_holidays,
    _check_services,
    _check_counters,
    _check_zones,
    _check_unserved,
    _check_empty_zones,
)
