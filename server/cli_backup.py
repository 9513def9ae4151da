"""`antrean backup FILE`, `antrean restore FILE`, `antrean export --from URL --to URL`.

The log is named as every command names it (`--data`, `--redis`, `ANTREAN_*`); a backup
file is a SQLite file with the log's schema, whichever backend it came from (see
`server.store.transfer`). Restore and export write only into an empty log unless `--force`,
and never into one a server is using.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from server.settings import Settings
from server.store import StoreUnavailable, open_log
from server.store.transfer import Refused, backup, export, restore


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    saving = commands.add_parser(
        "backup", help="copy every venue's log into a new file, while servers run"
    )
    saving.add_argument("file", type=Path, help="the new backup file (SQLite)")
    _log_arguments(saving)
    saving.set_defaults(handler=_backup)

    restoring = commands.add_parser(
        "restore", help="load a backup into the log (servers stopped; empty log unless --force)"
    )
    restoring.add_argument("file", type=Path, help="a file `antrean backup` wrote")
    _log_arguments(restoring)
    _force(restoring)
    restoring.set_defaults(handler=_restore)

    moving = commands.add_parser(
        "export", help="move every venue's log between SQLite and Redis (ids, seq kept)"
    )
    moving.add_argument("--from", dest="source", required=True, help="log URL to read")
    moving.add_argument("--to", dest="target", required=True, help="log URL to write")
    _force(moving)
    moving.set_defaults(handler=_export)


def _log_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default=None, help="data folder of the SQLite log")
    parser.add_argument("--redis", default=None, help="Redis URL of the shared log")


def _force(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--force", action="store_true", help="replace venue logs the target already holds"
    )


def _log_url(args: argparse.Namespace) -> str:
    return Settings.from_env().with_arguments(None, args.data, args.redis).log_url


def _backup(args: argparse.Namespace) -> int:
    url = _log_url(args)
    if url.startswith("sqlite://") and not Path(url.removeprefix("sqlite://")).exists():
        return _refused(f"no event log at {url.removeprefix('sqlite://')}: nothing to back up")

    async def work() -> dict[str, int]:
        log = open_log(url)
        try:
            return await backup(log, args.file)
        finally:
            await log.close()

    return _report(work, f"backed up {url} to {args.file}")


def _restore(args: argparse.Namespace) -> int:
    url = _log_url(args)
    return _report(
        lambda: restore(args.file, url, force=args.force), f"restored {args.file} to {url}"
    )


def _export(args: argparse.Namespace) -> int:
    work = lambda: _copy(args.source, args.target, args.force)  # noqa: E731
    return _report(work, f"exported {args.source} to {args.target}")


async def _copy(source: str, target: str, force: bool) -> dict[str, int]:
    from_log, to_log = open_log(source), open_log(target)
    try:
        return await export(from_log, to_log, force=force)
    finally:
        await from_log.close()
        await to_log.close()


def _report(work: Callable[[], Coroutine[Any, Any, dict[str, int]]], done: str) -> int:
    """Run `work`; say what it wrote, or in words why it wrote nothing."""
    try:
        counts = asyncio.run(work())
    except Refused as error:
        return _refused(str(error))
    except StoreUnavailable as error:
        return _refused(f"{error}; nothing was written")
    print(f"antrean: {done}")
    for venue, records in counts.items():
        print(f"  {venue}: {records:,} records")
    if not counts:
        print("  (no venue logs: nothing to copy)")
    return 0


def _refused(reason: str) -> int:
    print(f"antrean: refused: {reason}", file=sys.stderr)
    return 1
