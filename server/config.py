"""Venue TOML -> a validated `server.domain.venue.Venue`, reporting every mistake at once.

The file is read in three passes so that one mistake never hides another:

1. *read and parse*: a missing file, bad encoding or TOML syntax error stops here (nothing
   else can be known);
2. *decode*: each section and each entry is converted on its own, so a wrong type in one
   service does not hide a wrong type in a counter;
3. *check*: table-driven rules over what decoded, each yielding `Problem`s with the key
   path, what was found and how to fix it.

A `Venue` is built only when no problem was found.

Shape of the file (tables are keyed by id, so ids are never repeated)::

    [venue]            id, name, timezone, priority_ratio, priority_scope, max_recalls,
                       return_policy, running_text
    [hours]            mon = ["08:00", "16:00"]  (closed days are left out)
    [[breaks]]         days = ["fri"], start = "11:30", end = "13:00", name
    [[holidays]]       date = 2026-08-17, name
    [tenants.<id>]     name, short_name, spoken_name
    [services.<id>]    tenant, name, prefix, daily_quota, kiosk_quota, online_quota,
                       sla_minutes, last_issue, priority_lane, typical_minutes
    [counters.<n>]     label, tenant, services = [...], zone, spoken_label
    [zones.<id>]       name, displays = [...], speaker
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import functools
import itertools
import math
import os
import re
import string
import tomllib
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar, get_args

import msgspec

from server.domain.venue import (
    WEEKDAYS,
    AnnouncementStyle,
    BookingPolicy,
    Break,
    Counter,
    Holiday,
    OpeningHours,
    PriorityScope,
    ReturnPolicy,
    Service,
    Tenant,
    Venue,
    Zone,
)

__all__ = [
    "DEMO_VENUE",
    "INDONESIAN_TIMEZONES",
    "ConfigError",
    "Problem",
    "check_file",
    "load_venue",
    "load_venue_text",
]

DEMO_VENUE = Path(__file__).parent / "venues" / "merdeka-malang.toml"

# Zones accepted for a venue, with the label people read on the clock. Pontianak and
# Ujung_Pandang are real Indonesian keys (a WIB region and the old name of Makassar).
INDONESIAN_TIMEZONES: Mapping[str, str] = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Ujung_Pandang": "WITA",
    "Asia/Jayapura": "WIT",
}
# The zone to propose for "WIB" written as a timezone, or for a foreign zone on the same clock.
_ZONE_FOR_LABEL = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}
_LABEL_FOR_OFFSET = {7: "WIB", 8: "WITA", 9: "WIT"}  # hours east of UTC

_T = TypeVar("_T")
_KEYED = {"tenants": Tenant, "services": Service, "counters": Counter, "zones": Zone}
_SECTIONS = ("venue", "hours", "breaks", "holidays", "announcements", "booking", *_KEYED)
_REQUIRED = ("hours", "tenants", "services", "counters")
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*")
_COUNTER_ID = re.compile(r"[1-9][0-9]*[A-Z]?")
_PREFIX = re.compile(r"[A-Z]{1,3}")
# Indonesians write times as 08.00 as often as 08:00; both are accepted in these keys.
_CLOCK = re.compile(r"(\d{1,2})[:.](\d{2})")
_CLOCKED = frozenset({"start", "end", "last_issue"})
_INDONESIAN_DAYS = {
    "senin": "mon",
    "selasa": "tue",
    "rabu": "wed",
    "kamis": "thu",
    "jumat": "fri",
    "sabtu": "sat",
    "minggu": "sun",
}


class Problem(msgspec.Struct, frozen=True):
    """One mistake in a venue file: where, what, how to fix it, and a stable kind."""

    path: str
    message: str
    fix: str
    code: str


class ConfigError(Exception):
    """A venue file that cannot be loaded, with every problem found in it."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems
        super().__init__(file, problems)

    def __str__(self) -> str:
        return "\n".join(_render(self.file, p) for p in self.problems)


def _render(file: str, problem: Problem) -> str:
    where = f"{file}: {problem.path}: " if problem.path else f"{file}: "
    return f"{where}{problem.message} (fix: {problem.fix})"


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
    decoder = _Decoder(raw)
    draft = decoder.draft()
    problems = decoder.problems + [p for check in _CHECKS for p in check(draft)]
    return (None if problems else _build(draft)), problems


