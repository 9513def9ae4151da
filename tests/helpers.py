"""Test helpers shared by every room: a small venue, a settable clock."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from server.domain.venue import (
    Break,
    Counter,
    OpeningHours,
    Service,
    Tenant,
    Venue,
    Zone,
)

WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def small_venue(timezone: str = "Asia/Jakarta", **overrides: object) -> Venue:
    """Two tenants, three services, four counters; open every day 00:00-23:59:59 by default.

    Counter 1 serves KTP only, 2 serves KTP and KK, 3 serves SIM, 4 serves KK. Services
    take a typical 3 seconds, so the predicted end-of-day cutoff stays out of tests that
    issue a crowd or issue just before midnight; tests of the cutoff choose their own.
    """
    hours = OpeningHours(open=dt.time(0, 0), close=dt.time(23, 59, 59))
    fields: dict[str, object] = {
        "id": "test",
        "name": "MPP Uji",
        "timezone": timezone,
        "hours": dict.fromkeys(WEEK, hours),
        "tenants": {
            "dukcapil": Tenant(id="dukcapil", name="Dispendukcapil"),
            "polres": Tenant(id="polres", name="Satpas SIM"),
        },
        "services": {
            "ktp": Service(
                id="ktp",
                tenant="dukcapil",
                name="KTP-el",
                prefix="A",
                daily_quota=5000,
                typical_minutes=0.05,
            ),
            "kk": Service(
                id="kk",
                tenant="dukcapil",
                name="Kartu Keluarga",
                prefix="B",
                daily_quota=5000,
                kiosk_quota=4000,
                online_quota=1000,
                typical_minutes=0.05,
            ),
            "sim": Service(
                id="sim",
                tenant="polres",
                name="Perpanjangan SIM",
                prefix="C",
                daily_quota=5000,
                priority_lane=False,
                typical_minutes=0.05,
            ),
        },
        "counters": {
            "1": Counter(id="1", label="Loket 1", tenant="dukcapil", services=("ktp",), zone="z1"),
            "2": Counter(
                id="2", label="Loket 2", tenant="dukcapil", services=("ktp", "kk"), zone="z1"
            ),
            "3": Counter(id="3", label="Loket 3", tenant="polres", services=("sim",), zone="z2"),
            "4": Counter(id="4", label="Loket 4", tenant="dukcapil", services=("kk",), zone="z1"),
        },
        "zones": {
            "z1": Zone(id="z1", name="Lantai 1", displays=("d1",), speaker="d1"),
            "z2": Zone(id="z2", name="Lantai 2", displays=("d2",), speaker="d2"),
        },
    }
    fields.update(overrides)
    return Venue(**fields)  # type: ignore[arg-type]


def local_time(venue: Venue, *args: int) -> dt.datetime:
    """A timezone-aware time on the venue's wall clock: local_time(v, 2026, 11, 24, 9, 30)."""
    return dt.datetime(*args, tzinfo=ZoneInfo(venue.timezone))  # type: ignore[misc]


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


__all__ = ["Break", "FakeClock", "local_time", "small_venue"]
