"""A report as one CSV file for spreadsheets.

render_csv(report, lang="id") -> bytes     UTF-8 with a BOM (so Excel reads it as
                                           UTF-8), comma-separated, quoted as needed,
                                           decimals with a point; sections one after
                                           another, each a title row, a header row and
                                           its rows, separated by an empty row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from managers import ikm_wording
from managers.missing_csv import recap_rows
from managers.report_wording import COLUMNS, Lang, format_period, text, title
from managers.reports import Figures, Report


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _figure_cells(figures: Figures, sla_minutes: int | None) -> list[str]:
    cells = [_csv_value(getattr(figures, column)) for column in COLUMNS]
    return [*cells, _csv_value(sla_minutes), _csv_value(figures.sla_percent)]


def service_header(lang: Lang = "id") -> list[str]:
    """The header row of the CSV's tenant/service section."""
    names = [text(c, lang) for c in (*COLUMNS, "sla_minutes", "sla_percent")]
    return [text("level", lang), text("tenant", lang), text("service", lang), *names]


def _service_rows(report: Report, lang: Lang) -> Iterable[list[str]]:
    for tenant in report.tenants:
        for row in tenant.services:
            level = text("level_service", lang)
            yield [level, tenant.name, row.name, *_figure_cells(row.figures, row.sla_minutes)]
        level = text("level_tenant", lang)
        yield [level, tenant.name, "", *_figure_cells(tenant.figures, None)]
    total = text("level_total", lang)
    yield [total, "", "", *_figure_cells(report.total, None)]


def _officer_rows(report: Report, lang: Lang) -> Iterable[list[str]]:
    yield [text(k, lang) for k in ("officer", "tenant", "counters", "served", "avg_service")]
    for row in report.officers:
        yield [
            row.officer,
            ", ".join(row.tenants),
            ", ".join(row.counters),
            str(row.served),
            _csv_value(row.avg_service),
        ]


def _day_rows(report: Report, lang: Lang) -> Iterable[list[str]]:
    names = [text(c, lang) for c in (*COLUMNS, "sla_percent")]
    yield [text("date", lang), *names]
    for row in report.days:
        cells = [_csv_value(getattr(row.figures, c)) for c in COLUMNS]
        yield [row.day.isoformat(), *cells, _csv_value(row.figures.sla_percent)]


def _hour_rows(report: Report, lang: Lang) -> Iterable[list[str]]:
    yield [text(k, lang) for k in ("date", "hour", "issued", "served")]
    for row in report.days:
        for hour in range(24):
            issued, served = row.hourly_issued[hour], row.hourly_served[hour]
            if issued or served:
                yield [row.day.isoformat(), f"{hour:02d}:00", str(issued), str(served)]


def _ikm_rows(report: Report, lang: Lang) -> Iterable[list[str]]:
    """The satisfaction index of the venue (or the tenant) and each tenant, briefly."""
    words = ikm_wording.text
    keys = ("respondents", "ikm_value", "mutu", "kinerja", "weakest", "population")
    yield [text("level", lang), text("tenant", lang), *(words(k, lang) for k in keys)]
    if report.ikm is None:
        return
    scopes = [report.ikm.main] if report.ikm.tenant is None else []
    for scope in [*scopes, *report.ikm.tenants]:
        result = scope.result
        level = text("level_total" if scope.scope == "venue" else "level_tenant", lang)
        name = "" if scope.scope == "venue" else scope.name
        figures = ["", "", "", ""]
        if result is not None:
            weakest = ikm_wording.unsur_name(result.weakest, lang)
            figures = [str(result.value), result.mutu, ikm_wording.kinerja(result.kinerja, lang)]
            figures.append(weakest)
        yield [level, name, str(scope.respondents), *figures, str(scope.population)]


def render_csv(report: Report, lang: Lang = "id") -> bytes:
    """The report as one CSV file (see the module docstring for its layout)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(
        [
            [title(report, lang), report.venue_name],
            [text("period", lang), format_period(report, lang)],
            [text("from", lang), report.start.isoformat()],
            [text("to", lang), report.end.isoformat()],
            [text("events", lang), str(report.events)],
        ]
    )
    sections: list[tuple[str, Iterable[list[str]]]] = [
        ("per_service", [service_header(lang), *_service_rows(report, lang)]),
        ("per_officer", _officer_rows(report, lang)),
        ("requests", recap_rows(report.missing, lang)),
        ("per_day", _day_rows(report, lang)),
        ("per_hour", _hour_rows(report, lang)),
        ("ikm", _ikm_rows(report, lang)),
    ]
    for key, rows in sections:
        writer.writerow([])
        writer.writerow(
            [ikm_wording.text("ikm_section", lang) if key == "ikm" else text(key, lang)]
        )
        writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
