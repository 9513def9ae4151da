"""Venue TOML -> a validated `server.domain.venue.Venue`, reporting every mistake at once.

The file is read in three passes so that one mistake never hides another:

1. *read and parse*: a missing file, bad encoding or TOML syntax error stops here (nothing
   else can be known);
2. *decode*: each section and each entry is converted on its own, so a wrong type in one
   service does not hide a wrong type in a counter;
3. *check*: table-driven rules over what decoded, each yielding `Problem`s with the key
   path, what was found and how to fix it.

A `Venue` is built only when no problem was found. Pass 1 is here; pass 2 in `decode`
(with `messages` rewording msgspec's errors), pass 3 in `checks` (and `timezones`);
`problems` holds what they all report.

Shape of the file (tables are keyed by id, so ids are never repeated)::

    [venue]            id, name, timezone, priority_ratio, priority_scope, max_recalls,
                       return_policy, running_text
    [hours]            mon = ["08:00", "16:00"]  (closed days are left out)
    [[breaks]]         days = ["fri"], start = "11:30", end = "13:00", name
    [[holidays]]       date = 2026-08-17, name
    [tenants.<id>]     name, short_name, spoken_name
    [services.<id>]    tenant, name, prefix, daily_quota, kiosk_quota, online_quota,
                       sla_minutes, last_issue, priority_lane, typical_minutes
    [services.<id>.standards]  persyaratan = [...], prosedur = [...], waktu, biaya,
                       produk, pengaduan (the service's standar pelayanan)
    [counters.<n>]     label, tenant, services = [...], zone, spoken_label
    [zones.<id>]       name, displays = [...], speaker
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import msgspec

from server.config.checks import CHECKS
from server.config.decode import Decoder, Draft
from server.config.problems import ConfigError, Problem
from server.config.timezones import INDONESIAN_TIMEZONES
from server.domain.venue import Venue

__all__ = [
    "DEMO_VENUE",
    "INDONESIAN_TIMEZONES",
    "ConfigError",
    "Problem",
    "advice",
    "check_file",
    "load_venue",
    "load_venue_text",
]

DEMO_VENUE = Path(__file__).parent.parent / "venues" / "merdeka-malang.toml"


def check_file(path: str | os.PathLike[str]) -> list[Problem]:
    """Every problem in the venue file at `path`; an empty list means it is valid."""
    text = _read(Path(path))
    if isinstance(text, Problem):
        return [text]
    return _evaluate(text)[1]


def load_venue(path: str | os.PathLike[str]) -> Venue:
    """The venue described by the file at `path`; raises ConfigError listing all problems."""
    text = _read(Path(path))
    if isinstance(text, Problem):
        raise ConfigError(str(path), [text])
    return load_venue_text(text, str(path))


def load_venue_text(text: str, file: str = "<text>") -> Venue:
    """The venue described by TOML `text`; `file` only names it in error messages."""
    venue, problems = _evaluate(text)
    if venue is None:
        raise ConfigError(file, problems)
    return venue


def advice(venue: Venue) -> list[Problem]:
    """What a valid venue file still lacks that the public is owed: services without their
    standar pelayanan (UU 25/2009 Pasal 21), shown on the kiosk and the phone page. Warnings,
    not problems: the venue runs without them."""
    found: list[Problem] = []
    for service in venue.services.values():
        path = f"services.{service.id}.standards"
        if service.standards is None:
            fix = (
                f"add [{path}] with persyaratan = [...], prosedur = [...], waktu, biaya, "
                "produk and pengaduan, as the unit publishes them"
            )
            found.append(Problem(path, "service has no standar pelayanan", fix, "no_standards"))
        elif missing := service.standards.missing():
            fix = f"add {', '.join(missing)} to [{path}]"
            message = f"standar pelayanan lacks {', '.join(missing)}"
            found.append(Problem(path, message, fix, "standards_incomplete"))
    return found


def _read(path: Path) -> str | Problem:
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return Problem("", f"file {path} does not exist", _DEMO_HINT, "file_missing")
    except UnicodeDecodeError as exc:
        message = f"file is not UTF-8 text ({exc.reason} at byte {exc.start})"
        return Problem("", message, "save the file as UTF-8", "file_unreadable")
    except OSError as exc:
        message = f"file {path} cannot be read: {exc.strerror or exc}"
        return Problem("", message, "check the path and its permissions", "file_unreadable")


_DEMO_HINT = "check the path, or copy server/venues/merdeka-malang.toml as a starting point"


def _evaluate(text: str) -> tuple[Venue | None, list[Problem]]:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [_syntax_problem(exc)]
    decoder = Decoder(raw)
    draft = decoder.draft()
    problems = decoder.problems + [p for check in CHECKS for p in check(draft)]
    return (None if problems else _build(draft)), problems


def _syntax_problem(exc: tomllib.TOMLDecodeError) -> Problem:
    # Python 3.11's tomllib only puts the position in the message: "... (at line 3, column 7)".
    reason, _, where = str(exc).partition(" (at ")
    where = where.rstrip(")") or "an unknown position"
    message = f"TOML syntax error at {where}: {reason}"
    fix = f"correct the TOML at {where}: quote text, write tables as [name], arrays as [a, b]"
    return Problem("", message, fix, "toml_syntax")


def _build(d: Draft) -> Venue:
    assert d.settings is not None  # a missing [venue] is a problem, so never reached
    return msgspec.structs.replace(
        d.settings,
        hours=d.hours,
        tenants=d.tenants,
        services=d.services,
        counters=d.counters,
        zones=d.zones,
        breaks=tuple(d.breaks.values()),
        holidays=tuple(d.holidays.values()),
        announcements=d.announcements,
        booking=d.booking,
    )
