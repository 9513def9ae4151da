"""The IKM report as an A4 PDF, in the layout service units publish it.

    render_ikm_pdf(report, lang="id") -> bytes

Title with the period and the scope; a table per unsur (name, NRR, NRR tertimbang = NRR ×
1/9, a bar of the NRR on 1–4), the weakest unsur highlighted; Σ, IKM on 1–4, the converted
value, mutu and kinerja; respondents against the minimum sample, with a plain warning
when they are too few; the index per tenant and service; the respondent profile; the
comments. Decimals with a comma in Indonesian (88,31), a point in English.
"""

from __future__ import annotations

import functools
import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Rect  # type: ignore[import-untyped]
from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.platypus import (  # type: ignore[import-untyped]
    BaseDocTemplate,
    CondPageBreak,
    KeepTogether,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from managers import ikm_wording as words
from managers.ikm import IkmReport, Scope
from managers.report_pdf import (
    LINE,
    MUTED,
    TENANT_BG,
    TOTAL_BG,
    _fonts,
    _NumberedCanvas,
    _page_templates,
    _styles,
    _table_style,
)
from server import dates
from server.domain import ikm
from server.i18n import Lang

BAR_COLOR = colors.HexColor("#2b6cb0")
WEAK_COLOR = colors.HexColor("#c53030")
WEAK_BG = colors.HexColor("#fed7d7")
WARN_BG = colors.HexColor("#fefcbf")
BAR_WIDTH = 60 * mm


class _Pdf:
    def __init__(self, report: IkmReport, lang: Lang) -> None:
        self.report, self.lang = report, lang
        self.styles = _styles()

    def t(self, key: str, **params: object) -> str:
        return words.text(key, self.lang, **params)

    def p(self, content: str, style: str = "body") -> Any:
        return Paragraph(content, self.styles[style])

    def n(self, value: Any, places: int) -> str:
        return words.number(value, places, self.lang)

    def count(self, value: int) -> str:
        written = f"{value:,}"
        return written if self.lang == "en" else written.replace(",", ".")

    def scope_name(self) -> str:
        if self.report.tenant is None:
            return self.t("whole_venue")
        return self.report.main.name

    def story(self) -> list[Any]:
        return [
            *self.heading(),
            *self.unsur_table(),
            *self.sample(),
            *self.scope_table(),
            *self.profile(),
            *self.comments(),
            Spacer(1, 4 * mm),
            self.p(escape(self.t("basis")), "small"),
        ]

    def heading(self) -> list[Any]:
        period = words.format_period(self.report.period, self.lang)
        return [
            self.p(escape(self.t("title")), "title"),
            self.p(escape(self.report.venue_name), "subtitle"),
            self.p(f"{escape(self.t('period'))}: {escape(period)}", "subtitle"),
            self.p(f"{escape(self.t('scope'))}: {escape(self.scope_name())}", "subtitle"),
            Spacer(1, 5 * mm),
        ]

    def unsur_table(self) -> list[Any]:
        result = self.report.main.result
        if result is None:
            return [self.p(escape(self.t("no_respondents")))]
        head = ["No", self.t("unsur"), self.t("nrr"), self.t("nrr_weighted"), self.t("bar")]
        rows: list[list[Any]] = [[self.p(f"<b>{escape(h)}</b>", "head") for h in head]]
        style: list[tuple[Any, ...]] = []
        for number, key in enumerate(ikm.KEYS, start=1):
            nrr = result.nrr[key]
            weak = key == result.weakest
            name = escape(words.unsur_name(key, self.lang))
            if weak:
                name = f"<b>{name}</b> ({escape(self.t('weakest').lower())})"
                style.append(("BACKGROUND", (0, len(rows)), (-1, len(rows)), WEAK_BG))
            rows.append(
                [
                    str(number),
                    self.p(name, "cell"),
                    self.n(nrr, 3),
                    self.n(nrr * ikm.WEIGHT, 3),
                    _bar(float(nrr), WEAK_COLOR if weak else BAR_COLOR),
                ]
            )
        summary = [
            (self.t("sum"), self.n(result.ikm, 3)),
            (self.t("ikm_unit"), self.n(result.ikm, 3)),
            (self.t("ikm_value"), self.n(result.value, 2)),
            (self.t("mutu"), result.mutu),
            (self.t("kinerja"), words.kinerja(result.kinerja, self.lang)),
        ]
        for label, value in summary:
            style.append(("BACKGROUND", (0, len(rows)), (-1, len(rows)), TOTAL_BG))
            style.append(("SPAN", (0, len(rows)), (2, len(rows))))
            # (The font has no Σ, and a substituted glyph prints as a box: words only.)
            rows.append([self.p(f"<b>{escape(label)}</b>", "cell"), "", "", f"{value}", ""])
        widths = [9 * mm, 74 * mm, 18 * mm, 22 * mm, BAR_WIDTH + 6 * mm]
        table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(_table_style(style))
        table.setStyle(TableStyle([("FONT", (3, 10), (3, -1), "ReportSans-Bold", 8)]))
        return [
            table,
            Spacer(1, 1.5 * mm),
            self.p(escape(self.t("weakest_note")), "small"),
        ]

    def sample(self) -> list[Any]:
        main = self.report.main
        params = {
            "respondents": self.count(main.respondents),
            "minimum": self.count(main.minimum_sample),
            "population": self.count(main.population),
        }
        enough = main.sample_enough
        sentence = self.t("enough" if enough else "too_few", **params)
        note = Table([[self.p(escape(sentence))]], colWidths=[180 * mm], hAlign="LEFT")
        background = TENANT_BG if enough else WARN_BG
        note.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), background)]))
        facts = [
            (self.t("respondents"), self.count(main.respondents)),
            (self.t("population"), self.count(main.population)),
            (self.t("minimum_sample"), self.count(main.minimum_sample)),
        ]
        table = Table(
            [[self.p(escape(k)), self.p(v)] for k, v in facts],
            colWidths=[70 * mm, 40 * mm],
            hAlign="LEFT",
        )
        table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.25, LINE)]))
        return [Spacer(1, 4 * mm), table, Spacer(1, 2 * mm), note]

    def scope_table(self) -> list[Any]:
        scopes = [*self.report.tenants, *self.report.services]
        if len(scopes) <= 1:
            return []
        keys = ("respondents", "ikm_value", "mutu_short", "kinerja_short", "weakest")
        head = [self.p(f"<b>{escape(self.t('tenant'))} / {escape(self.t('service'))}</b>", "head")]
        head += [self.p(escape(self.t(k)), "head") for k in keys]
        rows: list[list[Any]] = [head]
        style: list[tuple[Any, ...]] = []
        for tenant in self.report.tenants:
            services = [s for s in self.report.services if s.tenant == tenant.id]
            if not tenant.respondents and not tenant.population:
                continue
            style.append(("BACKGROUND", (0, len(rows)), (-1, len(rows)), TENANT_BG))
            rows.append(self._scope_row(tenant, f"<b>{escape(tenant.name)}</b>"))
            for service in services:
                if service.respondents or service.population:
                    name = f"&nbsp;&nbsp;&nbsp;{escape(service.name)}"
                    rows.append(self._scope_row(service, name))
        if len(rows) == 1:
            return []
        widths = [66 * mm, 20 * mm, 24 * mm, 12 * mm, 24 * mm, 34 * mm]
        table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(_table_style([*style, ("ALIGN", (3, 0), (-1, -1), "LEFT")]))
        return [CondPageBreak(40 * mm), self.p(escape(self.t("per_scope")), "h2"), table]

    def _scope_row(self, scope: Scope, name: str) -> list[Any]:
        result = scope.result
        if result is None:
            return [self.p(name, "cell"), self.count(0), "–", "–", "–", "–"]
        return [
            self.p(name, "cell"),
            self.count(result.respondents),
            self.n(result.value, 2),
            result.mutu,
            words.kinerja(result.kinerja, self.lang),
            self.p(escape(words.unsur_name(result.weakest, self.lang)), "cell"),
        ]

    def profile(self) -> list[Any]:
        if not self.report.main.respondents:
            return []
        tables: list[Any] = []
        for field, counts in self.report.profile.items():
            rows: list[list[Any]] = [
                [self.p(f"<b>{escape(self.t(field))}</b>", "head"), self.p("", "head")]
            ]
            for option, count in counts.items():
                rows.append(
                    [self.p(escape(words.option(option, self.lang)), "cell"), self.count(count)]
                )
            table = Table(rows, colWidths=[30 * mm, 12 * mm], hAlign="LEFT")
            table.setStyle(_table_style([]))
            tables.append(table)
        grid = Table([tables], colWidths=[45 * mm] * 4, hAlign="LEFT")
        grid.setStyle(
            TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
        )
        return [CondPageBreak(50 * mm), self.p(escape(self.t("profile")), "h2"), grid]

    def comments(self) -> list[Any]:
        heading = self.p(escape(self.t("comments")), "h2")
        if not self.report.comments:
            return [KeepTogether([heading, self.p(escape(self.t("no_comments")))])]
        head = [
            self.p(f"<b>{escape(self.t(k))}</b>", "head") for k in ("date", "service", "comment")
        ]
        rows: list[list[Any]] = [head]
        for comment in self.report.comments:
            rows.append(
                [
                    self.p(escape(dates.format_date(comment.day, self.lang)), "cell"),
                    self.p(escape(comment.service_name), "cell"),
                    self.p(escape(comment.text), "cell"),
                ]
            )
        table = Table(rows, colWidths=[28 * mm, 45 * mm, 107 * mm], repeatRows=1, hAlign="LEFT")
        table.setStyle(_table_style([("ALIGN", (0, 0), (-1, -1), "LEFT")]))
        return [CondPageBreak(30 * mm), heading, table]


