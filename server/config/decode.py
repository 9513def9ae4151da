"""Pass 2: each part of the parsed TOML converted on its own into a `Draft`, every problem
collected on the way (a wrong type in one service does not hide one in a counter)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable
from typing import Any, TypeVar

import msgspec

from server.config import messages
from server.config.problems import Problem, did_you_mean, toml, unknown_weekday
from server.domain.venue import (
    WEEKDAYS,
    AnnouncementStyle,
    BookingPolicy,
    Break,
    Counter,
    Holiday,
    OpeningHours,
    Service,
    Tenant,
    Venue,
    Zone,
)

_T = TypeVar("_T")
_KEYED = {"tenants": Tenant, "services": Service, "counters": Counter, "zones": Zone}
_SECTIONS = ("venue", "hours", "breaks", "holidays", "announcements", "booking", *_KEYED)
# Indonesians write times as 08.00 as often as 08:00; both are accepted in these keys.
_CLOCK = re.compile(r"(\d{1,2})[:.](\d{2})")
_CLOCKED = frozenset({"start", "end", "last_issue"})


@dataclasses.dataclass
class Draft:
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


class Decoder:
    """Converts each part of the parsed TOML on its own, collecting problems as it goes."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.problems: list[Problem] = []
        self.misshapen: set[str] = set()  # sections that are not tables at all
        self.partial: set[str] = set()  # entries decoded with a bad optional key left out

    def draft(self) -> Draft:
        self._reject_unknown_sections()
        settings, before = self._settings(), len(self.problems)
        table = self._table("hours")
        draft = Draft(settings=settings, hours=self._hours(table), days=list(table))
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
        fix = did_you_mean(key, choices) or f"remove it; known keys: {', '.join(choices)}"
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
        message = f"expected {expected}, found {toml(value)}"
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
                self.problems.append(unknown_weekday(f"hours.{day}", day))
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
        culprit = messages.culprit(error)
        if culprit in aside or messages.misspelt(error, culprit, aside):
            return None  # a required key that was set aside or misspelt: already reported
        self.problems.append(messages.decode_problem(error, data, kind, path))
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
