"""A report as an A4 PDF with charts, for reading and printing.

    render_pdf(report, lang="id") -> bytes     A4: summary and charts upright, the wide
                                               tenant/service table on landscape pages,
                                               then officers, requests and definitions.

Numbers follow the language (2.263 and 42,9 in Indonesian; 2,263 and 42.9 in English).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import reportlab  # type: ignore[import-untyped]
from reportlab.graphics.charts.barcharts import (  # type: ignore[import-untyped]
    HorizontalBarChart,
    VerticalBarChart,
)
from reportlab.graphics.charts.legends import Legend  # type: ignore[import-untyped]
from reportlab.graphics.shapes import Drawing  # type: ignore[import-untyped]
from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4, landscape  # type: ignore[import-untyped]
from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]
from reportlab.platypus import (  # type: ignore[import-untyped]
    BaseDocTemplate,
    CondPageBreak,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from managers import ikm_wording
from managers.missing_csv import wording
from managers.report_wording import (
    COLUMNS,
    DEFINITIONS,
    Lang,
    format_date,
    format_number,
    format_period,
    text,
    title,
)
from managers.reports import Figures, Report, ServiceRow
from server.i18n import gettext

FONT, BOLD = "ReportSans", "ReportSans-Bold"
INK = colors.HexColor("#1a202c")
MUTED = colors.HexColor("#4a5568")
LINE = colors.HexColor("#cbd5e0")
TENANT_BG = colors.HexColor("#edf2f7")
TOTAL_BG = colors.HexColor("#e2e8f0")
ISSUED_COLOR = colors.HexColor("#2b6cb0")
SERVED_COLOR = colors.HexColor("#38a169")
WAIT_COLOR = colors.HexColor("#dd6b20")
SLA_COLOR = colors.HexColor("#a0aec0")
MARGIN = 15 * mm
PORTRAIT = A4
LANDSCAPE = landscape(A4)


@functools.cache
def _fonts() -> None:
    # Bitstream Vera ships with reportlab, so the PDF looks the same on every machine and
    # covers the accented letters visitors type in requests (Helvetica is Latin-1 only).
    folder = Path(reportlab.__file__).parent / "fonts"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(folder / "VeraBd.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


def _styles() -> dict[str, Any]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12, textColor=INK)
    return {
        "body": base,
        "title": ParagraphStyle("title", base, fontName=BOLD, fontSize=18, leading=22),
        "subtitle": ParagraphStyle("subtitle", base, fontSize=11, leading=15, textColor=MUTED),
        "h2": ParagraphStyle(
            "h2", base, fontName=BOLD, fontSize=12, leading=15, spaceBefore=8, spaceAfter=4
        ),
        "small": ParagraphStyle("small", base, fontSize=7.5, leading=9.5, textColor=MUTED),
        "cell": ParagraphStyle("cell", base, fontSize=7, leading=8.5),
        "head": ParagraphStyle("head", base, fontName=BOLD, fontSize=6.5, leading=8),
        "head_r": ParagraphStyle(
            "head_r", base, fontName=BOLD, fontSize=6.5, leading=8, alignment=2
        ),
    }


class _Pdf:
    """The flowables of one report's PDF, in one language."""

    def __init__(self, report: Report, lang: Lang) -> None:
        self.report, self.lang = report, lang
        self.styles = _styles()

    def t(self, key: str, **params: object) -> str:
        return text(key, self.lang, **params)

    def n(self, value: float | None, decimals: int = 0) -> str:
        return format_number(value, self.lang, decimals)

    def p(self, content: str, style: str = "body") -> Any:
        return Paragraph(content, self.styles[style])

    def story(self) -> list[Any]:
        return [
            *self.heading(),
            *self.summary(),
            *self.traffic_chart(),
            *self.wait_chart(),
            NextPageTemplate("landscape"),
            PageBreak(),
            *self.service_table(),
            *self.daily_table(),
            NextPageTemplate("portrait"),
            PageBreak(),
            *self.officer_table(),
            *self.request_list(),
            *self.ikm_table(),
            *self.definitions(),
        ]

    def heading(self) -> list[Any]:
        report = self.report
        return [
            self.p(escape(title(report, self.lang)), "title"),
            self.p(escape(report.venue_name), "subtitle"),
            self.p(escape(format_period(report, self.lang)), "subtitle"),
            Spacer(1, 6 * mm),
        ]

    def summary(self) -> list[Any]:
        f = self.report.total
        requests = self.report.missing.total
        channels = self.t(
            "by_channel",
            kiosk=self.n(f.issued_kiosk),
            online=self.n(f.issued_online),
            staff=self.n(f.issued_staff),
            itinerary=self.n(f.issued_itinerary),
        )
        minutes = self.t("minutes")
        sla = self.t("sla_of", percent=self._percent(f.sla_percent), called=self.n(f.called))
        rows = [
            ("sum_issued", f"<b>{self.n(f.issued)}</b>  ({channels})"),
            ("sum_served", self.n(f.served)),
            ("sum_no_show", self.n(f.no_show)),
            ("sum_cancelled", self.n(f.cancelled)),
            ("sum_expired", self.n(f.expired)),
            ("sum_turned_away", self.n(f.turned_away)),
            ("sum_booking_no_show", self.n(f.booking_no_show)),
            ("sum_avg_wait", f"{self.n(f.avg_wait, 1)} {minutes}"),
            ("sum_p90_wait", f"{self.n(f.p90_wait, 1)} {minutes}"),
            ("sum_avg_service", f"{self.n(f.avg_service, 1)} {minutes}"),
            ("sum_sla", sla),
            ("sum_requests", self.n(requests)),
        ]
        table = Table(
            [[self.p(self.t(key)), self.p(value)] for key, value in rows],
            colWidths=[62 * mm, 118 * mm],
            hAlign="LEFT",
        )
        table.setStyle(
            TableStyle(
                [
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, LINE),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        events = self.t("sum_events", events=self.n(self.report.events))
        return [
            self.p(self.t("summary"), "h2"),
            table,
            Spacer(1, 1.5 * mm),
            self.p(events, "small"),
        ]

    def _percent(self, value: float | None) -> str:
        return "–" if value is None else f"{self.n(value, 1)}%"

    def traffic_chart(self) -> list[Any]:
        days = self.report.days
        if self.report.kind == "day":
            issued, served = days[0].hourly_issued, days[0].hourly_served
            used = [h for h in range(24) if issued[h] or served[h]]
            first, last = (min(used), max(used)) if used else (8, 16)
            labels = [f"{h:02d}" for h in range(first, last + 1)]
            series = [list(issued[first : last + 1]), list(served[first : last + 1])]
            key = "chart_hourly"
        else:
            labels = [str(d.day.day) for d in days]
            series = [[d.figures.issued for d in days], [d.figures.served for d in days]]
            key = "chart_daily"
        legend = [(ISSUED_COLOR, self.t("legend_issued")), (SERVED_COLOR, self.t("legend_served"))]
        chart = self._column_chart(labels, series, legend)
        return [KeepTogether([self.p(self.t(key), "h2"), chart])]

    def _column_chart(
        self,
        labels: list[str],
        series: Sequence[Sequence[int]],
        legend: list[tuple[Any, str]],
    ) -> Any:
        width, height = 180 * mm, 72 * mm
        if not any(any(s) for s in series):
            return self.p(self.t("no_data"))
        drawing = Drawing(width, height)
        chart = VerticalBarChart()
        chart.x, chart.y = 12 * mm, 16 * mm
        chart.width, chart.height = width - 16 * mm, height - 24 * mm
        chart.data = [list(s) for s in series]
        chart.categoryAxis.categoryNames = labels
        chart.valueAxis.valueMin = 0
        chart.barSpacing = 0.5
        chart.groupSpacing = 3 if len(labels) > 20 else 6
        for i, (color, _) in enumerate(legend):
            chart.bars[i].fillColor = color
            chart.bars[i].strokeColor = None
        _axis_fonts(chart)
        drawing.add(chart)
        drawing.add(_legend(legend, x=12 * mm, y=height - 3 * mm))
        return drawing

    def wait_chart(self) -> list[Any]:
        rows = [t for t in self.report.tenants if t.figures.avg_wait is not None]
        heading = self.p(self.t("chart_wait"), "h2")
        if not rows:
            return [KeepTogether([heading, self.p(self.t("no_data"))])]
        names = [_clip(t.name, 26) for t in rows]
        waits = [round(t.figures.avg_wait or 0.0, 1) for t in rows]
        targets = [_sla_target(t.services) for t in rows]
        bar_room = 9 * mm
        width, height = 180 * mm, len(rows) * bar_room + 26 * mm
        drawing = Drawing(width, height)
        chart = HorizontalBarChart()
        chart.x, chart.y = 42 * mm, 12 * mm
        chart.width, chart.height = width - 56 * mm, height - 22 * mm
        # The first category and the first series are drawn at the bottom: reverse both,
        # so tenants read down in table order, each with its wait above its target.
        chart.data = [targets[::-1], waits[::-1]]
        chart.categoryAxis.categoryNames = names[::-1]
        chart.valueAxis.valueMin = 0
        chart.barSpacing = 0.5
        chart.groupSpacing = 4
        for i, color in enumerate((SLA_COLOR, WAIT_COLOR)):
            chart.bars[i].fillColor = color
            chart.bars[i].strokeColor = None
        chart.barLabelFormat = lambda v: self.n(v, 0)
        chart.barLabels.fontName = FONT
        chart.barLabels.fontSize = 6
        chart.barLabels.boxAnchor = "w"
        chart.barLabels.dx = 2
        _axis_fonts(chart)
        drawing.add(chart)
        legend = [(WAIT_COLOR, self.t("legend_wait")), (SLA_COLOR, self.t("legend_sla"))]
        drawing.add(_legend(legend, x=42 * mm, y=height - 3 * mm))
        return [KeepTogether([heading, drawing])]

    # --- tables -------------------------------------------------------------------------

    def service_table(self) -> list[Any]:
        keys = (*COLUMNS, "sla_minutes", "sla_percent")
        head = [self.p(self.t("tenant_service"), "head")]
        head += [self.p(self.t(k), "head_r") for k in keys]
        rows: list[list[Any]] = [head]
        style: list[tuple[Any, ...]] = []
        for tenant in self.report.tenants:
            style += _band(len(rows), TENANT_BG)
            name = self.p(f"<b>{escape(tenant.name)}</b>", "cell")
            rows.append([name, *self._cells(tenant.figures, None)])
            for service in tenant.services:
                name = self.p(f"&nbsp;&nbsp;&nbsp;{escape(service.name)}", "cell")
                rows.append([name, *self._cells(service.figures, service.sla_minutes)])
        style += _band(len(rows), TOTAL_BG)
        total = self.p(f"<b>{self.t('total')}</b>", "cell")
        rows.append([total, *self._cells(self.report.total, None)])
        # Each number column is as wide as its header's longest word, so no word breaks;
        # the names take what is left.
        widths = [_column_width(self.t(k), self.n(99_999)) for k in keys]
        name_width = LANDSCAPE[0] - 2 * MARGIN - sum(widths)
        table = Table(rows, colWidths=[name_width, *widths], repeatRows=1)
        table.setStyle(_table_style(style))
        return [self.p(self.t("per_service"), "h2"), table]

    def _cells(self, f: Figures, sla_minutes: int | None) -> list[str]:
        counts = [self.n(getattr(f, c)) for c in COLUMNS[:11]]
        minutes = [self.n(getattr(f, c), 1) for c in COLUMNS[11:]]
        target = "" if sla_minutes is None else self.n(sla_minutes)
        return [*counts, *minutes, target, self._percent(f.sla_percent)]

    def daily_table(self) -> list[Any]:
        if self.report.kind == "day":
            return []
        keys = ("issued", "served", "no_show", "cancelled", "expired", "turned_away")
        head = [self.p(self.t("date"), "head")] + [
            self.p(self.t(k), "head_r")
            for k in (*keys, "avg_wait", "p90_wait", "avg_service", "sla_percent")
        ]
        rows: list[list[Any]] = [head]
        for day in self.report.days:
            f = day.figures
            date = format_date(day.day, self.lang, weekday=True)
            rows.append(
                [
                    date,
                    *(self.n(getattr(f, k)) for k in keys),
                    self.n(f.avg_wait, 1),
                    self.n(f.p90_wait, 1),
                    self.n(f.avg_service, 1),
                    self._percent(f.sla_percent),
                ]
            )
        table = Table(rows, colWidths=[55 * mm] + [18 * mm] * 10, repeatRows=1, hAlign="LEFT")
        table.setStyle(_table_style([]))
        return [CondPageBreak(60 * mm), self.p(self.t("per_day"), "h2"), table]

    def officer_table(self) -> list[Any]:
        heading = self.p(self.t("per_officer"), "h2")
        if not self.report.officers:
            return [heading, self.p(self.t("no_officers"))]
        keys = ("officer", "tenant", "counters", "served", "avg_service")
        head = [self.p(self.t(k), "head_r" if i > 2 else "head") for i, k in enumerate(keys)]
        rows: list[list[Any]] = [head]
        for row in self.report.officers:
            rows.append(
                [
                    self.p(escape(row.officer), "cell"),
                    self.p(escape(", ".join(row.tenants)), "cell"),
                    self.p(escape(", ".join(row.counters)), "cell"),
                    self.n(row.served),
                    self.n(row.avg_service, 1),
                ]
            )
        widths = [45 * mm, 55 * mm, 30 * mm, 22 * mm, 28 * mm]
        table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(_table_style([]))
        return [heading, table]

    def request_list(self) -> list[Any]:
        """The missing-service recap: per tenant, each group with its counts by source."""
        heading = self.p(self.t("requests"), "h2")
        recap = self.report.missing
        if not recap.tenants:
            return [heading, self.p(self.t("requests_none"))]
        flow: list[Any] = [heading]
        keys = ("from_kiosk", "from_complaint", "count", "last_seen")
        head = [self.p(self.t("request"), "head")]
        head += [self.p(self.t(key), "head_r") for key in keys]
        for tenant in recap.tenants:
            name = escape(tenant.name or self.t("general"))
            flow.append(self.p(f"<b>{name}</b> ({self.n(tenant.total)})"))
            rows: list[list[Any]] = [head]
            for group in tenant.groups:
                rows.append(
                    [
                        self.p(escape(_clip(wording(group, self.lang), 300)), "cell"),
                        self.n(group.kiosk),
                        self.n(group.complaint),
                        self.n(group.total),
                        format_date(group.last.date(), self.lang),
                    ]
                )
            widths = [98 * mm, 18 * mm, 18 * mm, 16 * mm, 30 * mm]
            table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
            table.setStyle(_table_style([]))
            flow += [table, Spacer(1, 3 * mm)]
        return flow

    def ikm_table(self) -> list[Any]:
        """The satisfaction index of the venue and each tenant, briefly (the IKM report has
        it in full)."""
        ikm = self.report.ikm
        heading = self.p(ikm_wording.text("ikm_section", self.lang), "h2")
        if ikm is None or not ikm.main.respondents:
            return [heading, self.p(ikm_wording.text("no_respondents", self.lang))]
        keys = ("respondents", "ikm_value", "mutu_short", "kinerja_short", "weakest")
        head = [self.p(self.t("tenant"), "head")]
        head += [self.p(ikm_wording.text(k, self.lang), "head") for k in keys]
        rows: list[list[Any]] = [head]
        style: list[tuple[Any, ...]] = []
        scopes = [ikm.main] if ikm.tenant is None else []
        for scope in [*scopes, *ikm.tenants]:
            result = scope.result
            if result is None:
                continue
            if scope.scope == "venue":
                style += _band(len(rows), TOTAL_BG)
            name = self.t("total") if scope.scope == "venue" else scope.name
            rows.append(
                [
                    self.p(escape(name), "cell"),
                    self.n(result.respondents),
                    ikm_wording.number(result.value, 2, self.lang),
                    result.mutu,
                    ikm_wording.kinerja(result.kinerja, self.lang),
                    self.p(escape(ikm_wording.unsur_name(result.weakest, self.lang)), "cell"),
                ]
            )
        widths = [55 * mm, 20 * mm, 24 * mm, 12 * mm, 25 * mm, 44 * mm]
        table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(_table_style(style))
        return [CondPageBreak(40 * mm), heading, table]

    def definitions(self) -> list[Any]:
        items = [self.p(gettext(self.lang, definition), "small") for definition in DEFINITIONS]
        spaced = [x for item in items for x in (item, Spacer(1, 1.5 * mm))]
        return [CondPageBreak(50 * mm), self.p(self.t("definitions"), "h2"), *spaced]


def _column_width(label: str, widest_value: str) -> float:
    words = max(pdfmetrics.stringWidth(w, BOLD, 6.5) for w in label.split())
    value = pdfmetrics.stringWidth(widest_value, FONT, 7)
    return float(max(words, value)) + 7  # the cell's paddings and a point to spare


def _clip(name: str, length: int) -> str:
    return name if len(name) <= length else name[: length - 1] + "…"


def _sla_target(services: Iterable[ServiceRow]) -> float:
    """A tenant's SLA target for the chart: its services' targets, weighted by tickets called."""
    pairs = [(s.sla_minutes, s.figures.called) for s in services if s.sla_minutes is not None]
    called = sum(n for _, n in pairs)
    if not called:
        return float(max((m for m, _ in pairs), default=0))
    return round(sum(m * n for m, n in pairs) / called, 1)


def _axis_fonts(chart: Any) -> None:
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName = FONT
        axis.labels.fontSize = 7
        axis.strokeColor = MUTED
    chart.valueAxis.gridStrokeColor = LINE
    chart.valueAxis.visibleGrid = True


def _legend(items: list[tuple[Any, str]], x: float, y: float) -> Any:
    legend = Legend()
    legend.x, legend.y = x, y
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = 40 * mm
    legend.fontName = FONT
    legend.fontSize = 7.5
    legend.boxAnchor = "nw"
    legend.colorNamePairs = items
    legend.strokeColor = None
    legend.dx = legend.dy = 7
    return legend


def _band(row: int, color: Any) -> list[tuple[Any, ...]]:
    return [("BACKGROUND", (0, row), (-1, row), color)]


def _table_style(extra: list[tuple[Any, ...]], header: bool = True) -> Any:
    commands: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), FONT, 7),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, LINE),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        commands += [
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, MUTED),
            ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ]
    else:
        commands.append(("ALIGN", (1, 0), (-1, -1), "LEFT"))
    return TableStyle(commands + extra)


