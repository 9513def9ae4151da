"""The missing-service recap as CSV rows: a section of the daily and monthly report's CSV,
and the file the page `/manager/layanan-dicari` offers.

One row per group: tenant, the wording shown, the normalised text it is grouped by, a
count per month (when the period spans more than one), from the kiosk, from complaints,
the total, the first and last request (venue-local). A confidential group reads
"(rahasia)" and has no normalised text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from managers.missing import Group, Recap
from managers.report_wording import Lang, text


def month_columns(recap: Recap) -> tuple[str, ...]:
    """The months that get a column of their own: every month, when there are several."""
    return recap.months if len(recap.months) > 1 else ()


def recap_header(recap: Recap, lang: Lang = "id") -> list[str]:
    keys = ("from_kiosk", "from_complaint", "count", "first_seen", "last_seen")
    return [
        text("tenant", lang),
        text("request", lang),
        text("grouped_as", lang),
        *month_columns(recap),
        *(text(key, lang) for key in keys),
    ]


def wording(group: Group, lang: Lang = "id") -> str:
    """The words a group is shown with: its most common wording, or "(rahasia)"."""
    return text("confidential", lang) if group.confidential else group.text


def recap_rows(recap: Recap, lang: Lang = "id") -> Iterable[list[str]]:
    """The header, then one row per group, tenant by tenant."""
    yield recap_header(recap, lang)
    months = month_columns(recap)
    for tenant in recap.tenants:
        name = tenant.name or text("general", lang)
        for group in tenant.groups:
            yield [
                name,
                wording(group, lang),
                group.key,
                *(str(group.months.get(month, 0)) for month in months),
                str(group.kiosk),
                str(group.complaint),
                str(group.total),
                f"{group.first:%Y-%m-%d %H:%M}",
                f"{group.last:%Y-%m-%d %H:%M}",
            ]


def render_recap_csv(recap: Recap, venue_name: str, period: str, lang: Lang = "id") -> bytes:
    """The recap alone as a CSV file (UTF-8 with a BOM for Excel): a title row, the
    period, then the rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([text("recap_title", lang), venue_name])
    writer.writerow([text("period", lang), period])
    writer.writerow([text("from", lang), recap.start.isoformat()])
    writer.writerow([text("to", lang), recap.end.isoformat()])
    writer.writerow([])
    writer.writerows(recap_rows(recap, lang))
    return ("\ufeff" + out.getvalue()).encode("utf-8")