def _syntax_problem(exc: tomllib.TOMLDecodeError) -> Problem:
    # Python 3.11's tomllib only puts the position in the message: "... (at line 3, column 7)".
    reason, _, where = str(exc).partition(" (at ")
    where = where.rstrip(")") or "an unknown position"
    message = f"TOML syntax error at {where}: {reason}"
    fix = f"correct the TOML at {where}: quote text, write tables as [name], arrays as [a, b]"
    return Problem("", message, fix, "toml_syntax")


# -- pass 2: decoding ----------------------------------------------------------------------


@dataclasses.dataclass
class _Draft:
    """What decoded cleanly, with the ids written in each keyed table for reference checks."""

    settings: Venue | None = None
    hours: dict[str, OpeningHours] = dataclasses.field(default_factory=dict)
    breaks: dict[int, Break] = dataclasses.field(default_factory=dict)
    holidays: dict[int, Holiday] = dataclasses.field(default_factory=dict)
    days: list[str] = dataclasses.field(default_factory=list)  # the keys written in [hours]
    tenants: dict[str, Tenant] = dataclasses.field(default_factory=dict)
    services: dict[str, Service] = dataclasses.field(default_factory=dict)
    counters: dict[str, Counter] = dataclasses.field(default_factory=dict)
    zones: dict[str, Zone] = dataclasses.field(default_factory=dict)
    announcements: AnnouncementStyle = dataclasses.field(default_factory=AnnouncementStyle)
    booking: BookingPolicy = dataclasses.field(default_factory=BookingPolicy)
    # Ids come from the raw tables, so a broken tenant is still a known tenant and one
    # mistake does not cascade into "unknown tenant" everywhere it is referenced.
    ids: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    intact: bool = True  # everything decoded without a problem
    # Whether [hours] decoded fully; if not, "outside opening hours" would be a guess.
    hours_intact: bool = True
    misshapen: set[str] = dataclasses.field(default_factory=set)  # sections not even tables
    # Entries where a bad optional key fell back to its default: checks that compare two
    # keys of one entry skip them, as the default would stand in for what was written.
    partial: set[str] = dataclasses.field(default_factory=set)


