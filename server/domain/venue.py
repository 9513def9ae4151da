"""The venue as the domain sees it: tenants, services, counters, zones and the calendar.

These are plain frozen values. `server.config` builds them from the venue TOML and
validates them; the domain only reads them.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal
from zoneinfo import ZoneInfo

import msgspec

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


# Where a no-show visitor who comes back re-enters the lane.
ReturnPolicy = Literal["front", "original"]
# Whose count the priority ratio keeps: each counter's own calls, or each lane's (service's)
# calls whichever counter makes them.
PriorityScope = Literal["counter", "lane"]


class Tenant(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: str
    name: str
    short_name: str = ""
    spoken_name: str = ""


class Standards(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A service's *standar pelayanan* as the public sees it (UU 25/2009 Pasal 21): what to
    bring, the steps, how long it takes, what it costs, what one gets, where to complain.
    Shown before a ticket is taken and while waiting, so nobody is sent back for a missing
    document ("diping-pong")."""

    persyaratan: tuple[str, ...] = ()
    prosedur: tuple[str, ...] = ()
    waktu: str = ""
    biaya: str = ""
    produk: str = ""
    pengaduan: str = ""

    def missing(self) -> list[str]:
        """The parts not written yet, in the law's order."""
        return [f for f in self.__struct_fields__ if not getattr(self, f)]


class Service(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: str
    tenant: str
    name: str
    prefix: str
    daily_quota: int
    sla_minutes: int = 30
    kiosk_quota: int | None = None
    online_quota: int | None = None
    last_issue: dt.time | None = None
    priority_lane: bool = True
    typical_minutes: float = 10.0
    standards: Standards | None = None


class Counter(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: str
    label: str
    tenant: str
    services: tuple[str, ...]
    zone: str
    spoken_label: str = ""


class Zone(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: str
    name: str
    displays: tuple[str, ...] = ()
    speaker: str = ""


class OpeningHours(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    open: dt.time
    close: dt.time


class Break(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    days: tuple[str, ...]
    start: dt.time
    end: dt.time
    name: str = ""


class Holiday(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    date: dt.date
    name: str = ""


class AnnouncementStyle(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """How a venue words its calls (`[announcements]` in the venue file); AUDIO.md's defaults.

    Changing a phrase changes its clip's text, so engines render it anew (the cache is
    keyed by text); a venue's recording of that clip key is still used as it is.
    """

    digit_by_digit: bool = False
    include_tenant: bool = False
    chime: bool = True
    opening: str = "Nomor antrean"
    recall_opening: str = "Panggilan ulang"
    # Before a numbered counter ("... loket, tiga") and before a named one ("... menuju,
    # meja informasi": "loket meja informasi" would be wrong).
    to_counter: str = "silakan menuju loket"
    to_named_counter: str = "silakan menuju"


class BookingPolicy(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Online booking (`[booking]` in the venue file).

    A booking holds a place in a time slot; the ticket joins the lane only at check-in,
    which opens `early_minutes` before the slot and closes `late_minutes` after it ends.
    Later than that, `late_policy` says whether the visitor still joins (at the back, as a
    walk-in would) or is refused and takes a regular ticket. A booking never checked in is
    a no-show in the reports.
    """

    enabled: bool = True
    slot_minutes: int = 30
    per_slot: int = 4
    days_ahead: int = 14
    early_minutes: int = 30
    late_minutes: int = 15
    late_policy: Literal["refuse", "join"] = "refuse"


class Venue(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: str
    name: str
    timezone: str
    hours: dict[str, OpeningHours]
    tenants: dict[str, Tenant]
    services: dict[str, Service]
    counters: dict[str, Counter]
    zones: dict[str, Zone]
    breaks: tuple[Break, ...] = ()
    holidays: tuple[Holiday, ...] = ()
    priority_ratio: int = 2
    priority_scope: PriorityScope = "counter"
    max_recalls: int = 3
    return_policy: ReturnPolicy = "front"
    running_text: str = ""
    announcements: AnnouncementStyle = AnnouncementStyle()
    booking: BookingPolicy = BookingPolicy()

    @property
    def tz(self) -> ZoneInfo:
        # ZoneInfo caches instances per key, so this reads the tz database only once.
        return ZoneInfo(self.timezone)

    def service(self, service_id: str) -> Service:
        """The service, or a stand-in named by its id for one removed from the venue file
        while today's log still holds its tickets (they are shown, and served, still)."""
        found = self.services.get(service_id)
        if found is not None:
            return found
        return Service(
            id=service_id,
            tenant="",
            name=service_id,
            prefix="",
            daily_quota=0,
            priority_lane=False,
        )

    def check_in_window(self, day: dt.date, slot: dt.time) -> tuple[dt.datetime, dt.datetime]:
        """When a booking of this slot may be checked in: from `early_minutes` before it
        to `late_minutes` after it ends."""
        start = dt.datetime.combine(day, slot, self.tz)
        opens = start - dt.timedelta(minutes=self.booking.early_minutes)
        closes = start + dt.timedelta(minutes=self.booking.slot_minutes + self.booking.late_minutes)
        return opens, closes

    def local(self, now: dt.datetime) -> dt.datetime:
        """`now` (timezone-aware) in the venue's own wall-clock time."""
        return now.astimezone(self.tz)

    def hours_on(self, day: dt.date) -> OpeningHours | None:
        """The opening hours of a venue-local date, or None when closed all day."""
        if any(h.date == day for h in self.holidays):
            return None
        return self.hours.get(WEEKDAYS[day.weekday()])

    def breaks_on(self, day: dt.date) -> list[Break]:
        return [b for b in self.breaks if WEEKDAYS[day.weekday()] in b.days]

    def open_minutes_left(self, now: dt.datetime) -> float:
        """Minutes of service left today after `now`, breaks excluded (0 when closed)."""
        local = self.local(now)
        hours = self.hours_on(local.date())
        if hours is None:
            return 0.0
        start = max(_minutes(local.time()), _minutes(hours.open))
        left = max(0.0, _minutes(hours.close) - start)
        for b in self.breaks_on(local.date()):
            overlap = min(_minutes(b.end), _minutes(hours.close)) - max(_minutes(b.start), start)
            left -= max(0.0, overlap)
        return left

    def next_open(self, now: dt.datetime) -> dt.datetime | None:
        """When the venue next serves after `now` (now itself when open), within two weeks."""
        local = self.local(now)
        if self.closed_reason(local) is None:
            return local
        for days in range(15):
            day = local.date() + dt.timedelta(days=days)
            hours = self.hours_on(day)
            if hours is None:
                continue
            starts = [hours.open, *(b.end for b in self.breaks_on(day))]
            for start in sorted(starts):
                moment = dt.datetime.combine(day, start, self.tz)
                if moment > local and self.closed_reason(moment) is None:
                    return moment
        return None

    def closed_reason(self, now: dt.datetime) -> str | None:
        """Why the venue does not serve at `now`, or None when it is open.

        One of "holiday", "closed_day", "before_open", "after_close", "break".
        """
        local = self.local(now)
        if any(h.date == local.date() for h in self.holidays):
            return "holiday"
        hours = self.hours.get(WEEKDAYS[local.weekday()])
        if hours is None:
            return "closed_day"
        clock = local.time()
        if clock < hours.open:
            return "before_open"
        if clock >= hours.close:
            return "after_close"
        day = WEEKDAYS[local.weekday()]
        if any(day in b.days and b.start <= clock < b.end for b in self.breaks):
            return "break"
        return None


def _minutes(clock: dt.time) -> float:
    return clock.hour * 60 + clock.minute + clock.second / 60
