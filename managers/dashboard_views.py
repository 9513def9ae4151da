"""The managers' dashboard as it is sent: one topic's view (`DashboardView`) and its parts,
figures per venue, tenant, service and counter, chart series, zones and alerts."""

from __future__ import annotations

import datetime as dt

import msgspec


class Figures(msgspec.Struct, frozen=True):
    waiting: int = 0
    priority_waiting: int = 0
    longest_wait: int | None = None
    avg_wait: float | None = None
    p90_wait: float | None = None
    called: int = 0
    served: int = 0
    no_show: int = 0
    no_show_rate: float | None = None
    calls_per_hour: int = 0
    counters_open: int = 0
    counters_break: int = 0
    counters_closed: int = 0
    quota: int = 0
    quota_left: int = 0
    sla_over: int = 0
    sla_breaches: int = 0


class ServiceRow(msgspec.Struct, frozen=True):
    id: str
    name: str
    prefix: str
    sla_minutes: int
    figures: Figures
    # The predicted last ticket servable today ("A-123"); None with quota_enough when the
    # whole quota fits, None without it when nothing more fits.
    last_servable: str | None
    quota_enough: bool


class CounterRow(msgspec.Struct, frozen=True):
    id: str
    label: str
    status: str
    officer: str
    ticket: str | None
    idle_minutes: int | None
    served: int


class Series(msgspec.Struct, frozen=True):
    """Chart samples: epoch seconds, tickets waiting, average wait of the calls (minutes)."""

    times: list[int]
    waiting: list[int]
    avg_wait: list[float | None]


class IkmView(msgspec.Struct, frozen=True):
    """The satisfaction index of this month so far (by the day rated): `value` is the
    converted IKM (25–100, 2 decimals), None before the first response; `weakest` the
    unsur key with the lowest NRR."""

    month: str  # YYYY-MM
    respondents: int = 0
    value: float | None = None
    mutu: str = ""
    kinerja: str = ""
    weakest: str = ""


class TenantBlock(msgspec.Struct, frozen=True):
    id: str
    name: str
    notice: str
    figures: Figures
    services: list[ServiceRow]
    counters: list[CounterRow]
    series: Series
    ikm: IkmView | None = None


class ZoneRow(msgspec.Struct, frozen=True):
    id: str
    name: str
    displays: int
    connected: int
    audio: str


class AlertView(msgspec.Struct, frozen=True):
    id: str
    kind: str
    tenant: str
    subject: str
    since: dt.datetime
    text: str
    text_en: str
    link: str = ""
    acknowledged_by: str | None = None
    acknowledged_at: dt.datetime | None = None


class DashboardView(msgspec.Struct, frozen=True):
    venue: str
    venue_name: str
    timezone: str
    scope: str
    day: dt.date | None
    updated: str  # venue-local HH.MM of the figures
    figures: Figures
    tenants: list[TenantBlock]
    zones: list[ZoneRow]
    alerts: list[AlertView]
    ikm: IkmView | None = None