class _Decoder:
    """Converts each part of the parsed TOML on its own, collecting problems as it goes."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.problems: list[Problem] = []
        self.misshapen: set[str] = set()  # sections that are not tables at all
        self.partial: set[str] = set()  # entries decoded with a bad optional key left out

    def draft(self) -> _Draft:
        self._reject_unknown_sections()
        settings, before = self._settings(), len(self.problems)
        table = self._table("hours")
        draft = _Draft(settings=settings, hours=self._hours(table), days=list(table))
        draft.hours_intact = len(self.problems) == before
        draft.breaks = self._listed("breaks", Break)
        draft.holidays = self._listed("holidays", Holiday)
        wording = self._entry("announcements", self.raw.get("announcements", {}), AnnouncementStyle)
        draft.announcements = wording or AnnouncementStyle()
        booking = self._entry("booking", self.raw.get("booking", {}), BookingPolicy)
        draft.booking = booking or BookingPolicy()
        for name, kind in _KEYED.items():
            table = self._table(name)
            draft.ids[name] = list(table)
            setattr(draft, name, self._keyed(name, table, kind))
        draft.intact = not self.problems
        draft.misshapen = self.misshapen
        draft.partial = self.partial
        return draft

    def _reject_unknown_sections(self) -> None:
        for key in self.raw:
            if key not in _SECTIONS:
                self._unknown_key(key, key, _SECTIONS)

    def _unknown_key(self, path: str, key: str, choices: Iterable[str]) -> None:
        message = f"unknown key '{key}'"
        fix = _did_you_mean(key, choices) or f"remove it; known keys: {', '.join(choices)}"
        self.problems.append(Problem(path, message, fix, "unknown_key"))

    def _table(self, name: str) -> dict[str, Any]:
        value = self.raw.get(name, {})
        if isinstance(value, dict):
            return value
        self.misshapen.add(name)
        each = f"[{name}.<id>]" if name in _KEYED else f"[{name}]"
        self._wrong_shape(name, value, f"a table: {each}")
        return {}

    def _wrong_shape(self, path: str, value: object, expected: str) -> None:
        message = f"expected {expected}, found {_toml(value)}"
        self.problems.append(Problem(path, message, f"write {expected}", "type_error"))

    def _settings(self) -> Venue | None:
        if "venue" not in self.raw:
            fix = 'add [venue] with id, name and timezone = "Asia/Jakarta"'
            self.problems.append(Problem("venue", "[venue] is missing", fix, "missing_key"))
            return None
        table = self._table("venue")
        for key in table.keys() & set(_SECTIONS):
            fix = f"move it out of [venue] into its own [{key}] table"
            self.problems.append(
                Problem(f"venue.{key}", f"unknown key '{key}'", fix, "unknown_key")
            )
        settings = {k: v for k, v in table.items() if k not in _SECTIONS}
        # The collections live in their own tables; empty ones let msgspec check the rest.
        empty: dict[str, Any] = {name: {} for name in ("hours", *_KEYED)}
        return self._convert({**settings, **empty}, Venue, "venue")

    def _hours(self, table: dict[str, Any]) -> dict[str, OpeningHours]:
        hours: dict[str, OpeningHours] = {}
        for day, value in table.items():
            if day not in WEEKDAYS:
                self.problems.append(_unknown_weekday(f"hours.{day}", day))
            elif not (isinstance(value, list) and len(value) == 2):
                self._wrong_shape(f"hours.{day}", value, 'a pair: ["08:00", "16:00"]')
            elif pair := self._convert([_clock(v) for v in value], _Pair, f"hours.{day}"):
                hours[day] = OpeningHours(pair.open, pair.close)
        return hours

    def _listed(self, name: str, kind: type[_T]) -> dict[int, _T]:
        value = self.raw.get(name, [])
        if not isinstance(value, list):
            self._wrong_shape(name, value, f"an array of tables: [[{name}]]")
            return {}
        entries = ((i, self._entry(f"{name}[{i}]", item, kind)) for i, item in enumerate(value))
        return {i: entry for i, entry in entries if entry is not None}

    def _keyed(self, name: str, table: dict[str, Any], kind: type[_T]) -> dict[str, _T]:
        entries = (
            (key, self._entry(f"{name}.{key}", item, kind, key)) for key, item in table.items()
        )
        return {key: entry for key, entry in entries if entry is not None}

    def _entry(self, path: str, item: object, kind: type[_T], key: str = "") -> _T | None:
        if not isinstance(item, dict):
            self._wrong_shape(path, item, "a table")
            return None
        if key and "id" in item:
            fix = f"remove it: the id is the table name, here '{key}'"
            self.problems.append(Problem(f"{path}.id", "unknown key 'id'", fix, "unknown_key"))
            return None
        data = {name: _clock(v) if name in _CLOCKED else v for name, v in item.items()}
        return self._convert({**data, "id": key} if key else data, kind, path)

    def _convert(self, data: object, kind: type[_T], path: str) -> _T | None:
        # msgspec stops at the first bad key; setting it aside and trying again finds the
        # next one, and an optional key falls back to its default so later checks still run.
        set_aside: set[str] = set()
        while True:
            try:
                value = msgspec.convert(data, kind)
                break
            except msgspec.ValidationError as exc:
                culprit = self._report(str(exc), data, kind, path, set_aside)
                if culprit is None or not isinstance(data, dict):
                    return None
                data = {key: item for key, item in data.items() if key != culprit}
                set_aside.add(culprit)
        if set_aside:
            self.partial.add(path)
        return value

    def _report(
        self, error: str, data: object, kind: type, path: str, aside: set[str]
    ) -> str | None:
        """Records `error` unless it echoes a key set aside; returns the key to set aside next."""
        culprit = _culprit(error)
        if culprit in aside or _misspelt(error, culprit, aside):
            return None  # a required key that was set aside or misspelt: already reported
        self.problems.append(_decode_problem(error, data, kind, path))
        return culprit if isinstance(data, dict) and culprit in data else None


class _Pair(msgspec.Struct, array_like=True):
    """An `[open, close]` pair in [hours]."""

    open: dt.time
    close: dt.time


def _clock(value: object) -> object:
    """`"8:00"` or `"08.00"` as a time; anything else unchanged, for msgspec to judge."""
    match = _CLOCK.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return value
    hour, minute = int(match[1]), int(match[2])
    return dt.time(hour, minute) if hour < 24 and minute < 60 else value


# -- turning msgspec's messages into problems ------------------------------------------------

_AT = re.compile(r"(?P<what>.*?)(?: - at `\$(?P<at>[^`]*)`)?")
_EXPECTED = re.compile(r"Expected `(?P<expected>[^`]+)`.*")
_FIELD = re.compile(r"Object (?P<kind>missing required|contains unknown) field `(?P<key>[^`]+)`")
# What each msgspec type name means in TOML words, with an example value.
_KINDS = {
    "int": ("a whole number", "100"),
    "float": ("a number", "7.5"),
    "str": ("text in quotes", '"..."'),
    "bool": ("true or false", "true"),
    "array": ("an array", '["a", "b"]'),
    "object": ("a table", "{ ... }"),
    "time": ("a time", '"08:00"'),
    "date": ("a date", "2026-08-17"),
}
_CHOICES: dict[str, tuple[str, ...]] = {
    "return_policy": get_args(ReturnPolicy),
    "priority_scope": get_args(PriorityScope),
}


def _misspelt(error: str, key: str | None, set_aside: Iterable[str]) -> bool:
    """Whether `error` is a missing `key` that was written, misspelt, among `set_aside`."""
    missing = error.startswith("Object missing required")
    return missing and key is not None and _closest(key, set_aside) is not None


def _culprit(error: str) -> str | None:
    """The top-level key a msgspec error is about, if any."""
    parsed = _AT.fullmatch(error)
    if parsed is None:
        return None
    if field := _FIELD.fullmatch(parsed["what"]):
        return None if parsed["at"] else field["key"]
    top = re.match(r"\.([^.\[]+)", parsed["at"] or "")
    return top[1] if top else None


def _decode_problem(error: str, data: object, kind: type, path: str) -> Problem:
    parsed = _AT.fullmatch(error)
    what, at = (parsed["what"], parsed["at"] or "") if parsed else (error, "")
    if field := _FIELD.fullmatch(what):
        return _field_problem(field["kind"], field["key"], kind, f"{path}{at}")
    key = _last_key(at) or path.rpartition(".")[2]
    found = _toml(_dig(data, at))
    if expected := _EXPECTED.fullmatch(what):
        return _type_problem(expected["expected"], f"{path}{at}", key, found)
    if what.startswith("Invalid enum value"):
        fix = f"use one of: {', '.join(_CHOICES.get(key, ()))}"
        return Problem(f"{path}{at}", f"{key} cannot be {found}", fix, "invalid_choice")
    if what.startswith("Invalid RFC3339 encoded"):
        noun = what.rsplit(" ", 1)[1]
        return _type_problem(noun, f"{path}{at}", key, found, code=f"{noun}_format")
    return Problem(f"{path}{at}", f"{what}, found {found}", "correct the value", "type_error")


def _field_problem(kind: str, key: str, target: type, path: str) -> Problem:
    if kind == "missing required":
        fix = f"add {key} = ... to [{path}]"
        return Problem(f"{path}.{key}", f"required key '{key}' is missing", fix, "missing_key")
    is_struct = isinstance(target, type) and issubclass(target, msgspec.Struct)
    names = [f.name for f in msgspec.structs.fields(target) if f.name != "id"] if is_struct else []
    fix = _did_you_mean(key, names) or f"remove it; known keys: {', '.join(names)}"
    return Problem(f"{path}.{key}", f"unknown key '{key}'", fix, "unknown_key")


def _type_problem(
    expected: str, path: str, key: str, found: str, code: str = "type_error"
) -> Problem:
    # TOML has no null: "int | null" only ever means the number may be left out.
    kinds = [_KINDS.get(name, (name, "...")) for name in expected.split(" | ") if name != "null"]
    message = f"{key} must be {' or '.join(k[0] for k in kinds)}, found {found}"
    return Problem(path, message, f"write it like {key} = {kinds[0][1]}", code)


def _last_key(at: str) -> str:
    keys = re.findall(r"\.([^.\[]+)", at)
    return str(keys[-1]) if keys else ""


def _dig(data: object, at: str) -> object:
    """The raw value at a msgspec path such as `.services[1]`."""
    for key, index in re.findall(r"\.([^.\[]+)|\[(\d+)\]", at):
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list) and index and int(index) < len(data):
            data = data[int(index)]
    return data


def _toml(value: object) -> str:
    """`value` as it would be written in TOML, so messages quote what the user wrote."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dt.time | dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return f"[{', '.join(_toml(item) for item in value)}]"
    return repr(value)