class _NumberedCanvas(Canvas):  # type: ignore[misc]
    """Holds the pages back until the end, to write "page X of Y" on every one."""

    def __init__(self, *args: Any, footer: str, page_text: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._footer, self._page_text = footer, page_text
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        pages = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._draw_footer(number, pages)
            super().showPage()
        super().save()

    def _draw_footer(self, number: int, pages: int) -> None:
        width, _ = self._pagesize
        self.setFont(FONT, 7.5)
        self.setFillColor(MUTED)
        self.setStrokeColor(LINE)
        self.setLineWidth(0.4)
        self.line(MARGIN, 11 * mm, width - MARGIN, 11 * mm)
        self.drawString(MARGIN, 7 * mm, self._footer)
        self.drawRightString(
            width - MARGIN, 7 * mm, self._page_text.format(page=number, pages=pages)
        )


def _page_templates() -> list[Any]:
    def frame(size: tuple[float, float], name: str) -> Any:
        return Frame(MARGIN, 15 * mm, size[0] - 2 * MARGIN, size[1] - MARGIN - 15 * mm, id=name)

    def orient(size: tuple[float, float]) -> Callable[[Any, Any], None]:
        def on_page(canvas: Any, doc: Any) -> None:
            canvas.setPageSize(size)

        return on_page

    return [
        PageTemplate(
            "portrait", [frame(PORTRAIT, "p")], onPage=orient(PORTRAIT), pagesize=PORTRAIT
        ),
        PageTemplate(
            "landscape", [frame(LANDSCAPE, "l")], onPage=orient(LANDSCAPE), pagesize=LANDSCAPE
        ),
    ]


def render_pdf(report: Report, lang: Lang = "id") -> bytes:
    """The report as an A4 PDF with charts and page numbers."""
    _fonts()
    out = io.BytesIO()
    doc = BaseDocTemplate(
        out,
        pagesize=PORTRAIT,
        title=f"{title(report, lang)} {report.venue_name} {format_period(report, lang)}",
        author=report.venue_name,
        creator="antrean",
        lang=lang,
    )
    doc.addPageTemplates(_page_templates())
    footer = f"{report.venue_name} · {title(report, lang)} · {format_period(report, lang)}"
    maker = functools.partial(_NumberedCanvas, footer=footer, page_text=text("page", lang))
    doc.build(_Pdf(report, lang).story(), canvasmaker=maker)
    return out.getvalue()
