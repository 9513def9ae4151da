"""What a mistake in a venue file is (`Problem`, `ConfigError`), and the phrases shared by the
passes that find them: "did you mean", an unknown reference or weekday, a value as TOML."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable

import msgspec

from server.domain.venue import WEEKDAYS

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


def closest(value: str, choices: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    close = closest(value, choices)
    return f"did you mean '{close}'?" if close else ""


def unknown_reference(path: str, what: str, value: str, known: Iterable[str]) -> Problem:
    known = list(known)
    fix = did_you_mean(value, known) or (
        f"add [{what}s.{value}] or use one of: {', '.join(known[:8]) or 'none defined yet'}"
    )
    return Problem(path, f"{what} '{value}' is not defined", fix, f"unknown_{what}")


def unknown_weekday(path: str, day: str) -> Problem:
    guess = _INDONESIAN_DAYS.get(day.lower()) or closest(day.lower()[:3], WEEKDAYS)
    hint = f"did you mean '{guess}'? " if guess else ""
    fix = f"{hint}use one of: {', '.join(WEEKDAYS)}"
    return Problem(path, f"'{day}' is not a weekday", fix, "unknown_weekday")


def toml(value: object) -> str:
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
        return f"[{', '.join(toml(item) for item in value)}]"
    return repr(value)
