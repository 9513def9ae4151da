"""The timezones a venue may use (WIB, WITA, WIT), and the check that proposes the right zone
name for a label, a misspelling or a foreign zone on the same clock."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterator, Mapping

from server.config.decode import Draft
from server.config.problems import Problem, did_you_mean

# Zones accepted for a venue, with the label people read on the clock. Pontianak and
# Ujung_Pandang are real Indonesian keys (a WIB region and the old name of Makassar).
INDONESIAN_TIMEZONES: Mapping[str, str] = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Ujung_Pandang": "WITA",
    "Asia/Jayapura": "WIT",
}
# The zone to propose for "WIB" written as a timezone, or for a foreign zone on the same clock.
_ZONE_FOR_LABEL = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}
_LABEL_FOR_OFFSET = {7: "WIB", 8: "WITA", 9: "WIT"}  # hours east of UTC


def check_timezone(d: Draft) -> Iterator[Problem]:
    if d.settings is None or d.settings.timezone in INDONESIAN_TIMEZONES:
        return
    tz = d.settings.timezone
    if tz not in _known_timezones():
        fix = _label_fix(tz) or did_you_mean(tz, _known_timezones()) or _INDONESIAN_FIX
        yield Problem("venue.timezone", f"unknown timezone '{tz}'", fix, "unknown_timezone")
        return
    yield Problem(
        "venue.timezone",
        f"timezone '{tz}' is not an Indonesian zone (WIB, WITA or WIT)",
        _same_clock_fix(tz),
        "timezone_not_indonesian",
    )


_INDONESIAN_FIX = "use Asia/Jakarta (WIB), Asia/Makassar (WITA) or Asia/Jayapura (WIT)"


@functools.cache
def _known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _label_fix(label: str) -> str:
    zone = _ZONE_FOR_LABEL.get(label.upper())
    return f'write the zone name for {label.upper()}: timezone = "{zone}"' if zone else ""


def _same_clock_fix(tz: str) -> str:
    offset = zoneinfo.ZoneInfo(tz).utcoffset(dt.datetime(2026, 1, 1))
    hours = offset.total_seconds() / 3600 if offset is not None else 0.5
    label = _LABEL_FOR_OFFSET.get(int(hours)) if hours.is_integer() else None
    if label is None:
        return _INDONESIAN_FIX
    return f'use "{_ZONE_FOR_LABEL[label]}" ({label}), which keeps the same clock'
