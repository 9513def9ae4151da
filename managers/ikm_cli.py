"""`antrean ikm ...`: the satisfaction index (IKM) on the command line.

`antrean ikm import FILE.csv` records paper and online-form responses (`ikm_import`);
`antrean ikm report --quarter 2026-Q4 [--tenant ID] [--format csv|pdf] [--out FILE]`
writes the IKM report of a month, quarter, semester or year from the event log.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

from managers.ikm import Period, PeriodKind, Progress, build_ikm, parse_period
from managers.ikm_import import add_import_parser
from server.cli_venue import open_venue
from server.domain.venue import Venue
from server.i18n import Lang
from server.settings import Settings


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ikm = commands.add_parser("ikm", help="satisfaction index (IKM): import responses, reports")
    sub = ikm.add_subparsers(required=True, metavar="ACTION")
    add_import_parser(sub)
    add_report_parser(sub)


def _period_type(kind: PeriodKind) -> Callable[[str], Period]:
    def parse(value: str) -> Period:
        try:
            return parse_period(value, kind)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    parse.__name__ = kind
    return parse


def add_report_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = sub.add_parser("report", help="IKM report of a period, as CSV or PDF")
    period = report.add_mutually_exclusive_group(required=True)
    period.add_argument("--month", type=_period_type("month"), help="YYYY-MM")
    period.add_argument("--quarter", type=_period_type("quarter"), help="YYYY-Qn (n = 1-4)")
    period.add_argument("--semester", type=_period_type("semester"), help="YYYY-Sn (S1 Jan-Jun)")
    period.add_argument("--year", type=_period_type("year"), help="YYYY")
    report.add_argument("--tenant", default=None, help="one tenant (its id in the venue file)")
    report.add_argument(
        "--format", choices=("csv", "pdf"), default=None, help="default: from --out, else csv"
    )
    report.add_argument("--out", default=None, help="file to write (default: ikm-...)")
    report.add_argument("--lang", choices=("id", "en"), default="id")
    Settings.add_arguments(report)
    report.set_defaults(handler=_report)


def file_name(venue: Venue, period: Period, tenant: str | None, fmt: str) -> str:
    who_for = f"-{tenant}" if tenant else ""
    return f"ikm-{venue.id}{who_for}-{period.label}.{fmt}"


def _report(args: argparse.Namespace) -> int:
    from server.cli import _ProgressBar

    opened = open_venue(args)
    if isinstance(opened, int):
        return opened
    _, venue, url = opened
    if args.tenant is not None and args.tenant not in venue.tenants:
        known = ", ".join(venue.tenants)
        print(f"antrean: unknown tenant {args.tenant!r} (known: {known})", file=sys.stderr)
        return 2
    period: Period = args.month or args.quarter or args.semester or args.year
    fmt = args.format or ("pdf" if str(args.out or "").lower().endswith(".pdf") else "csv")
    out = Path(args.out or file_name(venue, period, args.tenant, fmt))
    data = asyncio.run(
        _bytes(url, venue, period, args.tenant, fmt, args.lang, _ProgressBar(args.lang))
    )
    out.write_bytes(data)
    print(f"antrean: {out} ({len(data):,} bytes)")
    return 0


async def _bytes(
    url: str,
    venue: Venue,
    period: Period,
    tenant: str | None,
    fmt: str,
    lang: str,
    progress: Progress | None = None,
) -> bytes:
    from managers.ikm_csv import render_ikm_csv
    from server.store import open_log

    log = open_log(url)
    try:
        report = await build_ikm(log, venue, period.start, period.end, tenant, progress)
    finally:
        await log.close()
    language: Lang = "en" if lang == "en" else "id"
    if fmt == "pdf":
        from managers.ikm_pdf import render_ikm_pdf

        return render_ikm_pdf(report, language)
    return render_ikm_csv(report, language)
