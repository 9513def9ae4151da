"""The missing-service recap for managers: `/manager/layanan-dicari` (the page) and
`/manager/layanan-dicari/csv` (the same recap as a file).

The period is a month (`month=2026-11`, the current one by default) or the last 3, 6 or
12 months up to it (`months=3`). Like the reports, the recap reads the whole log, so it is
folded in a worker thread with its own connection to the log while the event loop serves
every screen. A tenant's supervisor sees their tenant's requests only (not the venue's
general ones); managers see all.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from managers.ikm import parse_period
from managers.missing import Group, Recap, build_missing, month_of
from managers.missing_csv import render_recap_csv, wording
from managers.report_wording import Lang
from managers.routes import MANAGERS, manager_access
from server import dates
from server.domain.venue import Venue
from server.services import services
from server.store import open_log
from server.web.auth import language, say
from server.web.pages import page

SPANS = (1, 3, 6, 12)
SORTS = ("count", "text")
# Groups shown per tenant on the page; the CSV has every one.
PAGE_ROWS = 50


class _Choice:
    """The period and order asked for, or the sentence saying what is wrong."""

    def __init__(self, request: Request, today: dt.date) -> None:
        query = request.query_params
        self.month = query.get("month") or month_of(today)
        self.span = query.get("months") or "1"
        self.sort = query.get("sort") or "count"
        self.error = ""
        self.start = self.end = today
        if self.span not in {str(n) for n in SPANS}:
            self.error = say(request, "Rentang harus 1, 3, 6 atau 12 bulan.")
            self.span = "1"
        if self.sort not in SORTS:
            self.error = say(request, "Urutan harus menurut jumlah atau permintaan.")
            self.sort = "count"
        try:
            last = parse_period(self.month, "month")
            year, month = last.start.year, last.start.month - (int(self.span) - 1)
            while month < 1:
                year, month = year - 1, month + 12
            self.start, self.end = dt.date(year, month, 1), last.end
            self.month = last.label
        except ValueError:
            self.error = say(request, "Bulan tidak valid. Contoh: 2026-11.")
            self.month = month_of(today)

    def label(self, lang: Lang) -> str:
        """The period as people write it: "November 2026", "September – November 2026"."""
        last = f"{dates.month_name(self.end.month, lang)} {self.end.year}"
        if (self.start.year, self.start.month) == (self.end.year, self.end.month):
            return last
        first = dates.month_name(self.start.month, lang)
        if self.start.year != self.end.year:
            first += f" {self.start.year}"
        return f"{first} – {last}"


def _today(request: Request) -> dt.date:
    venue: Venue = services(request).venue
    return venue.local(services(request).queue.clock()).date()


async def _recap(request: Request, choice: _Choice, tenant: str | None) -> Recap:
    url = services(request).settings.log_url
    venue: Venue = services(request).venue
    return await asyncio.to_thread(_build, url, venue, choice.start, choice.end, tenant)


def _build(url: str, venue: Venue, start: dt.date, end: dt.date, tenant: str | None) -> Recap:
    async def build() -> Recap:
        log = open_log(url)
        try:
            return await build_missing(log, venue, start, end, tenant)
        finally:
            await log.close()

    return asyncio.run(build())


def short_month(month: str, lang: Lang) -> str:
    """ "2026-11" as a column heading: "Nov 2026"."""
    year, number = month.split("-")
    return f"{dates.month_name(int(number), lang)[:3]} {int(year)}"


def short_date(day: dt.date, lang: Lang) -> str:
    return f"{day.day} {dates.month_name(day.month, lang)[:3]} {day.year}"


def _sorted(groups: tuple[Group, ...], sort: str, lang: Lang) -> list[Group]:
    if sort == "text":
        return sorted(groups, key=lambda g: (g.confidential, wording(g, lang).casefold()))
    return list(groups)  # the recap's own order: the most asked first


async def missing_page(request: Request) -> Response:
    user, _, tenants = await manager_access(request)
    choice = _Choice(request, _today(request))
    lang: Lang = language(request)
    tenant = None if user.role in MANAGERS else tenants[0]
    recap = await _recap(request, choice, tenant) if not choice.error else None
    shown = []
    columns: list[tuple[str, str]] = []
    if recap is not None and len(recap.months) > 1:
        columns = [(month, short_month(month, lang)) for month in recap.months]
    if recap is not None:
        for row in recap.tenants:
            groups = _sorted(row.groups, choice.sort, lang)
            shown.append((row, groups[:PAGE_ROWS], len(groups) - PAGE_ROWS))
    return page(
        request,
        "managers/missing.html",
        status_code=400 if choice.error else 200,
        user=user,
        choice=choice,
        spans=SPANS,
        recap=recap,
        shown=shown,
        groups=sum(len(row.groups) for row in recap.tenants) if recap else 0,
        period=choice.label(lang),
        month_columns=columns,
        short_date=lambda day: short_date(day, lang),
        wording=lambda group: wording(group, lang),
        supervisor=tenant is not None,
    )


async def missing_csv(request: Request) -> Response:
    user, _, tenants = await manager_access(request)
    choice = _Choice(request, _today(request))
    if choice.error:
        return Response(choice.error, status_code=400, media_type="text/plain; charset=utf-8")
    tenant = None if user.role in MANAGERS else tenants[0]
    recap = await _recap(request, choice, tenant)
    lang: Lang = language(request)
    venue: Venue = services(request).venue
    data = render_recap_csv(recap, venue.name, choice.label(lang), lang)
    who_for = f"-{tenant}" if tenant else ""
    span = choice.month if choice.span == "1" else f"{month_of(choice.start)}_{choice.month}"
    name = f"layanan-dicari-{venue.id}{who_for}-{span}.csv"
    return Response(
        data,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


routes = [
    Route("/manager/layanan-dicari", missing_page),
    Route("/manager/layanan-dicari/csv", missing_csv),
]
