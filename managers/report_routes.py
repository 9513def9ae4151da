"""Report downloads: `/manager/reports` (the form) and `/manager/reports/file` (CSV or PDF).

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


async def reports(request: Request) -> Response:
    user, _, watchable = await manager_access(request)
    venue: Venue = services(request).venue
    today = venue.local(services(request).queue.clock()).date()
    tenants = [venue.tenants[t] for t in watchable]
    return page(request, "managers/reports.html", user=user, today=today, tenants=tenants)


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
]