def _bar(nrr: float, color: Any) -> Any:
    """The NRR as a bar on the 1–4 scale (a full bar is 4)."""
    drawing = Drawing(BAR_WIDTH, 3.2 * mm)
    drawing.add(Rect(0, 0, BAR_WIDTH, 3.2 * mm, fillColor=TENANT_BG, strokeColor=None))
    drawing.add(Rect(0, 0, BAR_WIDTH * nrr / 4, 3.2 * mm, fillColor=color, strokeColor=None))
    for quarter in (1, 2, 3):
        x = BAR_WIDTH * quarter / 4
        drawing.add(Rect(x, 0, 0.3, 3.2 * mm, fillColor=MUTED, strokeColor=None))
    return drawing


def render_ikm_pdf(report: IkmReport, lang: Lang = "id") -> bytes:
    """The IKM report as an A4 PDF with page numbers."""
    _fonts()
    out = io.BytesIO()
    title = words.text("title", lang)
    period = words.format_period(report.period, lang)
    doc = BaseDocTemplate(
        out,
        title=f"{title} {report.venue_name} {period}",
        author=report.venue_name,
        creator="antrean",
        lang=lang,
    )
    doc.addPageTemplates(_page_templates()[:1])
    footer = f"{report.venue_name} · IKM · {period}"
    maker = functools.partial(_NumberedCanvas, footer=footer, page_text=words.text("page", lang))
    doc.build(_Pdf(report, lang).story(), canvasmaker=maker)
    return out.getvalue()