# -- pass 3: checks -------------------------------------------------------------------------

_Check = Callable[[_Draft], Iterator[Problem]]


def _closest(value: str, choices: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def _did_you_mean(value: str, choices: Iterable[str]) -> str:
    close = _closest(value, choices)
    return f"did you mean '{close}'?" if close else ""


def _unknown_reference(path: str, what: str, value: str, known: Iterable[str]) -> Problem:
    known = list(known)
    fix = _did_you_mean(value, known) or (
        f"add [{what}s.{value}] or use one of: {', '.join(known[:8]) or 'none defined yet'}"
    )
    return Problem(path, f"{what} '{value}' is not defined", fix, f"unknown_{what}")


def _unknown_weekday(path: str, day: str) -> Problem:
    guess = _INDONESIAN_DAYS.get(day.lower()) or _closest(day.lower()[:3], WEEKDAYS)
    hint = f"did you mean '{guess}'? " if guess else ""
    fix = f"{hint}use one of: {', '.join(WEEKDAYS)}"
    return Problem(path, f"'{day}' is not a weekday", fix, "unknown_weekday")


def _span(item: OpeningHours | Break | None) -> str:
    if item is None:
        return "closed"
    start, end = (
        (item.open, item.close) if isinstance(item, OpeningHours) else (item.start, item.end)
    )
    return f"{start:%H:%M}–{end:%H:%M}"


def _check_sections(d: _Draft) -> Iterator[Problem]:
    for name in _REQUIRED:
        if name not in d.misshapen and not (d.days if name == "hours" else d.ids[name]):
            example = "[hours] mon = [...]" if name == "hours" else f"[{name}.<id>]"
            fix = f"add at least one entry: {example}"
            yield Problem(name, f"the venue has no {name}", fix, "empty_section")


def _check_ids(d: _Draft) -> Iterator[Problem]:
    # Ids end up in URLs, Redis keys and key paths, so they stay plain.
    for name, ids in d.ids.items():
        pattern = _COUNTER_ID if name == "counters" else _SLUG
        for key in ids:
            if not pattern.fullmatch(key):
                example = "counters.7" if name == "counters" else f"{name}.{_slug(key)}"
                message = f"'{key}' is not a valid id for {name}"
                fix = f"rename the table, e.g. [{example}]"
                yield Problem(f"{name}.{key}", message, fix, "id_format")
    if d.settings and not _SLUG.fullmatch(d.settings.id):
        message = f"'{d.settings.id}' is not a valid venue id (lowercase letters, digits, '-')"
        fix = f'use e.g. id = "{_slug(d.settings.id)}"'
        yield Problem("venue.id", message, fix, "id_format")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _check_names(d: _Draft) -> Iterator[Problem]:
    named: Iterable[tuple[str, str, str]] = itertools.chain(
        ((f"tenants.{k}", "name", t.name) for k, t in d.tenants.items()),
        ((f"services.{k}", "name", s.name) for k, s in d.services.items()),
        ((f"counters.{k}", "label", c.label) for k, c in d.counters.items()),
        ((f"zones.{k}", "name", z.name) for k, z in d.zones.items()),
    )
    for path, key, value in named:
        if not value.strip():
            fix = f"write the {key} people see on screens and slips"
            yield Problem(f"{path}.{key}", f"{key} is empty", fix, "name_blank")


def _check_timezone(d: _Draft) -> Iterator[Problem]:
    if d.settings is None or d.settings.timezone in INDONESIAN_TIMEZONES:
        return
    tz = d.settings.timezone
    if tz not in _known_timezones():
        fix = _label_fix(tz) or _did_you_mean(tz, _known_timezones()) or _INDONESIAN_FIX
        yield Problem("venue.timezone", f"unknown timezone '{tz}'", fix, "unknown_timezone")
        return
    yield Problem(
        "venue.timezone",
        f"timezone '{tz}' is not an Indonesian zone (WIB, WITA or WIT)",
        _same_clock_fix(tz),
        "timezone_not_indonesian",
    )


_INDONESIAN_FIX = "use Asia/Jakarta (WIB), Asia/Makassar (WITA) or Asia/Jayapura (WIT)"


@functools.cache
def _known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _label_fix(label: str) -> str:
    zone = _ZONE_FOR_LABEL.get(label.upper())
    return f'write the zone name for {label.upper()}: timezone = "{zone}"' if zone else ""


def _same_clock_fix(tz: str) -> str:
    offset = zoneinfo.ZoneInfo(tz).utcoffset(dt.datetime(2026, 1, 1))
    hours = offset.total_seconds() / 3600 if offset is not None else 0.5
    label = _LABEL_FOR_OFFSET.get(int(hours)) if hours.is_integer() else None
    if label is None:
        return _INDONESIAN_FIX
    return f'use "{_ZONE_FOR_LABEL[label]}" ({label}), which keeps the same clock'


_PRIORITY_FIX = "use e.g. 2: one priority ticket per two regular ones while both wait"
_RECALLS_FIX = "use e.g. 3: a ticket is recalled up to three times before it is a no-show"
_TYPICAL_FIX = "use the usual service time in minutes, e.g. 10"


class _Bound(msgspec.Struct, frozen=True):
    """Limits on one number, with the problem code and fix when they are broken."""

    key: str
    low: float
    code: str
    fix: str
    strict: bool = False  # True: the value must be above `low`, not merely reach it
    # TOML has inf and nan: a number the estimates divide and multiply by must be finite.
    high: float = math.inf

    def problem(self, path: str, value: float | None) -> Problem | None:
        if value is None:
            return None
        above = value > self.low or (value == self.low and not self.strict)
        if above and value <= self.high and math.isfinite(value):
            return None
        if above:
            return Problem(
                f"{path}.{self.key}",
                f"{self.key} must be at most {self.high:g}, found {value:g}",
                self.fix,
                f"{self.key}_too_high",
            )
        limit = f"{'greater than' if self.strict else 'at least'} {self.low:g}"
        return Problem(
            f"{path}.{self.key}",
            f"{self.key} must be {limit}, found {value:g}",
            self.fix,
            self.code,
        )


_VENUE_BOUNDS = (
    _Bound("priority_ratio", 0, "priority_ratio_negative", _PRIORITY_FIX),
    _Bound("max_recalls", 1, "max_recalls_too_low", _RECALLS_FIX),
)
_SERVICE_BOUNDS = (
    _Bound("daily_quota", 0, "negative_quota", "use 0 or more tickets per day"),
    _Bound("kiosk_quota", 0, "negative_quota", "use 0 or more, or remove the key"),
    _Bound("online_quota", 0, "negative_quota", "use 0 or more, or remove the key"),
    _Bound("sla_minutes", 0, "sla_not_positive", "use the target wait, e.g. 30", strict=True),
    # A service longer than a whole day is a typing mistake (and infinity breaks estimates).
    _Bound(
        "typical_minutes", 0, "typical_minutes_not_positive", _TYPICAL_FIX, strict=True, high=600
    ),
)

_BOOKING_BOUNDS = (
    _Bound("slot_minutes", 5, "booking_value_too_low", "use a slot of 5 minutes or more"),
    _Bound("per_slot", 1, "booking_value_too_low", "allow at least 1 booking per slot"),
    _Bound("days_ahead", 0, "booking_value_too_low", "use 0 (today only) or more days"),
    _Bound("early_minutes", 0, "booking_value_too_low", "use 0 or more minutes"),
    _Bound("late_minutes", 0, "booking_value_too_low", "use 0 or more minutes"),
)


def _bounded(path: str, item: msgspec.Struct, bounds: Iterable[_Bound]) -> Iterator[Problem]:
    for bound in bounds:
        if problem := bound.problem(path, getattr(item, bound.key)):
            yield problem


def _check_settings(d: _Draft) -> Iterator[Problem]:
    yield from _bounded("booking", d.booking, _BOOKING_BOUNDS)
    if d.settings is None:
        return
    yield from _bounded("venue", d.settings, _VENUE_BOUNDS)


def _check_hours(d: _Draft) -> Iterator[Problem]:
    for day, hours in d.hours.items():
        if hours.close <= hours.open:
            message = f"{day} opens at {hours.open:%H:%M} but closes at {hours.close:%H:%M}"
            fix = f'write [open, close] in order, e.g. {day} = ["08:00", "16:00"]'
            yield Problem(f"hours.{day}", message, fix, "hours_inverted")


def _check_breaks(d: _Draft) -> Iterator[Problem]:
    for i, b in d.breaks.items():
        for j, day in enumerate(b.days):
            if day not in WEEKDAYS:
                yield _unknown_weekday(f"breaks[{i}].days[{j}]", day)
        if b.end <= b.start:
            fix = 'write start before end, e.g. start = "11:30", end = "13:00"'
            message = f"break starts at {b.start:%H:%M} but ends at {b.end:%H:%M}"
            yield Problem(f"breaks[{i}]", message, fix, "break_inverted")
        elif d.hours_intact and (outside := _uncovered_days(d, b)):
            yield _break_outside(d, i, b, outside)
    yield from _overlapping_breaks(d)


def _uncovered_days(d: _Draft, b: Break) -> list[str]:
    """The weekdays of break `b` on which the venue is not open for all of it."""
    hours = {day: d.hours.get(day) for day in b.days if day in WEEKDAYS}
    return [
        day for day, h in hours.items() if h is None or not h.open <= b.start < b.end <= h.close
    ]


def _break_outside(d: _Draft, i: int, b: Break, days: list[str]) -> Problem:
    where = ", ".join(f"{day} ({_span(d.hours.get(day))})" for day in days)
    message = f"break {_span(b)} is outside opening hours on {where}"
    fix = "move the break inside opening hours or remove those days from its days"
    return Problem(f"breaks[{i}]", message, fix, "break_outside_hours")


def _overlapping_breaks(d: _Draft) -> Iterator[Problem]:
    valid = [(i, b) for i, b in d.breaks.items() if b.start < b.end]
    for (i, a), (j, b) in itertools.combinations(valid, 2):
        shared = [day for day in a.days if day in b.days]
        if shared and a.start < b.end and b.start < a.end:
            days = ", ".join(shared)
            message = f"break {_span(b)} overlaps breaks[{i}] ({_span(a)}) on {days}"
            fix = "merge them into one break or move one so they do not overlap"
            yield Problem(f"breaks[{j}]", message, fix, "breaks_overlap")


def _check_holidays(d: _Draft) -> Iterator[Problem]:
    first: dict[dt.date, int] = {}
    for i, holiday in d.holidays.items():
        if holiday.date in first:
            message = f"{holiday.date} is already listed as holidays[{first[holiday.date]}]"
            fix = "remove one of the two entries, or correct the date"
            yield Problem(f"holidays[{i}].date", message, fix, "duplicate_holiday")
        first.setdefault(holiday.date, i)


def _check_services(d: _Draft) -> Iterator[Problem]:
    for key, service in d.services.items():
        path = f"services.{key}"
        if service.tenant not in d.ids["tenants"]:
            yield _unknown_reference(f"{path}.tenant", "tenant", service.tenant, d.ids["tenants"])
        yield from _bounded(path, service, _SERVICE_BOUNDS)
        yield from _channel_quotas(path, service)
        yield from _last_issue(d, path, service)
    yield from _prefixes(d)


def _channel_quotas(path: str, service: Service) -> Iterator[Problem]:
    channels = {"kiosk_quota": service.kiosk_quota, "online_quota": service.online_quota}
    given = {name: value for name, value in channels.items() if value is not None}
    total = sum(given.values())
    # A negative quota is reported on its own; the sum would only repeat it.
    if total > service.daily_quota and min([service.daily_quota, *given.values()]) >= 0:
        parts = " + ".join(f"{name} {value}" for name, value in given.items())
        message = f"daily_quota {service.daily_quota} is less than {parts} = {total}"
        fix = f"raise daily_quota to at least {total} or lower the channel quotas"
        yield Problem(f"{path}.daily_quota", message, fix, "channel_quota_exceeds_daily")


def _last_issue(d: _Draft, path: str, service: Service) -> Iterator[Problem]:
    last = service.last_issue
    if last is None or not (d.hours and d.hours_intact):
        return
    if any(h.open < last <= h.close for h in d.hours.values()):
        return
    opens = min(h.open for h in d.hours.values())
    closes = max(h.close for h in d.hours.values())
    message = f"last_issue {last:%H:%M} is outside opening hours ({opens:%H:%M}–{closes:%H:%M})"
    fix = f"set last_issue after {opens:%H:%M} and no later than {closes:%H:%M}"
    yield Problem(f"{path}.last_issue", message, fix, "last_issue_outside_hours")


def _prefixes(d: _Draft) -> Iterator[Problem]:
    owners: dict[str, str] = {}
    for key, service in d.services.items():
        prefix, path = service.prefix, f"services.{key}.prefix"
        if not _PREFIX.fullmatch(prefix):
            yield _prefix_format(path, prefix)
        if prefix.upper() in owners:
            message = f"prefix '{prefix}' is already used by services.{owners[prefix.upper()]}"
            fix = f"choose another prefix, e.g. '{_free_letter(d)}'"
            yield Problem(path, message, fix, "duplicate_prefix")
        owners.setdefault(prefix.upper(), key)


def _prefix_format(path: str, prefix: str) -> Problem:
    # Prefixes are read aloud letter by letter and printed on slips: plain capitals only.
    upper = f", e.g. '{prefix.upper()}'" if _PREFIX.fullmatch(prefix.upper()) else ""
    fix = f"use 1 to 3 capital letters A–Z{upper}"
    return Problem(path, f"prefix '{prefix}' is not 1–3 capital letters", fix, "prefix_format")


def _free_letter(d: _Draft) -> str:
    used = {s.prefix.upper() for s in d.services.values()}
    pool = itertools.chain(
        string.ascii_uppercase, itertools.product(string.ascii_uppercase, repeat=2)
    )
    return next("".join(p) for p in pool if "".join(p) not in used)


def _check_counters(d: _Draft) -> Iterator[Problem]:
    for key, counter in d.counters.items():
        path = f"counters.{key}"
        if counter.tenant not in d.ids["tenants"]:
            yield _unknown_reference(f"{path}.tenant", "tenant", counter.tenant, d.ids["tenants"])
        if counter.zone not in d.ids["zones"]:
            yield _unknown_reference(f"{path}.zone", "zone", counter.zone, d.ids["zones"])
        if not counter.services:
            fix = f'list the services it calls, e.g. services = ["{_first(d, counter.tenant)}"]'
            yield Problem(
                f"{path}.services", "the counter serves no service", fix, "counter_without_services"
            )
        for i, service in enumerate(counter.services):
            yield from _counter_service(d, f"{path}.services[{i}]", counter, service)


def _first(d: _Draft, tenant: str) -> str:
    return next((k for k, s in d.services.items() if s.tenant == tenant), "<service id>")


def _counter_service(d: _Draft, path: str, counter: Counter, key: str) -> Iterator[Problem]:
    if key not in d.ids["services"]:
        yield _unknown_reference(path, "service", key, d.ids["services"])
        return
    service = d.services.get(key)
    # An unknown tenant on either side is already reported; a mismatch would only echo it.
    if service is None or service.tenant == counter.tenant:
        return
    if not {service.tenant, counter.tenant} <= d.tenants.keys():
        return
    message = (
        f"service '{key}' belongs to tenant '{service.tenant}', "
        f"but the counter belongs to '{counter.tenant}'"
    )
    fix = f"remove it here and serve it from a counter of '{service.tenant}'"
    yield Problem(path, message, fix, "foreign_service")


def _check_zones(d: _Draft) -> Iterator[Problem]:
    owner: dict[str, str] = {}
    for key, zone in d.zones.items():
        partial = f"zones.{key}" in d.partial
        if zone.speaker and zone.speaker not in zone.displays and not partial:
            message = f"speaker '{zone.speaker}' is not one of the zone's displays"
            fix = f"add it to displays or use one of: {', '.join(zone.displays) or '(none)'}"
            yield Problem(f"zones.{key}.speaker", message, fix, "speaker_not_display")
        for i, display in enumerate(zone.displays):
            if owner.setdefault(display, key) != key:
                message = f"display '{display}' is already in zones.{owner[display]}"
                fix = "a screen hangs in one zone: give this one its own id"
                yield Problem(f"zones.{key}.displays[{i}]", message, fix, "display_in_two_zones")


# Conclusions about what is missing are only sound when everything decoded: a broken
# counter may well be the one that serves the service or sits in the zone.


def _check_unserved(d: _Draft) -> Iterator[Problem]:
    if not d.intact:
        return
    served = {s for c in d.counters.values() for s in c.services}
    for key, service in d.services.items():
        if key not in served:
            fix = f"add '{key}' to the services of a counter of '{service.tenant}'"
            yield Problem(
                f"services.{key}", "no counter serves this service", fix, "service_unserved"
            )


def _check_empty_zones(d: _Draft) -> Iterator[Problem]:
    if not d.intact:
        return
    used = {c.zone for c in d.counters.values()}
    for key in d.zones:
        if key not in used:
            fix = f'put counters in it with zone = "{key}", or remove the zone'
            yield Problem(
                f"zones.{key}", "no counter is in this zone", fix, "zone_without_counters"
            )


_CHECKS: tuple[_Check, ...] = (
    _check_sections,
    _check_ids,
    _check_names,
    _check_timezone,
    _check_settings,
    _check_hours,
    _check_breaks,
    _check_holidays,
    _check_services,
    _check_counters,
    _check_zones,
    _check_unserved,
    _check_empty_zones,
)


def _build(d: _Draft) -> Venue:
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
