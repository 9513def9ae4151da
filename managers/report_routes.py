"""Report downloads: `/manager/reports` (the forms), `/manager/reports/file` (the daily or
monthly report, CSV or PDF) and `/manager/reports/ikm` (the IKM report of a month,
quarter, semester or year, CSV or PDF).

A report is a fold over the whole event log, which takes about a second for a busy month.
It runs in a worker thread with its own connection to the log, so the hub and every
screen keep their pace while it is built. Tenant supervisors get their own tenant only.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from managers.ikm import IkmReport, Period, build_ikm, parse_period
from managers.ikm_cli import file_name as ikm_file_name
from managers.ikm_csv import render_ikm_csv
from managers.ikm_pdf import render_ikm_pdf
from managers.report_csv import render_csv
from managers.report_pdf import render_pdf
from managers.report_wording import Lang
from managers.reports import Report, build_report, month_period
from managers.routes import manager_access
from server.accounts import User
from server.domain.venue import Venue
from server.services import services
from server.store import open_log
from server.web.auth import language, say
from server.web.pages import page

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}


class _Choice:
    """What the form asked for, or the sentence saying what is wrong with it."""

    def __init__(self, request: Request, user: User, venue: Venue) -> None:
        query = request.query_params
        self.format = query.get("format", "pdf")
        self.error = ""
        self.start = self.end = dt.date.min
        self.period = ""
        self.tenant = user.tenant if user.role == "supervisor" else (query.get("tenant") or None)
        try:
            self._period(query.get("date", ""), query.get("month", ""))
        except ValueError:
            self.error = say(
                request, "Tanggal atau bulan tidak valid. Contoh: 2026-11-24 atau 2026-11."
            )
        if self.format not in CONTENT_TYPES:
            self.error = say(request, "Format harus CSV atau PDF.")
        if self.tenant is not None and self.tenant not in venue.tenants:
            self.error = say(request, "Instansi tidak dikenal.")

    def _period(self, date: str, month: str) -> None:
        if date:
            self.start = self.end = dt.date.fromisoformat(date)
            self.period = date
        else:
            year, number = (int(part) for part in month.split("-"))
            self.start, self.end = month_period(year, number)
            self.period = f"{self.start:%Y-%m}"


def ikm_periods(today: dt.date) -> list[tuple[str, list[str]]]:
    """The periods the IKM form offers, newest first: the last 12 months, the quarters and
    semesters of this year and the last, and the two years."""
    months, year, month = [], today.year, today.month
    for _ in range(12):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    years = [today.year, today.year - 1]
    current_q, current_s = (today.month + 2) // 3, (today.month + 5) // 6
    quarters = [
        f"{y}-Q{q}" for y in years for q in (4, 3, 2, 1) if y < today.year or q <= current_q
    ]
    semesters = [f"{y}-S{n}" for y in years for n in (2, 1) if y < today.year or n <= current_s]
    return [
        ("month", months),
        ("quarter", quarters),
        ("semester", semesters),
        ("year", [str(y) for y in years]),
    ]


async def reports(request: Request) -> Response:
    user, _, watchable = await manager_access(request)
    venue: Venue = services(request).venue
    today = venue.local(services(request).queue.clock()).date()
    tenants = [venue.tenants[t] for t in watchable]
    periods = ikm_periods(today)
    return page(
        request,
        "managers/reports.html",
        user=user,
        today=today,
        tenants=tenants,
        ikm_periods=periods,
    )


async def ikm_file(request: Request) -> Response:
    """The IKM report of `period` (2026-11, 2026-Q4, 2026-S2, 2026): a supervisor's own
    tenant only (another tenant is forbidden), a manager's any tenant or the venue."""
    user, _, _ = await manager_access(request)
    venue: Venue = services(request).venue
    query = request.query_params
    fmt = query.get("format", "pdf")
    asked = query.get("tenant") or None
    if user.role == "supervisor":
        if asked is not None and asked != user.tenant:
            return _plain(say(request, "Anda hanya dapat mengunduh laporan instansi Anda."), 403)
        asked = user.tenant
    try:
        period = parse_period(query.get("period", ""))
        if period.kind == "day":
            raise ValueError("a day is the daily report's")
    except ValueError:
        example = say(request, "Periode tidak valid. Contoh: 2026-11, 2026-Q4, 2026-S2 atau 2026.")
        return _plain(example, 400)
    if fmt not in CONTENT_TYPES:
        return _plain(say(request, "Format harus CSV atau PDF."), 400)
    if asked is not None and asked not in venue.tenants:
        return _plain(say(request, "Instansi tidak dikenal."), 400)
    url = services(request).settings.log_url
    report = await asyncio.to_thread(_build_ikm, url, venue, period, asked)
    lang: Lang = language(request)
    data = render_ikm_pdf(report, lang) if fmt == "pdf" else render_ikm_csv(report, lang)
    name = ikm_file_name(venue, period, asked, fmt)
    return Response(
        data,
        media_type=CONTENT_TYPES[fmt],
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


def _plain(sentence: str, status: int) -> Response:
    return Response(sentence, status_code=status, media_type="text/plain; charset=utf-8")


def _build_ikm(url: str, venue: Venue, period: Period, tenant: str | None) -> IkmReport:
    async def build() -> IkmReport:
        log = open_log(url)
        try:
            return await build_ikm(log, venue, period.start, period.end, tenant)
        finally:
            await log.close()

    return asyncio.run(build())


async def report_file(request: Request) -> Response:
    user, _, _ = await manager_access(request)
    venue: Venue = services(request).venue
    choice = _Choice(request, user, venue)
    if choice.error:
        return Response(choice.error, status_code=400, media_type="text/plain; charset=utf-8")
    url = services(request).settings.log_url
    report = await asyncio.to_thread(_build, url, venue, choice.start, choice.end, choice.tenant)
    lang: Lang = language(request)
    data = render_pdf(report, lang) if choice.format == "pdf" else render_csv(report, lang)
    who_for = f"-{choice.tenant}" if choice.tenant else ""
    name = f"laporan-{venue.id}{who_for}-{choice.period}.{choice.format}"
    return Response(
        data,
        media_type=CONTENT_TYPES[choice.format],
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


def _build(url: str, venue: Venue, start: dt.date, end: dt.date, tenant: str | None) -> Report:
    async def build() -> Report:
        log = open_log(url)
        try:
            return await build_report(log, venue, start, end, tenant=tenant)
        finally:
            await log.close()

    return asyncio.run(build())


routes = [
    Route("/manager/reports", reports),
    Route("/manager/reports/file", report_file),
    Route("/manager/reports/ikm", ikm_file),
]
