"""What every command that reads a venue's log starts with: the settings from the
environment and `--venue/--data/--redis`, the venue file read, and the log found."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NamedTuple

from server import config
from server.domain.venue import Venue
from server.settings import Settings


class Opened(NamedTuple):
    settings: Settings
    venue: Venue
    log_url: str


def open_venue(args: argparse.Namespace, *, log_must_exist: bool = True) -> Opened | int:
    """The command's settings, venue and log; or, said on stderr, the exit code: 2 for a bad
    venue file, 1 for a SQLite log that is not there (nothing to read)."""
    settings = Settings.from_env().with_arguments(args.venue, args.data, args.redis)
    try:
        venue = config.load_venue(settings.venue_file)
    except config.ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    url = settings.log_url
    sqlite = url.removeprefix("sqlite://")
    if log_must_exist and url.startswith("sqlite://") and not Path(sqlite).exists():
        print(f"antrean: no event log at {sqlite}", file=sys.stderr)
        return 1
    return Opened(settings, venue, url)
