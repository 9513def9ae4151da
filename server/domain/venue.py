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


class Tenant(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: str
    name: str
    short_name: str = ""
    spoken_name: str = ""


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
    max_recalls: int = 3
    return_policy: ReturnPolicy = "front"
    running_text: str = ""
    announcements: AnnouncementStyle = AnnouncementStyle()

    @property
    def tz(self) -> ZoneInfo:
        # ZoneInfo caches instances per key, so this reads the tz database only once.
        return ZoneInfo(self.timezone)

    def local(self, now: dt.datetime) -> dt.datetime:
        """`now` (timezone-aware) in the venue's own wall-clock time."""
        return now.astimezone(self.tz)

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
