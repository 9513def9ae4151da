"""`antrean ...`: run the server, check a venue file, write reports."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

import msgspec

from audio.cli import render_audio_main
from managers import complaints_cli, ikm_cli
from server import cli_accounts, cli_backup, cluster, config, demo
from server.app import create_app
from server.cli_venue import open_venue
from server.domain.venue import Venue
from server.logs import FORMATS, log_config
from server.settings import Settings
from server.web.socket import ScreenProtocol


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["render-audio"]:
        # The audio room owns this command's options.
        return render_audio_main(argv[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    result: int = args.handler(args)
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="antrean", description="Antrean MPP: sistem antrean.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="start the server (SQLite + demo venue by default)")
    run.add_argument("--venue", default=None, help="venue TOML file (default: the demo venue)")
    run.add_argument(
        "--data", default=None, help="data folder for the SQLite log (default: ./data)"
    )
    run.add_argument("--redis", default=None, help="Redis URL: share the log between processes")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument(
        "--log-format",
        choices=FORMATS,
        default=None,
        help="text, or json: one object per line (default: ANTREAN_LOG_FORMAT, else text)",
    )
    run.set_defaults(handler=_run)

    check = commands.add_parser("check-config", help="validate a venue TOML file")
    check.add_argument("file")
    check.set_defaults(handler=_check_config)
    cluster.add_parser(commands).set_defaults(handler=_cluster)
    cluster.add_certificate_parser(commands)
    cli_accounts.add_parsers(commands)
    cli_backup.add_parsers(commands)
    _add_report_parser(commands)
    ikm_cli.add_parsers(commands)
    complaints_cli.add_parsers(commands)
    # Listed for --help; main() hands its arguments to the audio room.
    commands.add_parser("render-audio", help="render the venue's announcement clips ahead")
    return parser


def _check_config(args: argparse.Namespace) -> int:
    problems = config.check_file(args.file)
    if problems:
        for problem in problems:
            where = f"{args.file}: {problem.path}" if problem.path else args.file
            print(f"{where}: {problem.message}\n    fix: {problem.fix}")
        print(f"{len(problems)} problem(s) found in {args.file}.")
        return 1
    venue = config.load_venue(args.file)
    print(
        f"{args.file}: OK: {venue.name}: {len(venue.tenants)} tenants, "
        f"{len(venue.services)} services, {len(venue.counters)} counters, {len(venue.zones)} zones."
    )
    warnings = config.advice(venue)
    for warning in warnings:
        print(f"{args.file}: {warning.path}: warning: {warning.message}\n    fix: {warning.fix}")
    if warnings:
        print(f"{len(warnings)} warning(s): the venue runs, but visitors are owed these.")
    return 0


def _run(args: argparse.Namespace) -> int:
    import uvicorn

    settings = Settings.from_env().with_arguments(args.venue, args.data, args.redis)
    log_format = args.log_format or settings.log_format
    if log_format not in FORMATS:
        print(
            f"antrean: ANTREAN_LOG_FORMAT must be text or json, not {log_format!r}", file=sys.stderr
        )
        return 2
    ping = _seconds(settings.ws_ping)
    if ping is None:
        print(
            f"antrean: ANTREAN_WS_PING must be seconds from 1 to 300, not {settings.ws_ping!r}",
            file=sys.stderr,
        )
        return 2
    try:
        venue = config.load_venue(settings.venue_file)
        app = create_app(settings)
    except config.ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    host = "localhost" if args.host in ("0.0.0.0", "127.0.0.1") else args.host
    _print_urls(f"http://{host}:{args.port}", venue, settings)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="info",
        log_config=log_config(log_format),
        # The hub encodes a view once for every screen; per-connection compression would
        # undo that, and screens only ever send tiny frames.
        ws=ScreenProtocol,
        ws_per_message_deflate=False,
        ws_max_size=64 * 1024,
        # A screen that stops reading is the hub's to close (4008, a bounded outbox behind
        # a small send buffer: see ScreenProtocol). The keepalive ping is for connections
        # that went silent with nothing to send them; it must stay slower than that rule.
        ws_ping_interval=ping,
        ws_ping_timeout=ping,
    )
    return 0


def _seconds(text: str) -> float | None:
    """`text` as a keepalive interval in seconds (1 to 300), or None when it is not one."""
    try:
        seconds = float(text)
    except ValueError:
        return None
    return seconds if 1 <= seconds <= 300 else None


def _cluster(args: argparse.Namespace) -> int:
    settings = Settings.from_env().with_arguments(args.venue, None, None)
    try:
        venue = config.load_venue(settings.venue_file)
    except config.ConfigError as error:
        print(error, file=sys.stderr)
        return 2

    def print_urls(running: cluster.Cluster) -> None:
        shared = msgspec.structs.replace(settings, redis_url=running.redis_url)
        _print_urls(running.url, venue, shared)

    return cluster.run(args, print_urls)


def _print_urls(base: str, venue: Venue, settings: Settings) -> None:
    lines = [f"antrean: {venue.name}, event log {settings.log_url}", ""]
    lines += [f"  counter console   {base}/counter"]
    for zone in venue.zones.values():
        token = f"?device={demo.display_token(zone.id)}" if settings.demo else ""
        lines.append(f"  hall display      {base}/display/{zone.id}{token}   ({zone.name})")
    kiosk = f"?device={demo.KIOSK_TOKEN}" if settings.demo else ""
    survey = f"?device={demo.SURVEY_TOKEN}" if settings.demo else ""
    lines += [
        f"  ticket kiosk      {base}/kiosk{kiosk}",
        f"  survey tablet     {base}/survey{survey}",
        f"  online booking    {base}/booking",
        f"  service standards {base}/layanan",
        f"  complaint form    {base}/pengaduan",
        f"  manager dashboard {base}/manager",
        f"  complaints        {base}/manager/pengaduan",
        f"  reports           {base}/manager/reports",
        f"  services asked    {base}/manager/layanan-dicari",
        f"  voice studio      {base}/manager/voice",
        f"  health check      {base}/healthz",
        "",
    ]
    if settings.demo:
        first = next(iter(venue.counters))
        tenant = next(iter(venue.tenants))
        lines += [
            f"  demo sign-in: officer of counter N is 'loketN' (e.g. {demo.officer_name(first)}),",
            f"  manager 'manajer', tenant supervisor 'spv-<tenant>' (e.g. spv-{tenant}),",
            f"  admin 'admin'; password for all: {demo.PASSWORD}",
        ]
    else:
        lines += [
            "  pair screens, kiosks and survey tablets with:",
            "  antrean devices add --zone ZONE [--kind display|kiosk|survey]",
        ]
    print("\n".join(lines), flush=True)


def _add_report_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = commands.add_parser(
        "report", help="daily or monthly report from the event log, as CSV or PDF"
    )
    period = report.add_mutually_exclusive_group(required=True)
    period.add_argument("--date", type=dt.date.fromisoformat, help="one day: YYYY-MM-DD")
    period.add_argument("--month", type=_month, help="one month: YYYY-MM")
    report.add_argument(
        "--format", choices=("csv", "pdf"), default=None, help="default: from --out, else csv"
    )
    report.add_argument("--out", default=None, help="file to write (default: laporan-...)")
    report.add_argument("--lang", choices=("id", "en"), default="id")
    Settings.add_arguments(report)
    report.set_defaults(handler=_report)


def _month(value: str) -> tuple[int, int]:
    try:
        first = dt.date.fromisoformat(f"{value}-01")
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a month (YYYY-MM): {value!r}") from None
    return first.year, first.month


def _report(args: argparse.Namespace) -> int:
    from managers.reports import month_period

    opened = open_venue(args)
    if isinstance(opened, int):
        return opened
    _, venue, url = opened
    start, end = (args.date, args.date) if args.date else month_period(*args.month)
    fmt = args.format or ("pdf" if str(args.out or "").lower().endswith(".pdf") else "csv")
    period = args.date.isoformat() if args.date else f"{start:%Y-%m}"
    out = Path(args.out or f"laporan-{venue.id}-{period}.{fmt}")
    data = asyncio.run(_report_bytes(url, venue, start, end, fmt, args.lang))
    out.write_bytes(data)
    print(f"antrean: {out} ({len(data):,} bytes)")
    return 0


async def _report_bytes(
    url: str, venue: Venue, start: dt.date, end: dt.date, fmt: str, lang: str
) -> bytes:
    from managers.report_csv import render_csv
    from managers.report_pdf import render_pdf
    from managers.report_wording import Lang
    from managers.reports import build_report
    from server.store import open_log

    log = open_log(url)
    try:
        report = await build_report(log, venue, start, end, _ProgressBar(lang))
    finally:
        await log.close()
    language: Lang = "en" if lang == "en" else "id"
    return render_pdf(report, language) if fmt == "pdf" else render_csv(report, language)


class _ProgressBar:
    """ "Membaca log: [#####-----] 45% (123.456/274.000 peristiwa)", redrawn on stderr."""

    WIDTH = 20

    def __init__(self, lang: str) -> None:
        self.english = lang == "en"
        self.shown = -1

    def __call__(self, read: int, total: int) -> None:
        percent = 100 * read // total if total else 100
        if percent == self.shown:
            return
        self.shown = percent
        filled = self.WIDTH * percent // 100
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        label, unit = ("Reading log", "events") if self.english else ("Membaca log", "peristiwa")
        counts = f"{self._number(read)}/{self._number(total)} {unit}"
        end = "\n" if read >= total else ""
        print(f"\r{label}: [{bar}] {percent}% ({counts})", end=end, file=sys.stderr, flush=True)

    def _number(self, value: int) -> str:
        written = f"{value:,}"
        return written if self.english else written.replace(",", ".")


if __name__ == "__main__":
    sys.exit(main())
