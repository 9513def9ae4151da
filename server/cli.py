"""`antrean ...`: run the server, check a venue file."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from audio.cli import render_audio_main
from server import cli_accounts, config, demo
from server.app import Settings, create_app
from server.domain.venue import Venue


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
    run.set_defaults(handler=_run)

    check = commands.add_parser("check-config", help="validate a venue TOML file")
    check.add_argument("file")
    check.set_defaults(handler=_check_config)
    cli_accounts.add_parsers(commands)
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
    return 0


def _run(args: argparse.Namespace) -> int:
    import uvicorn

    settings = Settings.from_env().with_arguments(args.venue, args.data, args.redis)
    try:
        app = create_app(settings)
    except config.ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    _print_urls(args.host, args.port, app.state.venue, settings)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="info",
        # The hub encodes a view once for every screen; per-connection compression would
        # undo that, and screens only ever send tiny frames.
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        ws_max_size=64 * 1024,
    )
    return 0


def _print_urls(host: str, port: int, venue: Venue, settings: Settings) -> None:
    base = f"http://{'localhost' if host in ('0.0.0.0', '127.0.0.1') else host}:{port}"
    lines = [f"antrean: {venue.name}, event log {settings.log_url}", ""]
    lines += [f"  counter console   {base}/counter"]
    for zone in venue.zones.values():
        token = f"?device={demo.display_token(zone.id)}" if settings.demo else ""
        lines.append(f"  hall display      {base}/display/{zone.id}{token}   ({zone.name})")
    lines += [f"  health check      {base}/healthz", ""]
    if settings.demo:
        first = next(iter(venue.counters))
        lines += [
            f"  demo sign-in: officer of counter N is 'loketN' (e.g. {demo.officer_name(first)}),",
            f"  manager 'manajer', admin 'admin'; password for all: {demo.PASSWORD}",
        ]
    else:
        lines += ["  pair screens with: antrean devices add --zone ZONE"]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
